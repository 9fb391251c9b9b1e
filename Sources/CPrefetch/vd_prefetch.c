/* SwiftPM builds a C target from its sources; everything here is the inline function in include/. */
#include "vd_prefetch.h"
