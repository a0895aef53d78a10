#include "orchestrate/batch_run.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/crash_point.h"
#include "core/files.h"
#include "ingest/source_files.h"
#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "log/consumer_group.h"
#include "log/topics.h"
#include "ml/prediction_labels.h"
#include "orchestrate/clean_stage.h"
#include "orchestrate/ingest_stage.h"
#include "orchestrate/lake_lock.h"
#include "orchestrate/lake_stage.h"
#include "orchestrate/log_url.h"
#include "orchestrate/store_url.h"
#include "store/store_sync.h"

namespace stocklake {

namespace {

// Polls the group until this member owns all `partitions`: a processor that died a
// moment ago holds its partitions until its session times out.
Status WaitToOwnEveryPartition(GroupMember* member, int partitions) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  std::vector<int> owned;
  while (std::chrono::steady_clock::now() < deadline) {
    SL_ASSIGN_OR_RETURN(owned, member->Poll(200));
    if (static_cast<int>(owned.size()) == partitions) return Status::OK();
  }
  return Status::Aborted("consumer group " + std::string(kCleanGroup) + " has other members (this run owns " +
                         std::to_string(owned.size()) + " of " + std::to_string(partitions) +
                         " partitions after 90 s): stop the processors before a one-shot run");
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<RunSummary> RunBatch(const RunOptions& options) {
  const auto run_start = std::chrono::steady_clock::now();
  if (options.inputs.empty()) return Status::InvalidArgument("run needs at least one --input PATH");
  if (options.lake_dir.empty()) return Status::InvalidArgument("run needs --lake DIR");
  const std::string store_url = ServingStoreUrl(options.store_url, options.lake_dir);
  if (!store_url.empty()) SL_RETURN_IF_ERROR(CheckStoreUrl(store_url));
  SL_RETURN_IF_ERROR(CheckLogUrl(options.log_url));
  // Check the inputs before writing anything, so a bad path leaves no trace.
  SL_RETURN_IF_ERROR(ListSourceFiles(options.inputs).status());

  SL_ASSIGN_OR_RETURN(FileLock lock, LockLake(options.lake_dir, FileLock::Mode::kExclusive));
  SL_ASSIGN_OR_RETURN(LakeSnapshot base, LoadCurrentSnapshot(options.lake_dir));
  // Files of a run that crashed before (or just after) its commit are never listed in
  // the current snapshot; clear them so directory readers see only committed data.
  SL_RETURN_IF_ERROR(RemoveUnreferencedFiles(options.lake_dir, base));
  SL_ASSIGN_OR_RETURN(SourceRegistry registry, SourceRegistry::Open(options.lake_dir));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<MessageLog> log, OpenLogFromUrl(options.log_url, options.lake_dir + "/_log"));

  const int partitions = LakePartitions(base, log.get(), options.partitions);

  RunSummary summary;
  auto stage_start = std::chrono::steady_clock::now();
  SL_ASSIGN_OR_RETURN(IngestResult ingest, RunIngestStage(options, partitions, &registry, log.get()));
  summary.stages.push_back(
      {"ingest",
       SecondsSince(stage_start),
       ingest.rows_read,
       {{"hash", ingest.hash_seconds}, {"parse", ingest.parse_seconds}, {"sync", ingest.durable_seconds}}});
  summary.files_seen = ingest.files_seen;
  summary.files_ingested = ingest.files_ingested;
  summary.files_skipped = ingest.files_skipped;
  summary.files_unrecognised = ingest.files_unrecognised;
  summary.warnings = ingest.warnings;
  summary.rows_read = ingest.rows_read;

  stage_start = std::chrono::steady_clock::now();
  CrashPoint("after-ingest");
  // The run consumes the raw topic as a member of the processors' group, owning every
  // partition: Kafka accepts offset commits only from members of a group that has had
  // members, and the run and the services take turns on a lake's topics.
  SL_RETURN_IF_ERROR(log->EnsureTopic(std::string(kRawTopic), partitions));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<GroupMember> clean_member,
                      JoinGroupFromUrl(options.log_url, log.get(), kCleanGroup, std::string(kRawTopic)));
  SL_RETURN_IF_ERROR(WaitToOwnEveryPartition(clean_member.get(), partitions));
  const CleanScope clean_scope{AllPartitions(partitions), clean_member.get(), /*wait_for_pending_sources=*/false};
  SL_ASSIGN_OR_RETURN(CleanResult clean, RunCleanStage(partitions, clean_scope, options.threads, registry, log.get()));
  clean_member->Leave();
  summary.stages.push_back({"clean", SecondsSince(stage_start), clean.rows, {}});
  summary.rows_read += clean.external_rows;
  summary.external_rows = clean.external_rows;

  // The snapshot keeps the run's summary (the API's runs and /metrics read it).
  nlohmann::json stages = nlohmann::json::array();
  for (const StageTiming& t : summary.stages)
    stages.push_back({{"stage", t.stage}, {"seconds", t.seconds}, {"rows", t.rows}});
  nlohmann::json run_json = {{"files_ingested", ingest.files_ingested},
                             {"files_skipped", ingest.files_skipped},
                             {"rows_read", summary.rows_read},
                             {"stages", stages}};
  stage_start = std::chrono::steady_clock::now();
  SL_ASSIGN_OR_RETURN(LakeStageResult lake, RunLakeStage(options.lake_dir, partitions, AllPartitions(partitions),
                                                         options.threads, registry, log.get(), base, run_json.dump()));
  summary.stages.push_back({"lake", SecondsSince(stage_start), lake.accepted + lake.rejected + lake.duplicates, {}});
  // Rows an interrupted earlier run read but never committed are accounted by this one.
  const int64_t applied = lake.accepted + lake.rejected + lake.duplicates;
  if (applied > summary.rows_read) {
    summary.recovered_rows = applied - summary.rows_read;
    summary.rows_read = applied;
  }
  summary.accepted = lake.accepted;
  summary.new_rows = lake.new_rows;
  summary.revised = lake.revised;
  summary.unchanged = lake.unchanged;
  summary.rejected = lake.rejected;
  summary.duplicates = lake.duplicates;
  summary.earlier_rows_displaced = lake.earlier_rows_displaced;
  for (int r = 0; r < kRejectReasonCount; ++r) summary.rejected_by_reason[r] = lake.rejected_by_reason[r];
  summary.buckets_appended = lake.buckets_appended;
  summary.buckets_recomputed = lake.buckets_recomputed;
  summary.snapshot_id = lake.snapshot_id;
  summary.tables_written = lake.tables_written;
  {
    // Labels the new rows realised, copied into earlier predictions. Checked on every run
    // (cheap without predictions), so a run that crashed before doing it is completed.
    SL_ASSIGN_OR_RETURN(LakeSnapshot current, LoadCurrentSnapshot(options.lake_dir));
    SL_ASSIGN_OR_RETURN(summary.prediction_labels_filled, FillRealisedPredictionLabels(options.lake_dir, current));
  }

  if (!store_url.empty()) {
    // Always synced, even when the lake has nothing new: a run that crashed after its
    // lake commit left the store behind, and this completes it.
    stage_start = std::chrono::steady_clock::now();
    SL_RETURN_IF_ERROR(PrepareStoreLocation(store_url));
    SyncStats sync;
    SyncOptions sync_options;
    sync_options.connections = options.threads;
    SL_RETURN_IF_ERROR(SyncStoreWithLake(store_url, options.lake_dir, sync_options, &sync)
                           .WithContext("loading the serving store " + RedactUrl(store_url)));
    summary.stages.push_back({"store", SecondsSince(stage_start), sync.rows_loaded, {}});
    summary.store = RedactUrl(store_url);
    summary.store_buckets_loaded = sync.buckets_loaded;
    summary.store_rows_loaded = sync.rows_loaded;
  }
  summary.total_seconds = SecondsSince(run_start);
  return summary;
}

std::string FormatRunSummary(const RunSummary& s) {
  std::string out;
  char line[256];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    out += line;
  };
  add("files      %lld seen, %lld ingested, %lld already in the lake, %lld unrecognised\n",
      static_cast<long long>(s.files_seen), static_cast<long long>(s.files_ingested),
      static_cast<long long>(s.files_skipped), static_cast<long long>(s.files_unrecognised));
  add("rows       %lld read = %lld accepted + %lld rejected + %lld duplicates\n", static_cast<long long>(s.rows_read),
      static_cast<long long>(s.accepted), static_cast<long long>(s.rejected), static_cast<long long>(s.duplicates));
  if (s.accepted > 0) {
    add("  accepted: %lld new, %lld revised, %lld unchanged\n", static_cast<long long>(s.new_rows),
        static_cast<long long>(s.revised), static_cast<long long>(s.unchanged));
  }
  if (s.recovered_rows > 0) {
    add("  of which %lld read by an earlier run that stopped before its commit\n",
        static_cast<long long>(s.recovered_rows));
  }
  if (s.external_rows > 0) {
    add("  of which %lld published to the raw topic by other producers\n", static_cast<long long>(s.external_rows));
  }
  for (int r = 1; r < kRejectReasonCount; ++r) {
    if (s.rejected_by_reason[r] == 0) continue;
    add("  %-22s %lld\n", std::string(RejectReasonName(static_cast<RejectReason>(r))).c_str(),
        static_cast<long long>(s.rejected_by_reason[r]));
  }
  if (s.earlier_rows_displaced > 0) {
    add("rows from earlier runs replaced by newer rows: %lld\n", static_cast<long long>(s.earlier_rows_displaced));
  }
  if (!s.store.empty()) {
    add("store      %s: %lld buckets loaded, %lld rows\n", s.store.c_str(),
        static_cast<long long>(s.store_buckets_loaded), static_cast<long long>(s.store_rows_loaded));
  }
  if (s.buckets_appended + s.buckets_recomputed > 0) {
    add("buckets    %lld appended to, %lld recomputed from their history\n", static_cast<long long>(s.buckets_appended),
        static_cast<long long>(s.buckets_recomputed));
  }
  if (s.snapshot_id > 0) {
    out += "tables     ";
    for (size_t i = 0; i < s.tables_written.size(); ++i) {
      if (s.tables_written[i].starts_with("_")) continue;
      out += (i ? ", " : "") + s.tables_written[i];
    }
    add("\nsnapshot   %lld committed\n", static_cast<long long>(s.snapshot_id));
  } else {
    out += "snapshot   nothing new: the lake is unchanged\n";
  }
  if (s.prediction_labels_filled > 0) {
    add("labels     %lld realised labels filled into gold/predictions\n",
        static_cast<long long>(s.prediction_labels_filled));
  }
  for (const StageTiming& t : s.stages) {
    add("stage      %-7s %8.3f s  %lld rows", t.stage.c_str(), t.seconds, static_cast<long long>(t.rows));
    for (const auto& [name, seconds] : t.parts) add("  %s %.3f s", name.c_str(), seconds);
    out += "\n";
  }
  add("total      %.3f s, %.0f rows/s\n", s.total_seconds,
      s.total_seconds > 0 ? static_cast<double>(s.rows_read) / s.total_seconds : 0.0);
  for (const std::string& w : s.warnings) out += "warning    " + w + "\n";
  return out;
}

}  // namespace stocklake
