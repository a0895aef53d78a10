// The speed layer's processor; see stream_service.h.
#include "orchestrate/stream_service.h"

#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "core/clock.h"
#include "core/crash_point.h"
#include "log/topics.h"
#include "orchestrate/intraday_export.h"
#include "orchestrate/lake_lock.h"
#include "orchestrate/log_url.h"
#include "orchestrate/service_support.h"
#include "orchestrate/store_url.h"
#include "store/serving_store.h"
#include "stream/partition_processor.h"
#include "stream/trade_event.h"

namespace stocklake {

namespace {

constexpr const char* kService = "stream";
constexpr const char* kStreamGroup = "stocklake-stream";

IntradayBarRow ToRow(const WindowBar& bar) {
  IntradayBarRow row;
  row.symbol = bar.symbol;
  row.window_start_ms = bar.window_start_ms;
  row.window_end_ms = bar.window_end_ms;
  row.open = bar.open;
  row.high = bar.high;
  row.low = bar.low;
  row.close = bar.close;
  row.vwap = bar.vwap;
  row.volume = bar.volume;
  row.trades = bar.trades;
  row.final = bar.final;
  return row;
}

}  // namespace

Status RunStream(const StreamOptions& options, const std::atomic<bool>& stop, StreamReport* report) {
  if (options.lake_dir.empty()) return Status::InvalidArgument("stream needs --lake DIR");
  if (options.window_ms <= 0) return Status::InvalidArgument("--window must be positive");
  if (options.lateness_ms < 0) return Status::InvalidArgument("--lateness must not be negative");
  SL_RETURN_IF_ERROR(CheckLogUrl(options.log_url));
  const std::string store_url = ServingStoreUrl(options.store_url, options.lake_dir);
  if (store_url.empty()) return Status::InvalidArgument("stream needs a serving store: --store none is not one");
  SL_RETURN_IF_ERROR(CheckStoreUrl(store_url));
  SL_ASSIGN_OR_RETURN(FileLock shared, LockLake(options.lake_dir, FileLock::Mode::kShared));
  SL_RETURN_IF_ERROR(PrepareStoreLocation(store_url));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<ServingStore> store, OpenServingStore(store_url));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<MessageLog> log, OpenLogFromUrl(options.log_url, options.lake_dir + "/_log"));
  const std::string topic(kTradesTopic), dlq_topic(kTradesDlqTopic);
  SL_ASSIGN_OR_RETURN(const int partitions,
                      WaitForTopic(log.get(), topic, options.poll_seconds, options.once, stop, kService));
  if (partitions == 0) {
    ReportServiceLine(kService, "stopped (topic %s does not exist yet)", topic.c_str());
    return Status::OK();
  }
  SL_RETURN_IF_ERROR(log->EnsureTopic(dlq_topic, partitions));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<GroupMember> member,
                      JoinGroupFromUrl(options.log_url, log.get(), kStreamGroup, topic));

  StreamReport totals;
  std::map<int, PartitionProcessor> processors;
  std::vector<int> owned_before;
  std::vector<int> assigned_before;
  std::set<int> fenced;  // lost to another processor's claim; cleared by a rebalance
  bool idle = false;
  auto last_status = std::chrono::steady_clock::now();
  int64_t events_since_status = 0;
  // A partition's processor from its store checkpoint (an empty state: none committed yet).
  auto resume = [&](int p, const StreamPartitionCheckpoint& checkpoint) -> Result<PartitionProcessor> {
    if (checkpoint.state.empty()) {
      SL_ASSIGN_OR_RETURN(const int64_t begin, log->BeginOffset(topic, p));
      return PartitionProcessor(p, options.window_ms, options.lateness_ms, std::max(begin, checkpoint.next_offset));
    }
    return PartitionProcessor::Restore(p, checkpoint.next_offset, checkpoint.state, options.window_ms,
                                       options.lateness_ms);
  };
  std::map<int, int64_t> epochs;  // partition -> the owner epoch this processor claimed
  auto export_to_lake = [&]() -> Status {
    IntradayExportStats exported;
    SL_RETURN_IF_ERROR(ExportFinalWindows(*store, options.lake_dir, &exported));
    if (exported.snapshot_id > 0) {
      ++totals.lake_exports;
      ReportServiceLine(kService, "silver/intraday_bars: %lld final windows of %lld hours, snapshot %lld",
                        static_cast<long long>(exported.rows), static_cast<long long>(exported.hours),
                        static_cast<long long>(exported.snapshot_id));
    }
    return Status::OK();
  };
  auto last_export = std::chrono::steady_clock::now();
  while (!stop.load()) {
    SL_ASSIGN_OR_RETURN(const std::vector<int> assigned,
                        PollOrStop(member.get(), idle ? options.idle_wait_ms : 0, stop));
    // Partitions another processor claimed are left alone until the group's assignment
    // changes (the rebalance that gave them away, or one that gives them back).
    if (assigned != assigned_before) {
      fenced.clear();
      assigned_before = assigned;
    }
    std::vector<int> owned = assigned;
    std::erase_if(owned, [&](int p) { return fenced.count(p) > 0; });
    if (owned != owned_before) {
      // Partitions gained are claimed in the store (raising their owner epoch fences a
      // processor that still thinks it owns them) and resume from what it recorded;
      // partitions lost are dropped (their new owner resumes them the same way).
      std::vector<int> gained;
      for (int p : owned) {
        if (!processors.count(p)) gained.push_back(p);
      }
      SL_ASSIGN_OR_RETURN(auto claimed, store->ClaimStreamPartitions(topic, gained));
      std::map<int, PartitionProcessor> kept;
      for (int p : owned) {
        auto it = processors.find(p);
        if (it != processors.end()) {
          kept.emplace(p, std::move(it->second));
          continue;
        }
        SL_ASSIGN_OR_RETURN(PartitionProcessor resumed, resume(p, claimed.at(p)));
        kept.emplace(p, std::move(resumed));
        epochs[p] = claimed.at(p).epoch;
      }
      processors = std::move(kept);
      ReportServiceLine(kService, "owns partitions %s", PartitionRanges(owned).c_str());
      owned_before = owned;
    }
    if (owned.empty()) {
      idle = true;
      continue;
    }

    const int64_t now_ms = NowMillis();
    std::vector<DeadLetter> dlq;
    std::map<int, StreamPartitionCheckpoint> checkpoints;
    std::vector<IntradayBarRow> rows;
    int64_t fetched = 0, lag = 0;
    for (auto& [p, processor] : processors) {
      const int64_t from = processor.next_offset();
      Result<AvailableRecords> available = log->FetchAvailable(topic, p, from, options.fetch_bytes);
      if (available.status().IsNotFound()) {
        // Records the log no longer retains are gone: go on from what is left.
        SL_ASSIGN_OR_RETURN(const int64_t begin, log->BeginOffset(topic, p));
        if (begin <= from) return available.status();
        available = log->FetchAvailable(topic, p, begin, options.fetch_bytes);
      }
      SL_RETURN_IF_ERROR(available.status());
      const int64_t end = available->end_offset;
      const PartitionCounts before = processor.counts();
      processor.Apply(available->records, now_ms, &dlq);
      fetched += static_cast<int64_t>(available->records.size());
      lag += std::max<int64_t>(end - processor.next_offset(), 0);
      if (options.idle_close_ms > 0) processor.windows().CloseIdle(now_ms, options.idle_close_ms);
      const std::vector<WindowBar> changes = processor.windows().TakeChanges();
      for (const WindowBar& bar : changes) rows.push_back(ToRow(bar));
      const PartitionCounts& after = processor.counts();
      totals.accepted += after.accepted - before.accepted;
      totals.late += after.late - before.late;
      totals.invalid += after.invalid - before.invalid;
      if (!available->records.empty() || !changes.empty()) {
        checkpoints[p] = {processor.next_offset(), processor.windows().Serialize(), end, epochs[p]};
      }
    }
    // Dead letters first: a crash before the store commit sends them again (the spec lets
    // a DLQ consumer see a record twice; partition and offset identify it).
    for (const DeadLetter& letter : dlq) {
      SL_RETURN_IF_ERROR(log->Produce(dlq_topic, PartitionForKey(letter.key, partitions), letter.key, letter.value));
    }
    if (!dlq.empty()) {
      SL_RETURN_IF_ERROR(log->Flush());
      CrashPoint("stream-after-dead-letters");
    }
    const bool did_work = fetched > 0 || !rows.empty();
    if (did_work) {
      CrashPoint("stream-before-commit");
      const Status committed = store->CommitStreamBatch(topic, rows, checkpoints);
      if (committed.IsAborted()) {
        // Fenced: another processor claimed a partition. Nothing of this batch was
        // committed: partitions still ours restart from their checkpoint, the others go.
        ReportServiceLine(kService, "%s", committed.message().c_str());
        SL_ASSIGN_OR_RETURN(auto stored, store->LoadStreamCheckpoints(topic));
        for (auto it = processors.begin(); it != processors.end();) {
          const auto checkpoint = stored.find(it->first);
          if (checkpoint != stored.end() && checkpoint->second.epoch == epochs[it->first]) {
            SL_ASSIGN_OR_RETURN(it->second, resume(it->first, checkpoint->second));
            ++it;
          } else {
            fenced.insert(it->first);
            it = processors.erase(it);
          }
        }
        continue;
      }
      SL_RETURN_IF_ERROR(committed);
      CrashPoint("stream-after-commit");
      ++totals.commits;
      totals.bars_written += static_cast<int64_t>(rows.size());
    }
    events_since_status += fetched;
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_status).count();
    const bool caught_up = lag == 0;
    if (options.status_lines && (since >= 5 || (options.once && caught_up && !did_work))) {
      ReportServiceLine(kService,
                        "partitions %s: %lld accepted, %lld late, %lld invalid in all; %.0f events/s; lag %lld "
                        "records; %lld commits",
                        PartitionRanges(owned).c_str(), static_cast<long long>(totals.accepted),
                        static_cast<long long>(totals.late), static_cast<long long>(totals.invalid),
                        since > 0 ? static_cast<double>(events_since_status) / since : 0.0, static_cast<long long>(lag),
                        static_cast<long long>(totals.commits));
      last_status = std::chrono::steady_clock::now();
      events_since_status = 0;
    }
    if (options.lake_export_ms > 0 &&
        std::chrono::steady_clock::now() - last_export >= std::chrono::milliseconds(options.lake_export_ms)) {
      SL_RETURN_IF_ERROR(export_to_lake());
      last_export = std::chrono::steady_clock::now();
    }
    if (options.once && caught_up && !did_work) break;
    idle = !did_work;
  }
  member->Leave();
  SL_RETURN_IF_ERROR(export_to_lake());  // what became final since the last export
  if (report != nullptr) *report = totals;
  ReportServiceLine(kService, "stopped");
  return Status::OK();
}

}  // namespace stocklake
