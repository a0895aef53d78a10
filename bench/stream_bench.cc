// Throughput of the windowing kernel alone (stream/window_state.h) on one thread: a
// realistic trade stream over 1,000 symbols, 60 s windows, 60 s lateness, events a little
// out of order and 1% late, TakeChanges every batch as a processor's commit would. Best of
// 3 rounds, in the thread's CPU time (what one core does; on a shared machine the wall
// clock also counts other processes' turns) and, beside it, wall-clock time.
// Issue #13's target: >= 5M events/s on one core.
// Build: cmake --build build --target stream_bench
//   build/stream_bench [events] [symbols] [batch]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "stream/window_state.h"

namespace {

using stocklake::TradeEvent;
using stocklake::WindowState;

constexpr int64_t kWindowMs = 60'000;
constexpr int64_t kLatenessMs = 60'000;

//! Event time advances so that each symbol has about 100 trades per window; 99% of the
//! events trail the clock by up to 2 s, 1% by more than the lateness plus a window.
std::vector<TradeEvent> MakeStream(size_t events, size_t symbols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> names;
  for (size_t i = 0; i < symbols; ++i) names.push_back("S" + std::to_string(i));
  std::vector<double> price(symbols, 100.0);
  std::normal_distribution<double> step(0.0, 0.0005);
  std::vector<TradeEvent> out(events);
  const double ms_per_event = static_cast<double>(kWindowMs) / (100.0 * static_cast<double>(symbols));
  for (size_t i = 0; i < events; ++i) {
    const size_t s = rng() % symbols;
    price[s] *= 1 + step(rng);
    const auto clock = static_cast<int64_t>(1'735'828'200'000.0 + static_cast<double>(i) * ms_per_event);
    const bool late = rng() % 100 == 0;
    const int64_t lag =
        late ? kLatenessMs + kWindowMs + static_cast<int64_t>(rng() % 30'000) : static_cast<int64_t>(rng() % 2'000);
    out[i] = TradeEvent{names[s], price[s], 1 + static_cast<int64_t>(rng() % 500), clock - lag};
  }
  return out;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t events = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 4'000'000;
  const size_t symbols = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1'000;
  const size_t batch = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 10'000;
  const std::vector<TradeEvent> stream = MakeStream(events, symbols, 1);

  double best = 1e9, best_wall = 1e9;
  size_t late = 0, rows = 0, bytes = 0;
  for (int round = 0; round < 3; ++round) {
    WindowState state(kWindowMs, kLatenessMs);
    late = rows = 0;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuSeconds();
    for (size_t i = 0; i < stream.size(); ++i) {
      late += state.Apply(stream[i], static_cast<int64_t>(i / batch)).outcome != WindowState::Outcome::kAccepted;
      if ((i + 1) % batch == 0) rows += state.TakeChanges().size();
    }
    rows += state.TakeChanges().size();
    best = std::min(best, ThreadCpuSeconds() - cpu_start);
    best_wall = std::min(best_wall, stocklake::bench::SecondsSince(start));
    bytes = state.Serialize().size();
  }
  std::printf("stream kernel: %zu events, %zu symbols, W=60s L=60s, TakeChanges every %zu events\n", events, symbols,
              batch);
  const auto n = static_cast<double>(events);
  std::printf("  %.2fM events/s of CPU time (%.1f ns/event), %.2fM events/s wall clock\n", n / best / 1e6,
              best * 1e9 / n, n / best_wall / 1e6);
  std::printf("  %.2f%% late, %zu rows upserted, resume state %zu bytes\n", 100.0 * static_cast<double>(late) / n, rows,
              bytes);
  return 0;
}
