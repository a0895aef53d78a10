#include "store/store_sync.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "core/crash_point.h"
#include "core/files.h"
#include "lake/parquet_reader.h"
#include "lake/snapshot.h"
#include "lake/table_schemas.h"
#include "store/sql_store.h"

namespace stocklake {

namespace {

Status AppendFileRows(const Table& from, const std::string& path, Table* out);

//! The bucket's file set as LoadedBucket::files records it.
std::string FileSetOf(const LakeSnapshot& snapshot, int bucket) {
  std::vector<std::string> lines;
  for (const StoreTableDef& def : StoreTables()) {
    for (const DataFile* f : snapshot.FilesOf(std::string(def.lake_name), bucket)) {
      lines.push_back(std::string(def.lake_name) + "\t" + f->path + "\n");
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l;
  return out;
}

Result<BucketContents> ReadBucket(const std::string& lake_dir, const LakeSnapshot& snapshot, int bucket,
                                  std::string files) {
  BucketContents contents;
  contents.bucket = bucket;
  contents.state = LoadedBucket{snapshot.id, snapshot.partitions, std::move(files)};
  for (const StoreTableDef& def : StoreTables()) {
    std::optional<Table> rows;
    for (const DataFile* f : snapshot.FilesOf(std::string(def.lake_name), bucket)) {
      if (f->rows == 0) continue;
      Result<Table> table = ReadParquetFile(lake_dir + "/" + f->path);
      if (!table.ok()) {
        return table.status().WithContext(
            "reading the lake for the serving store (if a run rewrote the lake "
            "meanwhile, sync again)");
      }
      if (!rows) {
        rows = std::move(*table);
      } else {
        SL_RETURN_IF_ERROR(AppendFileRows(*table, f->path, &*rows));
      }
    }
    if (rows) contents.tables.emplace(std::string(def.lake_name), std::move(*rows));
  }
  return contents;
}

//! (ML table, partition) -> the partition's file set as LoadedPartition::files records it.
std::map<std::pair<std::string, std::string>, std::string> MlFileSets(const LakeSnapshot& snapshot) {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> paths;
  for (std::string_view table : MlTableNames()) {
    auto it = snapshot.tables.find(std::string(table));
    if (it == snapshot.tables.end()) continue;
    for (const DataFile& f : it->second) {
      if (f.bucket == kUnbucketed) paths[{it->first, f.partition}].push_back(f.path + "\n");
    }
  }
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (auto& [key, lines] : paths) {
    std::sort(lines.begin(), lines.end());
    std::string& files = out[key];
    for (const std::string& l : lines) files += l;
  }
  return out;
}

//! Appends the rows of `from` (a file of lake table `out`'s, read from `path`) to `out`,
//! column by column by name. A column the file lacks, or of another type (INT32 and
//! INT64 are interchangeable), is Corruption: the store holds exactly the lake's schema.
Status AppendFileRows(const Table& from, const std::string& path, Table* out) {
  TableAppender appender(out);
  for (size_t c = 0; c < out->columns.size(); ++c) {
    const Column& to = out->columns[c];
    const Column* src = from.Find(to.name);
    const bool is_int = to.type == ColumnType::kInt32 || to.type == ColumnType::kInt64;
    if (src == nullptr ||
        (src->type != to.type && !(is_int && (src->type == ColumnType::kInt32 || src->type == ColumnType::kInt64)))) {
      return Status::Corruption(path + ": column '" + to.name + "' is missing or of another type than " +
                                "the lake schema says; rewrite the file with the current stocklake");
    }
    for (size_t r = 0; r < from.num_rows(); ++r) {
      if (src->IsNull(r)) {
        appender.AppendNull(c);
        continue;
      }
      switch (src->type) {
        case ColumnType::kString: appender.AppendString(c, src->StringAt(r)); break;
        case ColumnType::kDouble: appender.AppendDouble(c, src->f64[r]); break;
        case ColumnType::kInt64: appender.AppendInt(c, src->i64[r]); break;
        case ColumnType::kDate:
        case ColumnType::kInt32: appender.AppendInt(c, src->i32[r]); break;
      }
    }
  }
  return Status::OK();
}

//! The rows of one ML table partition: every file listed in `files` ("path\n" lines).
Result<PartitionContents> ReadPartition(const std::string& lake_dir, int64_t snapshot_id, const std::string& table,
                                        const std::string& partition, std::string files) {
  PartitionContents contents;
  contents.table = table;
  contents.partition = partition;
  contents.rows = EmptyTableFor(table);
  for (size_t begin = 0; begin < files.size();) {
    const size_t end = files.find('\n', begin);
    const std::string path = files.substr(begin, end - begin);
    begin = end + 1;
    Result<Table> file = ReadParquetFile(lake_dir + "/" + path);
    if (!file.ok()) {
      return file.status().WithContext(
          "reading the lake for the serving store (if the lake changed meanwhile, sync again)");
    }
    SL_RETURN_IF_ERROR(AppendFileRows(*file, path, &contents.rows));
  }
  contents.state = LoadedPartition{snapshot_id, std::move(files)};
  return contents;
}

//! Replaces every ML table partition whose files differ from what the store loaded, and
//! deletes those gone from the lake, one transaction each.
Status SyncMlPartitions(ServingStore& store, const std::string& lake_dir, const LakeSnapshot& snapshot, bool dry_run,
                        SyncStats* stats) {
  std::map<std::pair<std::string, std::string>, std::string> work = MlFileSets(snapshot);
  SL_ASSIGN_OR_RETURN(auto loaded, store.LoadedPartitions());
  for (const auto& [key, state] : loaded) work.try_emplace(key, std::string());  // gone: replaced by nothing
  std::erase_if(work, [&](const auto& entry) {
    auto it = loaded.find(entry.first);
    return it != loaded.end() && it->second.files == entry.second;
  });
  stats->partitions_behind = static_cast<int>(work.size());
  if (dry_run) return Status::OK();
  for (auto& [key, files] : work) {
    SL_ASSIGN_OR_RETURN(PartitionContents contents,
                        ReadPartition(lake_dir, snapshot.id, key.first, key.second, std::move(files)));
    bool replaced = false;
    SL_RETURN_IF_ERROR(store.ReplacePartition(contents, &replaced));
    if (!replaced) continue;  // another loader did it first
    CrashPoint("store-partition-committed");
    ++stats->partitions_loaded;
    stats->ml_rows_loaded += static_cast<int64_t>(contents.rows.num_rows());
    stats->rows_loaded += static_cast<int64_t>(contents.rows.num_rows());
  }
  return Status::OK();
}

Result<RunRecord> ParseRun(const std::string& text, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("id")) return Status::Corruption(where + ": not a snapshot manifest");
  try {
    RunRecord r;
    r.snapshot_id = j.at("id").get<int64_t>();
    r.committed_at = j.value("committed_at", "");
    const nlohmann::json run = j.contains("run") && j["run"].is_object() ? j["run"] : nlohmann::json::object();
    r.rows_read = run.value("rows_read", int64_t{0});
    r.accepted = run.value("accepted", int64_t{0});
    r.rejected = run.value("rejected", int64_t{0});
    r.duplicates = run.value("duplicates", int64_t{0});
    r.earlier_rows_displaced = run.value("earlier_rows_displaced", int64_t{0});
    r.files_ingested = run.value("files_ingested", int64_t{0});
    r.files_skipped = run.value("files_skipped", int64_t{0});
    r.summary_json = run.dump();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(where + ": malformed snapshot manifest: " + e.what());
  }
}

Status RecordNewRuns(ServingStore& store, const std::string& lake_dir, int64_t current_id, SyncStats* stats) {
  const std::string dir = lake_dir + "/_stocklake/snapshots";
  auto names = ListDirectory(dir);
  if (!names.ok()) return names.status().IsNotFound() ? Status::OK() : names.status();
  SL_ASSIGN_OR_RETURN(std::set<int64_t> recorded, store.RecordedRunIds());
  std::vector<RunRecord> runs;
  for (const std::string& name : *names) {
    if (!name.ends_with(".json")) continue;
    const int64_t id = std::strtoll(name.c_str(), nullptr, 10);
    if (id <= 0 || id > current_id || recorded.count(id)) continue;
    SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir + "/" + name));
    SL_ASSIGN_OR_RETURN(RunRecord run, ParseRun(text, dir + "/" + name));
    runs.push_back(std::move(run));
  }
  SL_RETURN_IF_ERROR(store.RecordRuns(runs));
  stats->runs_recorded = static_cast<int>(runs.size());
  return Status::OK();
}

}  // namespace

namespace {

//! Loads work[i] for every i handed out by `next`, through `store`; the first error
//! stops every worker.
void LoadWorker(ServingStore& store, const std::string& lake_dir, const LakeSnapshot& snapshot,
                const std::vector<std::pair<int, std::string>>& work, std::atomic<size_t>& next, std::mutex& mu,
                Status& first_error, SyncStats& stats) {
  for (size_t i; (i = next.fetch_add(1)) < work.size();) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!first_error.ok()) return;
    }
    Result<BucketContents> contents = ReadBucket(lake_dir, snapshot, work[i].first, work[i].second);
    Status st = contents.ok() ? store.ReplaceBucket(*contents) : contents.status();
    std::lock_guard<std::mutex> lock(mu);
    if (!st.ok()) {
      if (first_error.ok()) first_error = st;
      return;
    }
    CrashPoint("store-bucket-committed");
    ++stats.buckets_loaded;
    for (const auto& [name, table] : contents->tables) {
      stats.rows_loaded += static_cast<int64_t>(table.num_rows());
      if (name == "silver/bars") stats.bar_rows_loaded += static_cast<int64_t>(table.num_rows());
    }
  }
}

Status Sync(const std::vector<ServingStore*>& stores, const std::string& lake_dir, const SyncOptions& options,
            SyncStats* stats_out) {
  const auto start = std::chrono::steady_clock::now();
  ServingStore& store = *stores[0];
  SyncStats stats;
  SL_ASSIGN_OR_RETURN(LakeSnapshot snapshot, LoadCurrentSnapshot(lake_dir));
  stats.snapshot_id = snapshot.id;
  stats.buckets_total = snapshot.partitions;
  const std::set<int> chosen(options.buckets.begin(), options.buckets.end());
  auto selected = [&](int bucket) { return chosen.empty() || chosen.count(bucket) > 0; };
  SL_ASSIGN_OR_RETURN(auto loaded, store.LoadedBuckets());
  const bool partitions_changed = std::any_of(
      loaded.begin(), loaded.end(), [&](const auto& entry) { return entry.second.partitions != snapshot.partitions; });
  if (partitions_changed) {
    // Tickers moved between buckets, so no old bucket may stay: empty the whole store,
    // whichever buckets this sync was given (a loader of other buckets then finds its
    // buckets missing and loads them).
    if (!options.dry_run) SL_RETURN_IF_ERROR(store.Reset());
    loaded.clear();
    stats.reset = true;
  }

  // Buckets to replace: every selected lake bucket whose files differ, and every loaded
  // selected bucket the lake no longer has (replaced by nothing).
  std::vector<std::pair<int, std::string>> work;
  for (int b = 0; b < snapshot.partitions; ++b) {
    if (!selected(b)) continue;
    std::string files = FileSetOf(snapshot, b);
    auto it = loaded.find(b);
    if ((it != loaded.end() && it->second.files == files) || (it == loaded.end() && files.empty())) {
      ++stats.buckets_unchanged;
      continue;
    }
    work.emplace_back(b, std::move(files));
  }
  for (const auto& [b, state] : loaded) {
    if (b >= snapshot.partitions && selected(b) && !state.files.empty()) work.emplace_back(b, std::string());
  }
  stats.buckets_behind = static_cast<int>(work.size());
  if (options.dry_run) {
    SL_RETURN_IF_ERROR(SyncMlPartitions(store, lake_dir, snapshot, true, &stats));
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (stats_out != nullptr) *stats_out = stats;
    return Status::OK();
  }

  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  std::vector<std::thread> threads;
  for (size_t w = 1; w < stores.size() && w < work.size(); ++w) {
    threads.emplace_back([&, w] { LoadWorker(*stores[w], lake_dir, snapshot, work, next, mu, first_error, stats); });
  }
  LoadWorker(store, lake_dir, snapshot, work, next, mu, first_error, stats);
  for (std::thread& t : threads) t.join();
  SL_RETURN_IF_ERROR(first_error);

  SL_RETURN_IF_ERROR(SyncMlPartitions(store, lake_dir, snapshot, false, &stats));
  SL_RETURN_IF_ERROR(RecordNewRuns(store, lake_dir, snapshot.id, &stats));
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stats_out != nullptr) *stats_out = stats;
  return Status::OK();
}

}  // namespace

Status SyncStoreWithLake(ServingStore& store, const std::string& lake_dir, SyncStats* stats) {
  return Sync({&store}, lake_dir, SyncOptions{}, stats);
}

Status SyncStoreWithLake(ServingStore& store, const std::string& lake_dir, const SyncOptions& options,
                         SyncStats* stats) {
  return Sync({&store}, lake_dir, options, stats);
}

Status SyncStoreWithLake(const std::string& store_url, const std::string& lake_dir, const SyncOptions& options,
                         SyncStats* stats) {
  std::vector<std::unique_ptr<ServingStore>> stores;
  SL_ASSIGN_OR_RETURN(std::unique_ptr<ServingStore> first, OpenServingStore(store_url, options.store));
  const bool parallel = first->backend() == "postgresql" && !options.dry_run;
  stores.push_back(std::move(first));
  for (int i = 1; parallel && i < options.connections; ++i) {
    SL_ASSIGN_OR_RETURN(std::unique_ptr<ServingStore> more, OpenServingStore(store_url, options.store));
    stores.push_back(std::move(more));
  }
  std::vector<ServingStore*> raw;
  for (auto& s : stores) raw.push_back(s.get());
  return Sync(raw, lake_dir, options, stats);
}

}  // namespace stocklake
