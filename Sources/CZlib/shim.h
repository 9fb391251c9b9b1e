#pragma once
/*
 * zlib for Swift: ClassBench traces are read with gzopen/gzread, which stream both gzip and
 * plain files (a file without the gzip magic is read as is).
 */
#include <zlib.h>
