// `stocklake loader`: a consumer-group member that owns some partitions of
// processed-stock-data and keeps the matching buckets of the serving store equal to the
// lake. The store holds what the lake derives from the processed records (indicators,
// period bars, rejects), so it loads from the lake's committed buckets, each in one
// transaction; its group offsets follow the lake offsets it has loaded, so the group's
// lag is the processed records not yet served.
#include <chrono>

#include "lake/snapshot.h"
#include "log/topics.h"
#include "orchestrate/lake_lock.h"
#include "orchestrate/log_url.h"
#include "orchestrate/service_support.h"
#include "orchestrate/services.h"
#include "orchestrate/store_url.h"
#include "store/store_sync.h"

namespace stocklake {

namespace {

constexpr const char* kService = "loader";

}  // namespace

Status RunLoader(const ServiceOptions& options, const std::atomic<bool>& stop) {
  if (options.lake_dir.empty()) return Status::InvalidArgument("loader needs --lake DIR");
  SL_RETURN_IF_ERROR(CheckLogUrl(options.log_url));
  const std::string store_url = ServingStoreUrl(options.store_url, options.lake_dir);
  if (store_url.empty()) return Status::InvalidArgument("loader needs a store: --store none loads nothing");
  SL_RETURN_IF_ERROR(CheckStoreUrl(store_url));
  SL_ASSIGN_OR_RETURN(FileLock shared, LockLake(options.lake_dir, FileLock::Mode::kShared));
  SL_RETURN_IF_ERROR(PrepareStoreLocation(store_url));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<MessageLog> log, OpenLogFromUrl(options.log_url, options.lake_dir + "/_log"));
  const std::string processed(kProcessedTopic);
  SL_ASSIGN_OR_RETURN(const int partitions,
                      WaitForTopic(log.get(), processed, options.poll_seconds, options.once, stop, kService));
  if (partitions == 0) {
    ReportServiceLine(kService, "stopped (topic %s does not exist yet)", processed.c_str());
    return Status::OK();
  }
  SL_ASSIGN_OR_RETURN(std::unique_ptr<GroupMember> member,
                      JoinGroupFromUrl(options.log_url, log.get(), kLoaderGroup, processed));
  ReportServiceLine(kService, "joined group %s on %s (%d partitions), loading %s", kLoaderGroup, processed.c_str(),
                    partitions, RedactUrl(store_url).c_str());

  std::vector<int> owned_before;
  int64_t synced_snapshot = -1;
  bool idle = false;
  auto last_report = std::chrono::steady_clock::now();
  const int poll_ms = static_cast<int>(options.poll_seconds * 1000);
  while (!stop.load()) {
    SL_ASSIGN_OR_RETURN(std::vector<int> owned, PollOrStop(member.get(), idle ? poll_ms : 0, stop));
    const bool reassigned = owned != owned_before;
    if (reassigned) {
      ReportServiceLine(kService, "owns partitions %s", PartitionRanges(owned).c_str());
      owned_before = owned;
    }
    SL_ASSIGN_OR_RETURN(LakeSnapshot lake, LoadCurrentSnapshot(options.lake_dir));
    if (owned.empty() || lake.id == 0 || (lake.id == synced_snapshot && !reassigned)) {
      if (options.once && !owned.empty()) break;
      idle = true;
      continue;
    }
    SyncOptions sync_options;
    sync_options.connections = options.threads;
    sync_options.buckets = owned;
    SyncStats stats;
    const Status synced = SyncStoreWithLake(store_url, options.lake_dir, sync_options, &stats);
    if (!synced.ok()) {
      // A file that vanished (the lake moved on during the sync) or a store that went
      // away: the next cycle starts from the then current snapshot.
      if (!(synced.IsNotFound() || synced.IsIOError())) return synced;
      ReportServiceLine(kService, "sync failed, retrying: %s", synced.ToString().c_str());
      idle = true;
      continue;
    }
    // What the store now holds, in the group's terms: the processed offsets of the
    // snapshot it loaded (at least `lake`, which was current before the sync began).
    std::vector<std::pair<int, int64_t>> positions;
    const auto& consumed = lake.consumed_offsets[processed];
    for (int p : owned) {
      if (static_cast<size_t>(p) < consumed.size()) positions.emplace_back(p, consumed[static_cast<size_t>(p)]);
    }
    const Status committed = member->Commit(processed, positions);
    if (!committed.ok() && !committed.IsAborted()) return committed;
    synced_snapshot = lake.id;

    int64_t lag = 0;
    for (int p : owned) {
      SL_ASSIGN_OR_RETURN(const int64_t end, log->EndOffset(processed, p));
      SL_ASSIGN_OR_RETURN(const int64_t next, member->Committed(processed, p));
      lag += std::max<int64_t>(end - next, 0);
    }
    const bool did_work = stats.buckets_loaded > 0 || stats.runs_recorded > 0;
    if (did_work || std::chrono::steady_clock::now() - last_report > std::chrono::seconds(60)) {
      ReportServiceLine(
          kService,
          "partitions %s: snapshot %lld, %d buckets loaded (%lld rows), %d unchanged; lag %lld processed records",
          PartitionRanges(owned).c_str(), static_cast<long long>(stats.snapshot_id), stats.buckets_loaded,
          static_cast<long long>(stats.rows_loaded), stats.buckets_unchanged, static_cast<long long>(lag));
      last_report = std::chrono::steady_clock::now();
    }
    if (options.once && !did_work) break;
    idle = !did_work;
  }
  member->Leave();
  ReportServiceLine(kService, "stopped");
  return Status::OK();
}

}  // namespace stocklake
