#include "core/clock.h"

#include <ctime>

namespace stocklake {

namespace {
std::string FormatUtc(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string UtcTimestampNow() {
  return FormatRfc3339Utc(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}
std::string UtcDateToday() { return FormatUtc(std::time(nullptr), "%Y-%m-%d"); }
std::string FormatRfc3339Utc(std::chrono::sys_seconds t) {
  return FormatUtc(static_cast<std::time_t>(t.time_since_epoch().count()), "%Y-%m-%dT%H:%M:%SZ");
}

}  // namespace stocklake
