// Ticker symbols as the readers accept them. A ticker ends up in lake paths, table
// values and URLs, so the accepted alphabet is small enough that no ticker can name a
// path outside its directory, yet wide enough for real symbols ("BRK-B", "BRK.B",
// "^GSPC", "EURUSD=X", "0700.HK").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stocklake {

//! Longest accepted ticker, in bytes.
inline constexpr size_t kMaxTickerLength = 32;

//! True when `ticker` is 1..kMaxTickerLength bytes of [A-Z0-9.\-_^=], does not start
//! with '.' and contains no "..". Upper-case only: callers upper-case first.
bool IsValidTicker(std::string_view ticker);

//! Upper-cases ASCII letters of `text` into `out` (which must hold text.size() bytes)
//! and returns the view of `out`; no allocation, for the readers' hot path.
std::string_view UpperCaseInto(std::string_view text, char* out);

//! The ticker of a per-ticker CSV file: the file name (last path component of
//! `relative_path`) up to its first '.', upper-cased. nullopt when that is no valid
//! ticker.
std::optional<std::string> TickerFromPath(std::string_view relative_path);

}  // namespace stocklake
