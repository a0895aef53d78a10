// One partition's share of the speed layer: its records, in offset order, folded into the
// partition's window state (a symbol lives in one partition, so its watermark does too),
// and a dead letter for every late or invalid record. Offsets below next_offset() were
// applied already (a redelivery after a crash or a rebalance) and are skipped, which with
// the state and the next offset committed together makes the windows exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "log/message_log.h"
#include "stream/window_state.h"

namespace stocklake {

//! A record for trades-dlq: its value (JSON) and the record it stands for.
struct DeadLetter {
  std::string key;  //!< the original record's key, so the dead letter stays in its partition
  std::string value;
};

//! The trades-dlq value: {"record": original text, "partition", "offset", "reason":
//! "late" | "invalid", "error": why (invalid), "watermark_ms" and "watermark" (RFC 3339)
//! the event met (late)}.
std::string DeadLetterJson(std::string_view record, int partition, int64_t offset, std::string_view reason,
                           std::string_view error, std::optional<int64_t> watermark_ms);

struct PartitionCounts {
  int64_t accepted = 0, late = 0, invalid = 0, skipped = 0;
};

class PartitionProcessor {
 public:
  //! A partition never processed: window state empty, next offset `begin_offset`.
  PartitionProcessor(int partition, int64_t window_ms, int64_t lateness_ms, int64_t begin_offset = 0);
  //! A partition resumed from a checkpoint (WindowState::Serialize text and next offset).
  static Result<PartitionProcessor> Restore(int partition, int64_t next_offset, std::string_view state,
                                            int64_t window_ms, int64_t lateness_ms);

  //! Applies `records` (offset order) of this partition; records below next_offset() are
  //! skipped. `now_ms` is the processing time. Appends dead letters to `dlq`.
  void Apply(std::span<const LogRecord> records, int64_t now_ms, std::vector<DeadLetter>* dlq);

  int partition() const { return partition_; }
  int64_t next_offset() const { return next_offset_; }
  const PartitionCounts& counts() const { return counts_; }
  WindowState& windows() { return windows_; }

 private:
  PartitionProcessor(int partition, WindowState windows, int64_t next_offset);

  int partition_;
  WindowState windows_;
  int64_t next_offset_;
  PartitionCounts counts_;
};

}  // namespace stocklake
