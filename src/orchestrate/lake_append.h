// The lake stage's append path for one bucket. When this run's rows only add days after
// each ticker's last date (or repeat rows the lake holds, unchanged), the new gold rows
// come from each ticker's saved state (process/ticker_state.h) and the bucket gains files
// instead of being rewritten: the new rows of silver/bars, their lineage, indicators and
// rejects go to new files (a table's files are merged once a bucket has too many), the
// period and feature tables rewrite only their open file (each ticker's newest rows), and
// the states are rewritten. The tables then equal those of the full recomputation, value
// for value; its cost follows the new rows, not the bucket's history.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/bar_batch.h"
#include "core/status.h"
#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "orchestrate/bucket_files.h"

namespace stocklake {

//! A bucket's files after an append: every table's complete list for the bucket, and the
//! files the append wrote (removed again when its commit fails).
struct BucketAppend {
  std::map<std::string, std::vector<DataFile>> files;
  std::vector<DataFile> written;
  BucketCounts counts;
  bool changed = false;  //!< false: nothing but unchanged rows; no file was written
};

//! What the append of one bucket reads.
struct BucketAppendInput {
  const std::string& lake_dir;
  const LakeSnapshot& base;
  int bucket = 0;
  int64_t snapshot_id = 0;  //!< of the snapshot the new files will belong to
  const SourceRegistry& registry;
  const BarBatch& fresh;  //!< this run's accepted rows of the bucket
  std::vector<size_t> fresh_rows;
  const BarBatch& fresh_rejects;  //!< this run's rejected rows of the bucket
  std::vector<size_t> fresh_reject_rows;
};

//! The append, or nullopt when the bucket needs the full recomputation: a row revises a
//! held row or falls before its ticker's last date, or the bucket has no saved states
//! (a new bucket, or a lake written before they existed).
Result<std::optional<BucketAppend>> AppendToBucket(const BucketAppendInput& input);

}  // namespace stocklake
