#include "lake/snapshot.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/clock.h"
#include "core/file_lock.h"
#include "core/files.h"
#include "lake/table_schemas.h"

namespace stocklake {

namespace {

std::string MetaDir(const std::string& lake_dir) { return lake_dir + "/_stocklake"; }
std::string SnapshotPath(const std::string& lake_dir, int64_t id) {
  char name[64];
  std::snprintf(name, sizeof name, "/snapshots/%08" PRId64 ".json", id);
  return MetaDir(lake_dir) + name;
}

nlohmann::json ToJson(const LakeSnapshot& s) {
  nlohmann::json j;
  j["format"] = "stocklake-snapshot-1";
  j["id"] = s.id;
  j["partitions"] = s.partitions;
  j["committed_at"] = s.committed_at;
  j["sources_applied"] = s.sources_applied;
  nlohmann::json tables = nlohmann::json::object();
  for (const auto& [name, files] : s.tables) {
    nlohmann::json arr = nlohmann::json::array();
    for (const DataFile& f : files) {
      nlohmann::json file = {{"path", f.path}, {"bucket", f.bucket}, {"rows", f.rows}, {"bytes", f.bytes}};
      if (!f.partition.empty()) file["partition"] = f.partition;
      arr.push_back(std::move(file));
    }
    tables[name] = arr;
  }
  j["tables"] = tables;
  j["consumed_offsets"] = s.consumed_offsets;
  j["run"] = nlohmann::json::parse(s.run_summary_json, nullptr, false);
  return j;
}

Result<LakeSnapshot> FromJson(const std::string& text, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "stocklake-snapshot-1") {
    return Status::Corruption(where + ": not a stocklake snapshot manifest");
  }
  try {
    LakeSnapshot s;
    s.id = j.at("id").get<int64_t>();
    s.partitions = j.at("partitions").get<int>();
    s.committed_at = j.at("committed_at").get<std::string>();
    s.sources_applied = j.at("sources_applied").get<uint32_t>();
    for (const auto& [name, arr] : j.at("tables").items()) {
      auto& files = s.tables[name];
      for (const auto& f : arr) {
        files.push_back(DataFile{f.at("path").get<std::string>(), f.at("bucket").get<int>(),
                                 f.at("rows").get<int64_t>(), f.at("bytes").get<int64_t>(),
                                 f.value("partition", std::string())});
      }
    }
    s.consumed_offsets = j.at("consumed_offsets").get<std::map<std::string, std::vector<int64_t>>>();
    if (j.contains("run")) s.run_summary_json = j["run"].dump();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(where + ": malformed snapshot manifest: " + e.what());
  }
}

}  // namespace

std::vector<const DataFile*> LakeSnapshot::FilesOf(const std::string& table, int bucket) const {
  std::vector<const DataFile*> out;
  auto it = tables.find(table);
  if (it == tables.end()) return out;
  for (const DataFile& f : it->second) {
    if (f.bucket == bucket) out.push_back(&f);
  }
  return out;
}

std::string DataFileName(const std::string& table, int bucket, int64_t snapshot_id) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  char name[80];
  std::snprintf(name, sizeof name, "/part-b%03d-s%08" PRId64 "-%08x.parquet", bucket, snapshot_id,
                static_cast<unsigned>(random()));
  return table + name;
}

std::string UnbucketedFileName(const std::string& table, const std::string& tag) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%08x", static_cast<unsigned>(random()));
  return table + "/part-u-" + tag + suffix + ".parquet";
}

int BucketOfDataFile(const std::string& file_name) {
  const auto slash = file_name.rfind('/');
  const std::string base = slash == std::string::npos ? file_name : file_name.substr(slash + 1);
  int bucket = -1;
  if (std::sscanf(base.c_str(), "part-b%d-", &bucket) != 1) return -1;
  return bucket;
}

Result<LakeSnapshot> LoadCurrentSnapshot(const std::string& lake_dir, Env* env) {
  const std::string current = MetaDir(lake_dir) + "/CURRENT";
  if (!env->FileExists(current)) return LakeSnapshot{};
  SL_ASSIGN_OR_RETURN(std::string pointer, env->ReadFile(current));
  while (!pointer.empty() && (pointer.back() == '\n' || pointer.back() == ' ')) pointer.pop_back();
  char* end = nullptr;
  const long long id = std::strtoll(pointer.c_str(), &end, 10);
  if (pointer.empty() || *end != '\0' || id <= 0) {
    return Status::Corruption(current + ": expected a snapshot id, found '" + pointer + "'");
  }
  const std::string path = SnapshotPath(lake_dir, id);
  SL_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  return FromJson(text, path);
}

namespace {

// Points CURRENT at snapshot `id` (WriteFileAtomic's steps). When the directory's fsync
// fails after the rename, the new snapshot would be visible although the commit reports
// an error and a crash may still undo it: CURRENT is put back to `previous_id`, so what
// readers see agrees with the error and a retry starts from the previous snapshot.
Status PublishCurrent(const std::string& lake_dir, int64_t id, int64_t previous_id, Env* env) {
  const std::string current = MetaDir(lake_dir) + "/CURRENT";
  SL_RETURN_IF_ERROR(WriteFileDurable(current + ".tmp", std::to_string(id) + "\n", env));
  SL_RETURN_IF_ERROR(env->RenameFile(current + ".tmp", current));
  const Status synced = env->SyncDirectory(MetaDir(lake_dir));
  if (synced.ok()) return synced;
  Status restored;
  if (previous_id > 0) {
    restored = WriteFileAtomic(current, std::to_string(previous_id) + "\n", env);
  } else {
    restored = env->RemoveFile(current);
    if (restored.ok()) restored = env->SyncDirectory(MetaDir(lake_dir));
  }
  if (restored.ok()) {
    return synced.WithContext("snapshot " + std::to_string(id) + " was not published, snapshot " +
                              std::to_string(previous_id) + " stays current");
  }
  return synced.WithContext(
      "snapshot " + std::to_string(id) + " is visible but may not survive a crash, and putting back snapshot " +
      std::to_string(previous_id) + " failed too (" + restored.ToString() + "); check the disk, then commit again");
}

}  // namespace

Status CommitSnapshot(const std::string& lake_dir, LakeSnapshot* snapshot, Env* env) {
  SL_ASSIGN_OR_RETURN(LakeSnapshot previous, LoadCurrentSnapshot(lake_dir, env));
  snapshot->id = previous.id + 1;
  snapshot->committed_at = UtcTimestampNow();
  SL_RETURN_IF_ERROR(env->CreateDirectories(MetaDir(lake_dir) + "/snapshots"));
  SL_RETURN_IF_ERROR(WriteFileAtomic(SnapshotPath(lake_dir, snapshot->id), ToJson(*snapshot).dump(1), env));
  return PublishCurrent(lake_dir, snapshot->id, previous.id, env);
}

namespace {

// What a snapshot holds for one bucket: its files of every table and its offsets.
// (An offset of 0 is the same as no entry: a snapshot before any commit has no topics.)
std::pair<std::vector<std::string>, std::map<std::string, int64_t>> BucketState(const LakeSnapshot& s, int bucket) {
  std::vector<std::string> files;
  for (const auto& [name, list] : s.tables) {
    for (const DataFile& f : list) {
      if (f.bucket == bucket) files.push_back(f.path);
    }
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, int64_t> offsets;
  for (const auto& [topic, per_partition] : s.consumed_offsets) {
    const int64_t offset = static_cast<size_t>(bucket) < per_partition.size() ? per_partition[bucket] : 0;
    if (offset != 0) offsets[topic] = offset;
  }
  return {files, offsets};
}

}  // namespace

Status CommitBucketUpdate(const std::string& lake_dir, const LakeSnapshot& base, const std::vector<int>& buckets,
                          LakeSnapshot* next, Env* env) {
  // Serialises the read-check-write of CURRENT among the processes sharing a lake.
  SL_RETURN_IF_ERROR(env->CreateDirectories(MetaDir(lake_dir)));
  SL_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(MetaDir(lake_dir) + "/COMMIT.lock", FileLock::Mode::kExclusive,
                                                       /*wait=*/true, env));
  SL_ASSIGN_OR_RETURN(LakeSnapshot current, LoadCurrentSnapshot(lake_dir, env));
  if (current.id == base.id) return CommitSnapshot(lake_dir, next, env);
  if (current.partitions != 0 && current.partitions != next->partitions) {
    return Status::Aborted("the lake's bucket count changed to " + std::to_string(current.partitions) +
                           " while this writer worked");
  }
  for (int b : buckets) {
    if (BucketState(current, b) != BucketState(base, b)) {
      return Status::Aborted("bucket " + std::to_string(b) + " was committed by another writer (snapshot " +
                             std::to_string(current.id) + ") since snapshot " + std::to_string(base.id) +
                             " that this work started from; it is redone from the new state");
    }
  }
  LakeSnapshot merged = current;
  merged.partitions = next->partitions;
  const std::set<int> mine(buckets.begin(), buckets.end());
  for (auto& [name, files] : merged.tables) {
    std::erase_if(files, [&](const DataFile& f) { return mine.count(f.bucket) != 0; });
  }
  for (const auto& [name, files] : next->tables) {
    auto& target = merged.tables[name];
    for (const DataFile& f : files) {
      if (mine.count(f.bucket) != 0) target.push_back(f);
    }
    // Stable: a bucket's files keep the order they were added in.
    std::stable_sort(target.begin(), target.end(),
                     [](const DataFile& a, const DataFile& b) { return a.bucket < b.bucket; });
  }
  for (const auto& [topic, offsets] : next->consumed_offsets) {
    auto& target = merged.consumed_offsets[topic];
    target.resize(std::max(target.size(), offsets.size()), 0);
    for (int b : buckets) {
      if (static_cast<size_t>(b) < offsets.size()) target[static_cast<size_t>(b)] = offsets[static_cast<size_t>(b)];
    }
  }
  merged.sources_applied = std::max(merged.sources_applied, next->sources_applied);
  merged.run_summary_json = next->run_summary_json;
  SL_RETURN_IF_ERROR(CommitSnapshot(lake_dir, &merged, env));
  *next = std::move(merged);
  return Status::OK();
}

Status CommitUnbucketedChanges(const std::string& lake_dir, const std::vector<UnbucketedChange>& changes,
                               const std::string& operation_json, LakeSnapshot* committed,
                               std::vector<std::string>* dropped_paths, Env* env) {
  SL_RETURN_IF_ERROR(env->CreateDirectories(MetaDir(lake_dir)));
  SL_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(MetaDir(lake_dir) + "/COMMIT.lock", FileLock::Mode::kExclusive,
                                                       /*wait=*/true, env));
  SL_ASSIGN_OR_RETURN(LakeSnapshot next, LoadCurrentSnapshot(lake_dir, env));
  std::vector<std::string> dropped;
  for (const UnbucketedChange& change : changes) {
    auto& files = next.tables[change.table];
    const std::set<std::string> replaced(change.replaced_partitions.begin(), change.replaced_partitions.end());
    std::erase_if(files, [&](const DataFile& f) {
      const bool drop = f.bucket == kUnbucketed && replaced.count(f.partition) != 0;
      if (drop) dropped.push_back(f.path);
      return drop;
    });
    files.insert(files.end(), change.added.begin(), change.added.end());
  }
  next.run_summary_json = operation_json;
  SL_RETURN_IF_ERROR(CommitSnapshot(lake_dir, &next, env));
  if (committed != nullptr) *committed = std::move(next);
  if (dropped_paths != nullptr) *dropped_paths = std::move(dropped);
  return Status::OK();
}

Status RemoveUnreferencedFiles(const std::string& lake_dir, const LakeSnapshot& current,
                               const std::vector<int>* only_buckets, Env* env) {
  std::set<std::string> referenced;
  for (const auto& [name, files] : current.tables) {
    for (const DataFile& f : files) referenced.insert(f.path);
  }
  std::vector<std::string_view> tables = AllTableNames();
  // Unbucketed files have no bucket: only a cleanup of the whole lake removes them.
  if (only_buckets == nullptr) {
    tables.insert(tables.end(), UnbucketedTableNames().begin(), UnbucketedTableNames().end());
  }
  for (std::string_view table : tables) {
    const std::string dir = lake_dir + "/" + std::string(table);
    auto names = env->ListDirectory(dir);
    if (!names.ok()) {
      if (names.status().IsNotFound()) continue;
      return names.status();
    }
    for (const std::string& name : *names) {
      const std::string relative = std::string(table) + "/" + name;
      if (name.ends_with(".parquet") || name.ends_with(".tmp")) {
        if (only_buckets != nullptr &&
            std::find(only_buckets->begin(), only_buckets->end(), BucketOfDataFile(name)) == only_buckets->end()) {
          continue;
        }
        if (!referenced.count(relative)) SL_RETURN_IF_ERROR(env->RemoveFile(lake_dir + "/" + relative));
      }
    }
  }
  return Status::OK();
}

}  // namespace stocklake
