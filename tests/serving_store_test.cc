// The serving store against both backends (SQLite, and a real PostgreSQL started by
// tests/pg_harness): contents equal the lake's tables bit for bit, incremental syncs
// reload only changed buckets, a kill between buckets then a resync converges, hostile
// ticker strings stay data, older schemas upgrade, loaders of disjoint bucket sets sync at
// once, dry runs write nothing, PostgreSQL's date partitions hold one bucket-year range
// each, and the query layer (every read the API makes) agrees with answers computed here
// from the lake's files.
#include "store/serving_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "core/files.h"
#include "lake/parquet_reader.h"
#include "lake/parquet_writer.h"
#include "lake/snapshot.h"
#include "lake/table_schemas.h"
#include "orchestrate/bucket_files.h"
#include "pg_harness.h"
#include "store/store_sync.h"
#include "store_backend_test.h"
#include "table_test_util.h"
#include "test_util.h"

namespace stocklake {
namespace {

// The paths of `table`'s files for `bucket`, in order.
std::vector<std::string> FilePaths(const LakeSnapshot& snapshot, const std::string& table, int bucket) {
  std::vector<std::string> out;
  for (const DataFile* f : snapshot.FilesOf(table, bucket)) out.push_back(f->path);
  return out;
}

using testing::PgServer;
using testing::RunCommand;
using testing::StoreRows;
using testing::TempDir;

// Child mode: the crash test re-executes this binary with STOCKLAKE_STORE_TEST_CHILD set
// to "URL\nLAKE"; it syncs and exits before gtest (or any CrashPoint call) runs, so the
// crash point reads STOCKLAKE_CRASH_AT fresh.
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

//! Rows of `t` in the column order of the lake table `lake_table`.
std::vector<Row> RowsOf(const Table& t, std::string_view lake_table) {
  const Table schema = EmptyTableFor(lake_table);
  std::vector<const Column*> cols;
  for (const Column& s : schema.columns) {
    const Column* c = t.Find(s.name);
    EXPECT_NE(c, nullptr) << "column " << s.name << " missing from " << lake_table;
    if (c == nullptr) return {};
    EXPECT_EQ(c->type, s.type) << s.name;
    cols.push_back(c);
  }
  std::vector<Row> rows(t.num_rows());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (const Column* c : cols) rows[r].push_back(testing::ExactCell(*c, r));
  }
  return rows;
}

std::vector<Row> Sorted(std::vector<Row> rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

//! Every row of a lake table, read from the current snapshot's files, sorted.
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

const std::vector<std::string_view> kServedTables = {kSilverBars,      kGoldIndicators,    kGoldBarsWeekly,
                                                     kGoldBarsMonthly, kGoldBarsQuarterly, kRejects};

// Adds `bucket`'s rows of every served table (all their files) to `contents`.
void AddBucketRows(const std::string& lake, const LakeSnapshot& snapshot, int bucket, BucketContents* contents) {
  for (std::string_view table : kServedTables) {
    if (snapshot.FilesOf(std::string(table), bucket).empty()) continue;
    auto rows = ReadBucketTable(lake, snapshot, table, bucket);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    contents->tables.emplace(std::string(table), std::move(*rows));
  }
}

testing::CommandResult Stocklake(const std::string& args) {
  return RunCommand(testing::StocklakeBinary() + " " + args);
}

//! Copies the first `keep` of the data rows of every file (header kept) from `from` to
//! `to`; with `only` non-empty, only files whose names are in it.
void CopyRows(const std::string& from, const std::string& to, double begin, double end,
              const std::set<std::string>& only = {}) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    if (!only.empty() && !only.count(entry.path().filename().string())) continue;
    std::ifstream in(entry.path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    const size_t n = lines.size() - 1;
    const size_t a = 1 + static_cast<size_t>(static_cast<double>(n) * begin);
    const size_t b = 1 + static_cast<size_t>(static_cast<double>(n) * end);
    std::string out = lines[0] + "\n";
    for (size_t i = a; i < b; ++i) out += lines[i] + "\n";
    testing::WriteTextFile(to + "/" + std::filesystem::relative(entry.path(), from).string(), out);
  }
}

void ExpectBucketPartitions(const std::string& url, const std::set<int>& buckets);

class ServingStoreTest : public testing::StoreBackendTest {
 protected:
  //! A lake made by the real binary from generated data.
  std::string GeneratedLake(const std::string& name, int tickers, int days) {
    const std::string data = dir_.Join(name + "-data"), lake = dir_.Join(name);
    auto gen = Stocklake("generate --tickers " + std::to_string(tickers) + " --days " + std::to_string(days) +
                         " --seed 17 --bad-rows 0.03 --out " + data);
    EXPECT_EQ(gen.exit_code, 0) << gen.output;
    auto run = Stocklake("run --input " + data + " --lake " + lake);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return lake;
  }

  void ExpectStoreEqualsLake(ServingStore& store, const std::string& lake) {
    for (std::string_view table : kServedTables) {
      auto scanned = store.ScanTable(table);
      ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
      const std::vector<Row> expected = LakeRows(lake, table);
      const std::vector<Row> actual = Sorted(RowsOf(*scanned, table));
      EXPECT_EQ(actual.size(), expected.size()) << table;
      EXPECT_TRUE(actual == expected) << "store table mirroring " << table << " differs from the lake";
    }
  }

  //! Fills a store of schema version `from` with one bucket of `lake`, opens it with the
  //! newest schema, and checks that the upgrade kept exactly those rows, findable by
  //! ticker, and that a sync then completes it.
  void UpgradeFrom(int from, const std::string& lake) {
    const std::string url = FreshStoreUrl();
    std::map<std::string_view, std::vector<Row>> old_rows;  // what the old schema held
    int old_bucket = 0;
    {
      StoreOptions old_options;
      old_options.schema_version = from;
      auto old = Open(url, old_options);
      ASSERT_NE(old, nullptr);
      EXPECT_EQ(*old->SchemaVersion(), from);
      // A database of version `from` holding data: one bucket loaded by the old schema.
      auto snap = LoadCurrentSnapshot(lake);
      BucketContents contents;
      contents.bucket = snap->tables[std::string(kSilverBars)][0].bucket;
      old_bucket = contents.bucket;
      contents.state = LoadedBucket{snap->id, snap->partitions, "stale\n"};
      AddBucketRows(lake, *snap, contents.bucket, &contents);
      for (std::string_view table : kServedTables) {
        auto it = contents.tables.find(table);
        old_rows[table] = it == contents.tables.end() ? std::vector<Row>() : Sorted(RowsOf(it->second, table));
      }
      ASSERT_FALSE(old_rows[kSilverBars].empty());
      ASSERT_TRUE(old->ReplaceBucket(contents).ok());
      if (from == 1) {
        EXPECT_FALSE(old->Runs().ok()) << "version 1 has no runs.summary_json";
      }
    }
    auto store = Open(url);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
    EXPECT_EQ(store->LoadedBuckets()->size(), 1u) << "upgrading keeps the data";
    if (GetParam() == "postgresql") ExpectBucketPartitions(url, {old_bucket});
    for (std::string_view table : kServedTables) {
      auto scanned = store->ScanTable(table);
      ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
      EXPECT_TRUE(Sorted(RowsOf(*scanned, table)) == old_rows[table]) << table << " changed in the upgrade";
    }
    // The moved rows are found by ticker (PostgreSQL: through the new bucket partitions).
    const std::string some_ticker = old_rows[kSilverBars][0][0].substr(2);
    auto bars = store->Bars({some_ticker, BarInterval::kDay, kNullDate, kNullDate});
    ASSERT_TRUE(bars.ok()) << bars.status().ToString();
    EXPECT_EQ(bars->num_rows(),
              static_cast<size_t>(std::count_if(old_rows[kSilverBars].begin(), old_rows[kSilverBars].end(),
                                                [&](const Row& r) { return r[0] == "s:" + some_ticker; })));
    ASSERT_TRUE(SyncStoreWithLake(*store, lake, nullptr).ok());
    ExpectStoreEqualsLake(*store, lake);
    ASSERT_TRUE(store->Runs().ok());
    EXPECT_EQ(store->Runs()->size(), 1u);
    store.reset();
    // Reopening a current database applies nothing; a newer one is refused.
    EXPECT_NE(Open(url), nullptr);
    StoreOptions newer;
    newer.schema_version = LatestSchemaVersion() + 1;
    EXPECT_FALSE(OpenServingStore(url, newer).ok());
  }
};

TEST_P(ServingStoreTest, ContentsEqualTheLakeAndRerunsDoNothing) {
  const std::string lake = GeneratedLake("lake", 12, 400);
  auto store = Open(FreshStoreUrl());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
  auto snap = LoadCurrentSnapshot(lake);
  ASSERT_TRUE(snap.ok());
  std::set<int> buckets_with_files;
  for (const auto& [table, files] : snap->tables) {
    if (table != kBarsLineage) {
      for (const DataFile& f : files) buckets_with_files.insert(f.bucket);
    }
  }

  SyncStats stats;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, &stats).ok());
  EXPECT_EQ(stats.snapshot_id, snap->id);
  EXPECT_EQ(stats.buckets_loaded, static_cast<int>(buckets_with_files.size()));
  EXPECT_EQ(stats.bar_rows_loaded, static_cast<int64_t>(LakeRows(lake, kSilverBars).size()));
  EXPECT_EQ(stats.runs_recorded, 1);
  ExpectStoreEqualsLake(*store, lake);

  auto runs = store->Runs();
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].snapshot_id, snap->id);
  EXPECT_EQ((*runs)[0].committed_at, snap->committed_at);
  EXPECT_EQ((*runs)[0].accepted, static_cast<int64_t>(LakeRows(lake, kSilverBars).size()));
  EXPECT_EQ((*runs)[0].rejected, static_cast<int64_t>(LakeRows(lake, kRejects).size()) - (*runs)[0].duplicates);

  SyncStats again;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, &again).ok());
  EXPECT_EQ(again.buckets_loaded, 0);
  EXPECT_EQ(again.rows_loaded, 0);
  EXPECT_EQ(again.runs_recorded, 0);

  // A second connection (as the API would open) sees the same contents.
  store.reset();
}

TEST_P(ServingStoreTest, IncrementalSyncReloadsOnlyChangedBuckets) {
  const std::string data = dir_.Join("data"), early = dir_.Join("early"), late = dir_.Join("late");
  const std::string lake = dir_.Join("lake");
  ASSERT_EQ(Stocklake("generate --tickers 12 --days 300 --seed 5 --bad-rows 0.03 --out " + data).exit_code, 0);
  CopyRows(data, early, 0.0, 0.7);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data)) {
    if (e.is_regular_file()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  CopyRows(data, late, 0.7, 1.0, {names[0], names[1]});  // later days of two tickers only
  auto a = Stocklake("run --input " + early + " --lake " + lake);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  auto store = Open(FreshStoreUrl());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, nullptr).ok());
  auto before = LoadCurrentSnapshot(lake);

  auto b = Stocklake("run --input " + late + " --lake " + lake);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto after = LoadCurrentSnapshot(lake);
  ASSERT_GT(after->id, before->id);
  // Buckets whose served files changed between the two snapshots, computed from the
  // manifests alone.
  std::set<int> changed;
  for (std::string_view table : kServedTables) {
    for (int bucket = 0; bucket < after->partitions; ++bucket) {
      if (FilePaths(*before, std::string(table), bucket) != FilePaths(*after, std::string(table), bucket)) {
        changed.insert(bucket);
      }
    }
  }
  ASSERT_FALSE(changed.empty());
  ASSERT_LE(changed.size(), 2u);

  SyncStats stats;
  const Status synced = SyncStoreWithLake(*store, lake, &stats);
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  EXPECT_EQ(stats.buckets_loaded, static_cast<int>(changed.size()));
  EXPECT_EQ(stats.buckets_unchanged, after->partitions - static_cast<int>(changed.size()));
  EXPECT_EQ(stats.runs_recorded, 1);
  ExpectStoreEqualsLake(*store, lake);
  EXPECT_EQ(store->Runs()->size(), 2u);
}

TEST_P(ServingStoreTest, KillBetweenBucketsThenResyncGivesIdenticalContents) {
  const std::string lake = GeneratedLake("lake", 10, 250);
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
    setenv("STOCKLAKE_CRASH_AT", "store-bucket-committed", 1);
    setenv("STOCKLAKE_STORE_TEST_CHILD", (url + "\n" + lake).c_str(), 1);
    execl(self, self, static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  auto loaded = store->LoadedBuckets();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 1u) << "the child died right after its first bucket's commit";

  SyncStats stats;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, &stats).ok());
  auto clean = Open(FreshStoreUrl());
  ASSERT_NE(clean, nullptr);
  SyncStats clean_stats;
  ASSERT_TRUE(SyncStoreWithLake(*clean, lake, &clean_stats).ok());
  EXPECT_EQ(stats.buckets_loaded, clean_stats.buckets_loaded - 1);
  ExpectStoreEqualsLake(*store, lake);
  for (std::string_view table : kServedTables) {
    EXPECT_TRUE(Sorted(RowsOf(*store->ScanTable(table), table)) == Sorted(RowsOf(*clean->ScanTable(table), table)))
        << table;
  }
}

SyncOptions ThreeConnections() {
  SyncOptions options;
  options.connections = 3;
  return options;
}

TEST_P(ServingStoreTest, SyncByUrlWithSeveralConnectionsEqualsTheLake) {
  const std::string lake = GeneratedLake("lake", 20, 200);
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());
  SyncStats stats;
  const Status st = SyncStoreWithLake(url, lake, ThreeConnections(), &stats);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_GT(stats.buckets_loaded, 1);
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  ExpectStoreEqualsLake(*store, lake);
  ASSERT_TRUE(SyncStoreWithLake(url, lake, ThreeConnections(), &stats).ok());
  EXPECT_EQ(stats.buckets_loaded, 0);
}

//! Rows of a lake table in the given buckets only, sorted.
std::vector<Row> LakeRowsOfBuckets(const std::string& lake, std::string_view table, const std::set<int>& buckets) {
  auto snap = LoadCurrentSnapshot(lake);
  EXPECT_TRUE(snap.ok()) << snap.status().ToString();
  std::vector<Row> all;
  for (const DataFile& f : snap->tables[std::string(table)]) {
    if (!buckets.count(f.bucket)) continue;
    auto t = ReadParquetFile(lake + "/" + f.path);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    for (Row& r : RowsOf(*t, table)) all.push_back(std::move(r));
  }
  return Sorted(std::move(all));
}

//! Buckets holding a file of any served table in the lake's current snapshot.
std::set<int> BucketsWithFiles(const std::string& lake) {
  auto snap = LoadCurrentSnapshot(lake);
  EXPECT_TRUE(snap.ok()) << snap.status().ToString();
  std::set<int> out;
  for (std::string_view table : kServedTables) {
    for (const DataFile& f : snap->tables[std::string(table)]) out.insert(f.bucket);
  }
  return out;
}

TEST_P(ServingStoreTest, DryRunWritesNothingAndBucketSubsetsLoadOnlyThemselves) {
  const std::string lake = GeneratedLake("lake", 20, 120);
  const std::set<int> all = BucketsWithFiles(lake);
  ASSERT_GE(all.size(), 4u);
  std::set<int> first_half, second_half;
  for (int b : all) (first_half.size() < all.size() / 2 ? first_half : second_half).insert(b);
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());

  SyncOptions dry;
  dry.dry_run = true;
  SyncStats stats;
  ASSERT_TRUE(SyncStoreWithLake(url, lake, dry, &stats).ok());
  EXPECT_EQ(stats.buckets_behind, static_cast<int>(all.size()));
  EXPECT_EQ(stats.buckets_loaded, 0);
  EXPECT_EQ(stats.buckets_unchanged, stats.buckets_total - static_cast<int>(all.size()));
  EXPECT_EQ(stats.rows_loaded, 0);
  EXPECT_EQ(stats.runs_recorded, 0);
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->LoadedBuckets()->empty()) << "a dry run loads nothing";
  EXPECT_TRUE(store->Runs()->empty()) << "a dry run records no run";
  EXPECT_EQ(store->ScanTable(kSilverBars)->num_rows(), 0u);

  SyncOptions some;
  some.buckets.assign(first_half.begin(), first_half.end());
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, some, &stats).ok());
  EXPECT_EQ(stats.buckets_behind, static_cast<int>(first_half.size()));
  EXPECT_EQ(stats.buckets_loaded, static_cast<int>(first_half.size()));
  EXPECT_EQ(stats.runs_recorded, 1) << "a loader of some buckets records the runs too";
  auto loaded_state = store->LoadedBuckets();
  ASSERT_TRUE(loaded_state.ok());
  std::set<int> loaded;
  for (const auto& [bucket, state] : *loaded_state) loaded.insert(bucket);
  EXPECT_EQ(loaded, first_half);
  for (std::string_view table : kServedTables) {
    EXPECT_TRUE(Sorted(RowsOf(*store->ScanTable(table), table)) == LakeRowsOfBuckets(lake, table, first_half))
        << table << " holds rows of buckets not asked for";
  }

  // What is behind now is the other half, and a dry run says so without loading it.
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, dry, &stats).ok());
  EXPECT_EQ(stats.buckets_behind, static_cast<int>(second_half.size()));
  EXPECT_EQ(stats.buckets_loaded, 0);
  EXPECT_EQ(store->LoadedBuckets()->size(), first_half.size());
  some.buckets.assign(second_half.begin(), second_half.end());
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, some, &stats).ok());
  EXPECT_EQ(stats.buckets_loaded, static_cast<int>(second_half.size()));
  EXPECT_EQ(stats.runs_recorded, 0);
  ExpectStoreEqualsLake(*store, lake);
  EXPECT_EQ(store->Runs()->size(), 1u);
}

TEST_P(ServingStoreTest, TwoLoadersOfDisjointBucketsSyncAtTheSameTime) {
  const std::string lake = GeneratedLake("lake", 24, 150);
  const std::string url = FreshStoreUrl();
  ASSERT_FALSE(url.empty());  // an empty database: both loaders create the schema at once
  const std::set<int> all = BucketsWithFiles(lake);
  SyncOptions even, odd;
  for (int b : all) (b % 2 == 0 ? even : odd).buckets.push_back(b);
  ASSERT_FALSE(even.buckets.empty());
  ASSERT_FALSE(odd.buckets.empty());
  // Both start together, so their transactions (and their run records) overlap.
  std::atomic<int> ready{0};
  Status st_even, st_odd;
  SyncStats stats_even, stats_odd;
  auto loader = [&](const SyncOptions& options, Status* st, SyncStats* stats) {
    ++ready;
    while (ready.load() < 2) std::this_thread::yield();
    *st = SyncStoreWithLake(url, lake, options, stats);
  };
  std::thread a(loader, std::cref(even), &st_even, &stats_even);
  std::thread b(loader, std::cref(odd), &st_odd, &stats_odd);
  a.join();
  b.join();
  ASSERT_TRUE(st_even.ok()) << st_even.ToString();
  ASSERT_TRUE(st_odd.ok()) << st_odd.ToString();
  EXPECT_EQ(stats_even.buckets_loaded, static_cast<int>(even.buckets.size()));
  EXPECT_EQ(stats_odd.buckets_loaded, static_cast<int>(odd.buckets.size()));
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  ExpectStoreEqualsLake(*store, lake);
  EXPECT_EQ(store->LoadedBuckets()->size(), all.size());
  EXPECT_EQ(store->Runs()->size(), 1u);
  SyncStats again;
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, &again).ok());
  EXPECT_EQ(again.buckets_loaded, 0);
}

// ---- Hostile tickers, written into a lake directly (the pipeline would refuse them) ----

const std::vector<std::string> kHostileTickers = {
    "A'); DROP TABLE stocks;--", "\"", "%", "%X", "_", "_Y", "AB", "A_B", "A%B", "x\\y", "Ünïcødé-日本", "' OR '1'='1"};

void AddString(Column* c, const std::string& v) {
  auto it = std::find(c->dictionary.begin(), c->dictionary.end(), v);
  if (it == c->dictionary.end()) {
    c->dictionary.push_back(v);
    it = c->dictionary.end() - 1;
  }
  c->AppendCode(static_cast<int32_t>(it - c->dictionary.begin()));
}

//! A two-bucket lake: each hostile ticker has 3 daily bars, indicators, period bars and
//! a reject; one reject has no ticker and no date.
std::string HostileLake(const std::string& lake) {
  LakeSnapshot snap;
  snap.partitions = 2;
  snap.run_summary_json = R"({"accepted": 36, "rejected": 13, "note": "hand-made"})";
  for (int bucket = 0; bucket < 2; ++bucket) {
    std::map<std::string_view, Table> tables;
    for (std::string_view name : kServedTables) tables[name] = EmptyTableFor(name);
    for (size_t k = bucket; k < kHostileTickers.size(); k += 2) {
      const std::string& ticker = kHostileTickers[k];
      for (int day = 0; day < 3; ++day) {
        const Date d = DaysFromCivil(2021 + day, 12, 31);  // three years: three partitions
        const double base = 10.0 + static_cast<double>(k) + day * 0.1;
        Table& bars = tables[kSilverBars];
        AddString(&bars.columns[0], ticker);
        bars.columns[1].AppendInt32(d);
        for (int c = 2; c <= 6; ++c) bars.columns[static_cast<size_t>(c)].AppendDouble(base + c * 1e-9);
        bars.columns[7].AppendInt64(1000 * static_cast<int64_t>(k + 1) + day);
        Table& ind = tables[kGoldIndicators];
        AddString(&ind.columns[0], ticker);
        ind.columns[1].AppendInt32(d);
        ind.columns[2].AppendDouble(base);
        for (size_t c = 3; c < ind.columns.size() - 1; ++c) {
          if (day == 0) {
            ind.columns[c].AppendNull();
          } else {
            ind.columns[c].AppendDouble(0.1 / 3 * static_cast<double>(c) - static_cast<double>(k));
          }
        }
        ind.columns.back().AppendInt64(-5 * day);
      }
      for (std::string_view period : {kGoldBarsWeekly, kGoldBarsMonthly, kGoldBarsQuarterly}) {
        Table& p = tables[period];
        AddString(&p.columns[0], ticker);
        p.columns[1].AppendInt32(DaysFromCivil(2021, 12, 27));
        p.columns[2].AppendInt32(DaysFromCivil(2021, 12, 31));
        for (int c = 3; c <= 7; ++c) p.columns[static_cast<size_t>(c)].AppendDouble(1.0 / 7 * c);
        p.columns[8].AppendInt64(7);
        p.columns[9].AppendInt32(5);
        p.columns[10].AppendNull();
      }
      Table& rej = tables[kRejects];
      AddString(&rej.columns[0], "Stocks/" + ticker + ".txt");
      rej.columns[1].AppendInt64(static_cast<int64_t>(k) + 2);
      AddString(&rej.columns[2], ticker);
      rej.columns[3].AppendInt32(DaysFromCivil(2020, 2, 29));
      AddString(&rej.columns[4], "bad_price");
    }
    if (bucket == 1) {
      Table& rej = tables[kRejects];
      AddString(&rej.columns[0], "raw-stock-data");
      rej.columns[1].AppendInt64(99);
      rej.columns[2].AppendNull();
      rej.columns[3].AppendNull();
      AddString(&rej.columns[4], "parse_error");
    }
    for (auto& [name, table] : tables) {
      const std::string path = DataFileName(std::string(name), bucket, 1);
      EXPECT_TRUE(CreateDirectories(lake + "/" + std::string(name)).ok());
      EXPECT_TRUE(WriteParquetFile(lake + "/" + path, table).ok());
      snap.tables[std::string(name)].push_back(DataFile{path, bucket, static_cast<int64_t>(table.num_rows()), 0, ""});
    }
  }
  EXPECT_TRUE(CommitSnapshot(lake, &snap).ok());
  return lake;
}

//! PostgreSQL layout (schema 4): every ticker-keyed table has exactly one partition per
//! bucket in `buckets`; those of stocks and indicators are partitioned by date, every
//! leaf (and every period-bar bucket partition) has its primary key, every stocks and
//! indicators leaf an index on date, and no load table is left behind.
void ExpectBucketPartitions(const std::string& url, const std::set<int>& buckets) {
  std::set<std::string> sorted_bounds;  // as text, as the query sorts them
  for (int b : buckets) sorted_bounds.insert("FOR VALUES IN ('" + std::to_string(b) + "')\n");
  std::string bounds;
  for (const std::string& b : sorted_bounds) bounds += b;
  for (const std::string parent : {"stocks", "indicators", "bars_weekly", "bars_monthly", "bars_quarterly"}) {
    const bool by_date = parent == "stocks" || parent == "indicators";
    EXPECT_EQ(StoreRows(url,
                        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = "
                        "i.inhrelid WHERE i.inhparent = '" +
                            parent + "'::regclass ORDER BY 1"),
              bounds)
        << parent;
    // Leaves: the bucket partitions' partitions (by date), or the bucket partitions.
    const std::string leaves =
        by_date ? "SELECT l.inhrelid AS oid FROM pg_inherits i JOIN pg_inherits l ON l.inhparent = "
                  "i.inhrelid WHERE i.inhparent = '" +
                      parent + "'::regclass"
                : "SELECT i.inhrelid AS oid FROM pg_inherits i WHERE i.inhparent = '" + parent + "'::regclass";
    EXPECT_EQ(
        StoreRows(url, "SELECT count(*) FROM (" + leaves +
                           ") l JOIN pg_class c ON c.oid = l.oid WHERE c.relkind <> 'r' "
                           "OR NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = l.oid AND x.indisprimary)"),
        "0\n")
        << parent << ": a leaf that is no plain table or has no primary key";
    if (by_date) {
      EXPECT_EQ(
          StoreRows(url, "SELECT count(*) FROM (" + leaves +
                             ") l WHERE NOT EXISTS (SELECT 1 FROM pg_index x JOIN "
                             "pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] WHERE x.indrelid = "
                             "l.oid AND x.indnatts = 1 AND a.attname = 'date')"),
          "0\n")
          << parent << ": a leaf without an index on date";
    }
  }
  EXPECT_EQ(StoreRows(url, "SELECT count(*) FROM pg_class WHERE relname LIKE '%\\_load\\_b%'"), "0\n");
}

//! EXPLAIN's text for `sql` (seq scans off: test tables are tiny, the point is which
//! partitions and indexes can serve).
std::string PgPlan(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PQclear(PQexec(conn, "SET enable_seqscan = off"));
  PGresult* res = PQexec(conn, ("EXPLAIN " + sql).c_str());
  EXPECT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  std::string text;
  for (int r = 0; r < PQntuples(res); ++r) text += std::string(PQgetvalue(res, r, 0)) + "\n";
  PQclear(res);
  PQfinish(conn);
  return text;
}

TEST_P(ServingStoreTest, HostileTickersAreStoredAndQueriedAsData) {
  const std::string lake = HostileLake(dir_.Join("lake"));
  const std::string url = FreshStoreUrl();
  auto store = Open(url);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, nullptr).ok());
  ExpectStoreEqualsLake(*store, lake);

  for (const std::string& ticker : kHostileTickers) {
    auto bars = store->Bars({ticker, BarInterval::kDay, kNullDate, kNullDate});
    ASSERT_TRUE(bars.ok()) << ticker << ": " << bars.status().ToString();
    ASSERT_EQ(bars->num_rows(), 3u) << ticker;
    for (size_t r = 0; r < 3; ++r) EXPECT_EQ(bars->Find("ticker")->StringAt(r), ticker);
    auto weekly = store->Bars({ticker, BarInterval::kWeek, DaysFromCivil(2021, 12, 30), kNullDate});
    ASSERT_TRUE(weekly.ok());
    EXPECT_EQ(weekly->num_rows(), 1u) << ticker;
    auto latest = store->LatestIndicators(ticker);
    ASSERT_TRUE(latest.ok());
    ASSERT_EQ(latest->num_rows(), 1u) << ticker;
    EXPECT_EQ(latest->Find("date")->i32[0], DaysFromCivil(2023, 12, 31));
    auto rejects = store->Rejects({"", ticker, 0, 10});
    ASSERT_TRUE(rejects.ok());
    ASSERT_EQ(rejects->num_rows(), 1u) << ticker;
    EXPECT_EQ(rejects->Find("source_file")->StringAt(0), "Stocks/" + ticker + ".txt");
    auto found = store->SearchTickers(ticker, 100);
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(std::find(found->begin(), found->end(), ticker) != found->end()) << ticker;
  }
  // Prefix search compares bytes: '%' and '_' match only themselves.
  auto expect_prefix = [&](const std::string& prefix) {
    std::vector<std::string> expected;
    for (const std::string& t : kHostileTickers) {
      if (t.compare(0, prefix.size(), prefix) == 0) expected.push_back(t);
    }
    std::sort(expected.begin(), expected.end());
    auto found = store->SearchTickers(prefix, 100);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(*found, expected) << "prefix " << prefix;
  };
  for (const char* prefix : {"%", "_", "A_", "A%", "A'", "'", "\"", "x\\", "Ü", "", "nothing"}) expect_prefix(prefix);
  auto limited = store->SearchTickers("", 3);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 3u);

  auto no_ticker = store->Rejects({"parse_error", "", 0, 10});
  ASSERT_TRUE(no_ticker.ok());
  ASSERT_EQ(no_ticker->num_rows(), 1u);
  EXPECT_TRUE(no_ticker->Find("ticker")->IsNull(0));
  EXPECT_TRUE(no_ticker->Find("date")->IsNull(0));
  auto runs = store->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].accepted, 36);
  EXPECT_NE((*runs)[0].summary_json.find("hand-made"), std::string::npos);
  // Every table is still there and whole.
  ExpectStoreEqualsLake(*store, lake);
  if (GetParam() == "postgresql") ExpectBucketPartitions(url, {0, 1});
}

// ---- Query layer, checked against answers computed from the lake's rows ----

//! Store options giving PostgreSQL a date partition per year even for a small lake.
StoreOptions PartitionPerYear() {
  StoreOptions options;
  options.rows_per_date_partition = 1;
  return options;
}

TEST_P(ServingStoreTest, QueriesAgreeWithTheLake) {
  const std::string lake = GeneratedLake("lake", 15, 600);  // 3 calendar years
  auto store = Open(FreshStoreUrl(), PartitionPerYear());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, nullptr).ok());
  // Lake rows start with s:ticker, d:date.
  const std::vector<Row> bars = LakeRows(lake, kSilverBars);
  const std::vector<Row> indicators = LakeRows(lake, kGoldIndicators);
  ASSERT_FALSE(bars.empty());
  const std::string ticker = bars[bars.size() / 2][0].substr(2);
  std::vector<Date> dates;
  for (const Row& r : bars) {
    if (r[0] == "s:" + ticker) {
      Date d;
      ParseIsoDate(r[1].c_str() + 2, r[1].size() - 2, &d);
      dates.push_back(d);
    }
  }
  ASSERT_GT(dates.size(), 100u);
  const Date lo = dates[20], hi = dates[80];

  auto day = store->Bars({ticker, BarInterval::kDay, lo, hi});
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  std::vector<Row> expected;
  for (const Row& r : bars) {
    if (r[0] == "s:" + ticker && r[1] >= "d:" + FormatDate(lo) && r[1] <= "d:" + FormatDate(hi)) expected.push_back(r);
  }
  EXPECT_EQ(expected.size(), 61u);
  EXPECT_TRUE(RowsOf(*day, kSilverBars) == expected) << "ordered by date, same rows";

  auto monthly = store->Bars({ticker, BarInterval::kMonth, lo, hi});
  ASSERT_TRUE(monthly.ok());
  expected.clear();
  for (const Row& r : LakeRows(lake, kGoldBarsMonthly)) {
    // period_end >= lo and period_start <= hi
    if (r[0] == "s:" + ticker && r[2] >= "d:" + FormatDate(lo) && r[1] <= "d:" + FormatDate(hi)) expected.push_back(r);
  }
  EXPECT_GE(expected.size(), 3u);
  EXPECT_TRUE(RowsOf(*monthly, kGoldBarsMonthly) == expected);

  auto latest = store->LatestIndicators(ticker);
  ASSERT_TRUE(latest.ok());
  Row newest;
  for (const Row& r : indicators) {
    if (r[0] == "s:" + ticker) newest = r;  // sorted: the last is the newest
  }
  ASSERT_EQ(latest->num_rows(), 1u);
  EXPECT_EQ(RowsOf(*latest, kGoldIndicators)[0], newest);
  EXPECT_EQ(store->LatestIndicators("NO-SUCH")->num_rows(), 0u);

  // Cross-section at a date in the middle: reference from the lake rows.
  const Date at = dates[dates.size() / 2];
  struct Entry {
    std::string ticker;
    double close, ret;
    int64_t volume;
    bool has_ret;
  };
  std::vector<Entry> entries;
  for (const Row& r : bars) {
    if (r[1] != "d:" + FormatDate(at)) continue;
    Entry e{r[0].substr(2), 0, 0, std::stoll(r[7].substr(2)), false};
    uint64_t bits = std::stoull(r[5].substr(2));
    std::memcpy(&e.close, &bits, sizeof bits);
    for (const Row& i : indicators) {
      if (i[0] == r[0] && i[1] == r[1] && i[3] != "NULL") {
        bits = std::stoull(i[3].substr(2));
        std::memcpy(&e.ret, &bits, sizeof bits);
        e.has_ret = true;
      }
    }
    entries.push_back(e);
  }
  ASSERT_GE(entries.size(), 5u);
  auto check = [&](CrossSectionOrder order, auto better) {
    std::vector<Entry> ranked;
    for (const Entry& e : entries) {
      if (order == CrossSectionOrder::kMostTraded || e.has_ret) ranked.push_back(e);
    }
    std::sort(ranked.begin(), ranked.end(), [&](const Entry& a, const Entry& b) {
      if (better(a, b)) return true;
      if (better(b, a)) return false;
      return a.ticker < b.ticker;
    });
    ranked.resize(std::min<size_t>(ranked.size(), 4));
    auto got = store->CrossSection({at, order, 4});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->num_rows(), ranked.size());
    for (size_t r = 0; r < ranked.size(); ++r) {
      EXPECT_EQ(got->Find("ticker")->StringAt(r), ranked[r].ticker) << r;
      EXPECT_EQ(got->Find("date")->i32[r], at);
      EXPECT_EQ(got->Find("volume")->i64[r], ranked[r].volume);
      EXPECT_EQ(got->Find("close")->f64[r], ranked[r].close);
    }
  };
  check(CrossSectionOrder::kTopGainers, [](const Entry& a, const Entry& b) { return a.ret > b.ret; });
  check(CrossSectionOrder::kTopLosers, [](const Entry& a, const Entry& b) { return a.ret < b.ret; });
  check(CrossSectionOrder::kMostTraded, [](const Entry& a, const Entry& b) { return a.volume > b.volume; });

  // Rejects: filter by reason, read in pages, equals the filtered lake rows.
  std::vector<Row> bad_price;
  for (const Row& r : LakeRows(lake, kRejects)) {
    if (r[4] == "s:bad_price") bad_price.push_back(r);
  }
  ASSERT_GT(bad_price.size(), 3u);
  std::vector<Row> paged;
  for (int64_t offset = 0;; offset += 3) {
    auto page = store->Rejects({"bad_price", "", offset, 3});
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (Row& r : RowsOf(*page, kRejects)) paged.push_back(std::move(r));
    if (page->num_rows() < 3) break;
  }
  EXPECT_EQ(paged.size(), bad_price.size());
  EXPECT_TRUE(Sorted(paged) == bad_price);
  EXPECT_EQ(store->Rejects({"no_such_reason", "", 0, 10})->num_rows(), 0u);

  // Prefix search over real tickers.
  std::set<std::string> tickers;
  for (const Row& r : bars) tickers.insert(r[0].substr(2));
  const std::string prefix = ticker.substr(0, 1);
  std::vector<std::string> with_prefix;
  for (const std::string& t : tickers) {
    if (t.starts_with(prefix)) with_prefix.push_back(t);
  }
  EXPECT_EQ(*store->SearchTickers(prefix, 1000), with_prefix);
}

TEST_P(ServingStoreTest, DatePartitionsHoldOneBucketsYearsEach) {
  if (GetParam() != "postgresql") GTEST_SKIP() << "SQLite tables are not partitioned";
  const std::string lake = GeneratedLake("lake", 6, 800);  // 4 calendar years
  const std::string url = FreshStoreUrl();
  auto store = Open(url, PartitionPerYear());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, nullptr).ok());
  ExpectStoreEqualsLake(*store, lake);
  auto snap = LoadCurrentSnapshot(lake);
  std::set<int> bar_buckets;
  std::set<std::pair<int, std::string>> bucket_years;  // from the lake
  for (const DataFile& f : snap->tables[std::string(kSilverBars)]) {
    bar_buckets.insert(f.bucket);
    for (const Row& r : RowsOf(*ReadParquetFile(lake + "/" + f.path), kSilverBars)) {
      bucket_years.emplace(f.bucket, r[1].substr(2, 4));
    }
  }
  ExpectBucketPartitions(url, bar_buckets);
  // One leaf per bucket and year of the lake, holding exactly that bucket's year.
  std::string expected;
  for (const auto& [bucket, year] : bucket_years) expected += std::to_string(bucket) + "\t" + year + "\n";
  for (const std::string table : {"stocks", "indicators"}) {
    EXPECT_EQ(StoreRows(url, "SELECT min(bucket), min(extract(year from \"date\")) FROM " + table +
                                 " GROUP BY tableoid HAVING min(extract(year from \"date\")) = max(extract(year from "
                                 "\"date\")) AND min(bucket) = max(bucket) ORDER BY 1, 2"),
              expected)
        << table;
    EXPECT_EQ(StoreRows(url,
                        "SELECT count(*) FROM pg_inherits l JOIN pg_inherits i ON l.inhparent = i.inhrelid WHERE "
                        "i.inhparent = '" +
                            table + "'::regclass"),
              std::to_string(bucket_years.size()) + "\n");
  }
  // A ticker's year reads one leaf; a cross-section one leaf per bucket, through the
  // date index.
  const auto& [bucket, year] = *bucket_years.rbegin();
  const std::string one_year =
      PgPlan(url, "SELECT * FROM stocks WHERE ticker = 'A' AND bucket = " + std::to_string(bucket) +
                      " AND \"date\" >= '" + year + "-01-01' AND \"date\" <= '" + year + "-12-31'");
  EXPECT_NE(one_year.find("_y" + year + "_"), std::string::npos) << one_year;
  EXPECT_EQ(one_year.find("Append"), std::string::npos) << "one leaf only: " << one_year;
  const std::string cross = PgPlan(url, "SELECT * FROM stocks WHERE \"date\" = '" + year + "-06-01'");
  EXPECT_NE(cross.find("date_idx"), std::string::npos) << cross;
  for (const auto& [other_bucket, other_year] : bucket_years) {
    if (other_year != year) {
      EXPECT_EQ(cross.find("_y" + other_year), std::string::npos) << cross;
    }
  }
}

// ---- Bucket replacement ----

//! The lake's rows of one bucket, as ReplaceBucket takes them.
BucketContents ReadBucketContents(const std::string& lake, int bucket, const std::string& files) {
  auto snap = LoadCurrentSnapshot(lake);
  EXPECT_TRUE(snap.ok());
  BucketContents contents;
  contents.bucket = bucket;
  contents.state = LoadedBucket{snap->id, snap->partitions, files};
  AddBucketRows(lake, *snap, bucket, &contents);
  return contents;
}

TEST_P(ServingStoreTest, ReplacingABucketSwapsOnlyItsRows) {
  const std::string lake = GeneratedLake("lake", 8, 90);
  auto store = Open(FreshStoreUrl());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, nullptr).ok());
  auto snap = LoadCurrentSnapshot(lake);
  const int bucket = snap->tables[std::string(kSilverBars)][0].bucket;

  // Emptied: the bucket's rows leave every table, the other buckets' stay.
  BucketContents empty;
  empty.bucket = bucket;
  empty.state = LoadedBucket{snap->id, snap->partitions, "emptied\n"};
  ASSERT_TRUE(store->ReplaceBucket(empty).ok());
  const BucketContents full = ReadBucketContents(lake, bucket, "refilled\n");
  for (std::string_view table : kServedTables) {
    std::vector<Row> expected = LakeRows(lake, table);
    auto it = full.tables.find(table);
    if (it != full.tables.end()) {
      const std::vector<Row> gone = Sorted(RowsOf(it->second, table));
      std::vector<Row> kept;
      std::set_difference(expected.begin(), expected.end(), gone.begin(), gone.end(), std::back_inserter(kept));
      expected = kept;
    }
    EXPECT_TRUE(Sorted(RowsOf(*store->ScanTable(table), table)) == expected) << table;
  }
  EXPECT_EQ((*store->LoadedBuckets())[bucket].files, "emptied\n");

  // Refilled, twice (the second replaces a loaded bucket by the same rows): the lake again.
  ASSERT_TRUE(store->ReplaceBucket(full).ok());
  ASSERT_TRUE(store->ReplaceBucket(full).ok());
  ExpectStoreEqualsLake(*store, lake);
  EXPECT_EQ((*store->LoadedBuckets())[bucket].files, "refilled\n");
  const std::string ticker(full.tables.at(std::string(kSilverBars)).columns[0].StringAt(0));
  auto bars = store->Bars({ticker, BarInterval::kDay, kNullDate, kNullDate});
  ASSERT_TRUE(bars.ok());
  EXPECT_GT(bars->num_rows(), 0u);
}

TEST_P(ServingStoreTest, ReaderFollowsATickerMovedToAnotherBucket) {
  const std::string lake = GeneratedLake("lake", 4, 60);
  const std::string url = FreshStoreUrl();
  auto writer = Open(url);
  auto reader = Open(url);
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*writer, lake, nullptr).ok());
  auto snap = LoadCurrentSnapshot(lake);
  const int bucket = snap->tables[std::string(kSilverBars)][0].bucket;
  BucketContents contents = ReadBucketContents(lake, bucket, "moved\n");
  const std::string ticker(contents.tables.at(std::string(kSilverBars)).columns[0].StringAt(0));
  auto before = reader->Bars({ticker, BarInterval::kDay, kNullDate, kNullDate});
  ASSERT_TRUE(before.ok());
  ASSERT_GT(before->num_rows(), 0u);
  const std::vector<Row> expected = RowsOf(*before, kSilverBars);
  auto latest = reader->LatestIndicators(ticker);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->num_rows(), 1u);

  // As after a change of the lake's bucket count: everything reloaded, the ticker now in
  // another bucket. The reader, which has seen the ticker in its old bucket, follows it.
  ASSERT_TRUE(writer->Reset().ok());
  contents.bucket = bucket + 100;
  ASSERT_TRUE(writer->ReplaceBucket(contents).ok());
  auto after = reader->Bars({ticker, BarInterval::kDay, kNullDate, kNullDate});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(RowsOf(*after, kSilverBars) == expected);
  auto latest_after = reader->LatestIndicators(ticker);
  ASSERT_TRUE(latest_after.ok());
  EXPECT_TRUE(RowsOf(*latest_after, kGoldIndicators) == RowsOf(*latest, kGoldIndicators));
  // A range holding no bars stays empty, and a ticker gone from the store has no rows.
  auto none = reader->Bars({ticker, BarInterval::kDay, DaysFromCivil(1800, 1, 1), DaysFromCivil(1800, 2, 1)});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->num_rows(), 0u);
  ASSERT_TRUE(writer->Reset().ok());
  auto gone = reader->Bars({ticker, BarInterval::kDay, kNullDate, kNullDate});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->num_rows(), 0u);
}

TEST_P(ServingStoreTest, IndicatorRangesFindATickersRowsInItsBucket) {
  const std::string lake = GeneratedLake("lake", 8, 200);
  const std::string url = FreshStoreUrl();
  auto writer = Open(url);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(SyncStoreWithLake(*writer, lake, nullptr).ok());
  auto reader = Open(url);  // a second connection, as the API's
  ASSERT_NE(reader, nullptr);
  auto snap = LoadCurrentSnapshot(lake);
  const int bucket = snap->tables[std::string(kSilverBars)][0].bucket;
  BucketContents contents = ReadBucketContents(lake, bucket, "moved\n");
  const std::string ticker(contents.tables.at(std::string(kGoldIndicators)).columns[0].StringAt(0));
  std::vector<Row> expected;  // the ticker's indicators, by date, from the lake
  for (const Row& r : LakeRows(lake, kGoldIndicators)) {
    if (r[0] == "s:" + ticker) expected.push_back(r);
  }
  ASSERT_GT(expected.size(), 60u);
  Date lo, hi;
  ASSERT_TRUE(ParseIsoDate(expected[10][1].c_str() + 2, 10, &lo));
  ASSERT_TRUE(ParseIsoDate(expected[59][1].c_str() + 2, 10, &hi));
  const std::vector<Row> in_range(expected.begin() + 10, expected.begin() + 60);
  auto got = reader->Indicators({ticker, lo, hi, 1000});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(RowsOf(*got, kGoldIndicators) == in_range);
  auto limited = reader->Indicators({ticker, kNullDate, kNullDate, 7});
  ASSERT_TRUE(limited.ok());
  EXPECT_TRUE(RowsOf(*limited, kGoldIndicators) == std::vector<Row>(expected.begin(), expected.begin() + 7));
  EXPECT_EQ(reader->Indicators({"NO-SUCH", kNullDate, kNullDate, 10})->num_rows(), 0u);

  // The ticker in a bucket other than the lake's assignment (as if the store had been
  // loaded with another bucket count): found through the tickers table.
  ASSERT_TRUE(writer->Reset().ok());
  contents.bucket = bucket + 100;
  ASSERT_TRUE(writer->ReplaceBucket(contents).ok());
  got = reader->Indicators({ticker, lo, hi, 1000});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(RowsOf(*got, kGoldIndicators) == in_range);
}

TEST_P(ServingStoreTest, TickerPagesTotalsAndRejectCountsAgreeWithTheLake) {
  const std::string lake = GeneratedLake("lake", 9, 120);
  auto store = Open(FreshStoreUrl());
  ASSERT_NE(store, nullptr);
  // An empty store: no tickers, open dates, no rejects.
  auto empty_totals = store->Totals();
  ASSERT_TRUE(empty_totals.ok()) << empty_totals.status().ToString();
  EXPECT_EQ(empty_totals->tickers, 0);
  EXPECT_EQ(empty_totals->first_date, kNullDate);
  EXPECT_EQ(empty_totals->last_date, kNullDate);
  EXPECT_TRUE(store->RejectCountsByReason()->empty());
  ASSERT_TRUE(SyncStoreWithLake(*store, lake, nullptr).ok());

  struct Span {
    std::string first, last;
    int64_t days = 0;
  };
  std::map<std::string, Span> spans;  // from the lake's silver/bars
  for (const Row& r : LakeRows(lake, kSilverBars)) {
    Span& s = spans[r[0].substr(2)];
    const std::string date = r[1].substr(2);
    if (s.first.empty() || date < s.first) s.first = date;
    if (s.last.empty() || date > s.last) s.last = date;
    ++s.days;
  }
  ASSERT_EQ(spans.size(), 9u);
  // Pages of 2 with the keyset cursor walk every ticker once, in order.
  std::vector<std::string> walked;
  std::string after;
  for (;;) {
    auto page = store->Tickers({"", after, 2});
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (size_t r = 0; r < page->num_rows(); ++r) {
      const std::string t(page->Find("ticker")->StringAt(r));
      walked.push_back(t);
      const Span& s = spans[t];
      EXPECT_EQ(FormatDate(page->Find("first_date")->i32[r]), s.first) << t;
      EXPECT_EQ(FormatDate(page->Find("last_date")->i32[r]), s.last) << t;
      EXPECT_EQ(page->Find("days")->i64[r], s.days) << t;
    }
    if (page->num_rows() < 2) break;
    after = walked.back();
  }
  std::vector<std::string> expected;
  for (const auto& [t, s] : spans) expected.push_back(t);
  EXPECT_EQ(walked, expected);
  // A prefix is data: '%' matches nothing, a real prefix its tickers only.
  EXPECT_EQ(store->Tickers({"%", "", 100})->num_rows(), 0u);
  const std::string prefix = expected[0].substr(0, 1);
  auto with_prefix = store->Tickers({prefix, "", 100});
  ASSERT_TRUE(with_prefix.ok());
  for (size_t r = 0; r < with_prefix->num_rows(); ++r)
    EXPECT_TRUE(with_prefix->Find("ticker")->StringAt(r).starts_with(prefix));

  auto totals = store->Totals();
  ASSERT_TRUE(totals.ok()) << totals.status().ToString();
  EXPECT_EQ(totals->tickers, 9);
  std::string first = spans.begin()->second.first, last = spans.begin()->second.last;
  for (const auto& [t, s] : spans) {
    first = std::min(first, s.first);
    last = std::max(last, s.last);
  }
  EXPECT_EQ(FormatDate(totals->first_date), first);
  EXPECT_EQ(FormatDate(totals->last_date), last);

  std::map<std::string, int64_t> by_reason;
  for (const Row& r : LakeRows(lake, kRejects)) ++by_reason[r[4].substr(2)];
  ASSERT_FALSE(by_reason.empty());
  auto counts = store->RejectCountsByReason();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(*counts, by_reason);
}

// ---- Migrations ----

TEST_P(ServingStoreTest, UpgradesAnOlderSchema) {
  const std::string lake = GeneratedLake("lake", 6, 120);
  for (int from = 1; from < LatestSchemaVersion(); ++from) {
    SCOPED_TRACE("upgrading from version " + std::to_string(from));
    UpgradeFrom(from, lake);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ServingStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST(ServingStoreUrlTest, UnknownSchemesAreInvalidArguments) {
  for (const char* url : {"mysql://u@h/db", "sqlite:", "none", "", "file:/tmp/x"}) {
    auto store = OpenServingStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_TRUE(store.status().IsInvalidArgument()) << url << ": " << store.status().ToString();
  }
  auto unreachable = OpenServingStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(unreachable.ok());
  EXPECT_TRUE(unreachable.status().IsIOError()) << unreachable.status().ToString();
  EXPECT_TRUE(ParseBarInterval("quarter").ok());
  EXPECT_FALSE(ParseBarInterval("year").ok());
}

}  // namespace
}  // namespace stocklake
