// SqlStore's part for the speed layer: intraday_bars, the windows a stream processor
// keeps up to date, and stream_partitions, the offset and window state of each partition
// it consumed, committed together so a restarted processor resumes exactly where the
// bars it wrote left off (spec/stream.md, "Exactly once"). The same SQL on both backends,
// under the conventions of sql_store.h; timestamps cross the interface as Unix ms and
// each backend converts them (MillisToTimestamp, TimestampToMillis).
#include <algorithm>
#include <limits>
#include <tuple>

#include "lake/table_schemas.h"
#include "store/sql_store.h"

namespace stocklake {

namespace {

//! A connection's own (temporary) table that a commit's bars are bulk-loaded into (COPY
//! on PostgreSQL) before one INSERT ... SELECT upserts them all: thousands of bars in one
//! statement text, parsed and planned once instead of per chunk of VALUES.
constexpr const char* kStagingTable = "stream_bars_staging";

//! Positions in `bars` of the last bar of each (symbol, window_start), ordered by that key
//! (so concurrent committers take row locks in one order and cannot deadlock).
std::vector<size_t> LastBarPerKey(const std::vector<IntradayBarRow>& bars) {
  std::vector<size_t> order(bars.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](size_t i) { return std::tie(bars[i].symbol, bars[i].window_start_ms); };
  // Stable, and the last of equal keys kept: a later bar of a window is its newer state.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  std::vector<size_t> out;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i + 1 < order.size() && key(order[i]) == key(order[i + 1])) continue;
    out.push_back(order[i]);
  }
  return out;
}

}  // namespace

Result<std::map<int, StreamPartitionCheckpoint>> SqlStore::LoadStreamCheckpoints(std::string_view topic) {
  Table t;
  t.columns = {{"partition", ColumnType::kInt64, false},
               {"next_offset", ColumnType::kInt64, false},
               {"state", ColumnType::kString, false},
               {"log_end_offset", ColumnType::kInt64, false}};
  t.columns.push_back({"owner_epoch", ColumnType::kInt64, false});
  Status st = Query(
      "SELECT \"partition\", next_offset, state, log_end_offset, owner_epoch FROM stream_partitions WHERE topic = $1",
      {std::string(topic)}, &t);
  if (!st.ok()) {
    return st.WithContext("reading the checkpoints of topic '" + std::string(topic) + "' from the " +
                          std::string(backend()) + " store");
  }
  std::map<int, StreamPartitionCheckpoint> out;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    out[static_cast<int>(t.columns[0].i64[r])] = {t.columns[1].i64[r], std::string(t.columns[2].StringAt(r)),
                                                  t.columns[3].i64[r], t.columns[4].i64[r]};
  }
  return out;
}

Result<std::map<int, StreamPartitionCheckpoint>> SqlStore::ClaimStreamPartitions(std::string_view topic,
                                                                                 const std::vector<int>& partitions) {
  std::map<int, StreamPartitionCheckpoint> out;
  SL_RETURN_IF_ERROR(Begin());
  Status st;
  for (const int partition : partitions) {
    Table t;
    t.columns = {{"next_offset", ColumnType::kInt64, false},
                 {"state", ColumnType::kString, false},
                 {"log_end_offset", ColumnType::kInt64, false},
                 {"owner_epoch", ColumnType::kInt64, false}};
    st = Query(
        "INSERT INTO stream_partitions (topic, \"partition\", next_offset, state, log_end_offset, owner_epoch, "
        "updated_at) VALUES ($1, $2, 0, '', 0, 1, " +
            CurrentTimestamp() +
            ") ON CONFLICT (topic, \"partition\") DO UPDATE SET owner_epoch = stream_partitions.owner_epoch + 1 "
            "RETURNING next_offset, state, log_end_offset, owner_epoch",
        {std::string(topic), int64_t{partition}}, &t);
    if (st.ok() && t.num_rows() != 1) st = Status::Corruption("the store returned no claimed row");
    if (!st.ok()) break;
    out[partition] = {t.columns[0].i64[0], std::string(t.columns[1].StringAt(0)), t.columns[2].i64[0],
                      t.columns[3].i64[0]};
  }
  if (st.ok()) st = Execute("COMMIT");
  if (!st.ok()) {
    RollbackAfterError();
    return st.WithContext("claiming partitions of topic '" + std::string(topic) + "' in the " + std::string(backend()) +
                          " store");
  }
  return out;
}

Result<std::pair<std::vector<int64_t>, int64_t>> SqlStore::FinalIntradayHoursUpdatedAfter(int64_t updated_after_ms) {
  const std::string hour = "(" + TimestampToMillis("window_start") + ") / 3600000";
  const std::string after = "updated_at > " + MillisToTimestamp("$1");
  Table hours;
  hours.columns = {{"hour", ColumnType::kInt64, false}};
  Status st = Query("SELECT DISTINCT " + hour + " FROM intraday_bars WHERE \"final\" AND " + after + " ORDER BY 1",
                    {updated_after_ms}, &hours);
  Table newest;
  newest.columns = {{"newest", ColumnType::kInt64, false}};
  if (st.ok()) {
    st = Query("SELECT COALESCE(" + TimestampToMillis("MAX(updated_at)") +
                   ", $1) FROM intraday_bars WHERE \"final\" AND " + after,
               {updated_after_ms}, &newest);
  }
  if (!st.ok()) return st.WithContext("finding the hours of newly final intraday bars");
  if (newest.num_rows() != 1) return Status::Corruption("the store returned no newest updated_at");
  return std::make_pair(hours.columns[0].i64, newest.columns[0].i64[0]);
}

Result<Table> SqlStore::FinalIntradayBarsOfHour(int64_t hour) {
  Table t = EmptyTableFor(kSilverIntradayBars);
  Status st = Query("SELECT symbol, " + TimestampToMillis("window_start") + ", " + TimestampToMillis("window_end") +
                        ", \"open\", high, low, \"close\", vwap, volume, trades FROM intraday_bars WHERE \"final\" AND "
                        "window_start >= " +
                        MillisToTimestamp("$1") + " AND window_start < " + MillisToTimestamp("$2") +
                        " ORDER BY symbol, window_start",
                    {hour * 3'600'000, (hour + 1) * 3'600'000}, &t);
  if (!st.ok()) return st.WithContext("reading the final intraday bars of hour " + std::to_string(hour));
  return t;
}

Result<StreamProgress> SqlStore::LoadStreamProgress() {
  Table t;
  t.columns = {{"partitions", ColumnType::kInt64, false},
               {"last_commit", ColumnType::kInt64, false},
               {"lag", ColumnType::kInt64, false}};
  Status st = Query("SELECT COUNT(*), COALESCE(" + TimestampToMillis("MAX(updated_at)") +
                        ", 0), CAST(COALESCE(SUM(CASE WHEN log_end_offset > next_offset THEN log_end_offset - "
                        "next_offset ELSE 0 END), 0) AS BIGINT) FROM stream_partitions",
                    {}, &t);
  if (!st.ok()) return st.WithContext("reading the stream's progress from the " + std::string(backend()) + " store");
  if (t.num_rows() != 1) return Status::Corruption("the store returned no totals of stream_partitions");
  return StreamProgress{t.columns[0].i64[0], t.columns[1].i64[0], t.columns[2].i64[0]};
}

Status SqlStore::CommitStreamBatch(std::string_view topic, const std::vector<IntradayBarRow>& bars,
                                   const std::map<int, StreamPartitionCheckpoint>& checkpoints) {
  for (const auto& [partition, checkpoint] : checkpoints) {
    // PostgreSQL text cannot hold NUL; refusing it on both backends keeps them alike.
    if (checkpoint.state.find('\0') != std::string::npos) {
      return Status::InvalidArgument("the window state of " + std::string(topic) + ":" + std::to_string(partition) +
                                     " holds a NUL byte; serialise it as text");
    }
  }
  if (!stream_staging_created_) {
    // Outside the transaction, so that a rollback cannot undo it.
    SL_RETURN_IF_ERROR(
        Execute(std::string("CREATE TEMPORARY TABLE IF NOT EXISTS ") + kStagingTable +
                " (symbol TEXT NOT NULL, window_start_ms BIGINT NOT NULL, window_end_ms BIGINT NOT NULL, "
                "\"open\" DOUBLE PRECISION NOT NULL, high DOUBLE PRECISION NOT NULL, low DOUBLE "
                "PRECISION NOT NULL, \"close\" DOUBLE PRECISION NOT NULL, vwap DOUBLE PRECISION NOT "
                "NULL, volume BIGINT NOT NULL, trades BIGINT NOT NULL, \"final\" BIGINT NOT NULL)" +
                OnCommitDeleteRows()));
    stream_staging_created_ = true;
  }
  SL_RETURN_IF_ERROR(Begin());
  Status st = CommitStreamBatchInTransaction(topic, bars, checkpoints);
  if (st.ok()) st = Execute("COMMIT");
  if (!st.ok()) {
    RollbackAfterError();
    return st.WithContext("committing " + std::to_string(bars.size()) + " intraday bars and " +
                          std::to_string(checkpoints.size()) + " checkpoints of topic '" + std::string(topic) +
                          "' to the " + std::string(backend()) + " store (nothing of it was committed)");
  }
  return Status::OK();
}

Status SqlStore::CommitStreamBatchInTransaction(std::string_view topic, const std::vector<IntradayBarRow>& bars,
                                                const std::map<int, StreamPartitionCheckpoint>& checkpoints) {
  // One updated_at for the whole commit, read from the database's clock.
  Table now;
  now.columns = {{"now", ColumnType::kInt64, false}};
  SL_RETURN_IF_ERROR(Query("SELECT " + TimestampToMillis(CurrentTimestamp()), {}, &now));
  if (now.num_rows() != 1) return Status::Corruption("the store did not return its current time");
  const int64_t updated_at = now.columns[0].i64[0];
  const std::string updated_at_sql = MillisToTimestamp("$1");

  const std::vector<size_t> rows = LastBarPerKey(bars);
  if (!rows.empty()) {
    Table staged;
    staged.columns = {{"symbol", ColumnType::kString, false},       {"window_start_ms", ColumnType::kInt64, false},
                      {"window_end_ms", ColumnType::kInt64, false}, {"open", ColumnType::kDouble, false},
                      {"high", ColumnType::kDouble, false},         {"low", ColumnType::kDouble, false},
                      {"close", ColumnType::kDouble, false},        {"vwap", ColumnType::kDouble, false},
                      {"volume", ColumnType::kInt64, false},        {"trades", ColumnType::kInt64, false},
                      {"final", ColumnType::kInt64, false}};
    for (Column& c : staged.columns) c.Reserve(rows.size());
    StringColumnBuilder symbols(&staged.columns[0]);
    for (size_t i : rows) {
      const IntradayBarRow& b = bars[i];
      symbols.Append(b.symbol);
      staged.columns[1].i64.push_back(b.window_start_ms);
      staged.columns[2].i64.push_back(b.window_end_ms);
      staged.columns[3].f64.push_back(b.open);
      staged.columns[4].f64.push_back(b.high);
      staged.columns[5].f64.push_back(b.low);
      staged.columns[6].f64.push_back(b.close);
      staged.columns[7].f64.push_back(b.vwap);
      staged.columns[8].i64.push_back(b.volume);
      staged.columns[9].i64.push_back(b.trades);
      staged.columns[10].i64.push_back(b.final ? 1 : 0);
    }
    SL_RETURN_IF_ERROR(Command(std::string("DELETE FROM ") + kStagingTable, {}));  // SQLite keeps them
    SL_RETURN_IF_ERROR(BulkInsert(kStagingTable, kNoBucketColumn, staged));
    // Rows go in in key order, so concurrent committers take row locks in one order and
    // cannot deadlock. "WHERE true": SQLite's parser needs it before ON CONFLICT.
    SL_RETURN_IF_ERROR(Command(
        "INSERT INTO intraday_bars (symbol, window_start, window_end, \"open\", high, low, \"close\", vwap, volume, "
        "trades, \"final\", updated_at) SELECT symbol, " +
            MillisToTimestamp("window_start_ms") + ", " + MillisToTimestamp("window_end_ms") +
            ", \"open\", high, low, \"close\", vwap, volume, trades, \"final\" <> 0, " + updated_at_sql + " FROM " +
            kStagingTable +
            " WHERE true ORDER BY symbol, window_start_ms"
            " ON CONFLICT (symbol, window_start) DO UPDATE SET window_end = excluded.window_end, "
            "\"open\" = excluded.\"open\", high = excluded.high, low = excluded.low, \"close\" = excluded.\"close\", "
            "vwap = excluded.vwap, volume = excluded.volume, trades = excluded.trades, \"final\" = excluded.\"final\", "
            "updated_at = excluded.updated_at",
        {updated_at}));
  }

  for (const auto& [partition, checkpoint] : checkpoints) {
    if (checkpoint.epoch > 0) {
      // Fenced: written only while this processor's claim is the partition's newest.
      Table updated;
      updated.columns = {{"partition", ColumnType::kInt64, false}};
      SL_RETURN_IF_ERROR(Query(
          "UPDATE stream_partitions SET next_offset = $4, state = $5, log_end_offset = $6, "
          "updated_at = " +
              updated_at_sql + " WHERE topic = $2 AND \"partition\" = $3 AND owner_epoch = $7 RETURNING \"partition\"",
          {updated_at, std::string(topic), int64_t{partition}, checkpoint.next_offset, checkpoint.state,
           checkpoint.log_end_offset, checkpoint.epoch},
          &updated));
      if (updated.num_rows() != 1) {
        return Status::Aborted("partition " + std::to_string(partition) + " of topic '" + std::string(topic) +
                               "' was claimed by another processor since epoch " + std::to_string(checkpoint.epoch) +
                               ": this processor no longer owns it");
      }
      continue;
    }
    SL_RETURN_IF_ERROR(
        Command("INSERT INTO stream_partitions (topic, \"partition\", next_offset, state, log_end_offset, "
                "updated_at) VALUES ($2, $3, $4, $5, $6, " +
                    updated_at_sql +
                    ") ON CONFLICT (topic, \"partition\") DO UPDATE SET next_offset = excluded.next_offset, "
                    "state = excluded.state, log_end_offset = excluded.log_end_offset, "
                    "updated_at = excluded.updated_at",
                {updated_at, std::string(topic), int64_t{partition}, checkpoint.next_offset, checkpoint.state,
                 checkpoint.log_end_offset}));
  }
  return Status::OK();
}

namespace {

//! The columns of intraday_bars rows as IntradayBars answers them.
Table IntradayTable() {
  Table t;
  t.columns = {{"symbol", ColumnType::kString, false},    {"window_start", ColumnType::kInt64, false},
               {"window_end", ColumnType::kInt64, false}, {"open", ColumnType::kDouble, false},
               {"high", ColumnType::kDouble, false},      {"low", ColumnType::kDouble, false},
               {"close", ColumnType::kDouble, false},     {"vwap", ColumnType::kDouble, false},
               {"volume", ColumnType::kInt64, false},     {"trades", ColumnType::kInt64, false},
               {"final", ColumnType::kInt32, false},      {"updated_at", ColumnType::kInt64, false}};
  return t;
}

//! "$N" of `value` appended to `params`.
std::string Param(std::vector<SqlParam>* params, SqlParam value) {
  params->push_back(std::move(value));
  return "$" + std::to_string(params->size());
}

//! "1 minute", "5 minutes", "90 seconds", "1.5 seconds": a width for messages.
std::string DescribeMillis(int64_t ms) {
  auto unit = [](int64_t n, const char* name) { return std::to_string(n) + " " + name + (n == 1 ? "" : "s"); };
  if (ms % 3'600'000 == 0) return unit(ms / 3'600'000, "hour");
  if (ms % 60'000 == 0) return unit(ms / 60'000, "minute");
  if (ms % 1000 == 0) return unit(ms / 1000, "second");
  return unit(ms, "millisecond");
}

}  // namespace

std::string SqlStore::IntradayColumns() const {
  return "symbol, " + TimestampToMillis("window_start") + ", " + TimestampToMillis("window_end") +
         ", \"open\", high, low, \"close\", vwap, volume, trades, CASE WHEN \"final\" THEN 1 ELSE 0 END, " +
         TimestampToMillis("updated_at");
}

std::string SqlStore::IntradayRollup(std::string_view where, std::string_view interval) const {
  // Each window falls in the bucket of its start; the bucket's open and close are read
  // back from the first and last window by primary key.
  const std::string i = "CAST(" + std::string(interval) + " AS BIGINT)";
  const std::string start = TimestampToMillis("window_start");
  return "WITH w AS (SELECT symbol, window_start, (" + start + " / " + i + ") * " + i + " AS bucket, " +
         TimestampToMillis("window_end") + " - " + start +
         " AS width, high, low, vwap, volume, trades, CASE WHEN \"final\" THEN 1 ELSE 0 END AS fin, " +
         TimestampToMillis("updated_at") + " AS ua FROM intraday_bars WHERE " + std::string(where) +
         "), g AS (SELECT symbol, bucket, min(window_start) AS first_start, max(window_start) AS last_start, "
         "max(high) AS high, min(low) AS low, sum(volume) AS volume, sum(trades) AS trades, "
         "CASE WHEN count(*) = 1 THEN max(vwap) WHEN sum(volume) > 0 THEN sum(vwap * volume) / "
         "CAST(sum(volume) AS DOUBLE PRECISION) END AS vwap, min(fin) AS fin, max(ua) AS ua, count(*) AS windows, "
         "max(width) AS width, max(" +
         i + " % width) AS misfit FROM w GROUP BY symbol, bucket), r AS (SELECT g.symbol, g.bucket, g.bucket + " + i +
         " AS bucket_end, o.\"open\", g.high, g.low, c.\"close\", g.vwap, g.volume, g.trades, g.fin, g.ua, g.windows, "
         "g.width, g.misfit FROM g JOIN intraday_bars o ON o.symbol = g.symbol AND o.window_start = g.first_start "
         "JOIN intraday_bars c ON c.symbol = g.symbol AND c.window_start = g.last_start) ";
}

Result<Table> SqlStore::IntradayBars(const IntradayBarsQuery& query) {
  const auto context = [&](const Status& st) {
    return st.WithContext("reading the intraday bars of '" + query.symbol + "'");
  };
  std::vector<SqlParam> params;
  std::string where = "symbol = " + Param(&params, query.symbol);
  if (query.interval_ms <= 0) {
    if (query.from_ms) where += " AND window_start >= " + MillisToTimestamp(Param(&params, *query.from_ms));
    if (query.to_ms) where += " AND window_start <= " + MillisToTimestamp(Param(&params, *query.to_ms));
    const std::string limit = Param(&params, std::max<int64_t>(query.limit, 0));
    Table t = IntradayTable();
    Status st = Query(
        "SELECT " + IntradayColumns() + " FROM intraday_bars WHERE " + where + " ORDER BY window_start LIMIT " + limit,
        params, &t);
    if (!st.ok()) return context(st);
    return t;
  }

  // Whole buckets: every window of a bucket overlapping [from, to] (epoch-aligned, so a
  // window's bucket is that of its start).
  const int64_t interval = query.interval_ms;
  const auto floor_to = [&](int64_t ms) { return ms - ((ms % interval) + interval) % interval; };
  if (query.from_ms) {
    where += " AND window_start >= " + MillisToTimestamp(Param(&params, floor_to(*query.from_ms)));
  }
  if (query.to_ms && *query.to_ms < std::numeric_limits<int64_t>::max() - interval) {
    where += " AND window_start < " + MillisToTimestamp(Param(&params, floor_to(*query.to_ms) + interval));
  }
  const std::string i = Param(&params, interval);
  const std::string limit = Param(&params, std::max<int64_t>(query.limit, 0));
  Table t = IntradayTable();
  t.columns[7].nullable = true;  // vwap: NULL without volume
  t.columns.push_back({"windows", ColumnType::kInt64, false});
  t.columns.push_back({"width", ColumnType::kInt64, false});
  t.columns.push_back({"misfit", ColumnType::kInt64, false});
  Status st = Query(IntradayRollup(where, i) +
                        "SELECT symbol, bucket, bucket_end, \"open\", high, low, \"close\", vwap, volume, trades, fin, "
                        "ua, windows, width, misfit FROM r ORDER BY bucket LIMIT " +
                        limit,
                    params, &t);
  if (!st.ok()) return context(st);
  const Column& width = t.columns[13];
  const Column& misfit = t.columns[14];
  for (size_t r = 0; r < t.num_rows(); ++r) {
    if (misfit.i64[r] == 0) continue;
    return Status::InvalidArgument("the stored windows of " + query.symbol + " are " + DescribeMillis(width.i64[r]) +
                                   " wide: an interval of " + DescribeMillis(interval) +
                                   " does not fit them; ask for a multiple of " + DescribeMillis(width.i64[r]));
  }
  t.columns.resize(13);
  return t;
}

Result<Table> SqlStore::IntradayUpdates(const IntradayUpdatesQuery& query) {
  if (query.symbols.empty()) return Status::InvalidArgument("reading intraday updates needs at least one symbol");
  std::vector<SqlParam> params;
  std::string in;
  for (const std::string& symbol : query.symbols) in += (in.empty() ? "" : ", ") + Param(&params, symbol);
  const std::string after = MillisToTimestamp(Param(&params, query.after.updated_at_ms));
  std::string where = "symbol IN (" + in + ") AND (updated_at > " + after;
  if (!query.after.symbol.empty()) {
    const std::string symbol = Param(&params, query.after.symbol);
    where += " OR (updated_at = " + after + " AND (symbol > " + symbol + " OR (symbol = " + symbol +
             " AND window_start > " + MillisToTimestamp(Param(&params, query.after.window_start_ms)) + ")))";
  }
  where += ")";
  const std::string limit = Param(&params, std::max<int64_t>(query.limit, 0));
  Table t = IntradayTable();
  Status st = Query("SELECT " + IntradayColumns() + " FROM intraday_bars WHERE " + where +
                        " ORDER BY updated_at, symbol, window_start LIMIT " + limit,
                    params, &t);
  if (!st.ok())
    return st.WithContext("reading the intraday bars updated since " + std::to_string(query.after.updated_at_ms));
  return t;
}

Result<Table> SqlStore::IntradaySymbols() {
  Table t;
  t.columns = {{"symbol", ColumnType::kString, false},
               {"windows", ColumnType::kInt64, false},
               {"first_window_start", ColumnType::kInt64, false},
               {"last_window_start", ColumnType::kInt64, false},
               {"updated_at", ColumnType::kInt64, false},
               {"window_ms", ColumnType::kInt64, false}};
  const std::string start = TimestampToMillis("window_start");
  Status st = Query("SELECT symbol, count(*), min(" + start + "), max(" + start + "), max(" +
                        TimestampToMillis("updated_at") + "), max(" + TimestampToMillis("window_end") + " - " + start +
                        ") FROM intraday_bars GROUP BY symbol ORDER BY symbol",
                    {}, &t);
  if (!st.ok()) return st.WithContext("listing the symbols of intraday_bars");
  return t;
}

Result<SpeedBatchComparison> SqlStore::CompareSpeedWithBatch(double price_tolerance, int limit) {
  std::vector<SqlParam> params;
  const std::string rollup = IntradayRollup("1 = 1", Param(&params, int64_t{86'400'000}));
  const std::string tolerance = "CAST(" + Param(&params, price_tolerance) + " AS DOUBLE PRECISION)";
  std::string differs = "r.volume <> s.volume";
  for (const char* field : {"\"open\"", "high", "low", "\"close\""}) {
    const std::string a = std::string("r.") + field, b = std::string("s.") + field;
    differs += " OR abs(" + a + " - " + b + ") > " + tolerance + " * (CASE WHEN abs(" + a + ") > abs(" + b +
               ") THEN abs(" + a + ") ELSE abs(" + b + ") END)";
  }
  // Only whole UTC days fit: windows of a width not dividing a day are left out.
  const std::string joined =
      " FROM r JOIN stocks s ON s.ticker = r.symbol AND s.\"date\" = " + MillisToDate("r.bucket") +
      " WHERE r.misfit = 0";
  SpeedBatchComparison out;
  Table counts;
  counts.columns = {{"compared", ColumnType::kInt64, false}, {"differing", ColumnType::kInt64, true}};
  Status st =
      Query(rollup + "SELECT count(*), sum(CASE WHEN " + differs + " THEN 1 ELSE 0 END)" + joined, params, &counts);
  if (st.ok() && counts.num_rows() == 1) {
    out.days_compared = counts.columns[0].i64[0];
    out.days_differing = counts.columns[1].IsNull(0) ? 0 : counts.columns[1].i64[0];
  }
  Table days;
  days.columns = {{"ticker", ColumnType::kString, false}, {"date", ColumnType::kDate, false}};
  for (const char* side : {"speed", "batch"}) {
    for (const char* field : {"open", "high", "low", "close"}) {
      days.columns.push_back({std::string(side) + "_" + field, ColumnType::kDouble, false});
    }
    days.columns.push_back({std::string(side) + "_volume", ColumnType::kInt64, false});
  }
  if (st.ok()) {
    const std::string n = Param(&params, int64_t{std::max(limit, 0)});
    st = Query(rollup + "SELECT r.symbol, " + MillisToDate("r.bucket") +
                   ", r.\"open\", r.high, r.low, r.\"close\", r.volume, s.\"open\", s.high, s.low, s.\"close\", "
                   "s.volume" +
                   joined + " AND (" + differs + ") ORDER BY r.bucket DESC, r.symbol LIMIT " + n,
               params, &days);
  }
  if (!st.ok()) return st.WithContext("comparing the speed layer's days with the batch's bars");
  for (size_t r = 0; r < days.num_rows(); ++r) {
    SpeedBatchDay& d = out.differing.emplace_back();
    d.ticker = std::string(days.columns[0].StringAt(r));
    d.date = days.columns[1].i32[r];
    DayOhlcv* sides[] = {&d.speed, &d.batch};
    for (size_t side = 0; side < 2; ++side) {
      const size_t c = 2 + side * 5;
      *sides[side] = {days.columns[c].f64[r], days.columns[c + 1].f64[r], days.columns[c + 2].f64[r],
                      days.columns[c + 3].f64[r], days.columns[c + 4].i64[r]};
    }
  }
  return out;
}

}  // namespace stocklake
