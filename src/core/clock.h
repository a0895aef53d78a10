// Wall-clock time as the lake records it: UTC, ISO-8601 text.
#pragma once

#include <string>

namespace stocklake {

//! "2026-11-25T07:32:02Z".
std::string UtcTimestampNow();
//! "2026-11-25".
std::string UtcDateToday();

}  // namespace stocklake
