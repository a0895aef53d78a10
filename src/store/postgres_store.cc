#include "store/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "lake/table_schemas.h"
#include "store/postgres_migrations.h"
#include "store/sql_store.h"

namespace stocklake {

namespace {

//! From this schema version on, ticker-keyed tables are partitioned by bucket.
constexpr int kBucketPartitionsVersion = 3;
//! From this schema version on, stocks' and indicators' bucket partitions are themselves
//! partitioned by year ranges, and partitions are named by load generation.
constexpr int kYearPartitionsVersion = 4;

//! One leaf of a bucket's year-partitioned table: dates in [first_year, end_year) years,
//! the first leaf open below and the last open above, so every date has a leaf.
struct YearRange {
  int32_t first_year;
  int32_t end_year;
};

//! Splits the years of `dates` (a bucket's rows) into consecutive whole-year ranges of
//! at least `min_rows` rows each (the last may hold fewer); one range for no rows.
//! Why not a leaf per year: a 60-year history in 16 buckets would make thousands of small
//! tables, each costing catalog work at every load and planning work in queries.
std::vector<YearRange> YearRangesFor(const std::vector<Date>& dates, int64_t min_rows) {
  std::map<int32_t, int64_t> per_year;
  int32_t last_year = INT32_MIN;
  int64_t* count = nullptr;
  for (Date d : dates) {
    const int32_t year = CivilFromDays(d).year;
    if (year != last_year) {
      count = &per_year[year];
      last_year = year;
    }
    ++*count;
  }
  std::vector<YearRange> out;
  int64_t in_range = 0;
  for (const auto& [year, rows] : per_year) {
    if (out.empty() || in_range >= min_rows) {
      out.push_back({year, year + 1});
      in_range = 0;
    }
    out.back().end_year = year + 1;
    in_range += rows;
  }
  // A small tail joins the range before it rather than make a leaf of its own.
  if (out.size() > 1 && in_range < min_rows / 2) {
    out[out.size() - 2].end_year = out.back().end_year;
    out.pop_back();
  }
  if (out.empty()) out.push_back({2000, 2001});
  return out;
}

// PostgreSQL's binary COPY format: big-endian fields, dates as days since 2000-01-01.
constexpr int32_t kPgEpochOffsetDays = 10957;
constexpr size_t kCopyChunkBytes = 1 << 20;

//! A COPY data chunk being built: big-endian fields written straight into a buffer that
//! only grows (the encoder competes with the server for the same cores, so it stays lean).
class CopyBuffer {
 public:
  explicit CopyBuffer(size_t capacity) : data_(capacity, '\0') {}
  void Int16(int16_t v) { Put(__builtin_bswap16(static_cast<uint16_t>(v))); }
  void Int32(int32_t v) { Put(__builtin_bswap32(static_cast<uint32_t>(v))); }
  void Int64(int64_t v) { Put(__builtin_bswap64(static_cast<uint64_t>(v))); }
  void Bytes(std::string_view s) {
    Reserve(s.size());
    std::memcpy(data_.data() + size_, s.data(), s.size());
    size_ += s.size();
  }
  void Clear() { size_ = 0; }
  const char* data() const { return data_.data(); }
  size_t size() const { return size_; }

 private:
  void Reserve(size_t n) {
    if (size_ + n > data_.size()) data_.resize(std::max(data_.size() * 2, size_ + n));
  }
  template <typename U>
  void Put(U big_endian) {
    Reserve(sizeof(U));
    std::memcpy(data_.data() + size_, &big_endian, sizeof(U));
    size_ += sizeof(U);
  }
  std::string data_;
  size_t size_ = 0;
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
  PostgresStore(PGconn* conn, const StoreOptions& options)
      : conn_(conn), rows_per_date_partition_(std::max<int64_t>(options.rows_per_date_partition, 1)) {}
  ~PostgresStore() override { PQfinish(conn_); }

  std::string_view backend() const override { return "postgresql"; }

  Result<Table> CrossSection(const CrossSectionQuery& query) override {
    if (schema_version_ < kBucketPartitionsVersion || query.date == kNullDate) return SqlStore::CrossSection(query);
    Table out = CrossSectionTable();
    if (schema_version_ >= kYearPartitionsVersion) {
      // The date selects one year leaf per bucket at plan time, and each leaf's index on
      // date finds that day's rows; indicators are joined on their own key.
      SL_RETURN_IF_ERROR(
          Query("SELECT s.ticker, s.\"date\", s.close, s.volume, i.return_1d FROM stocks s LEFT JOIN indicators i "
                "ON i.bucket = s.bucket AND i.ticker = s.ticker AND i.\"date\" = s.\"date\" WHERE s.\"date\" = $1 " +
                    CrossSectionRanking(query.order, "i", "s") + ", s.ticker LIMIT $2",
                {FormatDate(query.date), int64_t{std::max(query.limit, 0)}}, &out));
      return out;
    }
    const std::string rank = CrossSectionRanking(query.order, "x", "x");
    // The shared query's join, made a LATERAL probe per ticker: with statistics, the
    // planner would otherwise scan every bucket partition for the date (no index on date:
    // it would slow every load), 10x slower. LIMIT 1 keeps the subquery from being
    // flattened; the primary keys allow at most one row anyway.
    SL_RETURN_IF_ERROR(
        Query("SELECT x.ticker, x.\"date\", x.close, x.volume, x.return_1d FROM tickers t CROSS JOIN LATERAL ("
              "SELECT s.ticker, s.\"date\", s.close, s.volume, i.return_1d FROM stocks s LEFT JOIN indicators i "
              "ON i.ticker = s.ticker AND i.\"date\" = s.\"date\" AND i.bucket = s.bucket "
              "WHERE s.ticker = t.ticker AND s.bucket = t.bucket AND s.\"date\" = $1 LIMIT 1) x "
              "WHERE t.first_date <= $1 AND t.last_date >= $1 " +
                  rank + ", x.ticker LIMIT $2",
              {FormatDate(query.date), int64_t{std::max(query.limit, 0)}}, &out));
    return out;
  }

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
    PGresult* res =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr, nullptr, 0);
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
            st = appender.AppendText(
                c, std::string_view(PQgetvalue(res, r, col), static_cast<size_t>(PQgetlength(res, r, col))));
          }
        }
      }
    }
    PQclear(res);
    return st;
  }

  Status BulkInsert(std::string_view store_table, int bucket, const Table& rows) override {
    return CopyRows(store_table, bucket, rows, false);
  }

  //! Binary COPY of `rows` (only the row numbers in `subset`, ascending, when given)
  //! tagged with `bucket`. `freeze` (for a table created in this transaction) writes them
  //! frozen, so the first reads need not set hint bits.
  Status CopyRows(std::string_view store_table, int bucket, const Table& rows, bool freeze,
                  const std::vector<uint32_t>* subset = nullptr) {
    const bool with_bucket = bucket != kNoBucketColumn;
    std::string columns = with_bucket ? "bucket" : "";
    for (const Column& c : rows.columns) columns += (columns.empty() ? "\"" : ", \"") + c.name + "\"";
    std::string sql = "COPY " + std::string(store_table) + " (" + columns;
    sql += freeze ? ") FROM STDIN (FORMAT binary, FREEZE)" : ") FROM STDIN (FORMAT binary)";
    PGresult* res = PQexec(conn_, sql.c_str());
    if (PQresultStatus(res) != PGRES_COPY_IN) {
      Status st = Check(res, sql);
      PQclear(res);
      return st.ok() ? Status::IOError("postgresql: COPY did not start for " + std::string(store_table)) : st;
    }
    PQclear(res);

    CopyBuffer buf(kCopyChunkBytes + 4096);
    buf.Bytes(std::string_view("PGCOPY\n\377\r\n\0", 11));
    buf.Int32(0);  // flags
    buf.Int32(0);  // header extension length
    const int16_t fields = static_cast<int16_t>(rows.columns.size() + (with_bucket ? 1 : 0));
    Status st;
    const size_t count = subset != nullptr ? subset->size() : rows.num_rows();
    for (size_t k = 0; k < count && st.ok(); ++k) {
      const size_t r = subset != nullptr ? (*subset)[k] : k;
      buf.Int16(fields);
      if (with_bucket) {
        buf.Int32(2);
        buf.Int16(static_cast<int16_t>(bucket));
      }
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

  Status LockPartitions() override { return Execute("SELECT pg_advisory_xact_lock(727303)"); }

  Status LockBucket(int bucket) override {
    return Command("SELECT pg_advisory_xact_lock(727301, $1)", {int64_t{bucket}});
  }

  Status ReplaceBucketRows(const BucketContents& contents) override {
    if (schema_version_ < kBucketPartitionsVersion) return SqlStore::ReplaceBucketRows(contents);
    if (schema_version_ >= kYearPartitionsVersion) return ReplaceYearPartitioned(contents);
    return ReplaceBucketPartitionV3(contents);
  }

  //! The load of schema version 4: like version 3's (see the file comment), but stocks'
  //! and indicators' new bucket tables are partitioned by year ranges, each leaf filled
  //! by its own COPY FREEZE, and every new table is named by a fresh load generation.
  Status ReplaceYearPartitioned(const BucketContents& contents) {
    const std::string b = std::to_string(contents.bucket);
    SL_RETURN_IF_ERROR(Execute("SET LOCAL maintenance_work_mem = '128MB'"));
    Table generation;
    generation.columns = {{"generation", ColumnType::kInt64, false}};
    SL_RETURN_IF_ERROR(Query("SELECT nextval('store_load_generation')", {}, &generation));
    const std::string suffix = "_g" + std::to_string(generation.columns[0].i64[0]);
    std::vector<const StoreTableDef*> loaded;
    for (const StoreTableDef& def : StoreTables()) {
      if (!def.keyed_by_ticker) {
        SL_RETURN_IF_ERROR(DeleteThenInsert(def, contents));
        continue;
      }
      auto it = contents.tables.find(def.lake_name);
      if (it == contents.tables.end() || it->second.num_rows() == 0) continue;
      const Table& rows = it->second;
      SL_ASSIGN_OR_RETURN(const std::string* columns, ColumnDefinitions(def.store_name));
      const std::string name = std::string(def.store_name) + suffix;
      std::string ddl = "CREATE TABLE " + name + " (" + *columns + ", CONSTRAINT in_bucket CHECK (bucket = " + b + "))";
      const Column* date = IsYearPartitioned(def) ? rows.Find("date") : nullptr;
      if (date == nullptr) {
        SL_RETURN_IF_ERROR(Execute(ddl));
        SL_RETURN_IF_ERROR(CopyRows(name, contents.bucket, rows, true));
        SL_RETURN_IF_ERROR(Execute("ALTER TABLE " + name + " ADD PRIMARY KEY (" + std::string(def.order_by) + ")"));
        loaded.push_back(&def);
        continue;
      }
      const std::vector<YearRange> ranges = YearRangesFor(date->i32, rows_per_date_partition_);
      ddl += " PARTITION BY RANGE (\"date\")";
      auto year_start = [](int32_t year) { return "'" + std::to_string(year) + "-01-01'"; };
      for (size_t i = 0; i < ranges.size(); ++i) {
        ddl += "; CREATE TABLE " + LeafName(name, ranges[i]) + " PARTITION OF " + name + " FOR VALUES FROM (" +
               (i == 0 ? std::string("MINVALUE") : year_start(ranges[i].first_year)) + ") TO (" +
               (i + 1 == ranges.size() ? std::string("MAXVALUE") : year_start(ranges[i].end_year)) + ")";
      }
      SL_RETURN_IF_ERROR(Execute(ddl));
      std::vector<std::vector<uint32_t>> leaf_rows(ranges.size());
      for (size_t r = 0; r < date->i32.size(); ++r) {
        const int32_t year = CivilFromDays(date->i32[r]).year;
        const auto leaf = std::upper_bound(ranges.begin(), ranges.end(), year,
                                           [](int32_t y, const YearRange& range) { return y < range.end_year; });
        leaf_rows[std::min<size_t>(static_cast<size_t>(leaf - ranges.begin()), ranges.size() - 1)].push_back(
            static_cast<uint32_t>(r));
      }
      for (size_t i = 0; i < ranges.size(); ++i) {
        if (!leaf_rows[i].empty()) {
          SL_RETURN_IF_ERROR(CopyRows(LeafName(name, ranges[i]), contents.bucket, rows, true, &leaf_rows[i]));
        }
      }
      // One statement builds every leaf's key (and date index), each in one sort.
      SL_RETURN_IF_ERROR(Execute("ALTER TABLE " + name + " ADD PRIMARY KEY (" + std::string(def.order_by) +
                                 "); CREATE INDEX " + name + "_date ON " + name + " (\"date\")"));
      loaded.push_back(&def);
    }
    // Swap phase, in StoreTables() order in every loader (see ReplaceBucketPartitionV3).
    for (const StoreTableDef& def : StoreTables()) {
      if (!def.keyed_by_ticker) continue;
      const std::string parent(def.store_name);
      Table old;
      old.columns = {{"name", ColumnType::kString, false}};
      SL_RETURN_IF_ERROR(
          Query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST($1 AS regclass) AND pg_get_expr(c.relpartbound, c.oid) IN ($2, $3)",
                {parent, "FOR VALUES IN ('" + b + "')", "FOR VALUES IN (" + b + ")"}, &old));
      for (size_t r = 0; r < old.num_rows(); ++r) {
        SL_RETURN_IF_ERROR(Execute("DROP TABLE \"" + std::string(old.columns[0].StringAt(r)) + "\""));
      }
      if (std::find(loaded.begin(), loaded.end(), &def) == loaded.end()) continue;
      SL_RETURN_IF_ERROR(
          Execute("ALTER TABLE " + parent + " ATTACH PARTITION " + parent + suffix + " FOR VALUES IN (" + b + ")"));
    }
    return Status::OK();
  }

  //! The load of schema version 3 (kept so that tests can fill a version-3 store).
  Status ReplaceBucketPartitionV3(const BucketContents& contents) {
    // Load phase: each ticker-keyed table's rows go into a new table of this transaction
    // (no index while loading, COPY FREEZE), whose primary key is then built in one sort:
    // several times faster than maintaining the key row by row. Nothing here locks the
    // partitioned parents, so loaders of other buckets run alongside.
    const std::string b = std::to_string(contents.bucket);
    SL_RETURN_IF_ERROR(Execute("SET LOCAL maintenance_work_mem = '128MB'"));
    std::vector<const StoreTableDef*> loaded;
    for (const StoreTableDef& def : StoreTables()) {
      if (!def.keyed_by_ticker) {
        SL_RETURN_IF_ERROR(DeleteThenInsert(def, contents));
        continue;
      }
      auto it = contents.tables.find(def.lake_name);
      if (it == contents.tables.end() || it->second.num_rows() == 0) continue;
      SL_ASSIGN_OR_RETURN(const std::string* columns, ColumnDefinitions(def.store_name));
      const std::string load = LoadTableName(def, b);
      SL_RETURN_IF_ERROR(
          Execute("CREATE TABLE " + load + " (" + *columns + ", CONSTRAINT in_bucket CHECK (bucket = " + b + "))"));
      SL_RETURN_IF_ERROR(CopyRows(load, contents.bucket, it->second, true));
      SL_RETURN_IF_ERROR(Execute("ALTER TABLE " + load + " ADD CONSTRAINT " + load + "_pkey PRIMARY KEY (" +
                                 std::string(def.order_by) + ")"));
      loaded.push_back(&def);
    }
    // Swap phase, in StoreTables() order in every loader: dropping a partition locks its
    // parent exclusively until the commit, so this comes last and stays short. The CHECK
    // constraint implies the partition bound, so ATTACH skips its validation scan.
    for (const StoreTableDef& def : StoreTables()) {
      if (!def.keyed_by_ticker) continue;
      const std::string parent(def.store_name);
      const std::string part = parent + "_b" + b;
      SL_RETURN_IF_ERROR(Execute("DROP TABLE IF EXISTS " + part));
      if (std::find(loaded.begin(), loaded.end(), &def) == loaded.end()) continue;
      const std::string load = LoadTableName(def, b);
      SL_RETURN_IF_ERROR(Execute("ALTER TABLE " + load + " RENAME TO " + part + "; ALTER INDEX " + load +
                                 "_pkey RENAME TO " + part + "_pkey; ALTER TABLE " + parent + " ATTACH PARTITION " +
                                 part + " FOR VALUES IN (" + b + ")"));
    }
    return Status::OK();
  }

  Status PrepareBucket(const BucketContents& contents) override {
    if (schema_version_ >= kBucketPartitionsVersion) return Status::OK();
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
      RollbackAfterError();
      return st.WithContext("creating year partitions");
    }
    known_partitions_.insert(missing.begin(), missing.end());
    return Status::OK();
  }

  Status LockSchema() override { return Execute("SELECT pg_advisory_xact_lock(727300)"); }

  const std::vector<std::string>& Migrations() const override { return PostgresMigrations(); }

  // timestamptz <-> Unix ms: interval arithmetic is exact to the microsecond, and
  // extract(epoch) is numeric (exact) from PostgreSQL 14 on.
  std::string OnCommitDeleteRows() const override { return " ON COMMIT DELETE ROWS"; }
  std::string MillisToTimestamp(std::string_view millis) const override {
    return "('epoch'::timestamptz + (" + std::string(millis) + ")::bigint * interval '1 millisecond')";
  }
  std::string TimestampToMillis(std::string_view timestamp) const override {
    return "floor(extract(epoch from " + std::string(timestamp) + ") * 1000)::bigint";
  }
  //! The transaction's start time.
  std::string CurrentTimestamp() const override { return "now()"; }
  std::string MillisToDate(std::string_view millis) const override {
    return "(DATE '1970-01-01' + CAST((" + std::string(millis) + ") / 86400000 AS integer))";
  }

 public:
  //! Records the schema version migrated to, which selects the loading strategy.
  Status Opened() {
    SL_ASSIGN_OR_RETURN(schema_version_, SchemaVersion());
    return Status::OK();
  }

 private:
  //! stocks and indicators: the tables with a date column queried across tickers.
  static bool IsYearPartitioned(const StoreTableDef& def) {
    return def.lake_name == kSilverBars || def.lake_name == kGoldIndicators;
  }

  static std::string LeafName(const std::string& table, const YearRange& range) {
    return table + "_y" + std::to_string(range.first_year);
  }

  static std::string LoadTableName(const StoreTableDef& def, const std::string& bucket) {
    return std::string(def.store_name) + "_load_b" + bucket;
  }

  //! The column list of `parent` as CREATE TABLE takes it, read from the catalog once per
  //! connection. CREATE TABLE ... (LIKE parent) would hold a lock on the parent until the
  //! commit, and two loaders holding it could then deadlock upgrading to the swap's lock.
  Result<const std::string*> ColumnDefinitions(std::string_view parent) {
    auto it = column_definitions_.find(parent);
    if (it != column_definitions_.end()) return &it->second;
    Table t;
    t.columns = {{"columns", ColumnType::kString, true}};
    SL_RETURN_IF_ERROR(
        Query("SELECT string_agg(format('%I %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod), "
              "CASE WHEN a.attcollation <> 0 THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END, "
              "CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END), ', ' ORDER BY a.attnum) "
              "FROM pg_attribute a WHERE a.attrelid = CAST($1 AS regclass) AND a.attnum > 0 AND NOT a.attisdropped",
              {std::string(parent)}, &t));
    if (t.num_rows() != 1 || t.columns[0].IsNull(0)) {
      return Status::Corruption("postgresql: no columns found for table " + std::string(parent));
    }
    return &column_definitions_.emplace(std::string(parent), std::string(t.columns[0].StringAt(0))).first->second;
  }

  Status PutCopyData(const CopyBuffer& buf) {
    if (PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) != 1) {
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
  std::set<int32_t> known_partitions_;  // year partitions known to exist (schema < 3)
  int schema_version_ = 0;
  const int64_t rows_per_date_partition_;
  std::map<std::string, std::string, std::less<>> column_definitions_;
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
  auto store = std::make_unique<PostgresStore>(conn, options);
  PGresult* res = PQexec(conn,
                         "SET client_min_messages = warning; SET DateStyle = 'ISO, YMD'; "
                         "SET extra_float_digits = 3; "
                         // The API's queries are small: starting parallel workers costs
                         // more than they save (measured: a cross-section 24 ms with, 6 without).
                         "SET max_parallel_workers_per_gather = 0");
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!ok) return Status::IOError(std::string("configuring the PostgreSQL session: ") + PQerrorMessage(conn));
  SL_RETURN_IF_ERROR(store->Migrate(options.schema_version).WithContext("opening the PostgreSQL store"));
  SL_RETURN_IF_ERROR(store->Opened());
  return std::unique_ptr<ServingStore>(std::move(store));
}

}  // namespace stocklake
