// SqlStore's part for the speed layer: intraday_bars, the windows a stream processor
// keeps up to date, and stream_partitions, the offset and window state of each partition
// it consumed, committed together so a restarted processor resumes exactly where the
// bars it wrote left off (spec/stream.md, "Exactly once"). The same SQL on both backends,
// under the conventions of sql_store.h; timestamps cross the interface as Unix ms and
// each backend converts them (MillisToTimestamp, TimestampToMillis).
#include <algorithm>
#include <tuple>

#include "store/sql_store.h"

namespace stocklake {

namespace {

//! Bars per INSERT statement: one round trip each on PostgreSQL, and few enough
//! parameters (11 per bar) for SQLite's by-name binding.
constexpr size_t kBarsPerStatement = 100;

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
  for (size_t begin = 0; begin < rows.size(); begin += kBarsPerStatement) {
    const size_t end = std::min(rows.size(), begin + kBarsPerStatement);
    std::string sql =
        "INSERT INTO intraday_bars (symbol, window_start, window_end, \"open\", high, low, \"close\", vwap, volume, "
        "trades, \"final\", updated_at) VALUES ";
    std::vector<SqlParam> params = {updated_at};
    params.reserve(1 + (end - begin) * 11);
    for (size_t i = begin; i < end; ++i) {
      const IntradayBarRow& b = bars[rows[i]];
      auto p = [&](SqlParam v) {
        params.push_back(std::move(v));
        return "$" + std::to_string(params.size());
      };
      sql += i == begin ? "(" : ", (";
      sql += p(b.symbol) + ", " + MillisToTimestamp(p(b.window_start_ms)) + ", " +
             MillisToTimestamp(p(b.window_end_ms)) + ", " + p(b.open) + ", " + p(b.high) + ", " + p(b.low) + ", " +
             p(b.close) + ", " + p(b.vwap) + ", " + p(b.volume) + ", " + p(b.trades) + ", " +
             p(int64_t{b.final ? 1 : 0}) + ", " + updated_at_sql + ")";
    }
    sql +=
        " ON CONFLICT (symbol, window_start) DO UPDATE SET window_end = excluded.window_end, "
        "\"open\" = excluded.\"open\", high = excluded.high, low = excluded.low, \"close\" = excluded.\"close\", "
        "vwap = excluded.vwap, volume = excluded.volume, trades = excluded.trades, \"final\" = excluded.\"final\", "
        "updated_at = excluded.updated_at";
    SL_RETURN_IF_ERROR(Command(sql, params));
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

Result<Table> SqlStore::IntradayBars(const IntradayBarsQuery& query) {
  Table t;
  t.columns = {{"symbol", ColumnType::kString, false},    {"window_start", ColumnType::kInt64, false},
               {"window_end", ColumnType::kInt64, false}, {"open", ColumnType::kDouble, false},
               {"high", ColumnType::kDouble, false},      {"low", ColumnType::kDouble, false},
               {"close", ColumnType::kDouble, false},     {"vwap", ColumnType::kDouble, false},
               {"volume", ColumnType::kInt64, false},     {"trades", ColumnType::kInt64, false},
               {"final", ColumnType::kInt32, false},      {"updated_at", ColumnType::kInt64, false}};
  std::vector<SqlParam> params;
  params.emplace_back(query.symbol);
  std::string where = "symbol = $1";
  if (query.from_ms) {
    params.push_back(*query.from_ms);
    where += " AND window_start >= " + MillisToTimestamp("$" + std::to_string(params.size()));
  }
  if (query.to_ms) {
    params.push_back(*query.to_ms);
    where += " AND window_start <= " + MillisToTimestamp("$" + std::to_string(params.size()));
  }
  params.push_back(std::max<int64_t>(query.limit, 0));
  const std::string sql = "SELECT symbol, " + TimestampToMillis("window_start") + ", " +
                          TimestampToMillis("window_end") +
                          ", \"open\", high, low, \"close\", vwap, volume, trades, "
                          "CASE WHEN \"final\" THEN 1 ELSE 0 END, " +
                          TimestampToMillis("updated_at") + " FROM intraday_bars WHERE " + where +
                          " ORDER BY window_start LIMIT $" + std::to_string(params.size());
  Status st = Query(sql, params, &t);
  if (!st.ok()) return st.WithContext("reading the intraday bars of '" + query.symbol + "'");
  return t;
}

}  // namespace stocklake
