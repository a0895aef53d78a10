// Durations as people write them in options and pipeline definitions: "500ms", "30s",
// "10m", "2h", "1d" (a bare number is seconds). One parser, so `--window 60s` and a
// pipeline's `retry_delay: 30s` accept exactly the same texts.
#pragma once

#include <cstdint>
#include <string_view>

namespace stocklake {

//! Parses `text` into milliseconds; false (leaving *millis alone) when it is not a
//! non-negative whole number followed by ms, s, m, h, d or nothing, or overflows.
[[nodiscard]] bool ParseDurationMillis(std::string_view text, int64_t* millis);

//! The text people write for a duration like these.
inline constexpr std::string_view kDurationExamples = "500ms, 30s, 10m, 2h or 1d";

}  // namespace stocklake
