#include "store/postgres_store.h"

#include <libpq-fe.h>

#include <cstring>
#include <set>

#include "lake/table_schemas.h"
#include "store/sql_store.h"

namespace stocklake {

namespace {

// Migrations are frozen once released: a change is a new entry, never an edit.
const std::vector<std::string>& PostgresMigrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: the tables.
      R"sql(
CREATE TABLE stocks (
  bucket smallint NOT NULL, ticker text COLLATE "C" NOT NULL, "date" date NOT NULL,
  "open" double precision NOT NULL, high double precision NOT NULL, low double precision NOT NULL,
  "close" double precision NOT NULL, adj_close double precision NOT NULL, volume bigint NOT NULL,
  PRIMARY KEY (ticker, "date")) PARTITION BY RANGE ("date");
CREATE TABLE stocks_default PARTITION OF stocks DEFAULT;
CREATE TABLE indicators (
  bucket smallint NOT NULL, ticker text COLLATE "C" NOT NULL, "date" date NOT NULL,
  "close" double precision NOT NULL, return_1d double precision, log_return_1d double precision,
  sma_20 double precision, sma_50 double precision, sma_200 double precision, ema_12 double precision,
  ema_26 double precision, macd double precision, macd_signal double precision, macd_hist double precision,
  rsi_14 double precision, bb_middle double precision, bb_upper double precision, bb_lower double precision,
  atr_14 double precision, volatility_20 double precision, obv bigint NOT NULL,
  PRIMARY KEY (ticker, "date")) PARTITION BY RANGE ("date");
CREATE TABLE indicators_default PARTITION OF indicators DEFAULT;
CREATE TABLE bars_weekly (
  bucket smallint NOT NULL, ticker text COLLATE "C" NOT NULL, period_start date NOT NULL, period_end date NOT NULL,
  "open" double precision NOT NULL, high double precision NOT NULL, low double precision NOT NULL,
  "close" double precision NOT NULL, adj_close double precision NOT NULL, volume bigint NOT NULL,
  trading_days integer NOT NULL, "return" double precision,
  PRIMARY KEY (ticker, period_start));
CREATE TABLE bars_monthly (LIKE bars_weekly INCLUDING ALL);
CREATE TABLE bars_quarterly (LIKE bars_weekly INCLUDING ALL);
CREATE TABLE rejects (
  bucket smallint NOT NULL, source_file text COLLATE "C" NOT NULL, line bigint NOT NULL,
  ticker text COLLATE "C", "date" date, reason text COLLATE "C" NOT NULL);
CREATE INDEX rejects_bucket_idx ON rejects (bucket);
CREATE INDEX rejects_ticker_idx ON rejects (ticker);
CREATE TABLE runs (
  snapshot_id bigint PRIMARY KEY, committed_at text NOT NULL, rows_read bigint NOT NULL,
  accepted bigint NOT NULL, rejected bigint NOT NULL, duplicates bigint NOT NULL,
  earlier_rows_displaced bigint NOT NULL, files_ingested bigint NOT NULL, files_skipped bigint NOT NULL);
CREATE TABLE tickers (
  ticker text COLLATE "C" PRIMARY KEY, bucket smallint NOT NULL, first_date date, last_date date,
  days bigint NOT NULL);
CREATE INDEX tickers_bucket_idx ON tickers (bucket);
CREATE TABLE sync_state (
  bucket smallint PRIMARY KEY, snapshot_id bigint NOT NULL, partitions integer NOT NULL, files text NOT NULL);
)sql",
      // 2: the whole run summary; an index for reject filters.
      R"sql(
ALTER TABLE runs ADD COLUMN summary_json text NOT NULL DEFAULT '{}';
CREATE INDEX rejects_reason_idx ON rejects (reason);
)sql",
  };
  return kMigrations;
}

// PostgreSQL's binary COPY format: big-endian fields, dates as days since 2000-01-01.
constexpr int32_t kPgEpochOffsetDays = 10957;
constexpr size_t kCopyChunkBytes = 1 << 20;

class CopyBuffer {
 public:
  void Reserve(size_t n) { data_.reserve(n); }
  void Int16(int16_t v) { Put(static_cast<uint16_t>(v)); }
  void Int32(int32_t v) { Put(static_cast<uint32_t>(v)); }
  void Int64(int64_t v) { Put(static_cast<uint64_t>(v)); }
  void Bytes(std::string_view s) { data_.append(s.data(), s.size()); }
  void Clear() { data_.clear(); }
  const std::string& data() const { return data_; }
  size_t size() const { return data_.size(); }

 private:
  template <typename U>
  void Put(U v) {
    char bytes[sizeof(U)];
    for (size_t i = 0; i < sizeof(U); ++i) bytes[i] = static_cast<char>(v >> (8 * (sizeof(U) - 1 - i)));
    data_.append(bytes, sizeof(U));
  }
  std::string data_;
};

void AppendField(const Column& col, size_t r, CopyBuffer* out) {
  if (col.IsNull(r)) {
    out->Int32(-1);
    return;
  }
  switch (col.type) {
    case ColumnType::kString: {
      const std::string& s = col.dictionary[static_cast<size_t>(col.codes[r])];
      out->Int32(static_cast<int32_t>(s.size()));
      out->Bytes(s);
      break;
    }
    case ColumnType::kDate:
      out->Int32(4);
      out->Int32(col.i32[r] - kPgEpochOffsetDays);
      break;
    case ColumnType::kInt32:
      out->Int32(4);
      out->Int32(col.i32[r]);
      break;
    case ColumnType::kInt64:
      out->Int32(8);
      out->Int64(col.i64[r]);
      break;
    case ColumnType::kDouble: {
      int64_t bits;
      std::memcpy(&bits, &col.f64[r], sizeof bits);
      out->Int32(8);
      out->Int64(bits);
      break;
    }
  }
}

class PostgresStore final : public SqlStore {
 public:
  explicit PostgresStore(PGconn* conn) : conn_(conn) {}
  ~PostgresStore() override { PQfinish(conn_); }

  std::string_view backend() const override { return "postgresql"; }

 protected:
  Status Execute(const std::string& sql) override {
    PGresult* res = PQexec(conn_, sql.c_str());
    Status st = Check(res, sql);
    PQclear(res);
    return st;
  }

  Status Query(const std::string& sql, const std::vector<SqlParam>& params, Table* out) override {
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const int64_t* v = std::get_if<int64_t>(&params[i])) {
        text[i] = std::to_string(*v);
      } else if (const double* d = std::get_if<double>(&params[i])) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        text[i] = buf;
      } else if (const std::string* s = std::get_if<std::string>(&params[i])) {
        text[i] = *s;
      } else {
        continue;  // NULL
      }
      values[i] = text[i].c_str();
    }
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                                 nullptr, nullptr, 0);
    Status st = Check(res, sql);
    if (st.ok() && PQresultStatus(res) == PGRES_TUPLES_OK && !out->columns.empty()) {
      const int rows = PQntuples(res);
      const int fields = PQnfields(res);
      if (fields < static_cast<int>(out->columns.size())) {
        st = Status::Corruption("query returned " + std::to_string(fields) + " columns, expected " +
                                std::to_string(out->columns.size()));
      }
      TableAppender appender(out);
      for (int r = 0; r < rows && st.ok(); ++r) {
        for (size_t c = 0; c < out->columns.size() && st.ok(); ++c) {
          const int col = static_cast<int>(c);
          if (PQgetisnull(res, r, col)) {
            appender.AppendNull(c);
          } else {
            st = appender.AppendText(c, std::string_view(PQgetvalue(res, r, col),
                                                         static_cast<size_t>(PQgetlength(res, r, col))));
          }
        }
      }
    }
    PQclear(res);
    return st;
  }

  Status BulkInsert(std::string_view store_table, int bucket, const Table& rows) override {
    std::string sql = "COPY " + std::string(store_table) + " (bucket";
    for (const Column& c : rows.columns) sql += ", \"" + c.name + "\"";
    sql += ") FROM STDIN (FORMAT binary)";
    PGresult* res = PQexec(conn_, sql.c_str());
    if (PQresultStatus(res) != PGRES_COPY_IN) {
      Status st = Check(res, sql);
      PQclear(res);
      return st.ok() ? Status::IOError("postgresql: COPY did not start for " + std::string(store_table)) : st;
    }
    PQclear(res);

    CopyBuffer buf;
    buf.Reserve(kCopyChunkBytes + 4096);
    buf.Bytes(std::string_view("PGCOPY\n\377\r\n\0", 11));
    buf.Int32(0);  // flags
    buf.Int32(0);  // header extension length
    const int16_t fields = static_cast<int16_t>(rows.columns.size() + 1);
    Status st;
    for (size_t r = 0; r < rows.num_rows() && st.ok(); ++r) {
      buf.Int16(fields);
      buf.Int32(2);
      buf.Int16(static_cast<int16_t>(bucket));
      for (const Column& c : rows.columns) AppendField(c, r, &buf);
      if (buf.size() >= kCopyChunkBytes) {
        st = PutCopyData(buf);
        buf.Clear();
      }
    }
    buf.Int16(-1);  // trailer
    if (st.ok()) st = PutCopyData(buf);
    if (PQputCopyEnd(conn_, st.ok() ? nullptr : "stocklake aborted the load") != 1 && st.ok()) {
      st = Status::IOError(std::string("postgresql: ending COPY: ") + PQerrorMessage(conn_));
    }
    while ((res = PQgetResult(conn_)) != nullptr) {
      if (st.ok()) st = Check(res, sql);
      PQclear(res);
    }
    return st;
  }

  Status LockBucket(int bucket) override {
    return Command("SELECT pg_advisory_xact_lock(727301, $1)", {int64_t{bucket}});
  }

  Status PrepareBucket(const BucketContents& contents) override {
    std::set<int32_t> missing;
    for (std::string_view table : {kSilverBars, kGoldIndicators}) {
      auto it = contents.tables.find(table);
      if (it == contents.tables.end()) continue;
      const Column* date = it->second.Find("date");
      if (date == nullptr) continue;
      int32_t last_year = -1;
      for (Date d : date->i32) {
        const int32_t year = CivilFromDays(d).year;
        // Years outside 1..9998 go to the DEFAULT partition.
        if (year != last_year && year >= 1 && year <= 9998 && !known_partitions_.count(year)) missing.insert(year);
        last_year = year;
      }
    }
    if (missing.empty()) return Status::OK();
    // Its own short transaction, serialised across loaders: two concurrent
    // CREATE TABLE IF NOT EXISTS of one name can otherwise both try to create it.
    SL_RETURN_IF_ERROR(Execute("BEGIN; SELECT pg_advisory_xact_lock(727302)"));
    Status st;
    for (int32_t year : missing) {
      char from[16], to[16];
      std::snprintf(from, sizeof from, "%04d", year);
      std::snprintf(to, sizeof to, "%04d", year + 1);
      for (const std::string parent : {"stocks", "indicators"}) {
        if (st.ok()) {
          st = Execute("CREATE TABLE IF NOT EXISTS " + parent + "_y" + from + " PARTITION OF " + parent +
                       " FOR VALUES FROM ('" + from + "-01-01') TO ('" + to + "-01-01')");
        }
      }
    }
    if (st.ok()) st = Execute("COMMIT");
    if (!st.ok()) {
      Execute("ROLLBACK");
      return st.WithContext("creating year partitions");
    }
    known_partitions_.insert(missing.begin(), missing.end());
    return Status::OK();
  }

  Status LockSchema() override { return Execute("SELECT pg_advisory_xact_lock(727300)"); }

  const std::vector<std::string>& Migrations() const override { return PostgresMigrations(); }

 private:
  Status PutCopyData(const CopyBuffer& buf) {
    if (PQputCopyData(conn_, buf.data().data(), static_cast<int>(buf.size())) != 1) {
      return Status::IOError(std::string("postgresql: sending COPY data: ") + PQerrorMessage(conn_));
    }
    return Status::OK();
  }

  Status Check(PGresult* res, const std::string& sql) {
    const ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN) {
      return Status::OK();
    }
    std::string message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::IOError("postgresql: " + message + " (in: " + sql.substr(0, 100) + ")");
  }

  PGconn* conn_;
  std::set<int32_t> known_partitions_;  // year partitions known to exist
};

}  // namespace

Result<std::unique_ptr<ServingStore>> OpenPostgresStore(const std::string& conninfo, const StoreOptions& options) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn);
    return Status::IOError("cannot connect to the PostgreSQL store: " + message +
                           " (check the --store URL and that the server is running)");
  }
  auto store = std::make_unique<PostgresStore>(conn);
  PGresult* res = PQexec(conn,
                         "SET client_min_messages = warning; SET DateStyle = 'ISO, YMD'; "
                         "SET extra_float_digits = 3");
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!ok) return Status::IOError(std::string("configuring the PostgreSQL session: ") + PQerrorMessage(conn));
  SL_RETURN_IF_ERROR(store->Migrate(options.schema_version).WithContext("opening the PostgreSQL store"));
  return std::unique_ptr<ServingStore>(std::move(store));
}

}  // namespace stocklake
