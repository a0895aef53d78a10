#include "ingest/field_syntax.h"

#include <charconv>
#include <limits>

namespace stocklake {

namespace {

bool IsDigit(char c) { return static_cast<unsigned>(c - '0') <= 9; }

bool EqualsIgnoreCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// For a syntactically valid number that from_chars reports out of range: true when its
// magnitude is too large (-> inf), false when too small (-> 0). The decimal exponent of
// the first significant digit is beyond +-300 either way, so an estimate decides it.
bool OverflowsRatherThanUnderflows(std::string_view mantissa, int64_t exponent) {
  const size_t dot = mantissa.find('.');
  const size_t int_digits = dot == std::string_view::npos ? mantissa.size() : dot;
  for (size_t i = 0; i < mantissa.size(); ++i) {
    if (mantissa[i] == '.' || mantissa[i] == '0') continue;
    const int64_t position =
        i < int_digits ? static_cast<int64_t>(int_digits - i - 1) : -static_cast<int64_t>(i - int_digits);
    return position + exponent >= 0;
  }
  return false;  // all zeros never overflow
}

}  // namespace

bool ParsePrice(std::string_view text, double* out) {
  if (text.empty()) return false;
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (*p == '+' || *p == '-') {
    negative = *p == '-';
    ++p;
  }
  const char* const mantissa_begin = p;
  // The digits are also accumulated for the exact fast path below; `mantissa` stays
  // exact while it has at most 19 digits.
  uint64_t mantissa = 0;
  int digits = 0;  // digits from the first non-zero one on: leading zeros do not count
  auto accumulate = [&]() {
    const char* const begin = p;
    for (; p < end; ++p) {
      const auto digit = static_cast<unsigned>(*p - '0');
      if (digit > 9) break;
      mantissa = mantissa * 10 + digit;
      digits += mantissa != 0;
    }
    return static_cast<size_t>(p - begin);
  };
  const size_t int_digits = accumulate();
  size_t frac_digits = 0;
  if (p < end && *p == '.') {
    ++p;
    frac_digits = accumulate();
  }
  if (int_digits + frac_digits == 0) {
    const std::string_view word(mantissa_begin, static_cast<size_t>(end - mantissa_begin));
    double special;
    if (EqualsIgnoreCase(word, "nan")) {
      special = std::numeric_limits<double>::quiet_NaN();
    } else if (EqualsIgnoreCase(word, "inf") || EqualsIgnoreCase(word, "infinity")) {
      special = std::numeric_limits<double>::infinity();
    } else {
      return false;
    }
    *out = negative ? -special : special;
    return true;
  }
  const char* const mantissa_end = p;
  int64_t exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exponent_negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
      exponent_negative = *p == '-';
      ++p;
    }
    if (p == end) return false;
    for (; p < end && IsDigit(*p); ++p) {
      if (exponent < 1000000) exponent = exponent * 10 + (*p - '0');
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (p != end) return false;

  // Clinger's fast path: a mantissa below 2^53 and a power of ten up to 1e22 are both
  // exact doubles, so one IEEE multiplication or division rounds correctly, giving the
  // same value as from_chars at a fraction of the cost (prices are short decimals).
  static constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                            1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const int64_t decimal_exponent = exponent - static_cast<int64_t>(frac_digits);
  if (digits <= 19 && mantissa < (uint64_t{1} << 53) && decimal_exponent >= -22 && decimal_exponent <= 22) {
    double value = static_cast<double>(mantissa);
    value = decimal_exponent < 0 ? value / kPowersOfTen[-decimal_exponent] : value * kPowersOfTen[decimal_exponent];
    *out = negative ? -value : value;
    return true;
  }

  // from_chars takes no '+'; the '-' it does take, so hand it the text from there.
  const char* const number_begin = negative ? mantissa_begin - 1 : mantissa_begin;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number_begin, end, value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    const std::string_view digits_text(mantissa_begin, static_cast<size_t>(mantissa_end - mantissa_begin));
    value = OverflowsRatherThanUnderflows(digits_text, exponent) ? std::numeric_limits<double>::infinity() : 0.0;
    if (negative) value = -value;
  } else if (ec != std::errc() || ptr != end) {
    return false;  // not reachable for text that passed the checks above
  }
  *out = value;
  return true;
}

bool ParseInt64(std::string_view text, int64_t* out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (p < end && (*p == '+' || *p == '-')) {
    negative = *p == '-';
    ++p;
  }
  if (p == end) return false;
  // Accumulate the magnitude unsigned so that INT64_MIN parses too.
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t magnitude = 0;
  for (; p < end; ++p) {
    const unsigned digit = static_cast<unsigned>(*p - '0');
    if (digit > 9) return false;
    if (magnitude > (limit - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

}  // namespace stocklake
