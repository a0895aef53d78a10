#include "orchestrate/ingest_stage.h"

#include <chrono>
#include <mutex>

#include "core/clock.h"
#include "core/crash_point.h"
#include "core/files.h"
#include "ingest/bar_reader.h"
#include "ingest/source_files.h"
#include "lake/bronze.h"
#include "log/bar_codec.h"
#include "log/topics.h"
#include "orchestrate/parallel.h"
#include "orchestrate/progress.h"
#include "orchestrate/record_chunks.h"

namespace stocklake {

namespace {

std::string ParentOf(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

}  // namespace

int LakePartitions(const LakeSnapshot& base, MessageLog* log, int fallback) {
  if (base.partitions > 0) return base.partitions;
  auto existing = log->PartitionCount(std::string(kRawTopic));
  return existing.ok() && *existing > 0 ? *existing : fallback;
}

Result<IngestResult> RunIngestStage(const RunOptions& options, int partitions, SourceRegistry* registry,
                                    MessageLog* log) {
  SL_ASSIGN_OR_RETURN(std::vector<SourceFile> files, ListSourceFiles(options.inputs));
  IngestResult result;
  result.files_seen = static_cast<int64_t>(files.size());

  auto phase_start = std::chrono::steady_clock::now();
  auto phase_seconds = [&phase_start] {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - phase_start).count();
    phase_start = now;
    return s;
  };
  // Content identity first: a file already received with the same bytes is skipped.
  std::vector<uint64_t> hashes(files.size());
  std::vector<int64_t> sizes(files.size());
  SL_RETURN_IF_ERROR(ParallelFor(files.size(), options.threads, [&](size_t i, int) -> Status {
    SL_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(files[i].absolute_path));
    hashes[i] = SourceRegistry::HashContent(mapped.data());
    sizes[i] = static_cast<int64_t>(mapped.size());
    return Status::OK();
  }));

  result.hash_seconds = phase_seconds();
  std::vector<SourceRecord> fresh;
  std::vector<const SourceFile*> fresh_files;
  const std::string today = UtcDateToday();
  for (size_t i = 0; i < files.size(); ++i) {
    if (registry->IsIngested(files[i].relative_path, hashes[i])) {
      ++result.files_skipped;
      continue;
    }
    SourceRecord r;
    r.relative_path = files[i].relative_path;
    r.input_path = options.inputs[files[i].input_index];
    r.content_hash = hashes[i];
    r.bytes = sizes[i];
    r.ingest_date = today;
    fresh.push_back(std::move(r));
    fresh_files.push_back(&files[i]);
  }
  result.files_ingested = static_cast<int64_t>(fresh.size());
  if (fresh.empty()) return result;

  SL_RETURN_IF_ERROR(registry->AbandonUnfinished());
  SL_RETURN_IF_ERROR(registry->Register(&fresh));
  // Every source of a run shares one bronze directory (the run's ingestion date).
  SL_RETURN_IF_ERROR(CreateDirectories(options.lake_dir + "/" + ParentOf(fresh.front().bronze_path)));
  CrashPoint("ingest-registered");
  SL_RETURN_IF_ERROR(log->EnsureTopic(std::string(kRawTopic), partitions));

  const std::string raw_topic(kRawTopic);
  std::mutex result_mutex;
  ProgressLine progress(options.progress, "ingest", static_cast<int64_t>(fresh.size()), "files");
  std::vector<BarBatch> batches(static_cast<size_t>(options.threads));
  SL_RETURN_IF_ERROR(ParallelFor(fresh.size(), options.threads, [&](size_t i, int worker) -> Status {
    const SourceRecord& source = fresh[i];
    const SourceFile& file = *fresh_files[i];
    auto mapped = MappedFile::Open(file.absolute_path);
    if (!mapped.ok()) return mapped.status().WithContext("reading input file " + file.relative_path);
    if (SourceRegistry::HashContent(mapped->data()) != source.content_hash) {
      return Status::Aborted("input file " + file.absolute_path + " changed while the run was reading it; run again");
    }
    SL_RETURN_IF_ERROR(WriteBronzeCopy(mapped->data(), options.lake_dir + "/" + source.bronze_path));

    BarBatch& batch = batches[static_cast<size_t>(worker)];
    batch.Clear();
    SL_ASSIGN_OR_RETURN(ReadStats stats, ReadBars(mapped->data(), file, source.id, &batch));
    SL_RETURN_IF_ERROR(ForEachTickerRecord(batch, file.relative_path, [&](std::string_view key, std::string value) {
      return log->Produce(raw_topic, PartitionForKey(key, partitions), key, value);
    }));
    {
      std::lock_guard<std::mutex> lock(result_mutex);
      result.rows_read += stats.rows_read;
      if (stats.layout == InputLayout::kUnrecognised) ++result.files_unrecognised;
      if (!stats.warning.empty()) result.warnings.push_back(stats.warning);
    }
    progress.Advance(1);
    if (i == fresh.size() / 2) CrashPoint("ingest-half-produced");
    return Status::OK();
  }));
  progress.Finish();
  result.parse_seconds = phase_seconds();

  // Durability order: bronze copies and raw records first, then the commit mark that
  // lets downstream stages use these sources.
  SL_RETURN_IF_ERROR(log->Flush());
  SL_RETURN_IF_ERROR(SyncFileSystem(options.lake_dir));
  result.durable_seconds = phase_seconds();
  CrashPoint("ingest-flushed");
  SL_RETURN_IF_ERROR(registry->MarkCommitted(fresh.front().id, fresh.back().id));
  return result;
}

}  // namespace stocklake
