// One partition's share of the speed layer; see partition_processor.h.
#include "stream/partition_processor.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "stream/trade_event.h"

namespace stocklake {

std::string DeadLetterJson(std::string_view record, int partition, int64_t offset, std::string_view reason,
                           std::string_view error, std::optional<int64_t> watermark_ms) {
  nlohmann::json j = {
      {"record", std::string(record)}, {"partition", partition}, {"offset", offset}, {"reason", std::string(reason)}};
  if (!error.empty()) j["error"] = std::string(error);
  if (watermark_ms) {
    j["watermark_ms"] = *watermark_ms;
    if (*watermark_ms != std::numeric_limits<int64_t>::min()) j["watermark"] = FormatRfc3339Millis(*watermark_ms);
  }
  // Invalid records may hold any bytes: replace what is not UTF-8 rather than fail.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PartitionProcessor::PartitionProcessor(int partition, int64_t window_ms, int64_t lateness_ms, int64_t begin_offset)
    : partition_(partition), windows_(window_ms, lateness_ms), next_offset_(begin_offset) {}

PartitionProcessor::PartitionProcessor(int partition, WindowState windows, int64_t next_offset)
    : partition_(partition), windows_(std::move(windows)), next_offset_(next_offset) {}

Result<PartitionProcessor> PartitionProcessor::Restore(int partition, int64_t next_offset, std::string_view state,
                                                       int64_t window_ms, int64_t lateness_ms) {
  if (state.empty()) return PartitionProcessor(partition, window_ms, lateness_ms, next_offset);
  auto windows = WindowState::Deserialize(state);
  if (!windows.ok()) return windows.status().WithContext("partition " + std::to_string(partition) + " checkpoint");
  if (windows->window_ms() != window_ms || windows->lateness_ms() != lateness_ms) {
    return Status::InvalidArgument("partition " + std::to_string(partition) + " was processed with --window " +
                                   std::to_string(windows->window_ms() / 1000) + "s --lateness " +
                                   std::to_string(windows->lateness_ms() / 1000) +
                                   "s; windows cannot change under a running stream (use a new store)");
  }
  return PartitionProcessor(partition, std::move(*windows), next_offset);
}

void PartitionProcessor::Apply(std::span<const LogRecord> records, int64_t now_ms, std::vector<DeadLetter>* dlq) {
  for (const LogRecord& record : records) {
    if (record.offset < next_offset_) {
      ++counts_.skipped;
      continue;
    }
    next_offset_ = record.offset + 1;
    auto event = ParseTradeEvent(record.value);
    if (!event.ok()) {
      ++counts_.invalid;
      dlq->push_back({record.key, DeadLetterJson(record.value, partition_, record.offset, "invalid",
                                                 event.status().message(), std::nullopt)});
      continue;
    }
    const WindowState::Applied applied = windows_.Apply(*event, now_ms);
    switch (applied.outcome) {
      case WindowState::Outcome::kAccepted: ++counts_.accepted; break;
      case WindowState::Outcome::kLate:
        ++counts_.late;
        dlq->push_back(
            {record.key, DeadLetterJson(record.value, partition_, record.offset, "late", "", applied.watermark_ms)});
        break;
      case WindowState::Outcome::kOutOfRange:
        ++counts_.invalid;
        dlq->push_back(
            {record.key, DeadLetterJson(record.value, partition_, record.offset, "invalid",
                                        "its window lies outside the representable time range", std::nullopt)});
        break;
    }
  }
}

}  // namespace stocklake
