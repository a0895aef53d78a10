// Wall-clock time as the lake records it: UTC, ISO-8601 text.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace stocklake {

//! Now as Unix milliseconds (UTC): the pipeline runner's and the scheduler's time.
int64_t NowMillis();
//! "2026-11-25T07:32:02Z".
std::string UtcTimestampNow();
//! "2026-11-25".
std::string UtcDateToday();
//! `t` as RFC 3339 UTC with whole seconds: "2025-04-01T00:00:00Z".
std::string FormatRfc3339Utc(std::chrono::sys_seconds t);

}  // namespace stocklake
