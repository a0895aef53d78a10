// The field syntax of reference-job.md ("Field syntax") for prices and integers, shared
// by the CSV and JSON readers. Strict by design: std::from_chars and strtod accept forms
// the spec rejects (hex, "nan(...)", leading '+' handled differently), so the syntax is
// checked here first and the conversion delegated only afterwards. No allocation.
#pragma once

#include <cstdint>
#include <string_view>

namespace stocklake {

//! Parses a price: `[+-]digits[.digits][e|E[+-]digits]` (also `1.` and `.5`), or
//! nan / inf / infinity in any case with an optional sign. The text must already be
//! trimmed. Values beyond double range become +-inf or +-0 (as strtod would), which the
//! cleaning stage then rejects. False, leaving *out untouched, when the syntax is wrong.
bool ParsePrice(std::string_view text, double* out);

//! Parses a base-10 `[+-]digits` integer within int64; false on any other text or on
//! overflow ("1000.0" and "1e3" are not integers).
bool ParseInt64(std::string_view text, int64_t* out);

//! `text` without leading and trailing spaces (only ' ': the spec trims spaces).
inline std::string_view TrimSpaces(std::string_view text) {
  size_t b = 0;
  size_t e = text.size();
  while (b < e && text[b] == ' ') ++b;
  while (e > b && text[e - 1] == ' ') --e;
  return text.substr(b, e - b);
}

}  // namespace stocklake
