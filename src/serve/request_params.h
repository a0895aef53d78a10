// Parsing and checking the REST API's request parameters: names, limits, cursors, dates,
// tickers and formats. Plain functions over the parameters' text, so they are tested
// without HTTP; a malformed value is InvalidArgument with the message the client gets
// in its 400 answer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/date.h"
#include "core/status.h"

namespace stocklake {

inline constexpr int kDefaultPageLimit = 500;
inline constexpr int kMaxPageLimit = 5000;

//! A query parameter's value; nullopt when the request does not have it.
using ParamText = std::optional<std::string_view>;

//! Refuses parameters an endpoint does not take, and repeated ones: a typo must not
//! silently return unfiltered data.
Status CheckParamNames(const std::multimap<std::string, std::string>& params,
                       std::initializer_list<std::string_view> allowed);

//! A date YYYY-MM-DD; kNullDate when absent. `name` goes into the message.
Result<Date> ParseDateParam(std::string_view name, ParamText text);

//! A time bound in Unix ms: a date YYYY-MM-DD (its first millisecond, or its last when
//! `end_of_day`) or an RFC 3339 timestamp ("2025-01-02T14:30:00Z", an offset or fractions
//! allowed); nullopt when absent. `name` goes into the message.
Result<std::optional<int64_t>> ParseTimeParam(std::string_view name, ParamText text, bool end_of_day);

//! A quarter YYYYQn (a lower-case q is accepted), upper-cased; "" when absent.
Result<std::string> ParseQuarterParam(ParamText text);

//! A model name as the registry allows them (1-64 of [A-Za-z0-9_.-], starting with a
//! letter or digit): such a name is also safe as a path segment under the registry.
Result<std::string> ParseModelName(std::string_view text);

//! An integer 1..max_limit; default_limit when absent.
Result<int> ParseLimit(ParamText text, int default_limit, int max_limit);

//! Upper-cases `raw` and checks it is a ticker (the ingest module's alphabet).
Result<std::string> NormalizeTicker(std::string_view raw);

enum class Format { kJson, kCsv, kParquet };

//! The representation asked for: ?format= (json, csv or parquet) wins over Accept.
Result<Format> ParseFormat(ParamText format, std::string_view accept);

// Cursors are "<kind>:<value>" in base64url, so clients treat them as opaque; the kind
// stops a cursor of one endpoint being used with another.

std::string MakeCursor(char kind, std::string_view value);

//! The value of a cursor of `kind`; "" when absent.
Result<std::string> ParseCursor(ParamText text, char kind);

//! A cursor value that is a row count or an id: decimal digits, fits int64.
Result<int64_t> CursorInt(std::string_view value);

//! A cursor value that is a date.
Result<Date> CursorDate(std::string_view value);

}  // namespace stocklake
