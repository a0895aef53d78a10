#include "core/crash_point.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>

namespace stocklake {

namespace {

struct ArmedPoint {
  std::string name;  // empty: none armed
  long times = 1;    // die when reached this many times
};

ArmedPoint ReadArmedPoint() {
  ArmedPoint armed;
  const char* env = std::getenv("STOCKLAKE_CRASH_AT");
  if (env == nullptr) return armed;
  armed.name = env;
  if (const size_t at = armed.name.rfind('@'); at != std::string::npos) {
    armed.times = std::strtol(armed.name.c_str() + at + 1, nullptr, 10);
    armed.name.resize(at);
  }
  return armed;
}

}  // namespace

void CrashPoint(const char* name) {
  static const ArmedPoint armed = ReadArmedPoint();
  static std::atomic<long> reached{0};
  if (!armed.name.empty() && armed.name == name && ++reached >= armed.times) std::raise(SIGKILL);
}

}  // namespace stocklake
