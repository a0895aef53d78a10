// Measures the generator and the Huge Stock Market reader at scale: generates a dataset
// into a scratch directory, then reads every file into one BarBatch on one thread.
// Build: cmake --build build --target ingest_bench
//   build/ingest_bench [tickers] [days] [dir]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_util.h"
#include "core/bar_batch.h"
#include "ingest/bar_reader.h"
#include "ingest/generator.h"
#include "ingest/source_files.h"

using stocklake::bench::SecondsSince;

int main(int argc, char** argv) {
  using namespace stocklake;
  GenerateOptions options;
  options.tickers = argc > 1 ? std::atoi(argv[1]) : 2000;
  options.days = argc > 2 ? std::atoi(argv[2]) : 2520;
  options.out_dir = argc > 3 ? argv[3] : "/tmp/stocklake-ingest-bench";
  options.bad_row_fraction = 0.001;

  auto start = std::chrono::steady_clock::now();
  Result<GenerateSummary> summary = GenerateDataset(options);
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", summary.status().ToString().c_str());
    return 1;
  }
  double seconds = SecondsSince(start);
  std::printf("generate: %lld files, %lld rows, %.1f MB in %.2f s (%.1f M rows/s)\n",
              static_cast<long long>(summary->files), static_cast<long long>(summary->rows), summary->bytes / 1e6,
              seconds, summary->rows / 1e6 / seconds);

  Result<std::vector<SourceFile>> files = ListSourceFiles({options.out_dir});
  if (!files.ok()) return 1;
  BarBatch batch;
  int64_t rows = 0;
  start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < files->size(); ++i) {
    Result<ReadStats> stats = ReadBarsFromFile((*files)[i], static_cast<uint32_t>(i), &batch);
    if (!stats.ok()) return 1;
    rows += stats->rows_read;
  }
  seconds = SecondsSince(start);
  std::printf("read (1 thread, page cache warm): %lld rows in %.2f s = %.0f MB/s, %.1f M rows/s\n",
              static_cast<long long>(rows), seconds, summary->bytes / 1e6 / seconds, rows / 1e6 / seconds);
  return 0;
}
