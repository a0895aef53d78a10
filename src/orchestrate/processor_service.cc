// `stocklake processor`: a consumer-group member that owns some partitions of
// raw-stock-data and, cycle after cycle, cleans what is new in them (-> processed and
// rejects topics) and applies it to the matching lake buckets.
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "log/topics.h"
#include "orchestrate/clean_stage.h"
#include "orchestrate/lake_lock.h"
#include "orchestrate/lake_stage.h"
#include "orchestrate/log_url.h"
#include "orchestrate/service_support.h"
#include "orchestrate/services.h"

namespace stocklake {

namespace {

constexpr const char* kService = "processor";

std::string MemberName() {
  char host[256] = "unknown";
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

// Errors a later cycle may not meet (the cluster or a file system hiccup, a partition
// that moved): reported, then the service carries on.
bool WorthRetrying(const Status& status) { return status.IsAborted() || status.IsIOError() || status.IsNotFound(); }

}  // namespace

Status RunProcessor(const ServiceOptions& options, const std::atomic<bool>& stop) {
  if (options.lake_dir.empty()) return Status::InvalidArgument("processor needs --lake DIR");
  SL_RETURN_IF_ERROR(CheckLogUrl(options.log_url));
  SL_ASSIGN_OR_RETURN(FileLock shared, LockLake(options.lake_dir, FileLock::Mode::kShared));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<MessageLog> log, OpenLogFromUrl(options.log_url, options.lake_dir + "/_log"));
  const std::string raw(kRawTopic), processed(kProcessedTopic), rejects(kRejectsTopic);
  SL_ASSIGN_OR_RETURN(const int partitions,
                      WaitForTopic(log.get(), raw, options.poll_seconds, options.once, stop, kService));
  if (partitions == 0) {
    ReportServiceLine(kService, "stopped (topic %s does not exist yet)", raw.c_str());
    return Status::OK();
  }
  SL_ASSIGN_OR_RETURN(LakeSnapshot initial, LoadCurrentSnapshot(options.lake_dir));
  if (initial.partitions > 0 && initial.partitions != partitions) {
    return Status::InvalidArgument("the lake " + options.lake_dir + " has " + std::to_string(initial.partitions) +
                                   " buckets but topic " + raw + " has " + std::to_string(partitions) +
                                   " partitions: a lake belongs to one set of topics");
  }
  SL_RETURN_IF_ERROR(log->EnsureTopic(processed, partitions));
  SL_RETURN_IF_ERROR(log->EnsureTopic(rejects, partitions));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<GroupMember> member,
                      JoinGroupFromUrl(options.log_url, log.get(), kCleanGroup, raw));
  const std::string member_name = MemberName();
  ReportServiceLine(kService, "%s joined group %s on %s (%d partitions)", member_name.c_str(), kCleanGroup, raw.c_str(),
                    partitions);

  std::vector<int> owned_before;
  bool idle = false;
  auto last_report = std::chrono::steady_clock::now();
  const int poll_ms = static_cast<int>(options.poll_seconds * 1000);
  while (!stop.load()) {
    SL_ASSIGN_OR_RETURN(std::vector<int> owned, PollOrStop(member.get(), idle ? poll_ms : 0, stop));
    if (owned != owned_before) {
      ReportServiceLine(kService, "owns partitions %s", PartitionRanges(owned).c_str());
      owned_before = owned;
    }
    if (owned.empty()) {
      idle = true;
      continue;
    }
    const auto cycle_start = std::chrono::steady_clock::now();
    auto cycle = [&]() -> Result<std::pair<CleanResult, LakeStageResult>> {
      SL_ASSIGN_OR_RETURN(SourceRegistry registry, SourceRegistry::OpenReadOnly(options.lake_dir));
      const CleanScope scope{owned, member.get(), /*wait_for_pending_sources=*/true};
      SL_ASSIGN_OR_RETURN(CleanResult clean, RunCleanStage(partitions, scope, options.threads, registry, log.get()));
      const double clean_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - cycle_start).count();
      SL_ASSIGN_OR_RETURN(LakeSnapshot base, LoadCurrentSnapshot(options.lake_dir));
      const nlohmann::json run_json = {
          {"service", "processor"},
          {"member", member_name},
          {"partitions", owned},
          {"rows_read", clean.rows},
          {"stages", nlohmann::json::array({{{"stage", "clean"}, {"seconds", clean_seconds}, {"rows", clean.rows}}})}};
      SL_ASSIGN_OR_RETURN(LakeStageResult lake, RunLakeStage(options.lake_dir, partitions, owned, options.threads,
                                                             registry, log.get(), base, run_json.dump()));
      return std::make_pair(clean, lake);
    };
    auto done = cycle();
    if (!done.ok()) {
      if (!WorthRetrying(done.status())) return done.status();
      ReportServiceLine(kService, "cycle not committed, retrying: %s", done.status().ToString().c_str());
      idle = !done.status().IsAborted();
      continue;
    }
    const auto& [clean, lake] = *done;
    const bool did_work = clean.records > 0 || lake.snapshot_id > 0;

    // Lag: raw records not yet cleaned, processed records not yet in the lake.
    int64_t raw_lag = 0, processed_lag = 0;
    SL_ASSIGN_OR_RETURN(LakeSnapshot now, LoadCurrentSnapshot(options.lake_dir));
    for (const auto& [p, raw_next] : clean.positions) {
      SL_ASSIGN_OR_RETURN(const int64_t raw_end, log->EndOffset(raw, p));
      SL_ASSIGN_OR_RETURN(const int64_t processed_end, log->EndOffset(processed, p));
      const auto& consumed = now.consumed_offsets[processed];
      const int64_t applied = static_cast<size_t>(p) < consumed.size() ? consumed[static_cast<size_t>(p)] : 0;
      raw_lag += raw_end - raw_next;
      processed_lag += std::max<int64_t>(processed_end - applied, 0);
    }
    const auto since_report = std::chrono::steady_clock::now() - last_report;
    if (did_work || since_report > std::chrono::seconds(60)) {
      ReportServiceLine(kService,
                        "partitions %s: cleaned %lld rows; lake +%lld accepted, %lld rejected, %lld duplicates%s%s; "
                        "lag %lld raw records, %lld processed records%s",
                        PartitionRanges(owned).c_str(), static_cast<long long>(clean.rows),
                        static_cast<long long>(lake.accepted), static_cast<long long>(lake.rejected),
                        static_cast<long long>(lake.duplicates),
                        lake.snapshot_id > 0 ? (", snapshot " + std::to_string(lake.snapshot_id)).c_str() : "",
                        lake.redelivered_rows > 0
                            ? (", " + std::to_string(lake.redelivered_rows) + " redelivered rows skipped").c_str()
                            : "",
                        static_cast<long long>(raw_lag), static_cast<long long>(processed_lag),
                        clean.partitions_waiting > 0 ? " (waiting for a source still being ingested)" : "");
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
