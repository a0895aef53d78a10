// Serving-store benchmark (not a test): load rate of a lake into a store, and latency of
// the API's most common query, one ticker's year of daily bars.
//   1. stocks alone: every bucket's silver/bars rows into a fresh store (ReplaceBucket
//      with only that table), timed; then the same again, replacing every bucket;
//   2. the whole sync (all tables, runs) into another fresh store;
//   3. Bars(ticker, day, one year) for random tickers: median and p99 latency.
// Built as the CMake target store_bench; driven by bench/store_bench.sh (which starts a
// throwaway PostgreSQL):
//   store_bench LAKE_DIR STOCKS_ONLY_URL FULL_SYNC_URL [QUERIES]
// STOCKS_ONLY_URL "-" skips step 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "lake/parquet_reader.h"
#include "lake/snapshot.h"
#include "lake/table_schemas.h"
#include "store/serving_store.h"
#include "store/sql_store.h"
#include "store/store_sync.h"

using stocklake::bench::Fail;
using stocklake::bench::SecondsSince;

using namespace stocklake;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: store_bench LAKE_DIR STOCKS_ONLY_URL FULL_SYNC_URL [QUERIES]\n");
    return 2;
  }
  const std::string lake = argv[1];
  const int queries = argc > 4 ? std::atoi(argv[4]) : 2000;
  auto snap = LoadCurrentSnapshot(lake);
  if (!snap.ok()) return Fail("store_bench", snap.status());

  // STORE_BENCH_QUERIES_ONLY=1: only the queries, against stores loaded by an earlier run.
  const bool queries_only = std::getenv("STORE_BENCH_QUERIES_ONLY") != nullptr;

  // 1. The stocks table alone, into an empty store (initial load), then once more over
  // itself (every bucket replaced: the old rows go too). Parquet decoding is timed apart.
  if (!queries_only && std::string(argv[2]) != "-") {
    auto store = OpenServingStore(argv[2]);
    if (!store.ok()) return Fail("store_bench", store.status());
    for (const char* pass : {"stocks alone  ", "stocks replace"}) {
      double load_seconds = 0, read_seconds = 0;
      int64_t rows = 0;
      for (const DataFile& f : snap->tables[std::string(kSilverBars)]) {
        auto t0 = std::chrono::steady_clock::now();
        auto table = ReadParquetFile(lake + "/" + f.path);
        if (!table.ok()) return Fail("store_bench", table.status());
        read_seconds += SecondsSince(t0);
        BucketContents contents;
        contents.bucket = f.bucket;
        contents.state = LoadedBucket{snap->id, snap->partitions, "bench"};
        rows += static_cast<int64_t>(table->num_rows());
        contents.tables.emplace(std::string(kSilverBars), std::move(*table));
        t0 = std::chrono::steady_clock::now();
        Status st = (*store)->ReplaceBucket(contents);
        if (!st.ok()) return Fail("store_bench", st);
        load_seconds += SecondsSince(t0);
      }
      std::printf("%s %lld rows in %.2f s load (+%.2f s Parquet read): %.0f rows/s\n", pass,
                  static_cast<long long>(rows), load_seconds, read_seconds, static_cast<double>(rows) / load_seconds);
    }
  }

  // 2. The whole sync, as `stocklake run --store` does it (2 connections on PostgreSQL;
  // STORE_BENCH_CONNECTIONS=N to try others; STORE_BENCH_SCHEMA_VERSION=N to measure an
  // older schema's layout).
  // First the Parquet decoding it includes, timed alone on one thread.
  SyncStats stats;
  if (!queries_only) {
    const auto t0 = std::chrono::steady_clock::now();
    int64_t rows = 0;
    for (const auto& [table, files] : snap->tables) {
      if (FindStoreTable(table) == nullptr) continue;
      for (const DataFile& f : files) {
        auto t = ReadParquetFile(lake + "/" + f.path);
        if (!t.ok()) return Fail("store_bench", t.status());
        rows += static_cast<int64_t>(t->num_rows());
      }
    }
    std::printf("lake read      %lld rows of the served tables decoded in %.2f s (one thread)\n",
                static_cast<long long>(rows), SecondsSince(t0));
    SyncOptions sync_options;
    if (const char* n = std::getenv("STORE_BENCH_CONNECTIONS")) sync_options.connections = std::atoi(n);
    if (const char* v = std::getenv("STORE_BENCH_SCHEMA_VERSION")) sync_options.store.schema_version = std::atoi(v);
    Status st = SyncStoreWithLake(argv[3], lake, sync_options, &stats);
    if (!st.ok()) return Fail("store_bench", st);
    std::printf("whole sync     %lld rows (%lld bars) in %.2f s: %.0f rows/s, %.0f bar rows/s, %d buckets\n",
                static_cast<long long>(stats.rows_loaded), static_cast<long long>(stats.bar_rows_loaded), stats.seconds,
                static_cast<double>(stats.rows_loaded) / stats.seconds,
                static_cast<double>(stats.bar_rows_loaded) / stats.seconds, stats.buckets_loaded);
  }
  StoreOptions query_options;  // the version the sync made (opening must not upgrade it)
  if (const char* v = std::getenv("STORE_BENCH_SCHEMA_VERSION")) query_options.schema_version = std::atoi(v);
  auto store = OpenServingStore(argv[3], query_options);
  if (!store.ok()) return Fail("store_bench", store.status());
  const auto t_rerun = std::chrono::steady_clock::now();
  Status st = SyncStoreWithLake(**store, lake, &stats);
  if (!st.ok()) return Fail("store_bench", st);
  std::printf("rerun sync     %d buckets loaded in %.3f s\n", stats.buckets_loaded, SecondsSince(t_rerun));

  // 3. One ticker's year of daily bars.
  auto tickers = (*store)->SearchTickers("", 1 << 30);
  if (!tickers.ok()) return Fail("store_bench", tickers.status());
  std::mt19937 rng(42);
  std::vector<double> micros;
  size_t rows_seen = 0;
  for (int q = 0; q < queries; ++q) {
    const std::string& ticker = (*tickers)[rng() % tickers->size()];
    const int32_t year = 2010 + static_cast<int32_t>(rng() % 8);
    const auto t0 = std::chrono::steady_clock::now();
    auto bars = (*store)->Bars({ticker, BarInterval::kDay, DaysFromCivil(year, 1, 1), DaysFromCivil(year, 12, 31)});
    micros.push_back(SecondsSince(t0) * 1e6);
    if (!bars.ok()) return Fail("store_bench", bars.status());
    rows_seen += bars->num_rows();
  }
  std::sort(micros.begin(), micros.end());
  std::printf("year of bars   %d queries, %.0f rows each on average: median %.0f us, p99 %.0f us\n", queries,
              static_cast<double>(rows_seen) / queries, micros[micros.size() / 2], micros[micros.size() * 99 / 100]);

  // 4. Top gainers at a date.
  micros.clear();
  for (int q = 0; q < std::max(queries / 10, 10); ++q) {
    const Date at = DaysFromCivil(2010 + static_cast<int32_t>(rng() % 8), 6, 1) + static_cast<Date>(rng() % 5);
    const auto t0 = std::chrono::steady_clock::now();
    auto top = (*store)->CrossSection({at, CrossSectionOrder::kTopGainers, 10});
    micros.push_back(SecondsSince(t0) * 1e6);
    if (!top.ok()) return Fail("store_bench", top.status());
  }
  std::sort(micros.begin(), micros.end());
  std::printf("cross-section  %zu queries over %zu tickers: median %.0f us, p99 %.0f us\n", micros.size(),
              tickers->size(), micros[micros.size() / 2], micros[micros.size() * 99 / 100]);
  return 0;
}
