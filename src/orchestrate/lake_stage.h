// Stage 3: processed-stock-data and stock-rejects -> the lake tables. For every bucket
// (= partition) with new records since the current snapshot: merge the new rows with the
// bucket's silver rows (of several rows for a ticker and date the last in input order
// wins; the others become `duplicate` rejects; a row identical to the one the lake holds
// is `unchanged` and changes nothing), recompute the bucket's indicators and
// period bars from its full history (so appended days continue the indicator state
// exactly), and write the bucket's files. One snapshot commit publishes every bucket and
// the consumed offsets together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/reject_reason.h"
#include "core/status.h"
#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "log/message_log.h"

namespace stocklake {

struct LakeStageResult {
  int64_t accepted = 0;    // rows accepted: new_rows + revised + unchanged
  int64_t new_rows = 0;    // for a (ticker, date) the lake did not hold
  int64_t revised = 0;     // displacing a different row the lake held (now a duplicate)
  int64_t unchanged = 0;   // identical to the row the lake holds: changes nothing
  int64_t rejected = 0;    // new rows rejected by a check (not duplicates)
  int64_t duplicates = 0;  // new rows displaced by a later row for the same ticker and date
  int64_t rejected_by_reason[kRejectReasonCount] = {};
  int64_t earlier_rows_displaced = 0;
  int64_t redelivered_rows = 0;    // rows the lake already held, skipped
  int64_t buckets_appended = 0;    // changed by appending files (lake_append.h)
  int64_t buckets_recomputed = 0;  // changed by recomputing them from their whole history
  int64_t snapshot_id = 0;         // 0: nothing new, no snapshot committed
  std::vector<std::string> tables_written;
};

//! Applies what is new in `buckets` (of `partitions`) since `base` and commits it with
//! CommitBucketUpdate, so writers of disjoint buckets can run at once. Rows the bucket
//! already holds (the same source and line, delivered again after a crash or a
//! rebalance) are recognised and skipped. Aborted when another writer committed one of
//! these buckets meanwhile. `run_summary_json` is stored in the snapshot.
Result<LakeStageResult> RunLakeStage(const std::string& lake_dir, int partitions, const std::vector<int>& buckets,
                                     int threads, const SourceRegistry& registry, MessageLog* log,
                                     const LakeSnapshot& base, const std::string& run_summary_json);

}  // namespace stocklake
