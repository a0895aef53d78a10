// Throughput of the processing kernels on one thread: ComputeIndicators, the
// week/month/quarter ComputePeriodBars, ComputeQuarterFeatures and, within it,
// ComputeAlphaFeatures over synthetic random-walk series, and ContinueTicker appending one
// day to a ticker's saved state (what an incremental daily run costs per ticker) (best of 3 rounds; the machine
// is shared).
// Build: cmake --build build --target process_bench
//   build/process_bench [series] [rows]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "process/alpha_features.h"
#include "process/daily_series.h"
#include "process/indicators.h"
#include "process/period_bars.h"
#include "process/quarter_features.h"
#include "process/ticker_state.h"

namespace {

using stocklake::DailySeries;

DailySeries RandomWalkSeries(size_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 0.02);
  std::uniform_real_distribution<double> spread(0.0, 0.02);
  std::uniform_int_distribution<int64_t> volume(1, 5'000'000);
  DailySeries s;
  double close = 30;
  for (size_t i = 0; i < rows; ++i) {
    close *= 1 + step(rng);
    const double open = close * (1 + spread(rng) - 0.01);
    const double high = std::max(open, close) * (1 + spread(rng));
    const double low = std::min(open, close) * (1 - spread(rng));
    // Five trading days in seven calendar days, so weeks and months have real shapes.
    s.Append(static_cast<stocklake::Date>(10000 + i * 7 / 5), open, high, low, close, close, volume(rng));
  }
  return s;
}

template <typename Body>
double BestOfThreeSeconds(Body body) {
  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    const auto start = std::chrono::steady_clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace stocklake;
  const size_t series = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100;
  const size_t rows = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5000;
  const DailySeries s = RandomWalkSeries(rows, 1);

  Indicators indicators;
  double sink = 0;
  const double indicator_seconds = BestOfThreeSeconds([&] {
    for (size_t i = 0; i < series; ++i) {
      ComputeIndicators(s, &indicators);
      sink += indicators.columns[kVolatility20].values[rows - 1];
    }
  });
  std::printf("ComputeIndicators: %.1f M rows/s (%zu rows in %.3f s)\n", series * rows / indicator_seconds / 1e6,
              series * rows, indicator_seconds);

  PeriodBars bars[3];
  const double period_seconds = BestOfThreeSeconds([&] {
    for (size_t i = 0; i < series; ++i) {
      ComputePeriodBars(s, Period::kWeek, &bars[0]);
      ComputePeriodBars(s, Period::kMonth, &bars[1]);
      ComputePeriodBars(s, Period::kQuarter, &bars[2]);
    }
  });
  std::printf("ComputePeriodBars (week+month+quarter): %.1f M daily rows/s (%zu weeks, %zu months, %zu quarters)\n",
              series * rows / period_seconds / 1e6, bars[0].size(), bars[1].size(), bars[2].size());

  // The lake's benchmark (20M rows) has about 320k quarter rows: the time for that many
  // is the cost the extras add to a run.
  QuarterFeatures features;
  const double feature_seconds = BestOfThreeSeconds([&] {
    for (size_t i = 0; i < series; ++i) {
      ComputeQuarterFeatures(s, indicators, bars[2], &features);
      sink += features.columns[kRet1m].back();
    }
  });
  const double quarter_rows = static_cast<double>(series * features.size());
  std::printf("ComputeQuarterFeatures (%zu columns): %.3f s per 320k quarter rows\n", features.columns.size(),
              feature_seconds / quarter_rows * 320e3);
  std::vector<std::vector<double>> extras;
  const double alpha_seconds = BestOfThreeSeconds([&] {
    for (size_t i = 0; i < series; ++i) {
      ComputeAlphaFeatures(s, features.as_of_row, &extras);
      sink += extras[0].back();
    }
  });
  std::printf("ComputeAlphaFeatures (%zu features): %.3f s per 320k quarter rows\n", extras.size(),
              alpha_seconds / quarter_rows * 320e3);

  // The state after all rows but the last, continued by the last: an incremental daily run.
  DailySeries history, last_day;
  for (size_t i = 0; i < rows; ++i) {
    (i + 1 < rows ? history : last_day)
        .Append(s.date[i], s.open[i], s.high[i], s.low[i], s.close[i], s.adj_close[i], s.volume[i]);
  }
  ComputeIndicators(history, &indicators);
  ComputePeriodBars(history, Period::kQuarter, &bars[2]);
  ComputeQuarterFeatures(history, indicators, bars[2], &features);
  const TickerState state = StateAfter(history, indicators, features);
  TickerContinuation continuation;
  const double continue_seconds = BestOfThreeSeconds([&] {
    for (size_t i = 0; i < series; ++i) {
      if (!ContinueTicker(state, last_day, &continuation).ok()) std::abort();
      sink += continuation.indicators.columns[kVolatility20].values[0];
    }
  });
  std::printf("ContinueTicker (one appended day, %zu-row tail): %.1f us per ticker\n", kTickerStateTailRows,
              continue_seconds / static_cast<double>(series) * 1e6);
  return sink != 0 ? 0 : 1;
}
