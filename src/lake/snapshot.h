// Lake snapshots: the atomic commit that makes a run's output visible. A snapshot lists
// every data file of every table plus the log offsets the lake has consumed; it is
// published by writing _stocklake/snapshots/<id>.json and then atomically replacing
// _stocklake/CURRENT. Files not listed in the current snapshot are invisible to readers
// that follow the manifest and are removed once a newer snapshot is committed, so
// neither a reader nor a crash ever sees half a run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

//! DataFile::bucket of the files of unbucketed tables (UnbucketedTableNames()).
inline constexpr int kUnbucketed = -1;

struct DataFile {
  std::string path;  // relative to the lake directory
  int bucket = 0;    // the log partition / ticker bucket the rows belong to; kUnbucketed
  int64_t rows = 0;
  int64_t bytes = 0;
  //! Unbucketed tables: the unit of replacement the file holds ("quarter=2017Q3/model=m"),
  //! so a writer replaces exactly its own earlier file; "" for bucketed tables.
  std::string partition;
};

struct LakeSnapshot {
  int64_t id = 0;            // 0: nothing committed yet
  int partitions = 0;        // buckets = partitions of every topic; fixed when the lake is created
  std::string committed_at;  // UTC, ISO-8601
  //! table name (e.g. "silver/bars") -> its files, ordered by bucket; a bucket's rows
  //! may be spread over several files (appends add files, compaction merges them), in
  //! the order they were added.
  std::map<std::string, std::vector<DataFile>> tables;
  //! topic -> next offset per partition that the lake writer has consumed.
  std::map<std::string, std::vector<int64_t>> consumed_offsets;
  //! Sources whose rows are in this snapshot: ids below this were all applied.
  uint32_t sources_applied = 0;
  //! Free-form JSON summary of the run that made the snapshot.
  std::string run_summary_json = "{}";

  //! The files of `table` for `bucket`, in the order they were added (none: empty).
  std::vector<const DataFile*> FilesOf(const std::string& table, int bucket) const;
};

// Every function below does its file access through `env`.

//! The current snapshot of the lake at `lake_dir`; an empty snapshot (id 0) when the
//! lake has none yet. Corruption when the manifest exists but cannot be parsed.
Result<LakeSnapshot> LoadCurrentSnapshot(const std::string& lake_dir, Env* env = Env::Default());

//! Publishes `snapshot` as the next one (its id becomes previous id + 1; committed_at is
//! set). Every data file it lists must already be durable. Atomic: a crash leaves either
//! the previous snapshot or this one current.
Status CommitSnapshot(const std::string& lake_dir, LakeSnapshot* snapshot, Env* env = Env::Default());

//! Publishes the changes `next` makes to `buckets` relative to `base`, for writers that
//! own disjoint sets of buckets and commit concurrently (the processors of one consumer
//! group, or a batch run). Under the lake's commit lock (_stocklake/COMMIT.lock): when the
//! current snapshot is still `base`, commits `next` as it is; otherwise commits the current
//! snapshot with those buckets' files and consumed offsets taken from `next` (and next's
//! run summary). Aborted, committing nothing, when another writer changed one of these
//! buckets since `base`: the bucket changed hands and this work is stale. On success
//! `next` holds what was committed.
Status CommitBucketUpdate(const std::string& lake_dir, const LakeSnapshot& base, const std::vector<int>& buckets,
                          LakeSnapshot* next, Env* env = Env::Default());

//! A change to one unbucketed table: `added` files join it, and the files whose
//! partition is in `replaced_partitions` leave it.
struct UnbucketedChange {
  std::string table;
  std::vector<DataFile> added;
  std::vector<std::string> replaced_partitions;
};

//! Publishes `changes` on top of whatever snapshot is current, under the commit lock,
//! so it never conflicts with bucket writers. `operation_json` becomes the snapshot's run
//! summary. On success `committed` (may be null) holds the new snapshot and
//! `dropped_paths` (may be null) the files it no longer lists, for the caller to remove.
Status CommitUnbucketedChanges(const std::string& lake_dir, const std::vector<UnbucketedChange>& changes,
                               const std::string& operation_json, LakeSnapshot* committed,
                               std::vector<std::string>* dropped_paths, Env* env = Env::Default());

//! Deletes data files under the table directories that `current` does not list (left by
//! an older snapshot or by a run that crashed before committing). With `only_buckets`,
//! only files of those buckets: other buckets may belong to writers still at work.
Status RemoveUnreferencedFiles(const std::string& lake_dir, const LakeSnapshot& current,
                               const std::vector<int>* only_buckets = nullptr, Env* env = Env::Default());

//! "<table>/part-b<bucket>-s<snapshot>-<random>.parquet", the name of a new data file.
//! The random part keeps two writers of one bucket (a partition moving between
//! processors) from ever writing the same file.
std::string DataFileName(const std::string& table, int bucket, int64_t snapshot_id);

//! "<table>/part-u-<tag>-<random>.parquet", the name of a new unbucketed data file;
//! `tag` (letters, digits, '-', '_', '.') makes it readable, the random part unique.
std::string UnbucketedFileName(const std::string& table, const std::string& tag);

//! The bucket a DataFileName names; -1 for a name of another form.
int BucketOfDataFile(const std::string& file_name);

}  // namespace stocklake
