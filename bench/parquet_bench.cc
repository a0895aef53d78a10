// Parquet write/read throughput on 2^20 rows x 20 price-like doubles, per codec.
// Build: cmake --build build --target parquet_bench; run: build/parquet_bench
// (STOCKLAKE_PARQUET_BENCH=1 adds single-threaded figures).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lake/parquet_reader.h"
#include "lake/parquet_writer.h"

namespace stocklake {
namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int RunBench() {
  const size_t rows = 1 << 20;
  Table t;
  std::mt19937_64 rng(11);
  for (int c = 0; c < 20; ++c) {
    Column col("c" + std::to_string(c), ColumnType::kDouble, false);
    col.f64.resize(rows);
    // Price-like series: a random walk rounded to cents, as the real bars are.
    double price = 100.0 + c;
    for (size_t r = 0; r < rows; ++r) {
      price += static_cast<double>(static_cast<int64_t>(rng() % 201) - 100) / 100.0;
      col.f64[r] = std::round(price * 100.0) / 100.0;
    }
    t.columns.push_back(std::move(col));
  }
  const double raw_mb = static_cast<double>(rows * 20 * sizeof(double)) / 1e6;
  for (ParquetCompression codec : {ParquetCompression::kZstd, ParquetCompression::kSnappy}) {
    // Single-threaded too when asked (STOCKLAKE_PARQUET_BENCH=1); the default run stays short.
    for (int threads :
         std::getenv("STOCKLAKE_PARQUET_BENCH") != nullptr ? std::vector<int>{1, 0} : std::vector<int>{0}) {
      ParquetWriteOptions options;
      options.compression = codec;
      options.threads = threads;
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = CpuSeconds();
      Result<std::string> bytes = EncodeParquet(t, options);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double cpu_seconds = CpuSeconds() - cpu_start;
      if (!bytes.ok()) return 1;
      const auto read_start = std::chrono::steady_clock::now();
      Result<Table> back = DecodeParquet(*bytes, "speed");
      const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
      if (!back.ok()) return 1;
      if (back->columns[19].f64[rows - 1] != t.columns[19].f64[rows - 1]) return 1;
      std::printf(
          "[ speed    ] %s, %s: write %.0f MB/s (%.0f MB per CPU-second), read %.0f MB/s, %.1f MB raw -> %.1f MB\n",
          codec == ParquetCompression::kZstd ? "zstd-1" : "snappy", threads == 1 ? "1 thread" : "all cores",
          raw_mb / seconds, raw_mb / cpu_seconds, raw_mb / read_seconds, raw_mb,
          static_cast<double>(bytes->size()) / 1e6);
    }
  }
  return 0;
}

}  // namespace
}  // namespace stocklake

int main() { return stocklake::RunBench(); }
