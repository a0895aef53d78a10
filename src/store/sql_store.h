// SqlStore: the part of a ServingStore that is the same SQL on every backend (the
// migrations driver, bucket replacement, every query). A backend supplies a connection
// through a handful of primitives: run a statement, run a parameterised query into a
// Table, bulk-insert a Table, and its list of migrations.
//
// The shared SQL is written to run unchanged on SQLite and PostgreSQL: placeholders are
// $1..$N (SQLite accepts them as named parameters), dates are compared as ISO text
// ('YYYY-MM-DD': SQLite stores them so, PostgreSQL reads it as a date), text columns
// compare byte-wise on both (COLLATE "C" in PostgreSQL), and NULLs are ordered
// explicitly where order matters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "store/serving_store.h"

namespace stocklake {

//! A statement parameter: NULL, an integer, a double or text (dates go as ISO text).
using SqlParam = std::variant<std::monostate, int64_t, double, std::string>;

//! One store table: its name, the lake table it mirrors and its ordering key.
struct StoreTableDef {
  std::string_view store_name;
  std::string_view lake_name;
  std::string_view order_by;  //!< ORDER BY list giving a deterministic scan order
  bool keyed_by_ticker;       //!< rows are found by ticker (else by the bucket column)
};

//! The tables that mirror bucketed lake tables, in load order.
const std::vector<StoreTableDef>& StoreTables();
//! The tables that mirror the unbucketed ML tables (MlTableNames()). Each row also has
//! the lake partition it came from (column lake_partition), by which it is replaced.
const std::vector<StoreTableDef>& MlStoreTables();
//! The definition mirroring `lake_name` (bucketed or ML), or nullptr.
const StoreTableDef* FindStoreTable(std::string_view lake_name);

//! Quoted, comma-separated column names of `t`, each after `prefix` ("s." etc.).
std::string QuotedColumnList(const Table& t, std::string_view prefix = {});

//! BulkInsert's bucket for a table without a bucket column (the ML tables).
inline constexpr int kNoBucketColumn = -1;

//! Appends values to a Table's columns by column index, interning strings into each
//! column's dictionary. Backends use it to turn result rows into Tables.
class TableAppender {
 public:
  explicit TableAppender(Table* table);
  void AppendNull(size_t col) { table_->columns[col].AppendNull(); }
  void AppendInt(size_t col, int64_t v);
  void AppendDouble(size_t col, double v) { table_->columns[col].AppendDouble(v); }
  void AppendString(size_t col, std::string_view v);
  //! Parses `text` as the column's type (dates as YYYY-MM-DD); Corruption if it cannot.
  Status AppendText(size_t col, std::string_view text);

 private:
  Table* table_;
  std::vector<std::unordered_map<std::string, int32_t>> codes_;
};

class SqlStore : public ServingStore {
 public:
  Result<int> SchemaVersion() override;
  Result<std::map<int, LoadedBucket>> LoadedBuckets() override;
  Status ReplaceBucket(const BucketContents& contents) override;
  Status Reset() override;
  Result<std::set<int64_t>> RecordedRunIds() override;
  Status RecordRuns(const std::vector<RunRecord>& runs) override;
  Result<Table> Bars(const BarsQuery& query) override;
  Result<Table> LatestIndicators(std::string_view ticker) override;
  Result<Table> CrossSection(const CrossSectionQuery& query) override;
  Result<std::vector<std::string>> SearchTickers(std::string_view prefix, int limit) override;
  Result<Table> Indicators(const IndicatorsQuery& query) override;
  Result<Table> Tickers(const TickersQuery& query) override;
  Result<TickerTotals> Totals() override;
  Result<std::map<std::string, int64_t>> RejectCountsByReason() override;
  Result<std::vector<RunRecord>> Runs() override;
  Result<Table> Rejects(const RejectsQuery& query) override;
  Result<Table> ScanTable(std::string_view lake_table) override;
  Result<std::map<std::pair<std::string, std::string>, LoadedPartition>> LoadedPartitions() override;
  Status ReplacePartition(const PartitionContents& contents, bool* replaced) override;
  Result<PredictionsPage> Predictions(const PredictionsQuery& query) override;
  Result<std::vector<PredictionSet>> PredictionSets() override;
  Result<std::vector<std::string>> BacktestIds() override;
  Result<Table> BacktestQuarters(std::string_view backtest_id) override;
  Result<std::map<int, StreamPartitionCheckpoint>> LoadStreamCheckpoints(std::string_view topic) override;
  Result<std::pair<std::vector<int64_t>, int64_t>> FinalIntradayHoursUpdatedAfter(int64_t updated_after_ms) override;
  Result<Table> FinalIntradayBarsOfHour(int64_t day) override;
  Result<std::map<int, StreamPartitionCheckpoint>> ClaimStreamPartitions(std::string_view topic,
                                                                         const std::vector<int>& partitions) override;
  Result<StreamProgress> LoadStreamProgress() override;
  Status CommitStreamBatch(std::string_view topic, const std::vector<IntradayBarRow>& bars,
                           const std::map<int, StreamPartitionCheckpoint>& checkpoints) override;
  Result<Table> IntradayBars(const IntradayBarsQuery& query) override;
  Result<Table> IntradayUpdates(const IntradayUpdatesQuery& query) override;
  Result<Table> IntradaySymbols() override;
  Result<SpeedBatchComparison> CompareSpeedWithBatch(double price_tolerance, int limit) override;
  Status ReplacePipelineRun(const PipelineRunRow& run, const std::vector<TaskRunRow>& tasks) override;
  Result<std::vector<PipelineRunRow>> PipelineRuns(std::string_view pipeline, int64_t limit) override;
  Result<std::vector<TaskRunRow>> TaskRuns(std::string_view run_id) override;

  //! Applies the migrations after the database's current version, up to `target`
  //! (0 = all), each in its own transaction together with its schema_migrations row.
  Status Migrate(int target);

 protected:
  //! The columns a cross-section answers with (ticker, date, close, volume, return_1d).
  static Table CrossSectionTable();
  //! "AND <returns>.return_1d IS NOT NULL ORDER BY ..." for the ranking asked, naming
  //! the tables (aliases) that hold return_1d and volume.
  static std::string CrossSectionRanking(CrossSectionOrder order, std::string_view returns, std::string_view volumes);

  //! Runs one or more statements without parameters or results.
  virtual Status Execute(const std::string& sql) = 0;
  //! Runs a parameterised statement and appends its rows to `out`, whose columns give
  //! the expected types in select-list order (strings, dates as ISO text, numbers).
  virtual Status Query(const std::string& sql, const std::vector<SqlParam>& params, Table* out) = 0;
  //! Appends `rows` to `store_table`, every row tagged with `bucket` (none for
  //! kNoBucketColumn); columns by name.
  virtual Status BulkInsert(std::string_view store_table, int bucket, const Table& rows) = 0;
  //! Hook run before the bucket's transaction (PostgreSQL creates the year partitions the
  //! rows need, committed on their own so parallel loaders do not serialise on them).
  virtual Status PrepareBucket(const BucketContents& contents) { return Status::OK(); }
  //! Hook run first inside the bucket's transaction (PostgreSQL serialises loaders of the
  //! same bucket).
  virtual Status LockBucket(int bucket) { return Status::OK(); }
  //! Starts a write transaction (SQLite takes the write lock at once).
  virtual Status Begin() { return Execute("BEGIN"); }
  //! Ends a failed transaction. Its own error is dropped on purpose: the caller reports the
  //! error that made it roll back, and a connection left broken fails its next statement.
  void RollbackAfterError() { (void)Execute("ROLLBACK"); }
  //! Hook run first inside a partition's transaction (PostgreSQL serialises loaders of
  //! partitions; SQLite's write transaction already does).
  virtual Status LockPartitions() { return Status::OK(); }
  //! Serialises concurrent migrators inside the migration's transaction.
  virtual Status LockSchema() { return Status::OK(); }
  //! SQL turning `millis` (an int64 expression, Unix ms) into the backend's timestamp
  //! column value, and back; the SQL of the current time as such a value. SQLite stores
  //! timestamps as Unix ms (INTEGER), so its conversions are the identity.
  virtual std::string MillisToTimestamp(std::string_view millis) const { return std::string(millis); }
  virtual std::string TimestampToMillis(std::string_view timestamp) const { return std::string(timestamp); }
  virtual std::string CurrentTimestamp() const = 0;
  //! SQL turning `millis` (an int64 expression, Unix ms of a UTC midnight) into the
  //! backend's date value, as the stocks table holds dates.
  virtual std::string MillisToDate(std::string_view millis) const {
    return "date((" + std::string(millis) + ") / 1000, 'unixepoch')";
  }
  //! The clause ending a CREATE TEMPORARY TABLE whose rows live for one transaction: where
  //! the backend empties such tables at commit by truncating (PostgreSQL; its autovacuum
  //! never cleans the dead rows DELETE leaves in temporary tables), its ON COMMIT clause.
  virtual std::string OnCommitDeleteRows() const { return ""; }
  //! migrations[i] is the SQL of schema version i + 1.
  virtual const std::vector<std::string>& Migrations() const = 0;

  //! Inside the bucket's transaction, after LockBucket: replaces the bucket's rows of
  //! every table of StoreTables() (not tickers, not sync_state) by `contents.tables`.
  //! The default deletes then bulk-inserts table by table (DeleteThenInsert);
  //! PostgreSQL swaps in freshly loaded partitions instead.
  virtual Status ReplaceBucketRows(const BucketContents& contents);

  //! Deletes the bucket's rows of `def`'s table, then bulk-inserts the bucket's new rows
  //! of it, if any. Ticker-keyed tables find their rows through the tickers table, which
  //! must still hold the bucket's old tickers.
  Status DeleteThenInsert(const StoreTableDef& def, const BucketContents& contents);

  //! Runs `sql` with `params` discarding any rows.
  Status Command(const std::string& sql, const std::vector<SqlParam>& params);

 private:
  Status ReplaceBucketInTransaction(const BucketContents& contents);
  //! The single text value `sql` selects, or "" for NULL or no row.
  Result<std::string> SelectText(const std::string& sql, const std::vector<SqlParam>& params);
  Status ReplacePartitionInTransaction(const StoreTableDef& def, const PartitionContents& contents, bool* replaced);
  Status CommitStreamBatchInTransaction(std::string_view topic, const std::vector<IntradayBarRow>& bars,
                                        const std::map<int, StreamPartitionCheckpoint>& checkpoints);
  //! "WITH ... r AS (...)": the rows of intraday_bars matching `where` rolled up into
  //! epoch-aligned buckets of `interval` ms (a SQL expression). r's columns: symbol,
  //! bucket, bucket_end (Unix ms), "open", high, low, "close", vwap, volume, trades, fin
  //! (0 or 1), ua (updated_at, Unix ms), windows, width (the widest window, ms) and misfit
  //! (non-zero when a window's width does not divide the interval).
  std::string IntradayRollup(std::string_view where, std::string_view interval) const;
  //! The SELECT list of intraday_bars rows as IntradayBars answers them.
  std::string IntradayColumns() const;
  Status ReplacePipelineRunInTransaction(const PipelineRunRow& run, const std::vector<TaskRunRow>& tasks);
  //! The bucket holding `ticker`'s rows, from the tickers table (refreshing
  //! bucket_cache_); nullopt for a ticker not in the store.
  Result<std::optional<int64_t>> BucketOf(const std::string& ticker);
  //! Runs `sql`, which selects rows of `ticker` only, with `params` plus the ticker's
  //! bucket as the last parameter, into `out`.
  Status QueryTickerRows(const std::string& ticker, const std::string& sql, std::vector<SqlParam> params, Table* out);

  std::unordered_map<std::string, int64_t> bucket_cache_;  //!< ticker -> bucket, maybe stale
  bool stream_staging_created_ = false;                    //!< this connection's temporary stream_bars_staging exists
};

}  // namespace stocklake
