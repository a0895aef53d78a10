#include "core/clock.h"

#include <ctime>

namespace stocklake {

namespace {
std::string FormatNow(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

std::string UtcTimestampNow() { return FormatNow("%Y-%m-%dT%H:%M:%SZ"); }
std::string UtcDateToday() { return FormatNow("%Y-%m-%d"); }

}  // namespace stocklake
