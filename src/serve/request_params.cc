#include "serve/request_params.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ingest/ticker.h"
#include "serve/base64url.h"
#include "stream/trade_event.h"

namespace stocklake {

namespace {

Status BadCursor() { return Status::InvalidArgument("cursor is not one this endpoint returned"); }

}  // namespace

Status CheckParamNames(const std::multimap<std::string, std::string>& params,
                       std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : params) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || name == a;
    if (!ok) return Status::InvalidArgument("unknown query parameter '" + name + "'");
    if (params.count(name) > 1) return Status::InvalidArgument("query parameter '" + name + "' given more than once");
  }
  return Status::OK();
}

Result<Date> ParseDateParam(std::string_view name, ParamText text) {
  if (!text) return kNullDate;
  Date d;
  if (!ParseIsoDate(text->data(), text->size(), &d))
    return Status::InvalidArgument(std::string(name) + " must be a date YYYY-MM-DD");
  return d;
}

Result<std::optional<int64_t>> ParseTimeParam(std::string_view name, ParamText text, bool end_of_day) {
  if (!text) return std::optional<int64_t>();
  constexpr int64_t kDayMs = 86'400'000;
  Date d;
  if (ParseIsoDate(text->data(), text->size(), &d)) {
    return std::optional<int64_t>(int64_t{d} * kDayMs + (end_of_day ? kDayMs - 1 : 0));
  }
  int64_t ms = 0;
  if (ParseRfc3339Millis(*text, &ms)) return std::optional<int64_t>(ms);
  return Status::InvalidArgument(std::string(name) +
                                 " must be a date YYYY-MM-DD or an RFC 3339 time such as 2025-01-02T14:30:00Z");
}

Result<std::string> ParseQuarterParam(ParamText text) {
  if (!text) return std::string();
  int32_t key = 0;
  if (!ParseQuarter(*text, &key)) return Status::InvalidArgument("quarter must be YYYYQn, e.g. 2017Q3");
  return FormatQuarter(key);
}

Result<std::string> ParseModelName(std::string_view text) {
  const bool ok = !text.empty() && text.size() <= 64 && std::isalnum(static_cast<unsigned char>(text[0])) &&
                  std::all_of(text.begin(), text.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
                  });
  if (!ok) return Status::InvalidArgument("a model name is 1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit");
  return std::string(text);
}

Result<int> ParseLimit(ParamText text, int default_limit, int max_limit) {
  if (!text) return default_limit;
  int64_t n = 0;
  bool ok = !text->empty() && text->size() <= 6;
  for (char c : *text) {
    ok = ok && c >= '0' && c <= '9';
    n = n * 10 + (c - '0');
  }
  if (!ok || n < 1 || n > max_limit)
    return Status::InvalidArgument("limit must be an integer from 1 to " + std::to_string(max_limit));
  return static_cast<int>(n);
}

Result<std::string> NormalizeTicker(std::string_view raw) {
  if (raw.size() > kMaxTickerLength)
    return Status::InvalidArgument("ticker is longer than " + std::to_string(kMaxTickerLength) + " characters");
  std::string t(raw.size(), '\0');
  UpperCaseInto(raw, t.data());
  if (!IsValidTicker(t)) return Status::InvalidArgument("ticker must be 1-32 characters of A-Z 0-9 . - _ ^ =");
  return t;
}

Result<Format> ParseFormat(ParamText format, std::string_view accept) {
  if (format) {
    if (*format == "json") return Format::kJson;
    if (*format == "csv") return Format::kCsv;
    if (*format == "parquet") return Format::kParquet;
    return Status::InvalidArgument("format must be json, csv or parquet");
  }
  if (accept.find("text/csv") != std::string_view::npos) return Format::kCsv;
  if (accept.find("application/vnd.apache.parquet") != std::string_view::npos) return Format::kParquet;
  return Format::kJson;
}

std::string MakeCursor(char kind, std::string_view value) {
  std::string raw(1, kind);
  raw += ':';
  raw += value;
  return Base64UrlEncode(raw);
}

Result<std::string> ParseCursor(ParamText text, char kind) {
  if (!text) return std::string();
  auto raw = text->size() <= 128 ? Base64UrlDecode(*text) : std::nullopt;
  if (!raw || raw->size() < 3 || (*raw)[0] != kind || (*raw)[1] != ':') return BadCursor();
  return raw->substr(2);
}

Result<int64_t> CursorInt(std::string_view value) {
  int64_t n = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || value[0] == '-' || ec != std::errc() || ptr != end) return BadCursor();
  return n;
}

Result<Date> CursorDate(std::string_view value) {
  Date d;
  if (!ParseIsoDate(value.data(), value.size(), &d)) return BadCursor();
  return d;
}

}  // namespace stocklake
