// The serving store's ML tables (predictions, backtests, backtest_predictions) against
// both backends (SQLite, and a real PostgreSQL from tests/pg_harness): the sync loads the
// lake's unbucketed partitions exactly, replaces only the partitions whose files changed,
// deletes partitions gone from the lake, completes after a kill between partitions, and
// the queries the API makes agree with answers computed here from the rows committed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "lake/parquet_reader.h"
#include "lake/snapshot.h"
#include "lake/table_schemas.h"
#include "ml_lake_util.h"
#include "pg_harness.h"
#include "store/serving_store.h"
#include "store/store_sync.h"
#include "store_backend_test.h"
#include "table_test_util.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::CommitMlPartition;
using testing::PgServer;
using testing::TempDir;

// Child mode: the crash test re-executes this binary with STOCKLAKE_STORE_TEST_CHILD set
// to "URL\nLAKE"; it syncs and exits before gtest runs.
[[maybe_unused]] const bool kChildMode = [] {
  const char* job = std::getenv("STOCKLAKE_STORE_TEST_CHILD");
  if (job == nullptr) return false;
  const std::string spec(job);
  const size_t nl = spec.find('\n');
  auto store = OpenServingStore(spec.substr(0, nl));
  if (!store.ok()) _exit(3);
  const Status st = SyncStoreWithLake(**store, spec.substr(nl + 1), nullptr);
  _exit(st.ok() ? 0 : 4);
}();

using Row = std::vector<std::string>;

//! Rows of `t` in the column order of lake table `table`, in `t`'s row order.
std::vector<Row> RowsOf(const Table& t, std::string_view table) {
  std::vector<Row> rows(t.num_rows());
  for (const Column& s : EmptyTableFor(table).columns) {
    const Column* c = t.Find(s.name);
    EXPECT_NE(c, nullptr) << s.name;
    if (c == nullptr) return {};
    EXPECT_EQ(c->type, s.type) << s.name;
    for (size_t r = 0; r < rows.size(); ++r) rows[r].push_back(testing::ExactCell(*c, r));
  }
  return rows;
}

std::vector<Row> Sorted(std::vector<Row> rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

//! Every row of lake table `table` in the current snapshot, sorted.
std::vector<Row> LakeRows(const std::string& lake, std::string_view table) {
  auto snap = LoadCurrentSnapshot(lake);
  EXPECT_TRUE(snap.ok()) << snap.status().ToString();
  std::vector<Row> all;
  for (const DataFile& f : snap->tables[std::string(table)]) {
    auto t = ReadParquetFile(lake + "/" + f.path);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    for (Row& r : RowsOf(*t, table)) all.push_back(std::move(r));
  }
  return Sorted(std::move(all));
}

const std::vector<std::string> kTickers = {"AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG"};
const std::vector<std::string> kQuarters = {"2016Q4", "2017Q1", "2017Q2", "2017Q3"};

class ServingStoreMlTest : public testing::StoreBackendTest {
 protected:
  void SetUp() override {
    // A lake with bucketed tables too, so the ML partitions load beside real buckets.
    const std::string data = dir_.Join("data");
    lake_ = dir_.Join("lake");
    auto gen =
        testing::RunCommand(testing::StocklakeBinary() + " generate --tickers 4 --days 90 --seed 3 --out " + data);
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    auto run = testing::RunCommand(testing::StocklakeBinary() + " run --quiet --store none --input " + data +
                                   " --lake " + lake_);
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }

  void Commit(const std::string& table, const std::string& partition, const Table& rows) {
    const Status st = CommitMlPartition(lake_, table, partition, rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  //! Predictions of 2017Q2 and 2017Q3 by "alpha" and of 2017Q2 by "zeta"; backtest bt-1.
  void CommitFirstMlTables() {
    Commit(std::string(kGoldPredictions), testing::PredictionsPartition("2017Q2", "alpha"),
           testing::MakePredictions(kTickers, "2017Q2", "alpha", 1, 1, true));
    Commit(std::string(kGoldPredictions), testing::PredictionsPartition("2017Q3", "alpha"),
           testing::MakePredictions(kTickers, "2017Q3", "alpha", 2, 2, false));
    Commit(std::string(kGoldPredictions), testing::PredictionsPartition("2017Q2", "zeta"),
           testing::MakePredictions(kTickers, "2017Q2", "zeta", 1, 3, true));
    Commit(std::string(kGoldBacktest), testing::BacktestPartition("bt-1"), testing::MakeBacktest("bt-1", kQuarters, 4));
    Commit(std::string(kGoldBacktestPredictions), testing::BacktestPartition("bt-1"),
           testing::MakeBacktestPredictions("bt-1", kTickers, kQuarters, 5));
  }

  void ExpectMlTablesEqualTheLake(ServingStore& store) {
    for (std::string_view table : MlTableNames()) {
      auto scanned = store.ScanTable(table);
      ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
      const std::vector<Row> expected = LakeRows(lake_, table);
      EXPECT_FALSE(expected.empty()) << table;
      EXPECT_TRUE(Sorted(RowsOf(*scanned, table)) == expected) << "store table mirroring " << table << " differs";
    }
  }

  std::string lake_;
};

TEST_P(ServingStoreMlTest, SyncReplacesChangedPartitionsAndDeletesGoneOnes) {
  CommitFirstMlTables();
  auto store = Open(FreshStoreUrl());
  ASSERT_NE(store, nullptr);
  SyncStats stats;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, &stats).ok());
  EXPECT_GT(stats.buckets_loaded, 0);
  EXPECT_EQ(stats.partitions_behind, 5);
  EXPECT_EQ(stats.partitions_loaded, 5);
  EXPECT_EQ(stats.ml_rows_loaded,
            static_cast<int64_t>(3 * kTickers.size() + 2 * kQuarters.size() + kTickers.size() * kQuarters.size()));
  ExpectMlTablesEqualTheLake(*store);
  EXPECT_EQ(store->LoadedPartitions()->size(), 5u);

  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, &stats).ok());
  EXPECT_EQ(stats.partitions_loaded, 0) << "nothing changed";
  EXPECT_EQ(stats.rows_loaded, 0);

  // Predict 2017Q3 again with fewer tickers, drop zeta's 2017Q2, add a second backtest.
  const std::vector<std::string> fewer(kTickers.begin(), kTickers.begin() + 4);
  Commit(std::string(kGoldPredictions), testing::PredictionsPartition("2017Q3", "alpha"),
         testing::MakePredictions(fewer, "2017Q3", "alpha", 3, 9, false));
  Commit(std::string(kGoldPredictions), testing::PredictionsPartition("2017Q2", "zeta"), Table{});
  Commit(std::string(kGoldBacktest), testing::BacktestPartition("bt-2"), testing::MakeBacktest("bt-2", kQuarters, 6));
  Commit(std::string(kGoldBacktestPredictions), testing::BacktestPartition("bt-2"),
         testing::MakeBacktestPredictions("bt-2", fewer, kQuarters, 7));

  SyncOptions dry;
  dry.dry_run = true;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, dry, &stats).ok());
  EXPECT_EQ(stats.partitions_behind, 4);
  EXPECT_EQ(stats.partitions_loaded, 0);
  EXPECT_EQ(store->Predictions({"2017Q2", "zeta", 0, 100})->rows.num_rows(), kTickers.size())
      << "a dry run changes nothing";

  SyncOptions some_buckets;
  some_buckets.buckets = {0};  // a loader of other buckets still brings the ML tables up to date
  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, some_buckets, &stats).ok());
  EXPECT_EQ(stats.buckets_loaded, 0);
  EXPECT_EQ(stats.partitions_loaded, 4);
  EXPECT_EQ(stats.ml_rows_loaded,
            static_cast<int64_t>(fewer.size() + 2 * kQuarters.size() + fewer.size() * kQuarters.size()));
  ExpectMlTablesEqualTheLake(*store);
  EXPECT_EQ(store->Predictions({"2017Q2", "zeta", 0, 100})->rows.num_rows(), 0u);
  EXPECT_EQ(store->LoadedPartitions()->count({std::string(kGoldPredictions), "quarter=2017Q2/model=zeta"}), 0u);
  EXPECT_EQ(store->LoadedPartitions()->size(), 6u);
}

TEST_P(ServingStoreMlTest, PredictionQueriesResolveQuarterAndModelAndPage) {
  CommitFirstMlTables();
  auto store = Open(FreshStoreUrl());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, nullptr).ok());

  // Rows as committed, in rank order (MakePredictions writes them so).
  const Table q3 = testing::MakePredictions(kTickers, "2017Q3", "alpha", 2, 2, false);
  const Table zeta = testing::MakePredictions(kTickers, "2017Q2", "zeta", 1, 3, true);

  auto newest = store->Predictions({});
  ASSERT_TRUE(newest.ok()) << newest.status().ToString();
  EXPECT_EQ(newest->quarter, "2017Q3");
  EXPECT_EQ(newest->model, "alpha");
  EXPECT_TRUE(RowsOf(newest->rows, kGoldPredictions) == RowsOf(q3, kGoldPredictions));
  for (size_t r = 0; r < newest->rows.num_rows(); ++r) {
    EXPECT_EQ(newest->rows.Find("rank")->i32[r], static_cast<int32_t>(r + 1));
  }

  auto of_zeta = store->Predictions({"", "zeta", 0, 100});
  ASSERT_TRUE(of_zeta.ok());
  EXPECT_EQ(of_zeta->quarter, "2017Q2") << "the newest quarter zeta has predictions for";
  EXPECT_TRUE(RowsOf(of_zeta->rows, kGoldPredictions) == RowsOf(zeta, kGoldPredictions));

  auto first_model = store->Predictions({"2017Q2", "", 0, 100});
  ASSERT_TRUE(first_model.ok());
  EXPECT_EQ(first_model->model, "alpha") << "the quarter's first model by name";

  // Pages of 3 put together are the whole quarter, in rank order.
  std::vector<Row> paged;
  for (int64_t offset = 0;; offset += 3) {
    auto page = store->Predictions({"2017Q2", "zeta", offset, 3});
    ASSERT_TRUE(page.ok());
    for (Row& r : RowsOf(page->rows, kGoldPredictions)) paged.push_back(std::move(r));
    if (page->rows.num_rows() < 3) break;
  }
  EXPECT_TRUE(paged == RowsOf(zeta, kGoldPredictions));

  auto unknown = store->Predictions({"", "nobody", 0, 100});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->quarter, "");
  EXPECT_EQ(unknown->rows.num_rows(), 0u);
  auto empty_quarter = store->Predictions({"2001Q1", "", 0, 100});
  ASSERT_TRUE(empty_quarter.ok());
  EXPECT_EQ(empty_quarter->model, "");
  EXPECT_EQ(empty_quarter->rows.num_rows(), 0u);

  auto sets = store->PredictionSets();
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  ASSERT_EQ(sets->size(), 3u);
  const int64_t n = static_cast<int64_t>(kTickers.size());
  EXPECT_EQ((*sets)[0].quarter, "2017Q3");
  EXPECT_EQ((*sets)[0].model_version, 2);
  EXPECT_EQ((*sets)[0].rows, n);
  EXPECT_EQ((*sets)[1].quarter + "/" + (*sets)[1].model, "2017Q2/alpha");
  EXPECT_EQ((*sets)[2].quarter + "/" + (*sets)[2].model, "2017Q2/zeta");
}

TEST_P(ServingStoreMlTest, BacktestsAreListedNewestFirst) {
  CommitFirstMlTables();
  Commit(std::string(kGoldBacktest), testing::BacktestPartition("bt-2"), testing::MakeBacktest("bt-2", kQuarters, 6));
  auto store = Open(FreshStoreUrl());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, nullptr).ok());

  auto ids = store->BacktestIds();
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::vector<std::string>{"bt-2", "bt-1"}));

  const Table bt1 = testing::MakeBacktest("bt-1", kQuarters, 4);
  auto quarters = store->BacktestQuarters("bt-1");
  ASSERT_TRUE(quarters.ok());
  EXPECT_TRUE(RowsOf(*quarters, kGoldBacktest) == Sorted(RowsOf(bt1, kGoldBacktest)))
      << "ordered by quarter, then predictor (baseline before model)";
  EXPECT_EQ(store->BacktestQuarters("bt-9")->num_rows(), 0u);
  EXPECT_EQ(store->BacktestQuarters("' OR 1=1 --")->num_rows(), 0u) << "an id is data";
}

TEST_P(ServingStoreMlTest, KillBetweenPartitionsThenResyncCompletes) {
  CommitFirstMlTables();
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());
  ASSERT_NE(Open(url), nullptr);  // the schema exists before the child starts
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(n, 0);
  self[n] = '\0';
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setenv("STOCKLAKE_CRASH_AT", "store-partition-committed", 1);
    setenv("STOCKLAKE_STORE_TEST_CHILD", (url + "\n" + lake_).c_str(), 1);
    execl(self, self, static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LoadedPartitions()->size(), 1u) << "the child died right after its first partition's commit";
  SyncStats stats;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, &stats).ok());
  EXPECT_EQ(stats.partitions_loaded, 4);
  ExpectMlTablesEqualTheLake(*store);
}

TEST_P(ServingStoreMlTest, UpgradingAddsTheMlTablesAndKeepsTheBuckets) {
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());
  const int before = GetParam() == "postgresql" ? 4 : 2;
  {
    StoreOptions old_schema;
    old_schema.schema_version = before;
    auto old = Open(url, old_schema);
    ASSERT_NE(old, nullptr);
    EXPECT_FALSE(old->LoadedPartitions().ok()) << "no ML tables before the upgrade";
    // One bucket loaded by the old schema.
    auto snap = LoadCurrentSnapshot(lake_);
    const DataFile& bars = snap->tables[std::string(kSilverBars)][0];
    BucketContents contents;
    contents.bucket = bars.bucket;
    contents.state = LoadedBucket{snap->id, snap->partitions, "stale\n"};
    contents.tables.emplace(std::string(kSilverBars), *ReadParquetFile(lake_ + "/" + bars.path));
    ASSERT_TRUE(old->ReplaceBucket(contents).ok());
  }
  CommitFirstMlTables();
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  EXPECT_GT(*store->SchemaVersion(), before);  // the ML migration and any after it
  EXPECT_EQ(store->LoadedBuckets()->size(), 1u) << "upgrading keeps the loaded bucket";
  SyncStats stats;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake_, &stats).ok());
  EXPECT_EQ(stats.partitions_loaded, 5);
  ExpectMlTablesEqualTheLake(*store);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServingStoreMlTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace stocklake
