// The serving store's speed-layer tables (intraday_bars, stream_partitions) against both
// backends (SQLite, and a real PostgreSQL from tests/pg_harness): bars and checkpoints
// round-trip exactly, a commit UPSERTs bars by (symbol, window_start), a commit that fails
// part-way leaves neither its bars nor its checkpoints, the progress totals (last commit,
// records left behind) add up the checkpoints, and upgrading a store of the previous
// schema adds the tables (and the log end offsets) and keeps its rows. The serving
// layer's queries: bars rolled up into 5 minutes, hours and days (against a computation
// here), intervals that do not fit the windows refused, updates read in commit order from
// a position, the symbols listed, and the speed layer's days compared with the batch's bars.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lake/table_schemas.h"
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

//! A bar of the serving layer, computed here from the windows it rolls up.
struct RolledUp {
  int64_t start = 0;
  double open = 0, high = 0, low = 0, close = 0, vwap_sum = 0;
  int64_t volume = 0, trades = 0, windows = 0;
  bool final = true;
  double lone_vwap = 0;
};

//! `bars` (one symbol) rolled up into epoch-aligned buckets of `interval` ms, by start.
std::map<int64_t, RolledUp> RollUp(std::vector<IntradayBarRow> bars, int64_t interval) {
  std::sort(bars.begin(), bars.end(),
            [](const IntradayBarRow& a, const IntradayBarRow& b) { return a.window_start_ms < b.window_start_ms; });
  std::map<int64_t, RolledUp> out;
  for (const IntradayBarRow& b : bars) {
    const int64_t start = b.window_start_ms / interval * interval;
    auto [it, fresh] = out.try_emplace(start);
    RolledUp& r = it->second;
    if (fresh) {
      r.start = start;
      r.open = b.open;
      r.high = b.high;
      r.low = b.low;
    }
    r.high = std::max(r.high, b.high);
    r.low = std::min(r.low, b.low);
    r.close = b.close;
    r.volume += b.volume;
    r.trades += b.trades;
    r.vwap_sum += b.vwap * static_cast<double>(b.volume);
    r.lone_vwap = b.vwap;
    r.final = r.final && b.final;
    ++r.windows;
  }
  return out;
}

//! The rolled-up bars the store answers for `symbol` at `interval`, between from and to.
std::map<int64_t, RolledUp> StoredRollUp(ServingStore& store, const std::string& symbol, int64_t interval,
                                         std::optional<int64_t> from = std::nullopt,
                                         std::optional<int64_t> to = std::nullopt) {
  IntradayBarsQuery q;
  q.symbol = symbol;
  q.interval_ms = interval;
  q.from_ms = from;
  q.to_ms = to;
  q.limit = 100000;
  auto t = store.IntradayBars(q);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::map<int64_t, RolledUp> out;
  if (!t.ok()) return out;
  EXPECT_EQ(t->columns.size(), 13u);
  EXPECT_EQ(t->columns[12].name, "windows");
  for (size_t r = 0; r < t->num_rows(); ++r) {
    const auto& c = t->columns;
    EXPECT_EQ(c[0].StringAt(r), symbol);
    EXPECT_EQ(c[2].i64[r], c[1].i64[r] + interval) << "a bar spans the interval";
    RolledUp& b = out[c[1].i64[r]];
    b = {c[1].i64[r], c[3].f64[r], c[4].f64[r],  c[5].f64[r],       c[6].f64[r], c[7].f64[r],
         c[8].i64[r], c[9].i64[r], c[12].i64[r], c[10].i32[r] != 0, c[7].f64[r]};
  }
  return out;
}

void ExpectRollUpsEqual(const std::map<int64_t, RolledUp>& got, const std::map<int64_t, RolledUp>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [start, w] : want) {
    SCOPED_TRACE("bar at " + std::to_string(start));
    auto it = got.find(start);
    ASSERT_NE(it, got.end());
    const RolledUp& g = it->second;
    EXPECT_EQ(g.open, w.open);
    EXPECT_EQ(g.high, w.high);
    EXPECT_EQ(g.low, w.low);
    EXPECT_EQ(g.close, w.close);
    EXPECT_EQ(g.volume, w.volume);
    EXPECT_EQ(g.trades, w.trades);
    EXPECT_EQ(g.windows, w.windows);
    EXPECT_EQ(g.final, w.final);
    if (w.windows == 1) {
      EXPECT_EQ(g.vwap_sum, w.lone_vwap) << "a lone window keeps its own vwap exactly";
    } else {
      const double vwap = w.vwap_sum / static_cast<double>(w.volume);
      EXPECT_NEAR(g.vwap_sum, vwap, std::abs(vwap) * 1e-12);
    }
  }
}

TEST_P(ServingStoreStreamTest, RollUpsEqualTheirDefinition) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  // Two symbols over two UTC days, with gaps, out of order, in several commits.
  std::mt19937_64 rng(7);
  std::map<std::string, std::vector<IntradayBarRow>> bars;
  std::vector<IntradayBarRow> all;
  for (const std::string symbol : {"AAPL", "MSFT"}) {
    for (int minute = 0; minute < 36 * 60; minute += 1 + static_cast<int>(rng() % 4)) {
      IntradayBarRow b = Bar(symbol, kT0 + minute * kMinute, 100 + static_cast<double>(rng() % 1000) / 7.0,
                             1 + static_cast<int64_t>(rng() % 5000), rng() % 5 != 0);
      b.open = b.close + static_cast<double>(rng() % 100) / 13.0 - 3;
      b.high = std::max(b.open, b.close) + static_cast<double>(rng() % 50) / 11.0;
      b.low = std::min(b.open, b.close) - static_cast<double>(rng() % 50) / 17.0;
      b.vwap = (b.high + b.low) / 2 + 1.0 / 3.0;
      bars[symbol].push_back(b);
      all.push_back(b);
    }
  }
  std::shuffle(all.begin(), all.end(), rng);
  for (size_t begin = 0; begin < all.size(); begin += 700) {
    const std::vector<IntradayBarRow> part(all.begin() + static_cast<ptrdiff_t>(begin),
                                           all.begin() + static_cast<ptrdiff_t>(std::min(all.size(), begin + 700)));
    ASSERT_TRUE(store->CommitStreamBatch("trades", part, {}).ok());
  }
  for (const auto& [symbol, rows] : bars) {
    for (int64_t interval : {kMinute, 5 * kMinute, 60 * kMinute, 24 * 60 * kMinute}) {
      SCOPED_TRACE(symbol + " every " + std::to_string(interval) + " ms");
      ExpectRollUpsEqual(StoredRollUp(*store, symbol, interval), RollUp(rows, interval));
    }
  }
  // A range takes whole bars: those whose interval holds from, to or anything between.
  const int64_t hour = 60 * kMinute;
  const int64_t from = kT0 + 2 * hour + 17 * kMinute, to = kT0 + 5 * hour + 59 * kMinute;  // 16:47, 20:29
  std::map<int64_t, RolledUp> some;
  for (const auto& [start, b] : RollUp(bars["AAPL"], hour)) {
    if (start + hour > from && start <= to) some[start] = b;
  }
  ASSERT_EQ(some.size(), 5u) << "16:00 to 20:00";
  ExpectRollUpsEqual(StoredRollUp(*store, "AAPL", hour, from, to), some);
  // limit counts bars, not windows.
  IntradayBarsQuery q;
  q.symbol = "AAPL";
  q.interval_ms = hour;
  q.limit = 3;
  EXPECT_EQ(store->IntradayBars(q)->num_rows(), 3u);
  q.symbol = "NOPE";
  EXPECT_EQ(store->IntradayBars(q)->num_rows(), 0u);
}

TEST_P(ServingStoreStreamTest, AnIntervalThatDoesNotFitTheWindowsIsRefused) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  std::vector<IntradayBarRow> five;
  for (int i = 0; i < 24; ++i) {
    IntradayBarRow b = Bar("AAPL", kT0 + i * 5 * kMinute, 100 + i, 10);
    b.window_end_ms = b.window_start_ms + 5 * kMinute;
    five.push_back(b);
  }
  ASSERT_TRUE(store->CommitStreamBatch("trades", five, {}).ok());
  for (int64_t interval : {kMinute, 7 * kMinute, 2 * kMinute + 30'000}) {
    IntradayBarsQuery q;
    q.symbol = "AAPL";
    q.interval_ms = interval;
    auto t = store->IntradayBars(q);
    ASSERT_FALSE(t.ok()) << interval;
    EXPECT_TRUE(t.status().IsInvalidArgument()) << t.status().ToString();
    EXPECT_NE(t.status().message().find("5 minutes wide"), std::string::npos) << t.status().ToString();
  }
  ExpectRollUpsEqual(StoredRollUp(*store, "AAPL", 5 * kMinute), RollUp(five, 5 * kMinute));
  ExpectRollUpsEqual(StoredRollUp(*store, "AAPL", 60 * kMinute), RollUp(five, 60 * kMinute));
}

//! (updated_at, symbol, window_start, close) of each row of an IntradayUpdates answer.
std::vector<std::tuple<int64_t, std::string, int64_t, double>> Updates(ServingStore& store,
                                                                       const IntradayUpdatesQuery& q) {
  auto t = store.IntradayUpdates(q);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::vector<std::tuple<int64_t, std::string, int64_t, double>> out;
  for (size_t r = 0; t.ok() && r < t->num_rows(); ++r) {
    out.emplace_back(t->columns[11].i64[r], std::string(t->columns[0].StringAt(r)), t->columns[1].i64[r],
                     t->columns[6].f64[r]);
  }
  return out;
}

TEST_P(ServingStoreStreamTest, UpdatesAreReadInCommitOrderFromAPosition) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->CommitStreamBatch("trades",
                                      {Bar("MSFT", kT0, 400, 5), Bar("AAPL", kT0 + kMinute, 171, 5),
                                       Bar("AAPL", kT0, 170, 5), Bar("IBM", kT0, 150, 5)},
                                      {})
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a later updated_at
  ASSERT_TRUE(
      store->CommitStreamBatch("trades", {Bar("AAPL", kT0, 169, 9), Bar("MSFT", kT0 + kMinute, 401, 1)}, {}).ok());
  const auto all = Updates(*store, {{"AAPL", "MSFT"}, {0, "", 0}, 100});
  ASSERT_EQ(all.size(), 4u);
  const int64_t first = std::get<0>(all[0]), second = std::get<0>(all[2]);
  ASSERT_LT(first, second);
  using U = std::tuple<int64_t, std::string, int64_t, double>;
  EXPECT_EQ(all, (std::vector<U>{{first, "AAPL", kT0 + kMinute, 171},
                                 {first, "MSFT", kT0, 400},
                                 {second, "AAPL", kT0, 169},
                                 {second, "MSFT", kT0 + kMinute, 401}}))
      << "(updated_at, symbol, window_start) order; the UPSERTed row only at its new place";
  // Paging from the last row read, even inside one commit.
  EXPECT_EQ(Updates(*store, {{"AAPL", "MSFT"}, {0, "", 0}, 1}), (std::vector<U>{all[0]}));
  EXPECT_EQ(Updates(*store, {{"AAPL", "MSFT"}, {first, "AAPL", kT0 + kMinute}, 2}), (std::vector<U>{all[1], all[2]}));
  EXPECT_EQ(Updates(*store, {{"AAPL", "MSFT"}, {second, "AAPL", kT0}, 10}), (std::vector<U>{all[3]}));
  // An empty symbol stands after every row of its updated_at.
  EXPECT_EQ(Updates(*store, {{"AAPL", "MSFT"}, {first, "", 0}, 10}), (std::vector<U>{all[2], all[3]}));
  EXPECT_EQ(Updates(*store, {{"AAPL", "MSFT"}, {second, "", 0}, 10}), std::vector<U>{});
  EXPECT_EQ(Updates(*store, {{"IBM"}, {0, "", 0}, 10}), (std::vector<U>{{first, "IBM", kT0, 150}}));
  EXPECT_FALSE(store->IntradayUpdates({{}, {0, "", 0}, 10}).ok()) << "at least one symbol";

  auto symbols = store->IntradaySymbols();
  ASSERT_TRUE(symbols.ok()) << symbols.status().ToString();
  ASSERT_EQ(symbols->num_rows(), 3u);
  const auto& c = symbols->columns;
  EXPECT_EQ(c[0].StringAt(0), "AAPL");
  EXPECT_EQ(c[1].i64[0], 2);
  EXPECT_EQ(c[2].i64[0], kT0);
  EXPECT_EQ(c[3].i64[0], kT0 + kMinute);
  EXPECT_EQ(c[4].i64[0], second);
  EXPECT_EQ(c[5].i64[0], kMinute);
  EXPECT_EQ(c[0].StringAt(2), "MSFT");
  EXPECT_EQ(c[4].i64[2], second);
}

TEST_P(ServingStoreStreamTest, TheSpeedLayersDaysAreComparedWithTheBatch) {
  auto store = OpenFresh();
  ASSERT_NE(store, nullptr);
  const Date day0 = static_cast<Date>(kT0 / (24 * 60 * kMinute));  // 2024-03-01
  // The batch: AAPL on days 0..3, MSFT on day 0.
  struct BatchBar {
    std::string ticker;
    Date date;
    double open, high, low, close;
    int64_t volume;
  };
  const std::vector<BatchBar> batch = {{"AAPL", day0, 170.5, 175.25, 168.125, 171.0625, 3000},
                                       {"AAPL", day0 + 1, 171, 172, 170, 171.5, 3000},
                                       {"AAPL", day0 + 2, 172, 173, 171, 172.5, 3000},
                                       {"AAPL", day0 + 3, 173, 174, 172, 173.5, 3000},
                                       {"MSFT", day0, 400, 401, 399, 400.5, 3000}};
  BucketContents contents;
  contents.bucket = 0;
  contents.state = {1, 1, "bars\n"};
  Table t = EmptyTableFor(kSilverBars);
  StringColumnBuilder tickers(t.Find("ticker"));
  for (const BatchBar& b : batch) {
    tickers.Append(b.ticker);
    t.Find("date")->AppendInt32(b.date);
    t.Find("open")->AppendDouble(b.open);
    t.Find("high")->AppendDouble(b.high);
    t.Find("low")->AppendDouble(b.low);
    t.Find("close")->AppendDouble(b.close);
    t.Find("adj_close")->AppendDouble(b.close);
    t.Find("volume")->AppendInt64(b.volume);
  }
  contents.tables.emplace(std::string(kSilverBars), std::move(t));
  ASSERT_TRUE(store->ReplaceBucket(contents).ok());

  // The speed layer: three windows a day from 14:30 UTC, built to equal the batch's bar
  // unless changed below; day 4 only in the speed layer.
  std::vector<IntradayBarRow> windows;
  auto day = [&](const std::string& symbol, Date d, double open, double high, double low, double close,
                 int64_t volume) {
    const int64_t at = (int64_t{d} * 24 * 60 + 14 * 60 + 30) * kMinute;
    IntradayBarRow a = Bar(symbol, at, open, volume - 2000), b = Bar(symbol, at + kMinute, close, 1000),
                   c = Bar(symbol, at + 2 * kMinute, close, 1000);
    a.open = open;
    a.high = high;
    a.low = (open + close) / 2;
    b.high = b.low = c.high = (open + close) / 2;
    b.low = low;
    c.low = close;
    c.close = close;
    windows.insert(windows.end(), {c, a, b});
  };
  day("AAPL", day0, 170.5, 175.25, 168.125, 171.0625, 3000);                // equal
  day("AAPL", day0 + 1, 171, 172, 170, 171.5 * (1 + 1e-6), 3000);           // close differs
  day("AAPL", day0 + 2, 172, 173 * (1 + 1e-12), 171, 172.5, 3000);          // within tolerance
  day("AAPL", day0 + 3, 173, 174, 172, 173.5, 3001);                        // volume differs
  day("AAPL", day0 + 4, 174, 175, 173, 174.5, 3000);                        // no batch bar
  day("MSFT", day0, 400 * (1 - 1e-8), 401, 399 * (1 + 2e-9), 400.5, 2999);  // open, low, volume
  ASSERT_TRUE(store->CommitStreamBatch("trades", windows, {}).ok());

  auto c = store->CompareSpeedWithBatch(1e-9, 10);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->days_compared, 5);
  EXPECT_EQ(c->days_differing, 3);
  ASSERT_EQ(c->differing.size(), 3u);
  EXPECT_EQ(c->differing[0].ticker, "AAPL");
  EXPECT_EQ(c->differing[0].date, day0 + 3) << "newest first";
  EXPECT_EQ(c->differing[1].date, day0 + 1);
  EXPECT_EQ(c->differing[2].ticker, "MSFT");
  EXPECT_EQ(c->differing[2].date, day0);
  auto fields = [](const SpeedBatchDay& d) {
    std::vector<std::string> out;
    for (const FieldDifference& f : DifferingFields(d, 1e-9)) out.emplace_back(f.field);
    return out;
  };
  using S = std::vector<std::string>;
  EXPECT_EQ(fields(c->differing[0]), (S{"volume"}));
  EXPECT_EQ(fields(c->differing[1]), (S{"close"}));
  EXPECT_EQ(fields(c->differing[2]), (S{"open", "low", "volume"}));
  const SpeedBatchDay& msft = c->differing[2];
  EXPECT_EQ(msft.speed.open, 400 * (1 - 1e-8));
  EXPECT_EQ(msft.batch.open, 400);
  EXPECT_EQ(msft.speed.high, 401);
  EXPECT_EQ(msft.speed.close, 400.5);
  EXPECT_EQ(msft.speed.volume, 2999);
  EXPECT_EQ(msft.batch.volume, 3000);
  EXPECT_NEAR(DifferingFields(msft, 1e-9)[0].relative, 1e-8, 1e-15);

  auto one = store->CompareSpeedWithBatch(1e-9, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->days_differing, 3) << "all counted";
  EXPECT_EQ(one->differing.size(), 1u) << "the first listed";
  auto loose = store->CompareSpeedWithBatch(1e-5, 10);
  ASSERT_TRUE(loose.ok());
  EXPECT_EQ(loose->days_differing, 2) << "only the volumes differ beyond 1e-5";
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
