// The serving store's speed-layer tables (intraday_bars, stream_partitions) against both
// backends (SQLite, and a real PostgreSQL from tests/pg_harness): bars and checkpoints
// round-trip exactly, a commit UPSERTs bars by (symbol, window_start), a commit that fails
// part-way leaves neither its bars nor its checkpoints, the progress totals (last commit,
// records left behind) add up the checkpoints, and upgrading a store of the previous
// schema adds the tables (and the log end offsets) and keeps its rows.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "pg_harness.h"
#include "store/serving_store.h"
#include "store_backend_test.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::PgServer;
using testing::TempDir;

constexpr int64_t kMinute = 60'000;
//! 2024-03-01T14:30:00Z
constexpr int64_t kT0 = 1'709'303'400'000;

IntradayBarRow Bar(std::string symbol, int64_t start, double close, int64_t volume, bool final = false) {
  IntradayBarRow b;
  b.symbol = std::move(symbol);
  b.window_start_ms = start;
  b.window_end_ms = start + kMinute;
  b.open = close - 0.5;
  b.high = close + 1.25;
  b.low = close - 1.125;
  b.close = close;
  b.vwap = close + 0.1;  // not exact in binary: must still round-trip exactly
  b.volume = volume;
  b.trades = volume / 10 + 1;
  b.final = final;
  return b;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ServingStoreStreamTest : public testing::StoreBackendTest {
 protected:
  std::unique_ptr<ServingStore> OpenFresh() {
    const std::string url = FreshStoreUrl();
    return url.empty() ? nullptr : Open(url);
  }

  //! The schema version before the speed layer's tables.
  int PreviousVersion() const { return GetParam() == "postgresql" ? 5 : 3; }
};

//! Every bar of `symbol` the store returns, as IntradayBarRows.
std::vector<IntradayBarRow> StoredBars(ServingStore& store, const std::string& symbol) {
  IntradayBarsQuery q;
  q.symbol = symbol;
  auto t = store.IntradayBars(q);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return {};
  std::vector<IntradayBarRow> out(t->num_rows());
  for (size_t r = 0; r < out.size(); ++r) {
    const auto& c = t->columns;
    out[r] = {std::string(c[0].StringAt(r)),
              c[1].i64[r],
              c[2].i64[r],
              c[3].f64[r],
              c[4].f64[r],
              c[5].f64[r],
              c[6].f64[r],
              c[7].f64[r],
              c[8].i64[r],
              c[9].i64[r],
              c[10].i32[r] != 0};
  }
  return out;
}

void ExpectBarsEqual(const std::vector<IntradayBarRow>& got, const std::vector<IntradayBarRow>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("bar " + std::to_string(i));
    EXPECT_EQ(got[i].symbol, want[i].symbol);
    EXPECT_EQ(got[i].window_start_ms, want[i].window_start_ms);
    EXPECT_EQ(got[i].window_end_ms, want[i].window_end_ms);
    // Exact: the store must not round a double.
    EXPECT_EQ(got[i].open, want[i].open);
    EXPECT_EQ(got[i].high, want[i].high);
    EXPECT_EQ(got[i].low, want[i].low);
    EXPECT_EQ(got[i].close, want[i].close);
    EXPECT_EQ(got[i].vwap, want[i].vwap);
    EXPECT_EQ(got[i].volume, want[i].volume);
    EXPECT_EQ(got[i].trades, want[i].trades);
    EXPECT_EQ(got[i].final, want[i].final);
  }
}

TEST_P(ServingStoreStreamTest, BarsRoundTripWithTheSpecsColumns) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  std::vector<IntradayBarRow> aapl;
  for (int i = 0; i < 5; ++i) aapl.push_back(Bar("AAPL", kT0 + i * kMinute, 170.0 + i / 3.0, 1000 + i, i < 3));
  aapl[4].volume = int64_t{1} << 53;  // beyond a double's exact integers
  aapl[4].trades = int64_t{1} << 40;
  aapl[3].window_end_ms = aapl[3].window_start_ms + 1;  // an odd window length, to the ms
  aapl[2].window_start_ms += 7;                         // and a start that is not whole seconds
  aapl[2].window_end_ms += 7;
  std::vector<IntradayBarRow> batch = {aapl[4], Bar("MSFT", kT0, 400.25, 7), aapl[1], aapl[0], aapl[3], aapl[2]};
  const int64_t before = NowMs();
  ASSERT_TRUE(store->CommitStreamBatch("trades", batch, {}).ok());
  const int64_t after = NowMs();

  ExpectBarsEqual(StoredBars(*store, "AAPL"), aapl);  // ordered by window_start
  ExpectBarsEqual(StoredBars(*store, "MSFT"), {Bar("MSFT", kT0, 400.25, 7)});
  EXPECT_TRUE(StoredBars(*store, "aapl").empty()) << "symbols match exactly";
  EXPECT_TRUE(StoredBars(*store, "NOPE").empty());

  IntradayBarsQuery q;
  q.symbol = "AAPL";
  auto t = store->IntradayBars(q);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::vector<std::pair<std::string, ColumnType>> columns = {
      {"symbol", ColumnType::kString}, {"window_start", ColumnType::kInt64}, {"window_end", ColumnType::kInt64},
      {"open", ColumnType::kDouble},   {"high", ColumnType::kDouble},        {"low", ColumnType::kDouble},
      {"close", ColumnType::kDouble},  {"vwap", ColumnType::kDouble},        {"volume", ColumnType::kInt64},
      {"trades", ColumnType::kInt64},  {"final", ColumnType::kInt32},        {"updated_at", ColumnType::kInt64}};
  ASSERT_EQ(t->columns.size(), columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    EXPECT_EQ(t->columns[c].name, columns[c].first);
    EXPECT_EQ(t->columns[c].type, columns[c].second) << columns[c].first;
  }
  // updated_at is the database's clock at the commit (same host: allow clock granularity).
  for (size_t r = 0; r < t->num_rows(); ++r) {
    EXPECT_GE(t->columns[11].i64[r], before - 1000);
    EXPECT_LE(t->columns[11].i64[r], after + 1000);
    EXPECT_EQ(t->columns[11].i64[r], t->columns[11].i64[0]) << "one updated_at per commit";
  }

  // Ranges on window_start are inclusive, either end may be open, and limit applies last.
  auto starts = [&](std::optional<int64_t> from, std::optional<int64_t> to, int64_t limit) {
    IntradayBarsQuery r;
    r.symbol = "AAPL";
    r.from_ms = from;
    r.to_ms = to;
    r.limit = limit;
    auto bars = store->IntradayBars(r);
    EXPECT_TRUE(bars.ok()) << bars.status().ToString();
    std::vector<int64_t> out;
    for (size_t i = 0; bars.ok() && i < bars->num_rows(); ++i) out.push_back(bars->columns[1].i64[i]);
    return out;
  };
  using V = std::vector<int64_t>;
  const int64_t s1 = kT0 + kMinute, s2 = kT0 + 2 * kMinute + 7, s3 = kT0 + 3 * kMinute, s4 = kT0 + 4 * kMinute;
  EXPECT_EQ(starts(s1, s3, 100), (V{s1, s2, s3}));
  EXPECT_EQ(starts(s2, std::nullopt, 100), (V{s2, s3, s4}));
  EXPECT_EQ(starts(std::nullopt, s1, 100), (V{kT0, s1}));
  EXPECT_EQ(starts(s2 + 1, s3 - 1, 100), V{});
  EXPECT_EQ(starts(std::nullopt, std::nullopt, 2), (V{kT0, s1}));
  EXPECT_EQ(starts(std::nullopt, std::nullopt, 0), V{});
}

TEST_P(ServingStoreStreamTest, UpsertReplacesTheNumbersAndTheFinalFlag) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      store->CommitStreamBatch("trades", {Bar("AAPL", kT0, 170, 100), Bar("AAPL", kT0 + kMinute, 171, 5)}, {}).ok());
  IntradayBarsQuery q;
  q.symbol = "AAPL";
  const int64_t first_update = store->IntradayBars(q)->columns[11].i64[0];

  IntradayBarRow updated = Bar("AAPL", kT0, 169.75, 250, true);
  updated.window_end_ms = kT0 + 2 * kMinute;
  updated.high = 999.5;
  ASSERT_TRUE(store->CommitStreamBatch("trades", {updated}, {}).ok());
  ExpectBarsEqual(StoredBars(*store, "AAPL"), {updated, Bar("AAPL", kT0 + kMinute, 171, 5)});
  auto t = store->IntradayBars(q);
  EXPECT_GE(t->columns[11].i64[0], first_update) << "updated_at moves with the UPSERT";

  // A key repeated within one batch: the last bar wins.
  const IntradayBarRow last = Bar("AAPL", kT0 + kMinute, 180, 900, true);
  ASSERT_TRUE(store
                  ->CommitStreamBatch("trades",
                                      {Bar("AAPL", kT0 + kMinute, 172, 10), Bar("MSFT", kT0, 1, 1),
                                       Bar("AAPL", kT0 + kMinute, 175, 20), last},
                                      {})
                  .ok());
  ExpectBarsEqual(StoredBars(*store, "AAPL"), {updated, last});
  ExpectBarsEqual(StoredBars(*store, "MSFT"), {Bar("MSFT", kT0, 1, 1)});

  // A batch larger than one statement's worth of rows.
  std::vector<IntradayBarRow> many;
  for (int i = 0; i < 250; ++i) many.push_back(Bar("BULK", kT0 + i * kMinute, 10 + i, i, i % 2 == 0));
  ASSERT_TRUE(store->CommitStreamBatch("trades", many, {}).ok());
  ExpectBarsEqual(StoredBars(*store, "BULK"), many);
}

TEST_P(ServingStoreStreamTest, CheckpointsRoundTripPerTopic) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->LoadStreamCheckpoints("trades")->empty());

  const std::string state = "{\"AAPL\":{\"watermark\":1709303400000}}\n'quoted' \"é\" \\ tab\t";
  ASSERT_TRUE(store->CommitStreamBatch("trades", {}, {{0, {10, state}}, {3, {0, ""}}, {7, {123456789012, "x"}}}).ok());
  ASSERT_TRUE(store->CommitStreamBatch("other", {}, {{0, {99, "o"}}}).ok());
  auto loaded = store->LoadStreamCheckpoints("trades");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ(loaded->at(0).next_offset, 10);
  EXPECT_EQ(loaded->at(0).state, state);
  EXPECT_EQ(loaded->at(3).next_offset, 0);
  EXPECT_EQ(loaded->at(3).state, "");
  EXPECT_EQ(loaded->at(7).next_offset, 123456789012);

  // A later commit replaces the partitions it names and keeps the others.
  ASSERT_TRUE(store->CommitStreamBatch("trades", {Bar("AAPL", kT0, 1, 1)}, {{3, {42, "s3"}}}).ok());
  loaded = store->LoadStreamCheckpoints("trades");
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ(loaded->at(0).next_offset, 10);
  EXPECT_EQ(loaded->at(0).state, state);
  EXPECT_EQ(loaded->at(3).next_offset, 42);
  EXPECT_EQ(loaded->at(3).state, "s3");
  auto other = store->LoadStreamCheckpoints("other");
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ(other->at(0).next_offset, 99);
  EXPECT_TRUE(store->LoadStreamCheckpoints("tradesX")->empty());

  // State the store cannot hold as text is refused up front.
  const Status nul = store->CommitStreamBatch("trades", {}, {{0, {11, std::string("a\0b", 3)}}});
  EXPECT_FALSE(nul.ok());
  EXPECT_EQ(store->LoadStreamCheckpoints("trades")->at(0).next_offset, 10);
}

TEST_P(ServingStoreStreamTest, AProcessorThatLostItsPartitionToANewerClaimIsFenced) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CommitStreamBatch("trades", {}, {{1, {5, "committed-before"}}}).ok());

  // Processor A claims partitions 0 (never seen) and 1 (with a checkpoint).
  auto a = store->ClaimStreamPartitions("trades", {0, 1});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->at(0).epoch, 1);
  EXPECT_EQ(a->at(0).next_offset, 0);
  EXPECT_EQ(a->at(0).state, "");
  EXPECT_EQ(a->at(1).epoch, 1);
  EXPECT_EQ(a->at(1).next_offset, 5);
  EXPECT_EQ(a->at(1).state, "committed-before");
  ASSERT_TRUE(store->CommitStreamBatch("trades", {Bar("AAPL", kT0, 1, 1)}, {{1, {6, "a1", 9, a->at(1).epoch}}}).ok());

  // B is given partition 1 by a rebalance A has not seen yet: B's claim fences A.
  auto b = store->ClaimStreamPartitions("trades", {1});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->at(1).epoch, 2);
  EXPECT_EQ(b->at(1).next_offset, 6);
  EXPECT_EQ(b->at(1).state, "a1");
  const Status stale = store->CommitStreamBatch("trades", {Bar("AAPL", kT0, 99, 99), Bar("ZOMBIE", kT0, 1, 1)},
                                                {{0, {3, "a0", 3, a->at(0).epoch}}, {1, {8, "stale", 9, 1}}});
  EXPECT_TRUE(stale.IsAborted()) << stale.ToString();
  EXPECT_NE(stale.message().find("partition 1"), std::string::npos) << stale.message();
  // Nothing of the fenced batch is visible: not the bars, not partition 0's checkpoint.
  ExpectBarsEqual(StoredBars(*store, "AAPL"), {Bar("AAPL", kT0, 1, 1)});
  EXPECT_TRUE(StoredBars(*store, "ZOMBIE").empty());
  auto loaded = store->LoadStreamCheckpoints("trades");
  EXPECT_EQ(loaded->at(0).next_offset, 0);
  EXPECT_EQ(loaded->at(1).next_offset, 6);
  EXPECT_EQ(loaded->at(1).epoch, 2);

  // The new owner commits; A still commits the partition it kept.
  ASSERT_TRUE(store->CommitStreamBatch("trades", {}, {{1, {8, "b1", 9, 2}}}).ok());
  ASSERT_TRUE(store->CommitStreamBatch("trades", {}, {{0, {3, "a0", 3, 1}}}).ok());
  loaded = store->LoadStreamCheckpoints("trades");
  EXPECT_EQ(loaded->at(0).state, "a0");
  EXPECT_EQ(loaded->at(1).state, "b1");
  EXPECT_EQ(loaded->at(1).epoch, 2);
}

TEST_P(ServingStoreStreamTest, ProgressAddsUpTheLagEveryPartitionLeft) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  auto none = store->LoadStreamProgress();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->partitions, 0);
  EXPECT_EQ(none->last_commit_ms, 0);
  EXPECT_EQ(none->lag_records, 0);

  const int64_t before = NowMs();
  // Partition 0 left 15 records, 1 none, and 2 recorded no log end (an older processor):
  // no lag known, never a negative one.
  ASSERT_TRUE(store->CommitStreamBatch("trades", {}, {{0, {10, "s0", 25}}, {1, {7, "s1", 7}}, {2, {9, "s2", 0}}}).ok());
  ASSERT_TRUE(store->CommitStreamBatch("other", {}, {{0, {100, "o", 105}}}).ok());
  const int64_t after = NowMs();
  auto loaded = store->LoadStreamCheckpoints("trades");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->at(0).log_end_offset, 25);
  EXPECT_EQ(loaded->at(1).log_end_offset, 7);
  EXPECT_EQ(loaded->at(2).log_end_offset, 0);
  auto progress = store->LoadStreamProgress();
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(progress->partitions, 4);
  EXPECT_EQ(progress->lag_records, 15 + 5);
  // The commit's time comes from the database's clock; allow for a coarse one.
  EXPECT_GE(progress->last_commit_ms, before - 1000);
  EXPECT_LE(progress->last_commit_ms, after + 1000);

  // The next commit of partition 0 caught up: its lag is gone.
  ASSERT_TRUE(store->CommitStreamBatch("trades", {}, {{0, {25, "s0'", 25}}}).ok());
  EXPECT_EQ(store->LoadStreamProgress()->lag_records, 5);
  EXPECT_FALSE(store->CommitStreamBatch("trades", {}, {{0, {25, "s0'", -1}}}).ok()) << "a negative log end";
}

TEST_P(ServingStoreStreamTest, AFailedCommitLeavesNeitherBarsNorCheckpoints) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  const std::vector<IntradayBarRow> committed = {Bar("AAPL", kT0, 170, 100)};
  ASSERT_TRUE(store->CommitStreamBatch("trades", committed, {{0, {10, "s0"}}}).ok());

  auto expect_unchanged = [&](const std::string& what) {
    SCOPED_TRACE(what);
    ExpectBarsEqual(StoredBars(*store, "AAPL"), committed);
    EXPECT_TRUE(StoredBars(*store, "MANY").empty());
    auto cp = store->LoadStreamCheckpoints("trades");
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    ASSERT_EQ(cp->size(), 1u);
    EXPECT_EQ(cp->at(0).next_offset, 10);
    EXPECT_EQ(cp->at(0).state, "s0");
  };

  // Valid bars (more than one statement's worth, and an update of a committed one) and
  // valid checkpoints around one invalid value.
  auto batch_with = [&](const IntradayBarRow& bad) {
    std::vector<IntradayBarRow> bars = {Bar("AAPL", kT0, 1, 1, true)};
    for (int i = 0; i < 150; ++i) bars.push_back(Bar("MANY", kT0 + i * kMinute, 5, 5));
    bars.push_back(bad);  // sorts after the valid ones: they are written before it fails
    return bars;
  };
  const std::map<int, StreamPartitionCheckpoint> next = {{0, {20, "s0'"}}, {1, {5, "s1"}}};

  IntradayBarRow empty_window = Bar("ZZZ", kT0, 1, 1);
  empty_window.window_end_ms = empty_window.window_start_ms;
  IntradayBarRow no_trades = Bar("ZZZ", kT0, 1, 1);
  no_trades.trades = 0;
  IntradayBarRow nan_price = Bar("ZZZ", kT0, 1, 1);
  nan_price.vwap = std::numeric_limits<double>::quiet_NaN();
  IntradayBarRow no_symbol = Bar("", kT0, 1, 1);
  const std::vector<std::pair<std::string, IntradayBarRow>> bad_bars = {{"window_end == window_start", empty_window},
                                                                        {"trades == 0", no_trades},
                                                                        {"NaN vwap", nan_price},
                                                                        {"empty symbol", no_symbol}};
  for (const auto& [what, bad] : bad_bars) {
    const Status st = store->CommitStreamBatch("trades", batch_with(bad), next);
    EXPECT_FALSE(st.ok()) << what;
    expect_unchanged(what);
  }

  // The bars all valid, a checkpoint (written after them) invalid.
  std::vector<IntradayBarRow> good = batch_with(Bar("ZZZ", kT0, 1, 1));
  const Status st = store->CommitStreamBatch("trades", good, {{0, {20, "s0'"}}, {1, {-1, "s1"}}});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("trades"), std::string::npos) << st.ToString();
  expect_unchanged("negative next_offset");
  EXPECT_TRUE(StoredBars(*store, "ZZZ").empty());

  // And the store still takes a valid commit afterwards.
  ASSERT_TRUE(store->CommitStreamBatch("trades", good, next).ok());
  EXPECT_EQ(StoredBars(*store, "ZZZ").size(), 1u);
  EXPECT_EQ(store->LoadStreamCheckpoints("trades")->size(), 2u);
}

TEST_P(ServingStoreStreamTest, UpgradingAddsTheStreamTablesAndKeepsExistingRows) {
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());
  {
    StoreOptions old_schema;
    old_schema.schema_version = PreviousVersion();
    auto old = Open(url, old_schema);
    ASSERT_NE(old, nullptr);
    EXPECT_EQ(*old->SchemaVersion(), PreviousVersion());
    EXPECT_FALSE(old->LoadStreamCheckpoints("trades").ok()) << "no stream tables before the upgrade";
    EXPECT_FALSE(old->CommitStreamBatch("trades", {Bar("AAPL", kT0, 1, 1)}, {}).ok());
    RunRecord run;
    run.snapshot_id = 7;
    run.committed_at = "2024-03-01T00:00:00Z";
    run.rows_read = 12;
    ASSERT_TRUE(old->RecordRuns({run}).ok());
  }
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
  auto runs = store->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u) << "upgrading keeps the existing rows";
  EXPECT_EQ(runs->at(0).snapshot_id, 7);
  EXPECT_EQ(runs->at(0).rows_read, 12);
  ASSERT_TRUE(store->CommitStreamBatch("trades", {Bar("AAPL", kT0, 1, 1)}, {{0, {3, "s"}}}).ok());
  ExpectBarsEqual(StoredBars(*store, "AAPL"), {Bar("AAPL", kT0, 1, 1)});
  EXPECT_EQ(store->LoadStreamCheckpoints("trades")->at(0).next_offset, 3);
  // Reopening at the newest version is a no-op that keeps the stream rows.
  store.reset();
  store = Open(url);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(StoredBars(*store, "AAPL").size(), 1u);
}

TEST_P(ServingStoreStreamTest, UpgradingAddsTheLogEndOffsetColumn) {
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());
  {
    StoreOptions old_schema;
    old_schema.schema_version = GetParam() == "postgresql" ? 7 : 5;  // the version before log_end_offset
    auto old = Open(url, old_schema);
    ASSERT_NE(old, nullptr);
    EXPECT_EQ(*old->SchemaVersion(), old_schema.schema_version);
    EXPECT_FALSE(old->LoadStreamProgress().ok()) << "no log_end_offset before the upgrade";
  }
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
  ASSERT_TRUE(store->CommitStreamBatch("trades", {}, {{0, {3, "s", 8}}}).ok());
  EXPECT_EQ(store->LoadStreamCheckpoints("trades")->at(0).log_end_offset, 8);
  EXPECT_EQ(store->LoadStreamProgress()->lag_records, 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServingStoreStreamTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace stocklake
