#include "store/sql_store.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <unordered_map>

#include "core/clock.h"
#include "lake/table_schemas.h"

namespace stocklake {

namespace {

constexpr const char* kMinDate = "0001-01-01";
constexpr const char* kMaxDate = "9999-12-31";

std::string DateParam(Date d, const char* open_value) { return d == kNullDate ? open_value : FormatDate(d); }

Table RunsSchema() {
  Table t;
  t.columns = {{"snapshot_id", ColumnType::kInt64, false},
               {"committed_at", ColumnType::kString, false},
               {"rows_read", ColumnType::kInt64, false},
               {"accepted", ColumnType::kInt64, false},
               {"rejected", ColumnType::kInt64, false},
               {"duplicates", ColumnType::kInt64, false},
               {"earlier_rows_displaced", ColumnType::kInt64, false},
               {"files_ingested", ColumnType::kInt64, false},
               {"files_skipped", ColumnType::kInt64, false},
               {"summary_json", ColumnType::kString, false}};
  return t;
}

//! The tickers table's rows for one bucket: every ticker of its bar-keyed tables, with
//! the first and last date and the number of daily bars.
Table TickersOf(const BucketContents& contents) {
  struct Span {
    Date first = kNullDate, last = kNullDate;
    int64_t days = 0;
  };
  std::map<std::string, Span, std::less<>> spans;
  for (const StoreTableDef& def : StoreTables()) {
    if (!def.keyed_by_ticker) continue;
    auto it = contents.tables.find(def.lake_name);
    if (it == contents.tables.end()) continue;
    const Column* ticker = it->second.Find("ticker");
    if (ticker == nullptr) continue;
    const Column* date = def.lake_name == kSilverBars ? it->second.Find("date") : nullptr;
    std::vector<Span*> by_code(ticker->dictionary.size(), nullptr);
    for (size_t r = 0; r < ticker->size(); ++r) {
      Span*& span = by_code[static_cast<size_t>(ticker->codes[r])];
      if (span == nullptr) span = &spans[ticker->dictionary[static_cast<size_t>(ticker->codes[r])]];
      if (date == nullptr) continue;
      const Date d = date->i32[r];
      if (span->first == kNullDate || d < span->first) span->first = d;
      if (span->last == kNullDate || d > span->last) span->last = d;
      ++span->days;
    }
  }
  Table t;
  t.columns = {{"ticker", ColumnType::kString, false},
               {"first_date", ColumnType::kDate, true},
               {"last_date", ColumnType::kDate, true},
               {"days", ColumnType::kInt64, false}};
  for (const auto& [name, span] : spans) {
    t.columns[0].dictionary.push_back(name);
    t.columns[0].AppendCode(static_cast<int32_t>(t.columns[0].dictionary.size() - 1));
    for (int c = 1; c <= 2; ++c) {
      const Date d = c == 1 ? span.first : span.last;
      if (d == kNullDate) {
        t.columns[static_cast<size_t>(c)].AppendNull();
      } else {
        t.columns[static_cast<size_t>(c)].AppendInt32(d);
      }
    }
    t.columns[3].AppendInt64(span.days);
  }
  return t;
}

}  // namespace

std::string QuotedColumnList(const Table& t, std::string_view prefix) {
  std::string out;
  for (const Column& c : t.columns) {
    if (!out.empty()) out += ", ";
    out += std::string(prefix) + "\"" + c.name + "\"";
  }
  return out;
}

TableAppender::TableAppender(Table* table) : table_(table), codes_(table->columns.size()) {
  for (size_t c = 0; c < table->columns.size(); ++c) {
    const Column& col = table->columns[c];
    for (size_t i = 0; i < col.dictionary.size(); ++i) codes_[c].emplace(col.dictionary[i], static_cast<int32_t>(i));
  }
}

void TableAppender::AppendInt(size_t col, int64_t v) {
  Column& c = table_->columns[col];
  if (c.type == ColumnType::kInt64) {
    c.AppendInt64(v);
  } else {
    c.AppendInt32(static_cast<int32_t>(v));
  }
}

void TableAppender::AppendString(size_t col, std::string_view v) {
  Column& c = table_->columns[col];
  auto [it, inserted] = codes_[col].try_emplace(std::string(v), static_cast<int32_t>(c.dictionary.size()));
  if (inserted) c.dictionary.emplace_back(v);
  c.AppendCode(it->second);
}

Status TableAppender::AppendText(size_t col, std::string_view text) {
  const Column& c = table_->columns[col];
  switch (c.type) {
    case ColumnType::kString: AppendString(col, text); return Status::OK();
    case ColumnType::kDate: {
      Date d;
      if (!ParseIsoDate(text.data(), text.size(), &d)) break;
      table_->columns[col].AppendInt32(d);
      return Status::OK();
    }
    case ColumnType::kInt32:
    case ColumnType::kInt64: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) break;
      AppendInt(col, v);
      return Status::OK();
    }
    case ColumnType::kDouble: {
      // from_chars reads "Infinity"/"NaN" as PostgreSQL prints them; PostgreSQL's
      // shortest round-trip output makes the value exact.
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) break;
      AppendDouble(col, v);
      return Status::OK();
    }
  }
  return Status::Corruption("store returned '" + std::string(text) + "' for column " + c.name);
}

const std::vector<StoreTableDef>& StoreTables() {
  static const std::vector<StoreTableDef> kTables = {
      {"stocks", kSilverBars, "\"ticker\", \"date\"", true},
      {"indicators", kGoldIndicators, "\"ticker\", \"date\"", true},
      {"bars_weekly", kGoldBarsWeekly, "\"ticker\", \"period_start\"", true},
      {"bars_monthly", kGoldBarsMonthly, "\"ticker\", \"period_start\"", true},
      {"bars_quarterly", kGoldBarsQuarterly, "\"ticker\", \"period_start\"", true},
      {"rejects", kRejects,
       "\"source_file\", \"line\", \"ticker\" IS NULL, \"ticker\", \"date\" IS NULL, \"date\", \"reason\"", false},
  };
  return kTables;
}

const std::vector<StoreTableDef>& MlStoreTables() {
  static const std::vector<StoreTableDef> kTables = {
      {"predictions", kGoldPredictions, "\"quarter\", \"model\", \"rank\", \"ticker\"", false},
      {"backtests", kGoldBacktest, "\"backtest_id\", \"quarter\", \"predictor\"", false},
      {"backtest_predictions", kGoldBacktestPredictions, "\"backtest_id\", \"quarter\", \"ticker\"", false},
  };
  return kTables;
}

const StoreTableDef* FindStoreTable(std::string_view lake_name) {
  for (const auto* tables : {&StoreTables(), &MlStoreTables()}) {
    for (const StoreTableDef& def : *tables) {
      if (def.lake_name == lake_name) return &def;
    }
  }
  return nullptr;
}

Status SqlStore::Command(const std::string& sql, const std::vector<SqlParam>& params) {
  Table none;
  return Query(sql, params, &none);
}

Status SqlStore::Migrate(int target) {
  const std::vector<std::string>& migrations = Migrations();
  const int latest = static_cast<int>(migrations.size());
  if (target == 0) target = latest;
  if (target < 0 || target > latest) {
    return Status::InvalidArgument("schema version " + std::to_string(target) + " unknown (this build knows 1.." +
                                   std::to_string(latest) + ")");
  }
  for (;;) {
    SL_RETURN_IF_ERROR(Begin());
    // Created under the schema lock: two PostgreSQL sessions creating it at once can
    // otherwise both pass IF NOT EXISTS and one fail.
    Status st = LockSchema();
    if (st.ok()) {
      st = Execute(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    }
    Result<int> current = st.ok() ? SchemaVersion() : Result<int>(st);
    if (!current.ok()) {
      RollbackAfterError();
      return current.status();
    }
    if (*current > latest) {
      RollbackAfterError();
      return Status::NotSupported("the store's schema is version " + std::to_string(*current) +
                                  ", newer than this stocklake knows (" + std::to_string(latest) +
                                  "): upgrade stocklake");
    }
    if (*current >= target) return Execute("COMMIT");
    const int next = *current + 1;
    st = Execute(migrations[static_cast<size_t>(next - 1)]);
    if (st.ok())
      st = Command("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                   {int64_t{next}, UtcTimestampNow()});
    if (st.ok()) st = Execute("COMMIT");
    if (!st.ok()) {
      RollbackAfterError();
      return st.WithContext("applying store schema migration " + std::to_string(next));
    }
  }
}

Result<int> SqlStore::SchemaVersion() {
  Table t;
  t.columns = {{"version", ColumnType::kInt64, true}};
  SL_RETURN_IF_ERROR(Query("SELECT max(version) FROM schema_migrations", {}, &t));
  if (t.num_rows() == 0 || t.columns[0].IsNull(0)) return 0;
  return static_cast<int>(t.columns[0].i64[0]);
}

Result<std::map<int, LoadedBucket>> SqlStore::LoadedBuckets() {
  Table t;
  t.columns = {{"bucket", ColumnType::kInt64, false},
               {"snapshot_id", ColumnType::kInt64, false},
               {"partitions", ColumnType::kInt64, false},
               {"files", ColumnType::kString, false}};
  SL_RETURN_IF_ERROR(Query("SELECT bucket, snapshot_id, partitions, files FROM sync_state", {}, &t));
  std::map<int, LoadedBucket> out;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    LoadedBucket& b = out[static_cast<int>(t.columns[0].i64[r])];
    b.snapshot_id = t.columns[1].i64[r];
    b.partitions = static_cast<int>(t.columns[2].i64[r]);
    b.files = std::string(t.columns[3].StringAt(r));
  }
  return out;
}

Status SqlStore::ReplaceBucket(const BucketContents& contents) {
  SL_RETURN_IF_ERROR(PrepareBucket(contents));
  SL_RETURN_IF_ERROR(Begin());
  Status st = ReplaceBucketInTransaction(contents);
  if (st.ok()) st = Execute("COMMIT");
  if (!st.ok()) {
    RollbackAfterError();
    return st.WithContext("loading bucket " + std::to_string(contents.bucket) + " into the " + std::string(backend()) +
                          " store");
  }
  return Status::OK();
}

Status SqlStore::ReplaceBucketInTransaction(const BucketContents& contents) {
  const int64_t bucket = contents.bucket;
  SL_RETURN_IF_ERROR(LockBucket(contents.bucket));
  SL_RETURN_IF_ERROR(ReplaceBucketRows(contents));
  SL_RETURN_IF_ERROR(Command("DELETE FROM tickers WHERE bucket = $1", {bucket}));
  const Table tickers = TickersOf(contents);
  if (tickers.num_rows() > 0) SL_RETURN_IF_ERROR(BulkInsert("tickers", contents.bucket, tickers));
  SL_RETURN_IF_ERROR(Command("DELETE FROM sync_state WHERE bucket = $1", {bucket}));
  return Command("INSERT INTO sync_state (bucket, snapshot_id, partitions, files) VALUES ($1, $2, $3, $4)",
                 {bucket, contents.state.snapshot_id, int64_t{contents.state.partitions}, contents.state.files});
}

Status SqlStore::ReplaceBucketRows(const BucketContents& contents) {
  for (const StoreTableDef& def : StoreTables()) SL_RETURN_IF_ERROR(DeleteThenInsert(def, contents));
  return Status::OK();
}

Status SqlStore::DeleteThenInsert(const StoreTableDef& def, const BucketContents& contents) {
  // Ticker-keyed tables are found through the tickers table, so their primary keys serve
  // the delete and they need no index on bucket; rejects (possibly without a ticker) by
  // their bucket column.
  const std::string table(def.store_name);
  const std::string sql =
      def.keyed_by_ticker ? "DELETE FROM " + table + " WHERE ticker IN (SELECT ticker FROM tickers WHERE bucket = $1)"
                          : "DELETE FROM " + table + " WHERE bucket = $1";
  SL_RETURN_IF_ERROR(Command(sql, {int64_t{contents.bucket}}));
  auto it = contents.tables.find(def.lake_name);
  if (it == contents.tables.end() || it->second.num_rows() == 0) return Status::OK();
  return BulkInsert(def.store_name, contents.bucket, it->second);
}

Status SqlStore::Reset() {
  SL_RETURN_IF_ERROR(Begin());
  Status st;
  for (const StoreTableDef& def : StoreTables()) {
    if (st.ok()) st = Execute("DELETE FROM " + std::string(def.store_name));
  }
  if (st.ok()) st = Execute("DELETE FROM tickers");
  if (st.ok()) st = Execute("DELETE FROM sync_state");
  if (st.ok()) st = Execute("COMMIT");
  if (!st.ok()) RollbackAfterError();
  return st;
}

Result<std::set<int64_t>> SqlStore::RecordedRunIds() {
  Table t;
  t.columns = {{"snapshot_id", ColumnType::kInt64, false}};
  SL_RETURN_IF_ERROR(Query("SELECT snapshot_id FROM runs", {}, &t));
  return std::set<int64_t>(t.columns[0].i64.begin(), t.columns[0].i64.end());
}

Status SqlStore::RecordRuns(const std::vector<RunRecord>& runs) {
  if (runs.empty()) return Status::OK();
  SL_RETURN_IF_ERROR(Begin());
  Status st;
  for (const RunRecord& r : runs) {
    if (!st.ok()) break;
    st = Command(
        "INSERT INTO runs (snapshot_id, committed_at, rows_read, accepted, rejected, duplicates, "
        "earlier_rows_displaced, files_ingested, files_skipped, summary_json) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (snapshot_id) DO NOTHING",
        {r.snapshot_id, r.committed_at, r.rows_read, r.accepted, r.rejected, r.duplicates, r.earlier_rows_displaced,
         r.files_ingested, r.files_skipped, r.summary_json});
  }
  if (st.ok()) st = Execute("COMMIT");
  if (!st.ok()) {
    RollbackAfterError();
    return st.WithContext("recording runs in the store");
  }
  return Status::OK();
}

Result<std::optional<int64_t>> SqlStore::BucketOf(const std::string& ticker) {
  Table t;
  t.columns = {{"bucket", ColumnType::kInt64, false}};
  SL_RETURN_IF_ERROR(Query("SELECT bucket FROM tickers WHERE ticker = $1", {ticker}, &t));
  if (t.num_rows() == 0) {
    bucket_cache_.erase(ticker);
    return std::optional<int64_t>();
  }
  bucket_cache_[ticker] = t.columns[0].i64[0];
  return std::optional<int64_t>(t.columns[0].i64[0]);
}

Status SqlStore::QueryTickerRows(const std::string& ticker, const std::string& sql, std::vector<SqlParam> params,
                                 Table* out) {
  // The bucket goes in as the last parameter: PostgreSQL then plans only the bucket's
  // partition (a subquery on tickers would leave every partition in the plan, pruned only
  // at run time: slower). The bucket comes from a per-connection cache, sparing a round
  // trip: a ticker changes bucket only when the lake's bucket count changes, and a stale
  // entry names a bucket without the ticker's rows, so an empty answer is asked again
  // with a fresh lookup.
  const Table empty = *out;
  params.emplace_back(int64_t{0});
  auto cached = bucket_cache_.find(ticker);
  std::optional<int64_t> tried;
  if (cached != bucket_cache_.end()) {
    tried = cached->second;
    params.back() = *tried;
    SL_RETURN_IF_ERROR(Query(sql, params, out));
    if (out->num_rows() > 0) return Status::OK();
  }
  SL_ASSIGN_OR_RETURN(std::optional<int64_t> bucket, BucketOf(ticker));
  if (!bucket || bucket == tried) return Status::OK();  // no such ticker, or truly empty
  *out = empty;
  params.back() = *bucket;
  return Query(sql, params, out);
}

namespace {

//! The lake table holding bars of `interval` (the store mirrors it under StoreTables' name).
std::string_view LakeTableOf(BarInterval interval) {
  switch (interval) {
    case BarInterval::kDay: return kSilverBars;
    case BarInterval::kWeek: return kGoldBarsWeekly;
    case BarInterval::kMonth: return kGoldBarsMonthly;
    case BarInterval::kQuarter: return kGoldBarsQuarterly;
  }
  return kSilverBars;
}

}  // namespace

Result<Table> SqlStore::Bars(const BarsQuery& query) {
  const std::string_view lake_table = LakeTableOf(query.interval);
  const std::string table(FindStoreTable(lake_table)->store_name);
  Table out = EmptyTableFor(lake_table);
  const std::string where = query.interval == BarInterval::kDay
                                ? "\"date\" >= $2 AND \"date\" <= $3 ORDER BY \"date\""
                                : "period_end >= $2 AND period_start <= $3 ORDER BY period_start";
  SL_RETURN_IF_ERROR(QueryTickerRows(
      query.ticker,
      "SELECT " + QuotedColumnList(out) + " FROM " + table + " WHERE ticker = $1 AND bucket = $4 AND " + where,
      {query.ticker, DateParam(query.from, kMinDate), DateParam(query.to, kMaxDate)}, &out));
  return out;
}

Result<Table> SqlStore::LatestIndicators(std::string_view ticker) {
  Table out = EmptyTableFor(kGoldIndicators);
  SL_RETURN_IF_ERROR(QueryTickerRows(std::string(ticker),
                                     "SELECT " + QuotedColumnList(out) +
                                         " FROM indicators WHERE ticker = $1 AND bucket = $2 ORDER BY \"date\" DESC "
                                         "LIMIT 1",
                                     {std::string(ticker)}, &out));
  return out;
}

Result<Table> SqlStore::Indicators(const IndicatorsQuery& query) {
  Table out = EmptyTableFor(kGoldIndicators);
  SL_RETURN_IF_ERROR(QueryTickerRows(
      query.ticker,
      "SELECT " + QuotedColumnList(out) +
          " FROM indicators WHERE ticker = $1 AND bucket = $5 AND \"date\" >= $2 AND "
          "\"date\" <= $3 ORDER BY \"date\" LIMIT $4",
      {query.ticker, DateParam(query.from, kMinDate), DateParam(query.to, kMaxDate), std::max<int64_t>(query.limit, 0)},
      &out));
  return out;
}

Result<Table> SqlStore::Tickers(const TickersQuery& query) {
  Table out;
  out.columns = {{"ticker", ColumnType::kString, false},
                 {"first_date", ColumnType::kDate, true},
                 {"last_date", ColumnType::kDate, true},
                 {"days", ColumnType::kInt64, false}};
  // substr/length instead of LIKE: a prefix is compared as data, never as a pattern.
  SL_RETURN_IF_ERROR(
      Query("SELECT ticker, first_date, last_date, days FROM tickers "
            "WHERE substr(ticker, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT) "
            "AND ticker > CAST($2 AS TEXT) ORDER BY ticker LIMIT $3",
            {query.prefix, query.after, std::max<int64_t>(query.limit, 0)}, &out));
  return out;
}

Result<TickerTotals> SqlStore::Totals() {
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

Result<std::map<std::string, int64_t>> SqlStore::RejectCountsByReason() {
  Table t;
  t.columns = {{"reason", ColumnType::kString, false}, {"n", ColumnType::kInt64, false}};
  SL_RETURN_IF_ERROR(Query("SELECT reason, count(*) FROM rejects GROUP BY reason ORDER BY reason", {}, &t));
  std::map<std::string, int64_t> out;
  for (size_t r = 0; r < t.num_rows(); ++r) out[std::string(t.columns[0].StringAt(r))] = t.columns[1].i64[r];
  return out;
}

Table SqlStore::CrossSectionTable() {
  Table out;
  out.columns = {{"ticker", ColumnType::kString, false},
                 {"date", ColumnType::kDate, false},
                 {"close", ColumnType::kDouble, false},
                 {"volume", ColumnType::kInt64, false},
                 {"return_1d", ColumnType::kDouble, true}};
  return out;
}

std::string SqlStore::CrossSectionRanking(CrossSectionOrder order, std::string_view returns, std::string_view volumes) {
  const std::string r(returns), v(volumes);
  switch (order) {
    case CrossSectionOrder::kTopGainers: return "AND " + r + ".return_1d IS NOT NULL ORDER BY " + r + ".return_1d DESC";
    case CrossSectionOrder::kTopLosers: return "AND " + r + ".return_1d IS NOT NULL ORDER BY " + r + ".return_1d ASC";
    case CrossSectionOrder::kMostTraded: return "ORDER BY " + v + ".volume DESC";
  }
  return "";
}

Result<Table> SqlStore::CrossSection(const CrossSectionQuery& query) {
  if (query.date == kNullDate) return Status::InvalidArgument("cross-section needs a date");
  Table out = CrossSectionTable();
  const std::string rank = CrossSectionRanking(query.order, "i", "s");
  SL_RETURN_IF_ERROR(Query(
      // Driven by the tickers table: one primary-key probe per ticker listed at that date,
      // so no index on date is needed (each would slow every load). The bucket equalities
      // let PostgreSQL probe only the ticker's bucket partition. CROSS JOIN makes
      // SQLite keep tickers as the outer loop; PostgreSQL plans it as an inner join.
      "SELECT s.ticker, s.\"date\", s.close, s.volume, i.return_1d FROM tickers t CROSS JOIN stocks s "
      "LEFT JOIN indicators i ON i.ticker = s.ticker AND i.\"date\" = s.\"date\" AND i.bucket = s.bucket "
      "WHERE s.ticker = t.ticker AND s.bucket = t.bucket AND s.\"date\" = $1 AND t.first_date <= $1 AND t.last_date >= "
      "$1 " +
          rank + ", s.ticker LIMIT $2",
      {FormatDate(query.date), int64_t{std::max(query.limit, 0)}}, &out));
  return out;
}

Result<std::vector<std::string>> SqlStore::SearchTickers(std::string_view prefix, int limit) {
  Table t;
  t.columns = {{"ticker", ColumnType::kString, false}};
  // substr/length instead of LIKE: a prefix is compared as data, never as a pattern.
  SL_RETURN_IF_ERROR(
      Query("SELECT ticker FROM tickers WHERE substr(ticker, 1, length(CAST($1 AS TEXT))) = "
            "CAST($1 AS TEXT) ORDER BY ticker LIMIT $2",
            {std::string(prefix), int64_t{std::max(limit, 0)}}, &t));
  std::vector<std::string> out;
  out.reserve(t.num_rows());
  for (size_t r = 0; r < t.num_rows(); ++r) out.emplace_back(t.columns[0].StringAt(r));
  return out;
}

Result<std::vector<RunRecord>> SqlStore::Runs() {
  Table t = RunsSchema();
  SL_RETURN_IF_ERROR(Query("SELECT " + QuotedColumnList(t) + " FROM runs ORDER BY snapshot_id", {}, &t));
  std::vector<RunRecord> out(t.num_rows());
  for (size_t r = 0; r < out.size(); ++r) {
    RunRecord& run = out[r];
    run.snapshot_id = t.columns[0].i64[r];
    run.committed_at = std::string(t.columns[1].StringAt(r));
    run.rows_read = t.columns[2].i64[r];
    run.accepted = t.columns[3].i64[r];
    run.rejected = t.columns[4].i64[r];
    run.duplicates = t.columns[5].i64[r];
    run.earlier_rows_displaced = t.columns[6].i64[r];
    run.files_ingested = t.columns[7].i64[r];
    run.files_skipped = t.columns[8].i64[r];
    run.summary_json = std::string(t.columns[9].StringAt(r));
  }
  return out;
}

Result<Table> SqlStore::Rejects(const RejectsQuery& query) {
  Table out = EmptyTableFor(kRejects);
  const SqlParam reason = query.reason.empty() ? SqlParam{} : SqlParam{query.reason};
  const SqlParam ticker = query.ticker.empty() ? SqlParam{} : SqlParam{query.ticker};
  SL_RETURN_IF_ERROR(Query("SELECT " + QuotedColumnList(out) +
                               " FROM rejects WHERE (CAST($1 AS TEXT) IS NULL OR reason = CAST($1 AS TEXT)) "
                               "AND (CAST($2 AS TEXT) IS NULL OR ticker = CAST($2 AS TEXT)) ORDER BY " +
                               std::string(FindStoreTable(kRejects)->order_by) + " LIMIT $3 OFFSET $4",
                           {reason, ticker, int64_t{std::max(query.limit, 0)}, std::max<int64_t>(query.offset, 0)},
                           &out));
  return out;
}

Result<Table> SqlStore::ScanTable(std::string_view lake_table) {
  const StoreTableDef* def = FindStoreTable(lake_table);
  if (def == nullptr)
    return Status::InvalidArgument("no store table mirrors lake table '" + std::string(lake_table) + "'");
  Table out = EmptyTableFor(lake_table);
  SL_RETURN_IF_ERROR(Query("SELECT " + QuotedColumnList(out) + " FROM " + std::string(def->store_name) + " ORDER BY " +
                               std::string(def->order_by),
                           {}, &out));
  return out;
}

}  // namespace stocklake
