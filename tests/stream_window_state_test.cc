// The windowing kernel (stream/window_state.h) against an independent brute-force
// reading of stream.md "Windows" and "Watermark and lateness": every window recomputed
// from the full list of events in arrival order, on random streams (out of order, late,
// duplicate ts, ties, negative and huge timestamps, interleaved symbols); resuming from
// Serialize at every point; idle close; vwap accuracy on adversarial prices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "stream/window_state.h"

namespace stocklake {
namespace {

#if defined(__SIZEOF_FLOAT128__)
using Exact = __float128;  // 113-bit mantissa: the reference for vwap
#else
using Exact = long double;
#endif
using Int128 = __int128;
using Outcome = WindowState::Outcome;

constexpr int64_t kMin = INT64_MIN;
constexpr int64_t kMax = INT64_MAX;

//! One step of a processor's life: an event, a TakeChanges, or a CloseIdle.
struct Op {
  enum Kind { kEvent, kTake, kIdle } kind = kEvent;
  TradeEvent event;
  int64_t now = 0;
  int64_t idle = 0;
};

TradeEvent Ev(std::string symbol, double price, int64_t size, int64_t ts) {
  return TradeEvent{std::move(symbol), price, size, ts};
}

// ---- The naive model: the spec read literally, in __int128, recomputed from scratch. ----

struct NaiveEvent {
  double price;
  int64_t size, ts;
  size_t arrival;
};
struct NaiveWindow {
  std::vector<NaiveEvent> events;
  bool idle_final = false;
};
struct NaiveSymbol {
  bool seen = false;
  int64_t max_ts = 0;
  Int128 closed_through = kMin;
  int64_t last_now = 0;
  std::map<Int128, NaiveWindow> windows;  // by window start
};
struct NaiveResult {
  std::vector<std::pair<Outcome, int64_t>> applied;  // per event op
  std::map<std::pair<std::string, int64_t>, WindowBar> bars;
  std::map<std::pair<std::string, int64_t>, Exact> exact_vwap;
};

Int128 FloorDiv(Int128 a, Int128 b) {
  Int128 q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

//! wm(S) as a wide integer; minus infinity is anything below every int64.
Int128 NaiveWatermark(const NaiveSymbol& s, int64_t lateness) {
  const Int128 minus_inf = Int128(kMin) * 4;
  Int128 wm = s.seen ? Int128(s.max_ts) - lateness : minus_inf;
  return std::max(wm, s.closed_through == kMin ? minus_inf : s.closed_through);
}

int64_t Reported(Int128 wm) { return wm < kMin ? kMin : static_cast<int64_t>(wm); }

NaiveResult Naive(const std::vector<Op>& ops, size_t count, int64_t w, int64_t lateness) {
  std::map<std::string, NaiveSymbol> symbols;
  NaiveResult r;
  for (size_t i = 0; i < count; ++i) {
    const Op& op = ops[i];
    if (op.kind == Op::kIdle) {
      for (auto& [name, s] : symbols) {
        if (Int128(op.now) - s.last_now < op.idle) continue;
        const Int128 wm = NaiveWatermark(s, lateness);
        for (auto& [start, win] : s.windows) {
          if (win.idle_final || start + w <= wm) continue;
          win.idle_final = true;
          s.closed_through = std::max(s.closed_through, start + w);
        }
      }
      continue;
    }
    if (op.kind != Op::kEvent) continue;
    const TradeEvent& e = op.event;
    const Int128 start = FloorDiv(e.ts_ms, w) * w;
    const Int128 end = start + w;
    auto it = symbols.find(e.symbol);
    const Int128 wm = it == symbols.end() ? Int128(kMin) * 4 : NaiveWatermark(it->second, lateness);
    if (start < kMin || end > kMax) {
      r.applied.emplace_back(Outcome::kOutOfRange, Reported(wm));
      continue;
    }
    NaiveSymbol& s = symbols[e.symbol];
    if (end <= wm) {
      r.applied.emplace_back(Outcome::kLate, Reported(wm));
      s.last_now = op.now;
      continue;  // cannot raise the max: ts < end <= max - L
    }
    Int128 volume = e.size;
    if (auto win = s.windows.find(start); win != s.windows.end()) {
      for (const NaiveEvent& x : win->second.events) volume += x.size;
    }
    if (volume > kMax) {
      r.applied.emplace_back(Outcome::kOutOfRange, Reported(wm));
      continue;
    }
    r.applied.emplace_back(Outcome::kAccepted, Reported(wm));
    s.windows[start].events.push_back({e.price, e.size, e.ts_ms, i});
    s.last_now = op.now;
    if (!s.seen || e.ts_ms > s.max_ts) s.max_ts = e.ts_ms;
    s.seen = true;
  }
  for (const auto& [name, s] : symbols) {
    const Int128 wm = NaiveWatermark(s, lateness);
    for (const auto& [start, win] : s.windows) {
      WindowBar bar;
      bar.symbol = name;
      bar.window_start_ms = static_cast<int64_t>(start);
      bar.window_end_ms = static_cast<int64_t>(start + w);
      const NaiveEvent* open = &win.events[0];
      const NaiveEvent* close = &win.events[0];
      bar.high = bar.low = win.events[0].price;
      Exact pv = 0;
      for (const NaiveEvent& x : win.events) {
        if (x.ts < open->ts || (x.ts == open->ts && x.arrival < open->arrival)) open = &x;
        if (x.ts > close->ts || (x.ts == close->ts && x.arrival > close->arrival)) close = &x;
        bar.high = std::max(bar.high, x.price);
        bar.low = std::min(bar.low, x.price);
        bar.volume += x.size;
        ++bar.trades;
        pv += Exact(x.price) * Exact(x.size);
      }
      bar.open = open->price;
      bar.close = close->price;
      const Exact vwap = pv / Exact(bar.volume);
      bar.vwap = static_cast<double>(vwap);
      bar.final = win.idle_final || wm >= start + w;
      r.bars[{name, bar.window_start_ms}] = bar;
      r.exact_vwap[{name, bar.window_start_ms}] = vwap;
    }
  }
  return r;
}

// ---- Driving the kernel. ----

//! What a run of the kernel produced, to compare an interrupted run with an uninterrupted one.
struct Trace {
  std::vector<std::pair<Outcome, int64_t>> applied;
  std::vector<std::vector<WindowBar>> changes;
  std::vector<size_t> idle_closed;
  bool operator==(const Trace&) const = default;
};

void Step(WindowState& state, const Op& op, Trace* trace) {
  switch (op.kind) {
    case Op::kEvent: {
      const WindowState::Applied a = state.Apply(op.event, op.now);
      trace->applied.emplace_back(a.outcome, a.watermark_ms);
      break;
    }
    case Op::kTake: trace->changes.push_back(state.TakeChanges()); break;
    case Op::kIdle: trace->idle_closed.push_back(state.CloseIdle(op.now, op.idle)); break;
  }
}

double RelativeError(double got, Exact want) {
  Exact diff = Exact(got) - want;
  if (diff < 0) diff = -diff;
  return static_cast<double>(diff / want);
}

//! Runs the kernel over `ops`, applying each TakeChanges to a table the way UPSERT does,
//! and at every TakeChanges compares the table with the naive model of the prefix.
//! How often each case came up, so a generator change cannot quietly stop covering one.
struct Coverage {
  std::map<Outcome, int> outcomes;
  int final_rows = 0;
  int idle_closed = 0;
};

void CheckAgainstNaive(const std::vector<Op>& ops, int64_t w, int64_t lateness, double* worst_vwap_error,
                       Coverage* coverage) {
  WindowState state(w, lateness);
  std::map<std::pair<std::string, int64_t>, WindowBar> table;
  Trace trace;
  for (size_t i = 0; i < ops.size(); ++i) {
    Step(state, ops[i], &trace);
    if (ops[i].kind == Op::kEvent) ++coverage->outcomes[trace.applied.back().first];
    if (ops[i].kind == Op::kIdle) coverage->idle_closed += static_cast<int>(trace.idle_closed.back());
    if (ops[i].kind != Op::kTake) continue;
    for (const WindowBar& bar : trace.changes.back()) {
      coverage->final_rows += bar.final;
      auto [it, inserted] = table.try_emplace({bar.symbol, bar.window_start_ms}, bar);
      if (!inserted) {
        ASSERT_FALSE(it->second.final) << "a final row changed: " << bar.symbol << " " << bar.window_start_ms;
        it->second = bar;
      }
    }
    const NaiveResult want = Naive(ops, i + 1, w, lateness);
    ASSERT_EQ(trace.applied, want.applied) << "after op " << i;
    ASSERT_EQ(table.size(), want.bars.size()) << "after op " << i;
    for (const auto& [key, bar] : want.bars) {
      auto it = table.find(key);
      ASSERT_TRUE(it != table.end()) << key.first << " " << key.second << " after op " << i;
      WindowBar got = it->second;
      const double err = RelativeError(got.vwap, want.exact_vwap.at(key));
      *worst_vwap_error = std::max(*worst_vwap_error, err);
      ASSERT_LE(err, 1e-12) << key.first << " " << key.second;
      got.vwap = bar.vwap;
      ASSERT_EQ(got, bar) << key.first << " " << key.second << " after op " << i;
    }
  }
}

struct StreamShape {
  int64_t window_ms;
  int64_t lateness_ms;
  int64_t base_ts;
  int symbols;
  int events;
};

//! A random stream: symbols interleaved, time moving forward with out-of-order jitter
//! (some of it beyond the lateness), repeated timestamps, occasional huge sizes (volume
//! overflow), TakeChanges and CloseIdle at random points.
std::vector<Op> RandomOps(const StreamShape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const int64_t w = shape.window_ms;
  std::vector<Op> ops;
  std::vector<int64_t> last_ts(shape.symbols, shape.base_ts);
  Int128 clock = shape.base_ts;
  int64_t now = 1'000'000;
  const double prices[] = {10.0, 10.5, 11.25, 9.75, 0.1, 1e-5, 3000.0};
  for (int i = 0; i < shape.events; ++i) {
    const int sym = static_cast<int>(uniform(0, shape.symbols - 1));
    clock += uniform(0, w / 4 + 1);
    Int128 ts = clock;
    const int64_t kind = uniform(0, 99);
    if (kind < 15)
      ts = last_ts[sym];  // duplicate ts: ties
    else if (kind < 35)
      ts = clock - uniform(0, w);  // out of order
    else if (kind < 45)
      ts = clock - uniform(w, 3 * w + shape.lateness_ms);  // often late
    else if (kind < 48)
      ts = clock + uniform(0, 3 * w);  // ahead
    ts = std::clamp<Int128>(ts, kMin, kMax);
    Op op;
    op.event = Ev("S" + std::to_string(sym), prices[uniform(0, 6)],
                  uniform(0, 99) == 0 ? (int64_t{1} << 61) : uniform(1, 500), static_cast<int64_t>(ts));
    last_ts[sym] = op.event.ts_ms;
    now += uniform(0, 20);
    op.now = now;
    ops.push_back(op);
    if (uniform(0, 9) == 0) ops.push_back(Op{Op::kTake, {}, now, 0});
    if (uniform(0, 59) == 0) ops.push_back(Op{Op::kIdle, {}, now + uniform(0, 100), uniform(0, 60)});
  }
  ops.push_back(Op{Op::kTake, {}, now, 0});
  return ops;
}

std::vector<StreamShape> Shapes() {
  std::vector<StreamShape> shapes;
  for (int64_t w : {int64_t{1000}, int64_t{60'000}}) {
    for (int64_t l : {int64_t{0}, w / 2, w, 3 * w / 2}) {
      for (int64_t base : {int64_t{1'735'828'200'000}, int64_t{-3 * w / 2 - 7}, kMin + 3 * w, kMax - 20 * w}) {
        shapes.push_back({w, l, base, 4, 300});
      }
    }
  }
  return shapes;
}

TEST(WindowStateTest, RandomStreamsMatchTheNaiveReading) {
  double worst = 0;
  Coverage coverage;
  uint64_t seed = 1;
  for (const StreamShape& shape : Shapes()) {
    for (int rep = 0; rep < 3; ++rep) {
      SCOPED_TRACE("W=" + std::to_string(shape.window_ms) + " L=" + std::to_string(shape.lateness_ms) +
                   " base=" + std::to_string(shape.base_ts) + " seed=" + std::to_string(seed));
      CheckAgainstNaive(RandomOps(shape, seed++), shape.window_ms, shape.lateness_ms, &worst, &coverage);
      if (HasFatalFailure()) return;
    }
  }
  for (Outcome o : {Outcome::kAccepted, Outcome::kLate, Outcome::kOutOfRange}) {
    EXPECT_GT(coverage.outcomes[o], 100) << static_cast<int>(o);
  }
  EXPECT_GT(coverage.final_rows, 1000);
  EXPECT_GT(coverage.idle_closed, 50);
  std::printf("outcomes accepted %d late %d out-of-range %d; final rows %d; idle-closed %d; worst vwap error %g\n",
              coverage.outcomes[Outcome::kAccepted], coverage.outcomes[Outcome::kLate],
              coverage.outcomes[Outcome::kOutOfRange], coverage.final_rows, coverage.idle_closed, worst);
  RecordProperty("worst_vwap_relative_error", std::to_string(worst));
}

TEST(WindowStateTest, ResumingFromEveryPointEqualsOnePass) {
  uint64_t seed = 1000;
  for (const StreamShape& shape :
       {StreamShape{1000, 0, -5'000, 3, 150}, StreamShape{60'000, 60'000, 1'735'828'200'000, 3, 150},
        StreamShape{1000, 1500, kMax - 20'000, 2, 150}}) {
    const std::vector<Op> ops = RandomOps(shape, seed++);
    Trace one_pass;
    WindowState uninterrupted(shape.window_ms, shape.lateness_ms);
    for (const Op& op : ops) Step(uninterrupted, op, &one_pass);
    for (size_t cut = 0; cut <= ops.size(); ++cut) {
      Trace resumed;
      WindowState before(shape.window_ms, shape.lateness_ms);
      for (size_t i = 0; i < cut; ++i) Step(before, ops[i], &resumed);
      const std::string saved = before.Serialize();
      Result<WindowState> after = WindowState::Deserialize(saved);
      ASSERT_TRUE(after.ok()) << after.status().ToString();
      ASSERT_EQ(after->Serialize(), saved) << "cut " << cut;
      for (size_t i = cut; i < ops.size(); ++i) Step(*after, ops[i], &resumed);
      ASSERT_EQ(resumed, one_pass) << "cut " << cut;
    }
  }
}

TEST(WindowStateTest, WindowsAlignToTheEpochWithFloorForNegativeTimes) {
  WindowState state(1000, 0);
  EXPECT_EQ(state.Apply(Ev("A", 1, 1, -1), 0).outcome, Outcome::kAccepted);
  EXPECT_EQ(state.Apply(Ev("B", 1, 1, -1000), 0).outcome, Outcome::kAccepted);
  EXPECT_EQ(state.Apply(Ev("C", 1, 1, 999), 0).outcome, Outcome::kAccepted);
  const std::vector<WindowBar> bars = state.TakeChanges();
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[0].window_start_ms, -1000);
  EXPECT_EQ(bars[0].window_end_ms, 0);
  EXPECT_EQ(bars[1].window_start_ms, -1000);
  EXPECT_EQ(bars[2].window_start_ms, 0);
}

TEST(WindowStateTest, TiesOpenWithTheFirstArrivalAndCloseWithTheLast) {
  WindowState state(60'000, 60'000);
  state.Apply(Ev("A", 2, 1, 5'000), 0);
  state.Apply(Ev("A", 1, 1, 1'000), 0);
  state.Apply(Ev("A", 3, 1, 1'000), 0);  // same ts as the open: arrived later
  state.Apply(Ev("A", 4, 1, 9'000), 0);
  state.Apply(Ev("A", 5, 1, 9'000), 0);  // same ts as the close: arrived later
  const std::vector<WindowBar> bars = state.TakeChanges();
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].open, 1);
  EXPECT_EQ(bars[0].close, 5);
  EXPECT_EQ(bars[0].high, 5);
  EXPECT_EQ(bars[0].low, 1);
  EXPECT_EQ(bars[0].volume, 5);
  EXPECT_EQ(bars[0].trades, 5);
  EXPECT_DOUBLE_EQ(bars[0].vwap, 3);
  EXPECT_FALSE(bars[0].final);
}

TEST(WindowStateTest, LateWhenTheWindowEndIsAtOrBelowTheWatermark) {
  WindowState state(1000, 500);
  EXPECT_EQ(state.Apply(Ev("A", 1, 1, 1500), 0).watermark_ms, kMin);
  // wm = 1500 - 500 = 1000 = end of [0, 1000): late, and that window's bar is untouched.
  const WindowState::Applied late = state.Apply(Ev("A", 1, 1, 999), 0);
  EXPECT_EQ(late.outcome, Outcome::kLate);
  EXPECT_EQ(late.watermark_ms, 1000);
  EXPECT_EQ(state.Apply(Ev("A", 1, 1, 1000), 0).outcome, Outcome::kAccepted);
  EXPECT_EQ(state.Apply(Ev("B", 1, 1, 999), 0).outcome, Outcome::kAccepted);  // per symbol
  // wm reaches 2000: [1000, 2000) becomes final, and is forgotten once taken.
  state.TakeChanges();
  state.Apply(Ev("A", 1, 1, 2500), 0);
  const std::vector<WindowBar> bars = state.TakeChanges();
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_TRUE(bars[0].final);
  EXPECT_EQ(bars[0].trades, 2);
  EXPECT_FALSE(bars[1].final);
  EXPECT_EQ(state.WindowCount(), 2u);  // A's [2000, 3000) and B's [0, 1000)
}

TEST(WindowStateTest, IdleCloseChangesOnlyFinalAndLaterEventsOfThoseWindowsAreLate) {
  WindowState state(60'000, 60'000);
  state.Apply(Ev("A", 10, 3, 1'000), 100);
  state.Apply(Ev("A", 11, 2, 61'000), 100);
  state.Apply(Ev("B", 12, 1, 1'000), 5'000);
  const std::vector<WindowBar> open = state.TakeChanges();
  EXPECT_EQ(state.CloseIdle(5'099, 5'000), 0u);  // A quiet for 4999 ms only
  EXPECT_EQ(state.CloseIdle(5'100, 5'000), 2u);  // A's two windows, not B's
  std::vector<WindowBar> closed = state.TakeChanges();
  ASSERT_EQ(closed.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(closed[i].final);
    closed[i].final = false;
    EXPECT_EQ(closed[i], open[i]);
  }
  const WindowState::Applied late = state.Apply(Ev("A", 99, 1, 100'000), 6'000);
  EXPECT_EQ(late.outcome, Outcome::kLate);
  EXPECT_EQ(late.watermark_ms, 120'000);
  EXPECT_EQ(state.Apply(Ev("A", 99, 1, 120'000), 6'000).outcome, Outcome::kAccepted);
}

TEST(WindowStateTest, OutOfRangeEventsChangeNothing) {
  WindowState state(1000, 0);
  EXPECT_EQ(state.Apply(Ev("A", 1, 1, kMax), 0).outcome, Outcome::kOutOfRange);
  EXPECT_EQ(state.Apply(Ev("A", 1, 1, kMin), 0).outcome, Outcome::kOutOfRange);
  EXPECT_EQ(state.Watermark("A"), kMin);
  EXPECT_EQ(state.Apply(Ev("A", 1, kMax, 0), 0).outcome, Outcome::kAccepted);
  EXPECT_EQ(state.Apply(Ev("A", 1, 1, 0), 0).outcome, Outcome::kOutOfRange);  // volume would overflow
  const std::vector<WindowBar> bars = state.TakeChanges();
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].volume, kMax);
  EXPECT_EQ(bars[0].trades, 1);
}

TEST(WindowStateTest, VwapIsAccurateOnAdversarialPrices) {
  std::mt19937_64 rng(7);
  const double prices[] = {1e-300, 2.5e-200, 1e-5, 0.1, 1.0000000000000002, 187.15, 1e15, 1e300, 1.7e308};
  for (int round = 0; round < 20; ++round) {
    WindowState state(60'000, 60'000);
    Exact pv = 0;
    Int128 volume = 0;
    const int events = round == 0 ? 1'000'000 : 20'000;
    for (int i = 0; i < events; ++i) {
      const double price = round == 0 ? 0.1 : prices[rng() % 9] * (1 + std::ldexp(double(rng() % 1024), -40));
      int64_t size = round == 0 ? 1 : int64_t(1 + rng() % ((int64_t{1} << (rng() % 40))));
      if (volume + size > kMax) break;
      ASSERT_EQ(state.Apply(Ev("X", price, size, 1000), 0).outcome, Outcome::kAccepted);
      pv += Exact(price) * Exact(size);
      volume += size;
    }
    const std::vector<WindowBar> bars = state.TakeChanges();
    ASSERT_EQ(bars.size(), 1u);
    const Exact want = pv / Exact(static_cast<int64_t>(volume));
    EXPECT_LE(RelativeError(bars[0].vwap, want), 1e-15) << "round " << round;
  }
}

TEST(WindowStateTest, DeserializeRejectsDamagedState) {
  WindowState state(1000, 0);
  state.Apply(Ev("A", 1.5, 2, 10), 0);
  const std::string good = state.Serialize();
  ASSERT_TRUE(WindowState::Deserialize(good).ok());
  for (const std::string& bad :
       {std::string(), std::string("garbage"), good.substr(0, good.size() / 2), good + " 7",
        std::string("stocklake-window-state 2 1000 0 0\n"), std::string("stocklake-window-state 1 0 0 0\n")}) {
    const Result<WindowState> r = WindowState::Deserialize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsCorruption());
    EXPECT_NE(r.status().message().find("window state, line"), std::string::npos);
  }
}

}  // namespace
}  // namespace stocklake
