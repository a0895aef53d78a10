#include "serve/store_reads.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "lake/table_schemas.h"
#include "log/topics.h"

namespace stocklake {

namespace {

//! Appends text cells to typed columns, interning strings.
class TextAppender {
 public:
  explicit TextAppender(Table* table) : table_(table), codes_(table->columns.size()) {}

  Status Append(size_t col, const char* text, bool is_null) {
    Column& c = table_->columns[col];
    if (is_null) {
      c.AppendNull();
      return Status::OK();
    }
    switch (c.type) {
      case ColumnType::kDate: {
        Date d;
        if (!ParseIsoDate(text, std::strlen(text), &d))
          return Status::Corruption("store returned a bad date '" + std::string(text) + "' in column " + c.name);
        c.AppendInt32(d);
        break;
      }
      case ColumnType::kInt32:
        c.AppendInt32(static_cast<int32_t>(std::strtoll(text, nullptr, 10)));
        break;
      case ColumnType::kInt64:
        c.AppendInt64(std::strtoll(text, nullptr, 10));
        break;
      case ColumnType::kDouble:
        c.AppendDouble(std::strtod(text, nullptr));
        break;
      case ColumnType::kString: {
        auto [it, inserted] = codes_[col].try_emplace(text, static_cast<int32_t>(c.dictionary.size()));
        if (inserted) c.dictionary.emplace_back(text);
        c.AppendCode(it->second);
        break;
      }
    }
    return Status::OK();
  }

 private:
  Table* table_;
  std::vector<std::unordered_map<std::string, int32_t>> codes_;
};

std::string ColumnList(const Table& t) {
  std::string out;
  for (const Column& c : t.columns) {
    if (!out.empty()) out += ", ";
    out += "\"" + c.name + "\"";
  }
  return out;
}

class SqliteReads final : public StoreReads {
 public:
  explicit SqliteReads(sqlite3* db) : db_(db) {}
  ~SqliteReads() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Status Query(const std::string& sql, const std::vector<Param>& params, Table* out) override {
    sqlite3_stmt* stmt = nullptr;
    auto cached = statements_.find(sql);
    if (cached != statements_.end()) {
      stmt = cached->second;
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    } else {
      if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return Error("preparing a query");
      statements_.emplace(sql, stmt);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      if (const int64_t* v = std::get_if<int64_t>(&params[i])) {
        sqlite3_bind_int64(stmt, index, *v);
      } else {
        const std::string& s = std::get<std::string>(params[i]);
        sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
    TextAppender appender(out);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (size_t c = 0; c < out->columns.size(); ++c) {
        const int col = static_cast<int>(c);
        const bool is_null = sqlite3_column_type(stmt, col) == SQLITE_NULL;
        Column& column = out->columns[c];
        // Numbers are read as numbers: SQLite's text form of a REAL keeps only 15 digits.
        if (!is_null && column.type == ColumnType::kDouble) {
          column.AppendDouble(sqlite3_column_double(stmt, col));
        } else if (!is_null && column.type == ColumnType::kInt64) {
          column.AppendInt64(sqlite3_column_int64(stmt, col));
        } else {
          const char* text = is_null ? "" : reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
          SL_RETURN_IF_ERROR(appender.Append(c, text, is_null));
        }
      }
    }
    if (rc != SQLITE_DONE) return Error("running a query");
    sqlite3_reset(stmt);
    return Status::OK();
  }

 private:
  Status Error(const std::string& what) {
    return Status::IOError("SQLite store: " + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

class PostgresReads final : public StoreReads {
 public:
  explicit PostgresReads(PGconn* conn) : conn_(conn) {}
  ~PostgresReads() override { PQfinish(conn_); }

  Status Query(const std::string& sql, const std::vector<Param>& params, Table* out) override {
    std::vector<std::string> texts;
    texts.reserve(params.size());
    for (const Param& p : params) {
      texts.push_back(std::holds_alternative<int64_t>(p) ? std::to_string(std::get<int64_t>(p))
                                                         : std::get<std::string>(p));
    }
    std::vector<const char*> values;
    for (const std::string& t : texts) values.push_back(t.c_str());
    PGresult* res =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
      Status st = Status::IOError(std::string("PostgreSQL store: running a query: ") + PQerrorMessage(conn_));
      PQclear(res);
      return st;
    }
    TextAppender appender(out);
    const int rows = PQntuples(res);
    Status st;
    for (int r = 0; r < rows && st.ok(); ++r) {
      for (size_t c = 0; c < out->columns.size() && st.ok(); ++c) {
        const int col = static_cast<int>(c);
        st = appender.Append(c, PQgetvalue(res, r, col), PQgetisnull(res, r, col) != 0);
      }
    }
    PQclear(res);
    return st;
  }

 private:
  PGconn* conn_;
};

std::string DateParam(Date d, const char* open_end) { return d == kNullDate ? open_end : FormatDate(d); }

}  // namespace

Result<std::unique_ptr<StoreReads>> StoreReads::Open(const std::string& url) {
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      Status st = Status::IOError("cannot open the SQLite store " + path + " read-only: " + sqlite3_errmsg(db));
      sqlite3_close(db);
      return st;
    }
    sqlite3_busy_timeout(db, 5000);
    return std::unique_ptr<StoreReads>(new SqliteReads(db));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    PGconn* conn = PQconnectdb(url.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      Status st = Status::IOError(std::string("cannot connect to the PostgreSQL store: ") + PQerrorMessage(conn));
      PQfinish(conn);
      return st;
    }
    return std::unique_ptr<StoreReads>(new PostgresReads(conn));
  }
  return Status::InvalidArgument("unsupported store URL scheme (use sqlite:PATH or postgresql://...)");
}

Result<int64_t> StoreReads::BucketOf(std::string_view ticker, bool refresh) {
  if (partitions_ == 0 || refresh) {
    Table t;
    t.columns = {{"partitions", ColumnType::kInt64, true}};
    SL_RETURN_IF_ERROR(Query("SELECT max(partitions) FROM sync_state", {}, &t));
    partitions_ = t.num_rows() == 1 && !t.columns[0].IsNull(0) ? static_cast<int>(t.columns[0].i64[0]) : 0;
  }
  return partitions_ > 0 ? PartitionForKey(ticker, partitions_) : -1;
}

Result<int64_t> StoreReads::StoredBucketOf(std::string_view ticker) {
  Table t;
  t.columns = {{"bucket", ColumnType::kInt64, false}};
  SL_RETURN_IF_ERROR(Query("SELECT bucket FROM tickers WHERE ticker = $1", {std::string(ticker)}, &t));
  return t.num_rows() == 1 ? t.columns[0].i64[0] : -1;
}

Result<Table> StoreReads::Indicators(std::string_view ticker, Date from, Date to, int64_t limit) {
  const Table empty = EmptyTableFor(kGoldIndicators);
  const std::string sql = "SELECT " + ColumnList(empty) +
                          " FROM indicators WHERE ticker = $1 AND \"date\" >= $2 AND \"date\" <= $3 AND bucket = $4 "
                          "ORDER BY \"date\" LIMIT $5";
  // Placeholders in order of appearance: SQLite binds them by position.
  std::vector<Param> params = {std::string(ticker), DateParam(from, "0001-01-01"), DateParam(to, "9999-12-31"),
                               int64_t{0}, limit};
  SL_ASSIGN_OR_RETURN(int64_t bucket, BucketOf(ticker, false));
  Table out = empty;
  if (bucket >= 0) {
    params[3] = bucket;
    SL_RETURN_IF_ERROR(Query(sql, params, &out));
    if (out.num_rows() > 0) return out;
  }
  // Nothing there: the range may be empty, or the store's bucket count changed since it
  // was read (or the ticker sits in another bucket): ask the tickers table.
  SL_ASSIGN_OR_RETURN(int64_t stored, StoredBucketOf(ticker));
  if (stored < 0 || stored == bucket) return out;
  SL_RETURN_IF_ERROR(BucketOf(ticker, true).status());
  out = empty;
  params[3] = stored;
  SL_RETURN_IF_ERROR(Query(sql, params, &out));
  return out;
}

Result<Table> StoreReads::Tickers(std::string_view prefix, std::string_view after, int64_t limit) {
  Table out;
  out.columns = {{"ticker", ColumnType::kString, false},
                 {"first_date", ColumnType::kDate, true},
                 {"last_date", ColumnType::kDate, true},
                 {"days", ColumnType::kInt64, false}};
  // substr/length rather than LIKE: the prefix is compared as data, never as a pattern.
  SL_RETURN_IF_ERROR(
      Query("SELECT ticker, first_date, last_date, days FROM tickers "
            "WHERE substr(ticker, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT) "
            "AND ticker > CAST($2 AS TEXT) ORDER BY ticker LIMIT $3",
            {std::string(prefix), std::string(after), limit}, &out));
  return out;
}

Result<TickerTotals> StoreReads::Totals() {
  Table t;
  t.columns = {{"n", ColumnType::kInt64, false}, {"first", ColumnType::kDate, true}, {"last", ColumnType::kDate, true}};
  SL_RETURN_IF_ERROR(Query("SELECT count(*), min(first_date), max(last_date) FROM tickers", {}, &t));
  TickerTotals totals;
  if (t.num_rows() == 1) {
    totals.tickers = t.columns[0].i64[0];
    if (!t.columns[1].IsNull(0)) totals.first_date = t.columns[1].i32[0];
    if (!t.columns[2].IsNull(0)) totals.last_date = t.columns[2].i32[0];
  }
  return totals;
}

Result<std::map<std::string, int64_t>> StoreReads::RejectCountsByReason() {
  Table t;
  t.columns = {{"reason", ColumnType::kString, false}, {"n", ColumnType::kInt64, false}};
  SL_RETURN_IF_ERROR(Query("SELECT reason, count(*) FROM rejects GROUP BY reason ORDER BY reason", {}, &t));
  std::map<std::string, int64_t> out;
  for (size_t r = 0; r < t.num_rows(); ++r) out[std::string(t.columns[0].StringAt(r))] = t.columns[1].i64[r];
  return out;
}

}  // namespace stocklake
