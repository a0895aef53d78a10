// A bucket's files in the lake: reading a table's rows of one bucket back (however many
// files hold them), writing new ones, and the reject rows and lineage that both ways of
// computing a bucket (the full recomputation and the append) share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/bar_batch.h"
#include "core/reject_reason.h"
#include "core/status.h"
#include "core/table.h"
#include "lake/snapshot.h"
#include "lake/source_registry.h"

namespace stocklake {

// Source id of a reject read back from a lake written before rejects had lineage.
constexpr uint32_t kUnknownSource = 0xFFFFFFFEu;

struct RejectRow {
  uint32_t source = kUnknownSource;
  std::string source_file;
  int64_t line = 0;
  std::string ticker;  // empty: unknown
  Date date = kNullDate;
  RejectReason reason = RejectReason::kNone;

  auto Key() const { return std::tie(source_file, line, reason, ticker, date); }
};

//! How one bucket's new rows were accounted for: accepted = new_rows + revised +
//! unchanged; rows read = accepted + rejected + duplicates (redelivered rows, applied by
//! an earlier run, are not counted again).
struct BucketCounts {
  int64_t accepted = 0, new_rows = 0, revised = 0, unchanged = 0;
  int64_t rejected = 0, duplicates = 0;
  int64_t earlier_rows_displaced = 0;  //!< held rows a revised row displaced (now duplicates)
  int64_t redelivered = 0;
  int64_t rejected_by_reason[kRejectReasonCount] = {};
};

//! The path of source `source` relative to its input (the raw topic's name for rows
//! other producers published).
std::string SourceFileName(const SourceRegistry& registry, uint32_t source);

//! Indices of `batch` with one row per (source, line): a crash between a stage's output
//! and its offset commit makes the log deliver a row twice.
std::vector<size_t> DistinctByLineage(const BarBatch& batch);

//! Appends the bucket's silver rows (with their lineage) to `out`.
Status LoadExistingSilver(const std::string& lake_dir, const LakeSnapshot& base, int bucket, BarBatch* out);

//! Appends the bucket's reject rows (with their lineage) to `out`.
Status LoadExistingRejects(const std::string& lake_dir, const LakeSnapshot& base, int bucket,
                           std::vector<RejectRow>* out);

//! The rejects table of `rows` (sorted by their key) and, aligned with it, its lineage table.
std::pair<Table, Table> RejectsTables(std::vector<RejectRow>* rows);

//! Drops from `fresh_rows` / `fresh_reject_rows` the rows whose lineage (source id and
//! line) the bucket already holds in silver or in its rejects: a partition that changed
//! owner, or a stage that crashed between its output and its offset commit, delivers
//! rows again after the lake applied them. Returns how many were dropped.
int64_t DropRedeliveredRows(const BarBatch& existing, const std::vector<RejectRow>& existing_rejects,
                            const BarBatch& fresh, std::vector<size_t>* fresh_rows, const BarBatch& fresh_rejects,
                            std::vector<size_t>* fresh_reject_rows);

//! Appends row `i` of `batch` to a silver/bars table (as ticker `ticker_code` of its
//! dictionary) and its source and line to the aligned lineage table.
void AppendSilverRow(const BarBatch& batch, size_t i, int32_t ticker_code, Table* bars, Table* lineage);

//! Whether row `i` of `a` and row `j` of `b` are the same bar in every output field but
//! ticker and date (which the caller matched).
bool SameBar(const BarBatch& a, size_t i, const BarBatch& b, size_t j);

//! Writes `table` as a new file of `table_name` for `bucket` (not synced: the caller
//! syncs the file system once before its commit).
Result<DataFile> WriteTableFile(const std::string& lake_dir, const std::string& table_name, int bucket,
                                int64_t snapshot_id, const Table& table);

//! Rows of each ticker an append may still replace in the tables whose newest rows change
//! with later days (OpenFileKey): its last period bar grows until the period ends, and
//! its last quarter's feature row sets the label of the quarter before.
inline constexpr size_t kOpenRowsPerTicker = 2;

//! For a table whose newest rows per ticker an append replaces (the period bars, the
//! quarter features), the column ordering a ticker's rows ("period_start", "quarter");
//! "" for the tables appends only add to.
std::string_view OpenFileKey(std::string_view table);

//! Writes a bucket's rows of `table_name` (grouped by ticker, ascending within): one file,
//! or for a table with an OpenFileKey a closed file and an open file holding each
//! ticker's kOpenRowsPerTicker newest rows (so an append rewrites only the open one).
//! Nothing for no rows.
Result<std::vector<DataFile>> WriteBucketTable(const std::string& lake_dir, const std::string& table_name, int bucket,
                                               int64_t snapshot_id, const Table& table);

//! Every row of `files` (of lake table `table`), in order.
Result<Table> ReadTableFiles(const std::string& lake_dir, std::string_view table, const std::vector<DataFile>& files);

//! Every row of `table` in `bucket`, from all its files in the order they were added.
Result<Table> ReadBucketTable(const std::string& lake_dir, const LakeSnapshot& snapshot, std::string_view table,
                              int bucket);

//! Splits a table grouped by ticker (ascending within each) into the rows no append
//! touches again (first: a closed file) and each ticker's newest `newest_per_ticker` rows,
//! which an append may still replace (second: the open file).
std::pair<Table, Table> SplitOpenRows(const Table& table, size_t newest_per_ticker);

}  // namespace stocklake
