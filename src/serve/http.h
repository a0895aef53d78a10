// cpp-httplib as Debian builds it (a shared library compiled with OpenSSL, zlib and
// brotli support): the CPPHTTPLIB_* macros come from its pkg-config flags, which every
// target linking stocklake_serve inherits, so all files see the same class layouts.
#pragma once

#include <httplib.h>
