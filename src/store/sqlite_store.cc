#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "store/sql_store.h"

namespace stocklake {

namespace {

//! How long a writer waits for another's transaction before giving up.
constexpr int kBusyTimeoutMs = 30000;

// Migrations are frozen once released: a change is a new entry, never an edit.
const std::vector<std::string>& SqliteMigrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: the tables.
      R"sql(
CREATE TABLE stocks (
  bucket INTEGER NOT NULL, ticker TEXT NOT NULL, "date" TEXT NOT NULL,
  "open" REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, "close" REAL NOT NULL,
  adj_close REAL NOT NULL, volume INTEGER NOT NULL,
  PRIMARY KEY (ticker, "date")) WITHOUT ROWID;
CREATE TABLE indicators (
  bucket INTEGER NOT NULL, ticker TEXT NOT NULL, "date" TEXT NOT NULL, "close" REAL NOT NULL,
  return_1d REAL, log_return_1d REAL, sma_20 REAL, sma_50 REAL, sma_200 REAL, ema_12 REAL,
  ema_26 REAL, macd REAL, macd_signal REAL, macd_hist REAL, rsi_14 REAL, bb_middle REAL,
  bb_upper REAL, bb_lower REAL, atr_14 REAL, volatility_20 REAL, obv INTEGER NOT NULL,
  PRIMARY KEY (ticker, "date")) WITHOUT ROWID;
CREATE TABLE bars_weekly (
  bucket INTEGER NOT NULL, ticker TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
  "open" REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, "close" REAL NOT NULL,
  adj_close REAL NOT NULL, volume INTEGER NOT NULL, trading_days INTEGER NOT NULL, "return" REAL,
  PRIMARY KEY (ticker, period_start)) WITHOUT ROWID;
CREATE TABLE bars_monthly (
  bucket INTEGER NOT NULL, ticker TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
  "open" REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, "close" REAL NOT NULL,
  adj_close REAL NOT NULL, volume INTEGER NOT NULL, trading_days INTEGER NOT NULL, "return" REAL,
  PRIMARY KEY (ticker, period_start)) WITHOUT ROWID;
CREATE TABLE bars_quarterly (
  bucket INTEGER NOT NULL, ticker TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
  "open" REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, "close" REAL NOT NULL,
  adj_close REAL NOT NULL, volume INTEGER NOT NULL, trading_days INTEGER NOT NULL, "return" REAL,
  PRIMARY KEY (ticker, period_start)) WITHOUT ROWID;
CREATE TABLE rejects (
  bucket INTEGER NOT NULL, source_file TEXT NOT NULL, line INTEGER NOT NULL, ticker TEXT,
  "date" TEXT, reason TEXT NOT NULL);
CREATE INDEX rejects_bucket_idx ON rejects (bucket);
CREATE INDEX rejects_ticker_idx ON rejects (ticker);
CREATE TABLE runs (
  snapshot_id INTEGER PRIMARY KEY, committed_at TEXT NOT NULL, rows_read INTEGER NOT NULL,
  accepted INTEGER NOT NULL, rejected INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  earlier_rows_displaced INTEGER NOT NULL, files_ingested INTEGER NOT NULL, files_skipped INTEGER NOT NULL);
CREATE TABLE tickers (
  ticker TEXT PRIMARY KEY, bucket INTEGER NOT NULL, first_date TEXT, last_date TEXT, days INTEGER NOT NULL);
CREATE INDEX tickers_bucket_idx ON tickers (bucket);
CREATE TABLE sync_state (
  bucket INTEGER PRIMARY KEY, snapshot_id INTEGER NOT NULL, partitions INTEGER NOT NULL, files TEXT NOT NULL);
)sql",
      // 2: the whole run summary; an index for reject filters.
      R"sql(
ALTER TABLE runs ADD COLUMN summary_json TEXT NOT NULL DEFAULT '{}';
CREATE INDEX rejects_reason_idx ON rejects (reason);
)sql",
      // 3: the ML application's tables (unbucketed: rows are replaced by lake partition)
      // and what was loaded of each partition.
      R"sql(
CREATE TABLE predictions (
  lake_partition TEXT NOT NULL, ticker TEXT NOT NULL, quarter TEXT NOT NULL, as_of_date TEXT NOT NULL,
  model TEXT NOT NULL, model_version INTEGER NOT NULL, prediction REAL NOT NULL, "rank" INTEGER NOT NULL,
  label REAL);
CREATE INDEX predictions_quarter_idx ON predictions (quarter, model, "rank", ticker);
CREATE INDEX predictions_model_idx ON predictions (model, quarter);
CREATE INDEX predictions_partition_idx ON predictions (lake_partition);
CREATE TABLE backtests (
  lake_partition TEXT NOT NULL, backtest_id TEXT NOT NULL, quarter TEXT NOT NULL, predictor TEXT NOT NULL,
  ic REAL, rank_ic REAL, hit_rate REAL, top_bottom_spread REAL, rmse REAL, "count" INTEGER NOT NULL);
CREATE INDEX backtests_id_idx ON backtests (backtest_id, quarter, predictor);
CREATE INDEX backtests_partition_idx ON backtests (lake_partition);
CREATE TABLE backtest_predictions (
  lake_partition TEXT NOT NULL, backtest_id TEXT NOT NULL, ticker TEXT NOT NULL, quarter TEXT NOT NULL,
  prediction REAL NOT NULL, baseline REAL, label REAL);
CREATE INDEX backtest_predictions_id_idx ON backtest_predictions (backtest_id, quarter, ticker);
CREATE INDEX backtest_predictions_partition_idx ON backtest_predictions (lake_partition);
CREATE TABLE ml_sync_state (
  lake_table TEXT NOT NULL, lake_partition TEXT NOT NULL, snapshot_id INTEGER NOT NULL, files TEXT NOT NULL,
  PRIMARY KEY (lake_table, lake_partition));
)sql",
      // 4: the speed layer's windows and, committed with them, each partition's offset and
      // window state. Timestamps are Unix milliseconds, UTC (INTEGER): exact, and compared
      // as numbers. "final" is 0 or 1. SQLite stores a NaN as NULL, so NOT NULL rejects it.
      R"sql(
CREATE TABLE intraday_bars (
  symbol TEXT NOT NULL CHECK (symbol <> ''), window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  "open" REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, "close" REAL NOT NULL, vwap REAL NOT NULL,
  volume INTEGER NOT NULL CHECK (volume >= 0), trades INTEGER NOT NULL CHECK (trades >= 1),
  "final" INTEGER NOT NULL CHECK ("final" IN (0, 1)), updated_at INTEGER NOT NULL,
  CHECK (window_end > window_start),
  PRIMARY KEY (symbol, window_start)) WITHOUT ROWID;
CREATE TABLE stream_partitions (
  topic TEXT NOT NULL, "partition" INTEGER NOT NULL CHECK ("partition" >= 0),
  next_offset INTEGER NOT NULL CHECK (next_offset >= 0), state TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (topic, "partition")) WITHOUT ROWID;
)sql",
      // 5: the pipeline history mirrored from the lake (orchestrate/pipeline_mirror.h):
      // one row per run, one per attempt of each task (attempt 0: a task without one).
      // Times are Unix milliseconds, UTC (INTEGER), NULL while not yet known.
      R"sql(
CREATE TABLE pipeline_runs (
  run_id TEXT PRIMARY KEY CHECK (run_id <> ''), pipeline TEXT NOT NULL, "trigger" TEXT NOT NULL,
  quarter TEXT NOT NULL, state TEXT NOT NULL, started INTEGER NOT NULL, ended INTEGER,
  record_json TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX pipeline_runs_pipeline_idx ON pipeline_runs (pipeline, started);
CREATE TABLE task_runs (
  run_id TEXT NOT NULL, task TEXT NOT NULL, attempt INTEGER NOT NULL CHECK (attempt >= 0),
  task_state TEXT NOT NULL, started INTEGER, ended INTEGER, exit_status INTEGER, reason TEXT NOT NULL,
  log_path TEXT NOT NULL,
  PRIMARY KEY (run_id, task, attempt)) WITHOUT ROWID;
)sql",
      // 6: the end of each partition's log as the stream processor saw it at its commit,
      // so the lag it left (log_end_offset - next_offset) can be read without the log.
      // Rows of older processors get 0 (no lag known).
      R"sql(
ALTER TABLE stream_partitions ADD COLUMN log_end_offset INTEGER NOT NULL DEFAULT 0 CHECK (log_end_offset >= 0);
)sql",
      // 7: the owner epoch of each partition: a processor claims a partition by raising it
      // and commits only while it is unchanged, so one that lost the partition is fenced.
      R"sql(
ALTER TABLE stream_partitions ADD COLUMN owner_epoch INTEGER NOT NULL DEFAULT 0 CHECK (owner_epoch >= 0);
)sql",
  };
  return kMigrations;
}

class SqliteStore final : public SqlStore {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement.stmt);
    sqlite3_close(db_);
  }

  std::string_view backend() const override { return "sqlite"; }

 protected:
  Status Execute(const std::string& sql) override {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      Status st = Status::IOError(std::string("sqlite: ") + (error ? error : sqlite3_errmsg(db_)));
      sqlite3_free(error);
      return st;
    }
    return Status::OK();
  }

  Status Query(const std::string& sql, const std::vector<SqlParam>& params, Table* out) override {
    SL_ASSIGN_OR_RETURN(Statement * statement, Prepare(sql));
    sqlite3_stmt* stmt = statement->stmt;
    for (size_t i = 0; i < params.size() && i < statement->index_of_dollar.size(); ++i) {
      const int index = statement->index_of_dollar[i];
      if (index == 0) continue;  // not used by this statement
      SL_RETURN_IF_ERROR(Bind(stmt, index, params[i]));
    }
    TableAppender appender(out);
    const size_t columns = out->columns.size();
    Status st;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && st.ok()) {
      for (size_t c = 0; c < columns && st.ok(); ++c) {
        const int col = static_cast<int>(c);
        switch (sqlite3_column_type(stmt, col)) {
          case SQLITE_NULL: appender.AppendNull(c); break;
          case SQLITE_INTEGER:
            if (out->columns[c].type == ColumnType::kDouble) {
              appender.AppendDouble(c, sqlite3_column_double(stmt, col));
            } else {
              appender.AppendInt(c, sqlite3_column_int64(stmt, col));
            }
            break;
          case SQLITE_FLOAT: appender.AppendDouble(c, sqlite3_column_double(stmt, col)); break;
          default: {
            const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
            st = appender.AppendText(c, std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt, col))));
          }
        }
      }
    }
    if (st.ok() && rc != SQLITE_DONE && rc != SQLITE_ROW) st = Error("running " + sql.substr(0, 60));
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return st;
  }

  Status BulkInsert(std::string_view store_table, int bucket, const Table& rows) override {
    // Parameter 1 is the bucket, when the table has that column; the columns follow.
    const int first = bucket == kNoBucketColumn ? 1 : 2;
    std::string sql = "INSERT INTO " + std::string(store_table) + " (";
    std::string values;
    if (first == 2) {
      sql += "bucket";
      values = "?1";
    }
    for (size_t c = 0; c < rows.columns.size(); ++c) {
      if (!values.empty()) {
        sql += ", ";
        values += ", ";
      }
      sql += "\"" + rows.columns[c].name + "\"";
      values += "?" + std::to_string(c + static_cast<size_t>(first));
    }
    sql += ") VALUES (" + values + ")";
    SL_ASSIGN_OR_RETURN(Statement * statement, Prepare(sql));
    sqlite3_stmt* stmt = statement->stmt;
    char date_text[16];
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      if (first == 2) sqlite3_bind_int(stmt, 1, bucket);
      for (size_t c = 0; c < rows.columns.size(); ++c) {
        const Column& col = rows.columns[c];
        const int index = static_cast<int>(c) + first;
        if (col.IsNull(r)) {
          sqlite3_bind_null(stmt, index);
          continue;
        }
        switch (col.type) {
          case ColumnType::kString: {
            const std::string& s = col.dictionary[static_cast<size_t>(col.codes[r])];
            sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
            break;
          }
          case ColumnType::kDate: {
            const CivilDate d = CivilFromDays(col.i32[r]);
            const int n = std::snprintf(date_text, sizeof date_text, "%04d-%02u-%02u", d.year, d.month, d.day);
            sqlite3_bind_text(stmt, index, date_text, n, SQLITE_TRANSIENT);
            break;
          }
          case ColumnType::kInt32: sqlite3_bind_int(stmt, index, col.i32[r]); break;
          case ColumnType::kInt64: sqlite3_bind_int64(stmt, index, col.i64[r]); break;
          case ColumnType::kDouble: sqlite3_bind_double(stmt, index, col.f64[r]); break;
        }
      }
      const int rc = sqlite3_step(stmt);
      sqlite3_reset(stmt);
      if (rc != SQLITE_DONE) return Error("inserting into " + std::string(store_table));
    }
    return Status::OK();
  }

  Status Begin() override { return Execute("BEGIN IMMEDIATE"); }

  //! Unix ms, UTC, from the system clock (julianday is precise to tens of microseconds).
  std::string CurrentTimestamp() const override {
    return "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
  }

  const std::vector<std::string>& Migrations() const override { return SqliteMigrations(); }

 private:
  Status Error(const std::string& what) { return Status::IOError("sqlite: " + what + ": " + sqlite3_errmsg(db_)); }

  // A prepared statement and, for its `$N` parameters, SQLite's index of each: asking
  // sqlite3_bind_parameter_index per parameter is a linear search, quadratic for the
  // thousands of parameters of a multi-row UPSERT.
  struct Statement {
    sqlite3_stmt* stmt = nullptr;
    std::vector<int> index_of_dollar;  // [N - 1] = the index of $N (0: not used)
  };

  Result<Statement*> Prepare(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return &it->second;
    Statement statement;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &statement.stmt, nullptr) != SQLITE_OK) {
      return Error("preparing " + sql.substr(0, 80));
    }
    const int count = sqlite3_bind_parameter_count(statement.stmt);
    for (int index = 1; index <= count; ++index) {
      const char* name = sqlite3_bind_parameter_name(statement.stmt, index);
      if (name == nullptr || name[0] != '$') continue;
      const std::string_view digits(name + 1);
      int number = 0;
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
      if (error != std::errc() || end != digits.data() + digits.size() || number <= 0) continue;
      if (statement.index_of_dollar.size() < static_cast<size_t>(number)) statement.index_of_dollar.resize(number);
      statement.index_of_dollar[static_cast<size_t>(number) - 1] = index;
    }
    return &statements_.emplace(sql, std::move(statement)).first->second;
  }

  Status Bind(sqlite3_stmt* stmt, int index, const SqlParam& p) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(p)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const int64_t* i = std::get_if<int64_t>(&p)) {
      rc = sqlite3_bind_int64(stmt, index, *i);
    } else if (const double* d = std::get_if<double>(&p)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else {
      const std::string& s = std::get<std::string>(p);
      rc = sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    return rc == SQLITE_OK ? Status::OK() : Error("binding a parameter");
  }

  sqlite3* db_;
  std::map<std::string, Statement> statements_;
};

}  // namespace

Result<std::unique_ptr<ServingStore>> OpenSqliteStore(const std::string& path, const StoreOptions& options) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::IOError("cannot open SQLite store " + path + ": " + message);
  }
  auto store = std::make_unique<SqliteStore>(db);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // A double-quoted name that matches no column must be an error, not a string literal.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
  // WAL: readers (the API) never block the loader, and a commit is one append.
  // Switching a new database to WAL needs an exclusive lock, and SQLite answers BUSY at
  // once rather than call the busy handler when another connection (a second loader
  // opening the same new file) holds a lock: retry for as long as the busy timeout.
  Status st;
  for (int attempt = 0;; ++attempt) {
    char* error = nullptr;
    const int pragma_rc = sqlite3_exec(
        db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;", nullptr, nullptr, &error);
    const std::string message = error ? error : sqlite3_errstr(pragma_rc);
    sqlite3_free(error);
    if (pragma_rc == SQLITE_OK) break;
    if ((pragma_rc & 0xff) != SQLITE_BUSY || attempt >= kBusyTimeoutMs / 10) {
      st = Status::IOError("sqlite pragmas: " + message);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (st.ok()) st = store->Migrate(options.schema_version);
  if (!st.ok()) return st.WithContext("opening SQLite store " + path);
  return std::unique_ptr<ServingStore>(std::move(store));
}

}  // namespace stocklake
