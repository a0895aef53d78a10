// JSON lines in and out of a topic: what `stocklake publish` and `stocklake topic cat` do
// once the log is open. Trades are keyed by their normalised symbol (TradeRecordKey), so
// each symbol's records keep their file order within one partition.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "log/message_log.h"

namespace stocklake {

struct PublishSummary {
  int64_t records = 0;      //!< records produced (one per non-blank line)
  int64_t blank_lines = 0;  //!< empty lines, skipped
  int64_t unkeyed = 0;      //!< records without a valid symbol, published under key ""
  int partitions = 0;       //!< the topic's partition count
};

//! Produces every non-blank line of `lines` (a trailing '\r' is dropped) to `topic`,
//! which must exist with `partitions` partitions, with key TradeRecordKey(line) and
//! partition PartitionForKey(key), in line order; then Flush. Errors name the line.
Result<PublishSummary> PublishTradeLines(MessageLog* log, const std::string& topic, int partitions,
                                         std::string_view lines);

//! Calls `emit(partition, record)` for every retained record of `topic` (only of
//! `partition` when given), partition by partition in offset order, from each
//! partition's BeginOffset to the EndOffset seen at the start. NotFound when the topic
//! does not exist, InvalidArgument when `partition` is not one of it. Returns the count.
Result<int64_t> ReadTopic(MessageLog* log, const std::string& topic, std::optional<int> partition,
                          const std::function<Status(int, const LogRecord&)>& emit);

}  // namespace stocklake
