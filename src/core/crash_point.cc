#include "core/crash_point.h"

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace stocklake {

void CrashPoint(const char* name) {
  static const char* const armed = std::getenv("STOCKLAKE_CRASH_AT");
  if (armed != nullptr && std::strcmp(armed, name) == 0) std::raise(SIGKILL);
}

}  // namespace stocklake
