// Trade event parsing (stream.md "Trade events"): the one place that decides whether a
// record of `trades` is valid, and the RFC 3339 conversions of event time.
#include "stream/trade_event.h"

#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/date.h"
#include "ingest/ticker.h"

namespace stocklake {

namespace {

constexpr int64_t kMsPerDay = 86'400'000;
// Event times must lie within what a 4-digit-year RFC 3339 timestamp names in UTC
// (0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z), whatever form they come in, so
// that window arithmetic (ts + W) can never overflow and every ts can be formatted back.
constexpr int64_t kMinTsMs = -719'528 * kMsPerDay;
constexpr int64_t kMaxTsMs = 2'932'897 * kMsPerDay - 1;

constexpr size_t kMaxQuoted = 64;  // longest value quoted back in an error message

Status Invalid(std::string_view field, std::string_view rule, std::string_view got) {
  std::string message = "trade record: ";
  if (!field.empty()) {
    message += "field '";
    message.append(field);
    message += "' ";
  }
  message.append(rule);
  if (!got.empty()) {
    message += ", got ";
    if (got.size() > kMaxQuoted) {
      message.append(got.substr(0, kMaxQuoted));
      message += "...";
    } else {
      message.append(got);
    }
  }
  return Status::InvalidArgument(std::move(message));
}

std::string Quote(const simdjson::dom::element& element) { return simdjson::to_string(element); }

const char* TypeName(simdjson::dom::element_type type) {
  switch (type) {
    case simdjson::dom::element_type::ARRAY: return "an array";
    case simdjson::dom::element_type::OBJECT: return "an object";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64: return "an integer";
    case simdjson::dom::element_type::DOUBLE: return "a float";
    case simdjson::dom::element_type::STRING: return "a string";
    case simdjson::dom::element_type::BOOL: return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// The normalised ticker of a raw `symbol` string, or false when it is not one.
bool NormaliseSymbol(std::string_view raw, std::string* symbol) {
  const std::string_view trimmed = Trim(raw);
  if (trimmed.empty() || trimmed.size() > kMaxTickerLength) return false;
  symbol->resize(trimmed.size());
  UpperCaseInto(trimmed, symbol->data());
  return IsValidTicker(*symbol);
}

Result<simdjson::dom::object> ParseObject(simdjson::dom::parser& parser, std::string_view record) {
  simdjson::dom::element root;
  if (const auto error = parser.parse(record.data(), record.size()).get(root); error != simdjson::SUCCESS) {
    return Invalid("", std::string("is not JSON (") + simdjson::error_message(error) + ")", record);
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Invalid("", std::string("must be a JSON object, not ") + TypeName(root.type()), record);
  }
  return object;
}

// Reads exactly `n` decimal digits at text[*pos], advancing *pos.
bool ReadDigits(std::string_view text, size_t* pos, int n, int* out) {
  if (*pos + static_cast<size_t>(n) > text.size()) return false;
  int value = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[*pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += static_cast<size_t>(n);
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

bool ParseRfc3339Millis(std::string_view text, int64_t* unix_ms) {
  // date-time = full-date "T" full-time (RFC 3339 section 5.6; "t" and "z" may be
  // lower case). Second 60 (a leap second) is rejected: Unix time cannot name it.
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') || !ReadDigits(text, &pos, 2, &month) ||
      !Expect(text, &pos, '-') || !ReadDigits(text, &pos, 2, &day)) {
    return false;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return false;
  ++pos;
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &minute) ||
      !Expect(text, &pos, ':') || !ReadDigits(text, &pos, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || static_cast<uint32_t>(day) > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      // Digits past the millisecond are truncated, never rounded.
      if (pos - first < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    const size_t digits = pos - first;
    if (digits == 0) return false;
    for (size_t d = digits; d < 3; ++d) millis *= 10;
  }
  if (pos >= text.size()) return false;
  int64_t offset_s = 0;
  const char zone = text[pos++];
  if (zone == 'Z' || zone == 'z') {
    // UTC
  } else if (zone == '+' || zone == '-') {
    int offset_hour, offset_minute;
    if (!ReadDigits(text, &pos, 2, &offset_hour) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &offset_minute) || offset_hour > 23 || offset_minute > 59) {
      return false;
    }
    offset_s = (zone == '+' ? 1 : -1) * (offset_hour * 3600 + offset_minute * 60);
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  const int64_t days = DaysFromCivil(year, static_cast<uint32_t>(month), static_cast<uint32_t>(day));
  const int64_t local_s = days * 86'400 + hour * 3600 + minute * 60 + second;
  *unix_ms = (local_s - offset_s) * 1000 + millis;
  return true;
}

std::string FormatRfc3339Millis(int64_t unix_ms) {
  int64_t days = unix_ms / kMsPerDay;
  int64_t ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(static_cast<Date>(days));
  char text[40];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", date.year, date.month, date.day,
                static_cast<int>(ms_of_day / 3'600'000), static_cast<int>(ms_of_day / 60'000 % 60),
                static_cast<int>(ms_of_day / 1000 % 60), static_cast<int>(ms_of_day % 1000));
  return text;
}

Result<TradeEvent> ParseTradeEvent(std::string_view record) {
  thread_local simdjson::dom::parser parser;
  SL_ASSIGN_OR_RETURN(simdjson::dom::object object, ParseObject(parser, record));
  TradeEvent event;

  simdjson::dom::element element;
  if (object.at_key("symbol").get(element) != simdjson::SUCCESS) return Invalid("symbol", "is missing", "");
  std::string_view raw_symbol;
  if (element.get_string().get(raw_symbol) != simdjson::SUCCESS) {
    return Invalid("symbol", std::string("must be a string, not ") + TypeName(element.type()), Quote(element));
  }
  if (!NormaliseSymbol(raw_symbol, &event.symbol)) {
    return Invalid("symbol",
                   "must be a ticker after trimming and upper-casing (1-32 of A-Z 0-9 . - _ ^ =, no leading "
                   "'.', no '..')",
                   Quote(element));
  }

  if (object.at_key("price").get(element) != simdjson::SUCCESS) return Invalid("price", "is missing", "");
  switch (element.type()) {
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: event.price = element.get_double().value_unsafe(); break;
    default: return Invalid("price", std::string("must be a number, not ") + TypeName(element.type()), Quote(element));
  }
  if (!std::isfinite(event.price) || !(event.price > 0)) {
    return Invalid("price", "must be a finite number > 0", Quote(element));
  }

  if (object.at_key("size").get(element) != simdjson::SUCCESS) return Invalid("size", "is missing", "");
  switch (element.type()) {
    case simdjson::dom::element_type::INT64:
      event.size = element.get_int64().value_unsafe();
      if (event.size <= 0) return Invalid("size", "must be an integer > 0", Quote(element));
      break;
    case simdjson::dom::element_type::UINT64:
      return Invalid("size", "must be an integer > 0 within int64 (at most 9223372036854775807)", Quote(element));
    case simdjson::dom::element_type::DOUBLE:
      return Invalid("size",
                     "must be an integer > 0 within int64; a number with a fraction or exponent (100.0, 1e2) is "
                     "not an integer",
                     Quote(element));
    default: return Invalid("size", std::string("must be an integer, not ") + TypeName(element.type()), Quote(element));
  }

  if (object.at_key("ts").get(element) != simdjson::SUCCESS) return Invalid("ts", "is missing", "");
  std::string_view ts_text;
  switch (element.type()) {
    case simdjson::dom::element_type::INT64: event.ts_ms = element.get_int64().value_unsafe(); break;
    case simdjson::dom::element_type::STRING:
      ts_text = element.get_string().value_unsafe();
      if (!ParseRfc3339Millis(ts_text, &event.ts_ms)) {
        return Invalid("ts",
                       "must be an RFC 3339 timestamp with Z or a numeric offset "
                       "(2025-01-02T14:30:00.123Z, 2025-01-02T09:30:00-05:00) or an integer of Unix ms",
                       Quote(element));
      }
      break;
    case simdjson::dom::element_type::UINT64:
      return Invalid("ts", "is out of range (years 0000..9999 UTC)", Quote(element));
    case simdjson::dom::element_type::DOUBLE:
      return Invalid("ts",
                     "must be an integer of Unix ms or an RFC 3339 string; a number with a fraction or exponent "
                     "is not an integer",
                     Quote(element));
    default:
      return Invalid("ts", std::string("must be a string or an integer, not ") + TypeName(element.type()),
                     Quote(element));
  }
  if (event.ts_ms < kMinTsMs || event.ts_ms > kMaxTsMs) {
    return Invalid("ts", "is out of range (years 0000..9999 UTC)", Quote(element));
  }
  return event;
}

std::string TradeRecordKey(std::string_view record) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(record.data(), record.size()).get(root) != simdjson::SUCCESS) return "";
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return "";
  std::string_view raw_symbol;
  if (object.at_key("symbol").get_string().get(raw_symbol) != simdjson::SUCCESS) return "";
  std::string symbol;
  if (!NormaliseSymbol(raw_symbol, &symbol)) return "";
  return symbol;
}

}  // namespace stocklake
