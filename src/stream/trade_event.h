// Trade events (stream.md "Trade events"): one JSON object per record of topic `trades`,
// keyed by the normalised symbol. Parsing decides what is valid; an invalid record goes
// to the dead-letter topic and changes nothing else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace stocklake {

inline constexpr std::string_view kTradesTopic = "trades";
inline constexpr std::string_view kTradesDlqTopic = "trades-dlq";

struct TradeEvent {
  std::string symbol;  //!< upper-case, trimmed, the batch's ticker syntax
  double price = 0;    //!< finite, > 0
  int64_t size = 0;    //!< > 0
  int64_t ts_ms = 0;   //!< event time, Unix milliseconds (fractions truncated)
};

//! Parses one record's value. InvalidArgument (saying which field and why) for anything
//! the spec calls invalid: not JSON, not an object, a field missing or of the wrong type
//! or range. Extra fields are ignored.
Result<TradeEvent> ParseTradeEvent(std::string_view record);

//! The key a record is published under: its normalised symbol when it has a valid
//! `symbol`, else "" (the record is still published; the processor dead-letters it).
std::string TradeRecordKey(std::string_view record);

//! Parses an RFC 3339 timestamp with `Z` or a numeric offset (fractions truncated to the
//! millisecond) into Unix milliseconds; false when it is not one.
bool ParseRfc3339Millis(std::string_view text, int64_t* unix_ms);

//! "2025-01-02T14:30:00.123Z".
std::string FormatRfc3339Millis(int64_t unix_ms);

}  // namespace stocklake
