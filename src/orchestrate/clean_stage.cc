#include "orchestrate/clean_stage.h"

#include <algorithm>
#include <mutex>
#include <string>

#include "core/crash_point.h"
#include "log/bar_codec.h"
#include "log/topics.h"
#include "orchestrate/parallel.h"
#include "process/row_checks.h"

namespace stocklake {

namespace {

constexpr size_t kFetchBytes = 64 << 20;

// Splits `batch` into rows still candidates and rows rejected, keeping input order.
void SplitByVerdict(const BarBatch& batch, BarBatch* accepted, BarBatch* rejected) {
  std::vector<size_t> keep, drop;
  for (size_t i = 0; i < batch.size(); ++i) (batch.reason[i] == RejectReason::kNone ? keep : drop).push_back(i);
  accepted->Clear();
  rejected->Clear();
  accepted->AppendRows(batch, keep.data(), keep.size());
  rejected->AppendRows(batch, drop.data(), drop.size());
}

}  // namespace

Result<CleanResult> RunCleanStage(int partitions, const CleanScope& scope, int threads, const SourceRegistry& registry,
                                  MessageLog* log) {
  const std::string raw(kRawTopic), processed(kProcessedTopic), rejects(kRejectsTopic);
  SL_RETURN_IF_ERROR(log->EnsureTopic(raw, partitions));
  SL_RETURN_IF_ERROR(log->EnsureTopic(processed, partitions));
  SL_RETURN_IF_ERROR(log->EnsureTopic(rejects, partitions));

  CleanResult total;
  std::mutex total_mutex;
  std::vector<int64_t> consumed_to(scope.partitions.size(), -1);
  SL_RETURN_IF_ERROR(ParallelFor(scope.partitions.size(), threads, [&](size_t k, int) -> Status {
    const int p = scope.partitions[k];
    if (p < 0 || p >= partitions) return Status::InvalidArgument("partition " + std::to_string(p) + " out of range");
    CleanResult local;
    SL_ASSIGN_OR_RETURN(int64_t offset, scope.offsets->Committed(raw, p));
    SL_ASSIGN_OR_RETURN(int64_t begin, log->BeginOffset(raw, p));
    if (offset < begin) offset = begin;
    SL_ASSIGN_OR_RETURN(const int64_t end, log->EndOffset(raw, p));
    BarBatch accepted, rejected;
    bool waiting = false;
    while (offset < end && !waiting) {
      SL_ASSIGN_OR_RETURN(std::vector<LogRecord> records, log->Fetch(raw, p, offset, kFetchBytes));
      if (records.empty()) break;
      for (const LogRecord& record : records) {
        offset = record.offset + 1;
        ++local.records;
        auto decoded = DecodeBarRecord(record.value, kExternalSource);
        if (!decoded.ok()) {
          // Undecodable bytes are kept as a reject naming their offset, never dropped.
          ++local.undecodable_records;
          ++local.external_rows;
          BarBatch bad;
          bad.Append(kNoTicker, kNullDate, 0, 0, 0, 0, 0, 0, kExternalSource, record.offset, RejectReason::kParseError);
          SL_RETURN_IF_ERROR(log->Produce(rejects, p, record.key, EncodeBarBatch(bad)));
          continue;
        }
        BarBatch& batch = *decoded;
        if (batch.empty()) continue;
        bool external = false;
        for (size_t i = 0; i < batch.size(); ++i) {
          if (batch.source[i] == kExternalSource) {
            batch.line[i] = record.offset;
            external = true;
          }
        }
        if (!external && scope.wait_for_pending_sources && registry.IsPending(batch.source[0])) {
          offset = record.offset;  // resume here once the source commits
          waiting = true;
          ++local.partitions_waiting;
          break;
        }
        if (!external && !registry.IsCommitted(batch.source[0])) {
          local.rows_of_uncommitted_sources += static_cast<int64_t>(batch.size());
          continue;
        }
        local.rows += static_cast<int64_t>(batch.size());
        if (external) local.external_rows += static_cast<int64_t>(batch.size());
        ApplyRowChecks(&batch);
        const bool all_accepted = std::all_of(batch.reason.begin(), batch.reason.end(),
                                              [](RejectReason r) { return r == RejectReason::kNone; });
        if (all_accepted && !external) {
          // Nothing to split: the record's bytes already are the processed record.
          SL_RETURN_IF_ERROR(log->Produce(processed, p, record.key, record.value));
          continue;
        }
        SplitByVerdict(batch, &accepted, &rejected);
        if (!accepted.empty()) SL_RETURN_IF_ERROR(log->Produce(processed, p, record.key, EncodeBarBatch(accepted)));
        if (!rejected.empty()) SL_RETURN_IF_ERROR(log->Produce(rejects, p, record.key, EncodeBarBatch(rejected)));
      }
    }
    consumed_to[k] = offset;
    if (p == partitions / 2) CrashPoint("clean-half-produced");
    std::lock_guard<std::mutex> lock(total_mutex);
    total.records += local.records;
    total.rows += local.rows;
    total.rows_of_uncommitted_sources += local.rows_of_uncommitted_sources;
    total.undecodable_records += local.undecodable_records;
    total.external_rows += local.external_rows;
    total.partitions_waiting += local.partitions_waiting;
    return Status::OK();
  }));

  SL_RETURN_IF_ERROR(log->Flush());
  CrashPoint("clean-flushed");
  std::vector<std::pair<int, int64_t>> positions;
  for (size_t k = 0; k < scope.partitions.size(); ++k) positions.emplace_back(scope.partitions[k], consumed_to[k]);
  SL_RETURN_IF_ERROR(scope.offsets->Commit(raw, positions));
  total.positions = std::move(positions);
  return total;
}

}  // namespace stocklake
