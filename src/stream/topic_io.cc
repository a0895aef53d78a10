// JSON lines in and out of a topic (topic_io.h).
#include "stream/topic_io.h"

#include <vector>

#include "log/topics.h"
#include "stream/trade_event.h"

namespace stocklake {

namespace {

constexpr size_t kFetchBytes = 4 << 20;

}  // namespace

Result<PublishSummary> PublishTradeLines(MessageLog* log, const std::string& topic, int partitions,
                                         std::string_view lines) {
  PublishSummary summary;
  summary.partitions = partitions;
  int64_t line_number = 0;
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t end = lines.find('\n', pos);
    if (end == std::string_view::npos) end = lines.size();
    std::string_view line = lines.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      ++summary.blank_lines;
      continue;
    }
    const std::string key = TradeRecordKey(line);
    if (key.empty()) ++summary.unkeyed;
    const Status produced = log->Produce(topic, PartitionForKey(key, partitions), key, line);
    if (!produced.ok()) return produced.WithContext("publishing line " + std::to_string(line_number));
    ++summary.records;
  }
  SL_RETURN_IF_ERROR(log->Flush());
  return summary;
}

Result<int64_t> ReadTopic(MessageLog* log, const std::string& topic, std::optional<int> partition,
                          const std::function<Status(int, const LogRecord&)>& emit) {
  auto count = log->PartitionCount(topic);
  if (!count.ok()) {
    if (count.status().IsNotFound()) {
      return Status::NotFound("topic '" + topic + "' does not exist in the log (publish to it first)");
    }
    return count.status();
  }
  if (partition && (*partition < 0 || *partition >= *count)) {
    return Status::InvalidArgument("--partition " + std::to_string(*partition) + ": topic '" + topic + "' has " +
                                   std::to_string(*count) + " partitions (0.." + std::to_string(*count - 1) + ")");
  }
  int64_t records = 0;
  const int first = partition ? *partition : 0;
  const int last = partition ? *partition : *count - 1;
  for (int p = first; p <= last; ++p) {
    SL_ASSIGN_OR_RETURN(int64_t offset, log->BeginOffset(topic, p));
    SL_ASSIGN_OR_RETURN(const int64_t end, log->EndOffset(topic, p));
    while (offset < end) {
      SL_ASSIGN_OR_RETURN(std::vector<LogRecord> batch, log->Fetch(topic, p, offset, kFetchBytes));
      if (batch.empty()) break;
      for (const LogRecord& record : batch) {
        if (record.offset >= end) break;
        SL_RETURN_IF_ERROR(emit(p, record));
        ++records;
      }
      offset = batch.back().offset + 1;
    }
  }
  return records;
}

}  // namespace stocklake
