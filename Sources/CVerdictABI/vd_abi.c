// The C side of the shared table layout. It holds no code: compiling it runs the header's
// _Static_asserts, so a layout change that breaks the agreed sizes fails the build.
#include "vd_abi.h"
