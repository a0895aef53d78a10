// What the C++ benchmarks share: wall-clock seconds since a start, and reporting a
// failed step before giving up.
#pragma once

#include <chrono>
#include <cstdio>

#include "core/status.h"

namespace stocklake::bench {

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

//! Prints "<program>: <status>" on stderr and returns the exit code 1.
inline int Fail(const char* program, const Status& status) {
  std::fprintf(stderr, "%s: %s\n", program, status.ToString().c_str());
  return 1;
}

}  // namespace stocklake::bench
