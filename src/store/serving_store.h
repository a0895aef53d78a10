// The serving store: the lake's tables in a database that answers the API's small,
// latency-bound queries (one ticker's bars, a cross-section at a date) without scanning
// Parquet. One interface, two backends chosen by URL: `sqlite:PATH` (embedded, the
// default) and `postgresql://...` (a libpq URI, passed to libpq as is). The store is a
// derived copy of the lake: SyncStoreWithLake (store_sync.h) fills it bucket by bucket.
//
// Query results are Tables (core/table.h) whose columns are the lake's columns, with the
// lake's names and types, so a caller serialises them generically and a test compares
// them with the lake's files directly. Every query is a parameterised statement: no user
// string ever becomes SQL text.
//
// A ServingStore holds one connection and is not thread-safe: use one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/date.h"
#include "core/status.h"
#include "core/table.h"

namespace stocklake {

//! Bar granularity of ServingStore::Bars.
enum class BarInterval { kDay, kWeek, kMonth, kQuarter };

//! "day" | "week" | "month" | "quarter"; InvalidArgument otherwise.
Result<BarInterval> ParseBarInterval(std::string_view name);

//! Bars of one ticker. Dates are inclusive; kNullDate leaves that side open. Period bars
//! are returned when their period [period_start, period_end] overlaps the range.
struct BarsQuery {
  std::string ticker;
  BarInterval interval = BarInterval::kDay;
  Date from = kNullDate;
  Date to = kNullDate;
};

enum class CrossSectionOrder {
  kTopGainers,  //!< highest return_1d first (rows without a return_1d are left out)
  kTopLosers,   //!< lowest return_1d first (rows without a return_1d are left out)
  kMostTraded,  //!< highest volume first
};

//! Every ticker's bar at one date, ranked. Ties are broken by ticker.
struct CrossSectionQuery {
  Date date = kNullDate;
  CrossSectionOrder order = CrossSectionOrder::kTopGainers;
  int limit = 10;
};

//! gold/indicators rows of one ticker with from <= date <= to (kNullDate leaves that
//! side open), ordered by date, at most `limit` of them.
struct IndicatorsQuery {
  std::string ticker;
  Date from = kNullDate;
  Date to = kNullDate;
  int64_t limit = 1000;
};

//! A page of the tickers table: tickers starting with `prefix` byte for byte and
//! sorting after `after` (byte-wise; "" = from the first), ascending, at most `limit`.
struct TickersQuery {
  std::string prefix;
  std::string after;
  int64_t limit = 100;
};

//! Totals over the tickers table (kNullDate when the store is empty).
struct TickerTotals {
  int64_t tickers = 0;
  Date first_date = kNullDate;
  Date last_date = kNullDate;
};

//! Rejected rows, optionally filtered (an empty filter matches everything), ordered by
//! (source_file, line) and paginated by offset.
struct RejectsQuery {
  std::string reason;  //!< exact reason name, e.g. "bad_price"
  std::string ticker;  //!< exact ticker
  int64_t offset = 0;
  int limit = 100;
};

//! One lake run, as its snapshot manifest's "run" summary recorded it.
struct RunRecord {
  int64_t snapshot_id = 0;
  std::string committed_at;  //!< UTC, ISO-8601
  int64_t rows_read = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t duplicates = 0;
  int64_t earlier_rows_displaced = 0;
  int64_t files_ingested = 0;
  int64_t files_skipped = 0;
  std::string summary_json = "{}";  //!< the whole summary, including fields not above
};

//! What the store last loaded for one bucket.
struct LoadedBucket {
  int64_t snapshot_id = 0;
  int partitions = 0;  //!< the lake's bucket count at the time
  //! The bucket's data files, one "table\tpath\n" line each, sorted: equal strings mean
  //! equal contents, because lake data files are never rewritten under the same name.
  std::string files;
};

//! One bucket's rows, keyed by lake table name (kSilverBars, kGoldIndicators, ...,
//! kRejects). A table missing from the map has no rows in this bucket.
struct BucketContents {
  int bucket = 0;
  LoadedBucket state;
  std::map<std::string, Table, std::less<>> tables;
};

//! What the store last loaded for one partition of an unbucketed lake table
//! (MlTableNames(): predictions and backtests, DataFile::partition).
struct LoadedPartition {
  int64_t snapshot_id = 0;
  //! The partition's data files, one "path\n" line each, sorted (as LoadedBucket::files).
  std::string files;
};

//! One partition's rows of one unbucketed lake table. Empty `state.files`: the partition
//! is gone from the lake, and replacing it deletes its rows and its loaded state.
struct PartitionContents {
  std::string table;      //!< lake table name (kGoldPredictions, kGoldBacktest, ...)
  std::string partition;  //!< DataFile::partition, e.g. "quarter=2017Q3/model=m"
  LoadedPartition state;
  Table rows;  //!< the lake table's columns (EmptyTableFor), in its order
};

//! A page of gold/predictions rows of one quarter and model. An empty quarter is the
//! newest quarter with predictions (of `model`, when given); an empty model is the
//! quarter's first model by name that has predictions.
struct PredictionsQuery {
  std::string quarter;
  std::string model;
  int64_t offset = 0;
  int limit = 100;
};

//! The answer to a PredictionsQuery: the quarter and model it resolved to ("" when no
//! predictions match) and their rows ordered by rank (columns of gold/predictions).
struct PredictionsPage {
  std::string quarter;
  std::string model;
  Table rows;
};

//! One quarter and model that have predictions.
struct PredictionSet {
  std::string quarter;
  std::string model;
  int model_version = 0;  //!< the highest version among its rows
  int64_t rows = 0;
};

//! One row of intraday_bars: a trade window of one symbol, as the speed layer last
//! committed it. Times are Unix milliseconds, UTC; the window is [start, end).
struct IntradayBarRow {
  std::string symbol;
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double vwap = 0;
  int64_t volume = 0;
  int64_t trades = 0;
  bool final = false;  //!< the watermark passed the window's end: no event can change it
};

//! What a stream processor committed for one partition of a topic: the offset to resume
//! from and its window state, opaque to the store (serialised by the stream module).
struct StreamPartitionCheckpoint {
  int64_t next_offset = 0;
  std::string state;
  //! The end of the partition's log when the processor committed (its high watermark), so
  //! readers see the lag it left without asking the log; 0 when unknown.
  int64_t log_end_offset = 0;
  //! The owner epoch (ClaimStreamPartitions) the checkpoint was read or is committed
  //! under; 0 commits without fencing (tools and tests that own the store alone).
  int64_t epoch = 0;
};

//! The stream processors' progress over every checkpointed partition of every topic, as
//! their last commits recorded it (for the server's metrics).
struct StreamProgress {
  int64_t partitions = 0;      //!< partitions with a checkpoint
  int64_t last_commit_ms = 0;  //!< the newest commit (Unix ms, UTC); 0 when none
  //! Records left behind: the sum over partitions of log_end_offset - next_offset (each
  //! at least 0).
  int64_t lag_records = 0;
};

//! intraday_bars rows of one symbol, ordered by window_start, at most `limit` of them.
//! interval_ms 0: the stored windows with from_ms <= window_start <= to_ms (nullopt
//! leaves that side open). interval_ms > 0: the windows rolled up into epoch-aligned
//! bars [k * interval_ms, (k + 1) * interval_ms), one per bar with windows, those whose
//! start lies in [from_ms rounded down to the interval, to_ms]: open of the earliest
//! window, close of the latest, max high, min low, summed volume and trades, vwap =
//! sum(vwap * volume) / sum(volume) (a lone window's own vwap; NULL for no volume), final
//! when every window in it is final, updated_at the newest of its windows'.
struct IntradayBarsQuery {
  std::string symbol;
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
  int64_t limit = 1000;
  int64_t interval_ms = 0;
};

//! Where a reader of intraday_bars updates stands: rows are read in the order
//! (updated_at, symbol, window_start), and a position is the last row read. An empty
//! symbol stands after every row of updated_at_ms.
struct IntradayPosition {
  int64_t updated_at_ms = 0;
  std::string symbol;
  int64_t window_start_ms = 0;
};

//! intraday_bars rows of `symbols` (at least one) after `after`, in (updated_at, symbol,
//! window_start) order, at most `limit` of them: what changed since a reader's position.
struct IntradayUpdatesQuery {
  std::vector<std::string> symbols;
  IntradayPosition after;
  int64_t limit = 1000;
};

//! A day's prices and volume, as the speed layer rolled it up or the batch recorded it.
struct DayOhlcv {
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  int64_t volume = 0;
};

//! One (ticker, UTC day) that both the speed layer and the batch have.
struct SpeedBatchDay {
  std::string ticker;
  Date date = kNullDate;
  DayOhlcv speed;  //!< intraday_bars of that UTC day rolled up (IntradayBarsQuery, 1 day)
  DayOhlcv batch;  //!< the stocks (silver/bars) row
};

//! The speed layer's days beside the batch's bars of the same ticker and date. A day
//! differs when a price's RelativeDifference exceeds the tolerance, or the volumes are
//! not equal.
struct SpeedBatchComparison {
  int64_t days_compared = 0;
  int64_t days_differing = 0;
  std::vector<SpeedBatchDay> differing;  //!< the newest differing days (date descending, then ticker)
};

//! |a - b| / max(|a|, |b|); 0 when both are 0.
double RelativeDifference(double a, double b);

//! One field of a SpeedBatchDay that differs.
struct FieldDifference {
  std::string_view field;  //!< "open", "high", "low", "close" or "volume"
  double speed = 0;
  double batch = 0;
  double relative = 0;  //!< RelativeDifference(speed, batch)
};

//! The fields of `day` that differ under SpeedBatchComparison's rule, in the order open,
//! high, low, close, volume.
std::vector<FieldDifference> DifferingFields(const SpeedBatchDay& day, double price_tolerance);

//! One pipeline run as the store mirrors it (the lake's history, orchestrate/
//! pipeline_history.h, is the truth). Times are Unix ms, UTC; 0 is not yet (NULL).
struct PipelineRunRow {
  std::string run_id;
  std::string pipeline;
  std::string trigger;  //!< schedule | manual | backfill | resume
  std::string quarter;
  std::string state;  //!< running | succeeded | failed | skipped
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
  std::string record_json;  //!< the whole run as `pipeline history --json` shows it
};

//! One row of task_runs: an attempt of a task of a run, or (attempt 0) a task that has
//! no attempt (pending, upstream_failed, or carried over by a resume). `task_state` is
//! the task's state in the run; the other fields describe the attempt.
struct TaskRunRow {
  std::string task;
  int attempt = 0;
  std::string task_state;
  int64_t started_ms = 0;
  int64_t ended_ms = 0;
  std::optional<int> exit_status;
  std::string reason;
  std::string log_path;
};

struct StoreOptions {
  //! Schema version to migrate to; 0 = the newest this build knows. Older versions
  //! exist so tests can build an old database and prove that upgrading it works.
  int schema_version = 0;
  //! PostgreSQL (schema 4 on): consecutive years of a bucket share one date partition of
  //! stocks and indicators until it holds at least this many rows. Tests lower it to get
  //! a partition per year from small lakes.
  int64_t rows_per_date_partition = 100000;
};

class ServingStore {
 public:
  virtual ~ServingStore() = default;

  //! "sqlite" or "postgresql".
  virtual std::string_view backend() const = 0;

  //! Highest migration applied (rows of schema_migrations).
  virtual Result<int> SchemaVersion() = 0;

  // ---- Loading (used by SyncStoreWithLake) ----

  //! bucket -> what was last loaded into it.
  virtual Result<std::map<int, LoadedBucket>> LoadedBuckets() = 0;

  //! In ONE transaction: deletes every row of `contents.bucket` from every table,
  //! inserts `contents.tables`, and records `contents.state` as the bucket's loaded state.
  //! On error nothing of it is visible.
  virtual Status ReplaceBucket(const BucketContents& contents) = 0;

  //! Deletes every loaded row and bucket state (used when the lake's bucket count
  //! changed, so tickers moved between buckets). One transaction. The unbucketed ML
  //! tables do not depend on buckets and are left as they are.
  virtual Status Reset() = 0;

  //! (lake table, partition) -> what was last loaded for it, for the unbucketed tables.
  virtual Result<std::map<std::pair<std::string, std::string>, LoadedPartition>> LoadedPartitions() = 0;

  //! In ONE transaction, serialised with other loaders of partitions: unless the store
  //! already records exactly `contents.state.files` for the partition (another loader was
  //! first: *replaced = false), deletes the partition's rows, inserts `contents.rows` and
  //! records `contents.state` (or, for empty files, forgets the partition). `replaced`
  //! may be null. On error nothing of it is visible.
  virtual Status ReplacePartition(const PartitionContents& contents, bool* replaced) = 0;

  virtual Result<std::set<int64_t>> RecordedRunIds() = 0;
  //! Inserts the runs in one transaction; a run already recorded (e.g. by a concurrent
  //! loader) is left as it is.
  virtual Status RecordRuns(const std::vector<RunRecord>& runs) = 0;

  // ---- Queries (used by the REST API) ----

  //! Columns of silver/bars for kDay, of gold/bars_<period> otherwise; ordered by date.
  virtual Result<Table> Bars(const BarsQuery& query) = 0;

  //! The ticker's newest gold/indicators row (0 rows for an unknown ticker).
  virtual Result<Table> LatestIndicators(std::string_view ticker) = 0;

  //! Columns: ticker (string), date, close (double), volume (int64), return_1d (double,
  //! nullable); at most `limit` rows.
  virtual Result<Table> CrossSection(const CrossSectionQuery& query) = 0;

  //! Tickers that start with `prefix` byte for byte (no wildcards: '%' and '_' are
  //! ordinary characters), ascending, at most `limit`.
  virtual Result<std::vector<std::string>> SearchTickers(std::string_view prefix, int limit) = 0;

  //! Columns of gold/indicators (ticker included); 0 rows for an unknown ticker.
  virtual Result<Table> Indicators(const IndicatorsQuery& query) = 0;

  //! Columns: ticker (string), first_date, last_date (dates, nullable), days (int64).
  virtual Result<Table> Tickers(const TickersQuery& query) = 0;

  virtual Result<TickerTotals> Totals() = 0;

  //! reason -> rows of the rejects table with it (reasons without rows are absent).
  virtual Result<std::map<std::string, int64_t>> RejectCountsByReason() = 0;

  //! Every recorded run, by snapshot id.
  virtual Result<std::vector<RunRecord>> Runs() = 0;

  //! Columns of the rejects table.
  virtual Result<Table> Rejects(const RejectsQuery& query) = 0;

  //! See PredictionsQuery. 0 rows (and the resolved quarter and model) when that quarter
  //! and model have none.
  virtual Result<PredictionsPage> Predictions(const PredictionsQuery& query) = 0;

  //! Every quarter and model with predictions: newest quarter first, then by model.
  virtual Result<std::vector<PredictionSet>> PredictionSets() = 0;

  //! The id of every backtest, newest (highest backtest_id) first. (Their summaries are
  //! the ML application's arithmetic: SummarizeBacktestRows in ml/ml_tables.h.)
  virtual Result<std::vector<std::string>> BacktestIds() = 0;

  //! One backtest's gold/backtest rows (its columns), ordered by quarter and predictor;
  //! 0 rows for an unknown id.
  virtual Result<Table> BacktestQuarters(std::string_view backtest_id) = 0;

  // ---- The speed layer (stream processors and the API) ----

  //! partition -> the checkpoint last committed for `topic` (empty when none was).
  virtual Result<std::map<int, StreamPartitionCheckpoint>> LoadStreamCheckpoints(std::string_view topic) = 0;

  //! In ONE transaction: UPSERTs every bar (keyed by symbol and window_start; when a key
  //! repeats in `bars` the last one wins) and every partition's checkpoint of `topic`,
  //! each row stamped with the commit's updated_at. Partitions absent from `checkpoints`
  //! keep theirs. On error (e.g. a bar breaking a constraint: empty symbol, window_end <=
  //! window_start, negative volume, trades < 1; a negative next_offset) nothing of it is
  //! visible. A checkpoint with an epoch > 0 is written only if the partition's owner
  //! epoch is still that epoch; otherwise nothing is committed and the result is Aborted
  //! naming the partition (another processor claimed it: this one has lost it).
  virtual Status CommitStreamBatch(std::string_view topic, const std::vector<IntradayBarRow>& bars,
                                   const std::map<int, StreamPartitionCheckpoint>& checkpoints) = 0;

  //! Claims `partitions` of `topic` for the calling processor, in one transaction: each
  //! partition's owner epoch is raised by one (a partition never seen gets a row with
  //! next_offset 0 and an empty state: no checkpoint yet). Returns each partition's
  //! checkpoint with its new epoch. A processor commits with those epochs, and a commit
  //! of any partition claimed since by another processor is refused (see CommitStreamBatch).
  virtual Result<std::map<int, StreamPartitionCheckpoint>> ClaimStreamPartitions(
      std::string_view topic, const std::vector<int>& partitions) = 0;

  //! The UTC hours (hours since 1970-01-01T00:00Z of window_start) of the final
  //! intraday_bars rows committed after `updated_after_ms` (Unix ms), ascending, and the
  //! newest updated_at among them (`updated_after_ms` when there are none): what a lake
  //! export must rewrite.
  virtual Result<std::pair<std::vector<int64_t>, int64_t>> FinalIntradayHoursUpdatedAfter(int64_t updated_after_ms) = 0;

  //! The final intraday_bars rows whose window starts in UTC hour `hour` (hours since
  //! 1970-01-01T00:00Z), ordered by symbol and window_start, with the columns of the lake
  //! table silver/intraday_bars.
  virtual Result<Table> FinalIntradayBarsOfHour(int64_t hour) = 0;

  //! Totals over every row of stream_partitions (all zero when there are none).
  virtual Result<StreamProgress> LoadStreamProgress() = 0;

  //! Columns: symbol (string), window_start, window_end (int64 Unix ms, UTC), open, high,
  //! low, close, vwap (double), volume, trades (int64), final (int32, 0 or 1), updated_at
  //! (int64 Unix ms, UTC, when the row was last committed). 0 rows for an unknown symbol.
  //! The same columns for interval_ms > 0 (window_start and window_end are the bar's,
  //! vwap nullable), plus windows (int64): how many stored windows the bar rolls up.
  //! InvalidArgument when a window in range does not fit the interval (it is not a
  //! multiple of the window's width: e.g. 1 minute over 5-minute windows).
  virtual Result<Table> IntradayBars(const IntradayBarsQuery& query) = 0;

  //! The columns of IntradayBars (interval_ms 0). See IntradayUpdatesQuery.
  virtual Result<Table> IntradayUpdates(const IntradayUpdatesQuery& query) = 0;

  //! One row per symbol of intraday_bars, ordered by symbol. Columns: symbol (string),
  //! windows (int64), first_window_start, last_window_start, updated_at (int64 Unix ms,
  //! the newest), window_ms (int64, the widest window).
  virtual Result<Table> IntradaySymbols() = 0;

  //! See SpeedBatchComparison; at most `limit` differing days listed.
  virtual Result<SpeedBatchComparison> CompareSpeedWithBatch(double price_tolerance, int limit) = 0;

  // ---- Pipeline history (mirrored by the pipeline runner) ----

  //! In ONE transaction: UPSERTs the run's pipeline_runs row and replaces its task_runs
  //! rows by `tasks`. On error (e.g. an attempt given twice) nothing of it is visible.
  //! InvalidArgument for a run without a start time (started_ms 0).
  virtual Status ReplacePipelineRun(const PipelineRunRow& run, const std::vector<TaskRunRow>& tasks) = 0;

  //! Runs of `pipeline` ("" every pipeline), newest first (started_ms, then run_id), at
  //! most `limit`.
  virtual Result<std::vector<PipelineRunRow>> PipelineRuns(std::string_view pipeline, int64_t limit) = 0;

  //! The task_runs rows of one run, ordered by task and attempt.
  virtual Result<std::vector<TaskRunRow>> TaskRuns(std::string_view run_id) = 0;

  //! Every row of the store table holding lake table `lake_table` (kSilverBars, ...,
  //! kRejects, and the ML tables), with the lake's columns, ordered by its key. For
  //! exports and tests.
  virtual Result<Table> ScanTable(std::string_view lake_table) = 0;
};

//! Opens (creating if needed) the store named by `url` and migrates its schema.
//! `sqlite:PATH` or `postgresql://...` / `postgres://...`; InvalidArgument for any other
//! scheme, IOError when the database cannot be reached, NotSupported when its schema is
//! newer than this build.
Result<std::unique_ptr<ServingStore>> OpenServingStore(const std::string& url, const StoreOptions& options = {});

}  // namespace stocklake
