// TickerState: every continuation's outputs against the full computation over the same
// history (ComputeIndicators, ComputePeriodBars, ComputeQuarterFeatures on the whole
// prefix), for random series cut at every window edge and continued in chains of 1..30
// rows; the state after a continuation against the state of the full computation; the
// tables' round trip bit for bit; and every rejected input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "process/ticker_state.h"

namespace stocklake {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// How a random series moves.
struct Shape {
  Date start;
  size_t rows;
  uint64_t seed;
  double flat_share = 0;      // chance that a stretch of rows repeats the previous bar exactly
  double gap_share = 0;       // chance of skipping 1..20 calendar days (besides weekends)
  bool skip_quarter = false;  // leaves out one whole calendar quarter (its label is NULL)
  double drift = 0;           // per-row drift of the log close: -0.08 drops several orders of magnitude
};

Date D(int y, unsigned m, unsigned d) { return DaysFromCivil(y, m, d); }

DailySeries RandomSeries(const Shape& shape) {
  std::mt19937_64 rng(shape.seed);
  std::normal_distribution<double> step(shape.drift, 0.02);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int64_t> volume(0, 3'000'000);
  DailySeries s;
  double close = 40;
  Date date = shape.start;
  size_t flat_left = 0;
  bool skipped = false;
  while (s.size() < shape.rows) {
    date += 1;
    if (WeekdayMondayZero(date) >= 5) continue;
    if (unit(rng) < shape.gap_share) date += static_cast<Date>(1 + unit(rng) * 20);
    if (shape.skip_quarter && !skipped && s.size() > shape.rows / 2) {
      date = QuarterEndDate(NextQuarter(QuarterKey(date))) + 1;  // nothing in the next quarter
      skipped = true;
    }
    if (flat_left == 0 && unit(rng) < shape.flat_share) flat_left = 1 + static_cast<size_t>(unit(rng) * 30);
    if (flat_left > 0 && !s.empty()) {
      --flat_left;
      s.Append(date, close, close, close, close, close, unit(rng) < 0.5 ? 0 : s.volume.back());
      continue;
    }
    close *= std::exp(step(rng));
    const double open = close * (1 + (unit(rng) - 0.5) * 0.02);
    const double high = std::max(open, close) * (1 + unit(rng) * 0.01);
    const double low = std::min(open, close) * (1 - unit(rng) * 0.01);
    s.Append(date, open, high, low, close, close * 0.97, volume(rng));
  }
  return s;
}

DailySeries Rows(const DailySeries& s, size_t begin, size_t end) {
  DailySeries out;
  for (size_t i = begin; i < end; ++i) {
    out.Append(s.date[i], s.open[i], s.high[i], s.low[i], s.close[i], s.adj_close[i], s.volume[i]);
  }
  return out;
}

// The full computation over a history.
struct Full {
  Indicators indicators;
  PeriodBars bars[3];
  QuarterFeatures features;
};

Full Compute(const DailySeries& s) {
  Full full;
  ComputeIndicators(s, &full.indicators);
  for (Period p : {Period::kWeek, Period::kMonth, Period::kQuarter}) {
    ComputePeriodBars(s, p, &full.bars[static_cast<size_t>(p)]);
  }
  ComputeQuarterFeatures(s, full.indicators, full.bars[static_cast<size_t>(Period::kQuarter)], &full.features);
  return full;
}

TickerState StateOf(const DailySeries& s) {
  const Full full = Compute(s);
  return StateAfter(s, full.indicators, full.features);
}

// Within 1e-12 relative, or NaN exactly where the expected value is NaN.
::testing::AssertionResult Near(double expected, double actual) {
  if (std::isnan(expected) || std::isnan(actual)) {
    if (std::isnan(expected) && std::isnan(actual)) return ::testing::AssertionSuccess();
  } else if (expected == actual || std::fabs(actual - expected) <= 1e-12 * std::fabs(expected)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected " << expected << ", got " << actual;
}

// The same double: equal bits, or both NaN (NULL carries no payload).
bool SameDouble(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  uint64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y;
}

void ExpectSameFeatureRow(const QuarterFeatures& expected, size_t e, const QuarterFeatures& actual, size_t a,
                          bool exact, const std::string& where) {
  EXPECT_EQ(expected.quarter[e], actual.quarter[a]) << where;
  EXPECT_EQ(expected.quarter_end[e], actual.quarter_end[a]) << where;
  EXPECT_EQ(expected.as_of_date[e], actual.as_of_date[a]) << where;
  EXPECT_EQ(expected.as_of_row[e], actual.as_of_row[a]) << where;
  ASSERT_EQ(expected.columns.size(), actual.columns.size()) << where;
  for (size_t k = 0; k < expected.columns.size(); ++k) {
    const double x = expected.columns[k][e], y = actual.columns[k][a];
    if (exact) {
      EXPECT_TRUE(SameDouble(x, y)) << where << " column " << QuarterFeatureColumnNames()[k] << ": " << x << " vs "
                                    << y;
    } else {
      EXPECT_TRUE(Near(x, y)) << where << " column " << QuarterFeatureColumnNames()[k];
    }
  }
}

void ExpectSameState(const TickerState& expected, const TickerState& actual, const std::string& where) {
  ASSERT_EQ(expected.rows, actual.rows) << where;
  const IndicatorRecurrences& x = expected.recurrences;
  const IndicatorRecurrences& y = actual.recurrences;
  if (expected.rows > 0) {
    const double xs[] = {x.sma50_sum, x.sma50_error, x.sma200_sum, x.sma200_error, x.ema12,
                         x.ema26,     x.macd_signal, x.avg_gain,   x.avg_loss,     x.avg_true_range};
    const double ys[] = {y.sma50_sum, y.sma50_error, y.sma200_sum, y.sma200_error, y.ema12,
                         y.ema26,     y.macd_signal, y.avg_gain,   y.avg_loss,     y.avg_true_range};
    for (size_t k = 0; k < std::size(xs); ++k) EXPECT_TRUE(SameDouble(xs[k], ys[k])) << where << " recurrence " << k;
    EXPECT_EQ(x.obv, y.obv) << where;
  }
  ASSERT_EQ(expected.tail.size(), actual.tail.size()) << where;
  EXPECT_EQ(expected.tail.date, actual.tail.date) << where;
  EXPECT_EQ(expected.tail.volume, actual.tail.volume) << where;
  for (size_t i = 0; i < expected.tail.size(); ++i) {
    EXPECT_TRUE(SameDouble(expected.tail.open[i], actual.tail.open[i])) << where;
    EXPECT_TRUE(SameDouble(expected.tail.high[i], actual.tail.high[i])) << where;
    EXPECT_TRUE(SameDouble(expected.tail.low[i], actual.tail.low[i])) << where;
    EXPECT_TRUE(SameDouble(expected.tail.close[i], actual.tail.close[i])) << where;
    EXPECT_TRUE(SameDouble(expected.tail.adj_close[i], actual.tail.adj_close[i])) << where;
  }
  ASSERT_EQ(expected.last_quarters.size(), actual.last_quarters.size()) << where;
  for (size_t q = 0; q < expected.last_quarters.size(); ++q) {
    ExpectSameFeatureRow(expected.last_quarters, q, actual.last_quarters, q, true, where + " last_quarters");
  }
}

// The caller's copy of one ticker's gold rows, kept up to date the way the lake stage
// would: indicator rows appended, period and feature rows replaced from the first
// returned one on.
struct Lake {
  std::vector<std::vector<double>> indicator_values = std::vector<std::vector<double>>(kIndicatorCount);
  std::vector<std::vector<uint8_t>> indicator_defined = std::vector<std::vector<uint8_t>>(kIndicatorCount);
  std::vector<int64_t> obv;
  PeriodBars bars[3];
  QuarterFeatures features;
};

// Appends periods [first, last) of `from` to `to`.
void AppendPeriods(const PeriodBars& from, size_t first, size_t last, PeriodBars* to) {
  for (size_t i = first; i < last; ++i) {
    to->period_start.push_back(from.period_start[i]);
    to->period_end.push_back(from.period_end[i]);
    to->open.push_back(from.open[i]);
    to->high.push_back(from.high[i]);
    to->low.push_back(from.low[i]);
    to->close.push_back(from.close[i]);
    to->adj_close.push_back(from.adj_close[i]);
    to->volume.push_back(from.volume[i]);
    to->trading_days.push_back(from.trading_days[i]);
    to->period_return.push_back(from.period_return[i]);
    to->has_return.push_back(from.has_return[i]);
  }
}

// Appends feature rows [first, last) of `from` to `to`.
void AppendFeatures(const QuarterFeatures& from, size_t first, size_t last, QuarterFeatures* to) {
  to->columns.resize(from.columns.size());
  for (size_t q = first; q < last; ++q) {
    to->quarter.push_back(from.quarter[q]);
    to->quarter_end.push_back(from.quarter_end[q]);
    to->as_of_date.push_back(from.as_of_date[q]);
    to->as_of_row.push_back(from.as_of_row[q]);
    for (size_t k = 0; k < from.columns.size(); ++k) to->columns[k].push_back(from.columns[k][q]);
  }
}

void ApplyContinuation(const TickerContinuation& c, Lake* lake) {
  for (size_t k = 0; k < kIndicatorCount; ++k) {
    const IndicatorColumn& column = c.indicators.columns[k];
    for (size_t r = 0; r < column.values.size(); ++r) {
      lake->indicator_values[k].push_back(column.values[r]);
      lake->indicator_defined[k].push_back(r >= column.first_defined);
    }
  }
  lake->obv.insert(lake->obv.end(), c.indicators.obv.begin(), c.indicators.obv.end());
  for (size_t p = 0; p < 3; ++p) {
    const PeriodBars& fresh = c.period_bars[p];
    PeriodBars& old = lake->bars[p];
    size_t keep = 0;
    while (keep < old.size() && (fresh.size() == 0 || old.period_start[keep] < fresh.period_start[0])) ++keep;
    PeriodBars rebuilt;
    AppendPeriods(old, 0, keep, &rebuilt);
    AppendPeriods(fresh, 0, fresh.size(), &rebuilt);
    old = std::move(rebuilt);
  }
  size_t keep = 0;
  while (keep < lake->features.size() &&
         (c.features.size() == 0 || lake->features.quarter[keep] < c.features.quarter[0])) {
    ++keep;
  }
  QuarterFeatures rebuilt;
  AppendFeatures(lake->features, 0, keep, &rebuilt);
  AppendFeatures(c.features, 0, c.features.size(), &rebuilt);
  lake->features = std::move(rebuilt);
}

// The lake of a full computation.
Lake LakeOf(const DailySeries& s) {
  const Full full = Compute(s);
  Lake lake;
  for (size_t k = 0; k < kIndicatorCount; ++k) {
    const IndicatorColumn& column = full.indicators.columns[k];
    for (size_t r = 0; r < s.size(); ++r) {
      lake.indicator_values[k].push_back(column.values[r]);
      lake.indicator_defined[k].push_back(r >= column.first_defined);
    }
  }
  lake.obv = full.indicators.obv;
  for (size_t p = 0; p < 3; ++p) lake.bars[p] = full.bars[p];
  lake.features = full.features;
  return lake;
}

// Checks one continuation of s[0, begin) by s[begin, end) against the full computation
// over s[0, end): the returned rows are exactly the ones promised, with the full
// computation's values, and the state after equals the full computation's.
void CheckContinuation(const DailySeries& s, size_t begin, size_t end, const TickerContinuation& c,
                       const std::string& where) {
  const DailySeries history = Rows(s, 0, end);
  const Full full = Compute(history);
  const size_t m = end - begin;

  // (a) indicators of the appended rows; NULL exactly where the full computation has it.
  ASSERT_EQ(c.indicators.columns.size(), static_cast<size_t>(kIndicatorCount)) << where;
  for (size_t k = 0; k < kIndicatorCount; ++k) {
    const IndicatorColumn& expected = full.indicators.columns[k];
    const IndicatorColumn& actual = c.indicators.columns[k];
    ASSERT_EQ(actual.values.size(), m) << where;
    EXPECT_EQ(actual.name, expected.name);
    for (size_t r = 0; r < m; ++r) {
      const bool defined = begin + r >= expected.first_defined;
      ASSERT_EQ(r >= actual.first_defined, defined) << where << " " << expected.name << " row " << begin + r;
      if (defined) {
        EXPECT_TRUE(Near(expected.values[begin + r], actual.values[r]))
            << where << " " << expected.name << " row " << begin + r;
      }
    }
  }
  ASSERT_EQ(c.indicators.obv.size(), m) << where;
  for (size_t r = 0; r < m; ++r) EXPECT_EQ(c.indicators.obv[r], full.indicators.obv[begin + r]) << where;

  // (b) the periods holding an appended row: those ending on or after its first date.
  const Date first_new = m > 0 ? s.date[begin] : std::numeric_limits<Date>::max();
  for (size_t p = 0; p < 3; ++p) {
    const PeriodBars& expected = full.bars[p];
    const PeriodBars& actual = c.period_bars[p];
    size_t first = 0;
    while (first < expected.size() && expected.period_end[first] < first_new) ++first;
    ASSERT_EQ(actual.size(), expected.size() - first) << where << " period " << p;
    for (size_t i = 0; i < actual.size(); ++i) {
      const size_t e = first + i;
      EXPECT_EQ(actual.period_start[i], expected.period_start[e]) << where;
      EXPECT_EQ(actual.period_end[i], expected.period_end[e]) << where;
      EXPECT_TRUE(Near(expected.open[e], actual.open[i])) << where;
      EXPECT_TRUE(Near(expected.high[e], actual.high[i])) << where;
      EXPECT_TRUE(Near(expected.low[e], actual.low[i])) << where;
      EXPECT_TRUE(Near(expected.close[e], actual.close[i])) << where;
      EXPECT_TRUE(Near(expected.adj_close[e], actual.adj_close[i])) << where;
      EXPECT_EQ(actual.volume[i], expected.volume[e]) << where;
      EXPECT_EQ(actual.trading_days[i], expected.trading_days[e]) << where;
      ASSERT_EQ(actual.has_return[i], expected.has_return[e]) << where << " period " << p << " row " << e;
      if (expected.has_return[e]) {
        EXPECT_TRUE(Near(expected.period_return[e], actual.period_return[i])) << where;
      }
    }
  }

  // (c) the quarters holding an appended row, after the calendar quarter before them if
  // the ticker traded in it.
  const QuarterFeatures& expected = full.features;
  size_t first = 0;
  while (first < expected.size() && expected.as_of_date[first] < first_new) ++first;
  if (first > 0 && first < expected.size() && NextQuarter(expected.quarter[first - 1]) == expected.quarter[first]) {
    --first;
  }
  ASSERT_EQ(c.features.size(), expected.size() - first) << where;
  for (size_t q = 0; q < c.features.size(); ++q) {
    ExpectSameFeatureRow(expected, first + q, c.features, q, false, where + " quarter row " + std::to_string(q));
  }

  // (d) the state after.
  ExpectSameState(StateAfter(history, full.indicators, full.features), c.state, where + " state");
}

// The lake kept up to date by continuations equals the full computation's lake.
void ExpectSameLake(const Lake& expected, const Lake& actual, const std::string& where) {
  for (size_t k = 0; k < kIndicatorCount; ++k) {
    ASSERT_EQ(expected.indicator_values[k].size(), actual.indicator_values[k].size()) << where;
    EXPECT_EQ(expected.indicator_defined[k], actual.indicator_defined[k]) << where << " indicator " << k;
    for (size_t r = 0; r < expected.indicator_values[k].size(); ++r) {
      if (expected.indicator_defined[k][r]) {
        EXPECT_TRUE(Near(expected.indicator_values[k][r], actual.indicator_values[k][r])) << where;
      }
    }
  }
  EXPECT_EQ(expected.obv, actual.obv) << where;
  for (size_t p = 0; p < 3; ++p) {
    const PeriodBars& x = expected.bars[p];
    const PeriodBars& y = actual.bars[p];
    ASSERT_EQ(x.size(), y.size()) << where << " period " << p;
    EXPECT_EQ(x.period_start, y.period_start) << where;
    EXPECT_EQ(x.period_end, y.period_end) << where;
    EXPECT_EQ(x.volume, y.volume) << where;
    EXPECT_EQ(x.trading_days, y.trading_days) << where;
    EXPECT_EQ(x.has_return, y.has_return) << where;
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_TRUE(Near(x.open[i], y.open[i]) && Near(x.high[i], y.high[i]) && Near(x.low[i], y.low[i]) &&
                  Near(x.close[i], y.close[i]) && Near(x.adj_close[i], y.adj_close[i]))
          << where << " period " << p << " row " << i;
      if (x.has_return[i]) {
        EXPECT_TRUE(Near(x.period_return[i], y.period_return[i])) << where;
      }
    }
  }
  ASSERT_EQ(expected.features.size(), actual.features.size()) << where;
  for (size_t q = 0; q < expected.features.size(); ++q) {
    ExpectSameFeatureRow(expected.features, q, actual.features, q, false, where + " lake quarter " + std::to_string(q));
  }
}

// Cuts `s` at `split`, then continues it in chunks whose sizes come from `chunk` until
// `stop` rows, checking each continuation and, at the end, the caller's lake.
template <typename ChunkSize>
void RunChain(const DailySeries& s, size_t split, size_t stop, ChunkSize chunk, const std::string& name) {
  const DailySeries prefix = Rows(s, 0, split);
  TickerState state = StateOf(prefix);
  Lake lake = LakeOf(prefix);
  size_t at = split;
  while (at < stop) {
    const size_t end = std::min(stop, at + chunk());
    const std::string where =
        name + " split " + std::to_string(split) + " rows " + std::to_string(at) + ".." + std::to_string(end);
    TickerContinuation c;
    ASSERT_TRUE(ContinueTicker(state, Rows(s, at, end), &c).ok()) << where;
    CheckContinuation(s, at, end, c, where);
    if (::testing::Test::HasFatalFailure() || ::testing::Test::HasNonfatalFailure()) return;
    ApplyContinuation(c, &lake);
    state = std::move(c.state);
    at = end;
  }
  ExpectSameLake(LakeOf(Rows(s, 0, stop)), lake, name + " split " + std::to_string(split) + " lake");
}

// Every window edge of the indicators, the steady-state switch, the tail's length and the
// quarter features' 252-row windows, and a few more.
std::vector<size_t> SplitPoints(size_t rows) {
  std::vector<size_t> points = {0,  1,  2,  11, 12, 13,  14,  15,  19,  20,  21,  25,  26,  27,
                                33, 34, 49, 50, 63, 126, 199, 200, 201, 251, 252, 253, 254, 300};
  points.push_back(rows - 1);
  points.push_back(rows);
  std::vector<size_t> inside;
  for (size_t p : points) {
    if (p <= rows) inside.push_back(p);
  }
  std::sort(inside.begin(), inside.end());
  inside.erase(std::unique(inside.begin(), inside.end()), inside.end());
  return inside;
}

// At each split: one continuation with every remaining row, and a chain of 1..30-row
// continuations over the next 60 rows.
void CheckShape(const Shape& shape, const std::string& name) {
  const DailySeries s = RandomSeries(shape);
  std::mt19937_64 rng(shape.seed * 7 + 1);
  std::uniform_int_distribution<size_t> chunk(1, 30);
  for (size_t split : SplitPoints(s.size())) {
    RunChain(
        s, split, s.size(), [&] { return s.size(); }, name + " (at once)");
    RunChain(
        s, split, std::min(s.size(), split + 60), [&] { return chunk(rng); }, name + " (chain)");
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(TickerStateTest, TailCoversEveryWindow) {
  EXPECT_EQ(kTickerStateTailRows, 252u);
  EXPECT_GE(kTickerStateTailRows, kQuarterFeatureSpan - 1);
  EXPECT_GE(kTickerStateTailRows, kIndicatorHistoryRows);
  EXPECT_GE(kTickerStateTailRows, kAlphaFeatureSpan - 1);
  EXPECT_GE(kTickerStateTailRows, kPeriodBarReach);
}

TEST(TickerStateTest, RandomWalkAcrossIsoWeek53AndYearEnds) {
  // 2015 and 2020 have an ISO week 53; starts just before both year ends.
  CheckShape({D(2015, 12, 1), 420, 1}, "walk 2015");
  CheckShape({D(2020, 11, 20), 330, 2}, "walk 2020");
}

TEST(TickerStateTest, FlatStretchesAndZeroVolumes) { CheckShape({D(2018, 3, 20), 360, 3, 0.15}, "flat"); }

TEST(TickerStateTest, GapsOfDaysWeeksAndAWholeQuarter) {
  CheckShape({D(2019, 6, 25), 380, 4, 0.0, 0.08, true}, "gaps");
}

TEST(TickerStateTest, PricesFallingByOrdersOfMagnitude) {
  // The running sums of sma_50 and sma_200 start over from their windows here, so the
  // saved error bounds decide when; the continuation must decide as the full run does.
  CheckShape({D(2016, 9, 28), 320, 5, 0.0, 0.0, false, -0.06}, "falling");
}

TEST(TickerStateTest, TinySeriesShorterThanEveryWindow) {
  for (size_t rows : {1u, 2u, 3u, 12u, 14u}) {
    CheckShape({D(2021, 12, 29), rows, 10 + rows}, "tiny " + std::to_string(rows));
  }
}

TEST(TickerStateTest, DailyAppendsOverYears) {
  // One row per run over four years: every week, month and quarter end, several year ends.
  const DailySeries s = RandomSeries({D(2014, 12, 20), 1000, 6, 0.05, 0.03});
  RunChain(
      s, 0, s.size(), [] { return size_t{1}; }, "daily");
}

// A weekday series over [first, last] minus the days in `skip_from`..`skip_to`.
DailySeries Weekdays(Date first, Date last, Date skip_from = 0, Date skip_to = -1) {
  DailySeries s;
  double close = 20;
  for (Date d = first; d <= last; ++d) {
    if (WeekdayMondayZero(d) >= 5 || (d >= skip_from && d <= skip_to)) continue;
    close *= d % 3 == 0 ? 1.01 : 0.995;
    s.Append(d, close * 0.99, close * 1.02, close * 0.98, close, close, 1000 + d % 17);
  }
  return s;
}

size_t RowOf(const DailySeries& s, Date d) {
  return static_cast<size_t>(std::lower_bound(s.date.begin(), s.date.end(), d) - s.date.begin());
}

std::vector<int32_t> QuartersOf(const QuarterFeatures& f) { return f.quarter; }

TEST(TickerStateTest, ReturnsThePreviousQuarterWhoseLabelTheAppendedRowsSet) {
  // 2020Q1 (a leap year) and 2020Q2: the first day of Q2 defines Q1's label, and every
  // later day of Q2 moves it.
  const DailySeries s = Weekdays(D(2019, 1, 1), D(2020, 6, 30));
  for (Date first_new : {D(2020, 4, 1), D(2020, 4, 16), D(2020, 6, 30)}) {
    const size_t split = RowOf(s, first_new);
    TickerContinuation c;
    ASSERT_TRUE(ContinueTicker(StateOf(Rows(s, 0, split)), Rows(s, split, split + 1), &c).ok());
    EXPECT_EQ(QuartersOf(c.features), (std::vector<int32_t>{20201, 20202})) << FormatDate(first_new);
    EXPECT_FALSE(std::isnan(c.features.columns[kLabel][0]));
    EXPECT_TRUE(std::isnan(c.features.columns[kLabel][1]));
    CheckContinuation(s, split, split + 1, c, "label " + FormatDate(first_new));
  }
  // Appended rows spanning Q1's end: Q4 2019's label reads Q1's as-of close.
  const size_t split = RowOf(s, D(2020, 3, 20));
  const size_t end = RowOf(s, D(2020, 4, 10));
  TickerContinuation c;
  ASSERT_TRUE(ContinueTicker(StateOf(Rows(s, 0, split)), Rows(s, split, end), &c).ok());
  EXPECT_EQ(QuartersOf(c.features), (std::vector<int32_t>{20194, 20201, 20202}));
  CheckContinuation(s, split, end, c, "spanning");
}

TEST(TickerStateTest, AQuarterWithoutRowsKeepsTheLabelBeforeItNull) {
  // No rows in 2020Q2: 2020Q1's label stays NULL, so only Q3 comes back.
  const DailySeries s = Weekdays(D(2019, 1, 1), D(2020, 9, 30), D(2020, 4, 1), D(2020, 6, 30));
  const size_t split = RowOf(s, D(2020, 7, 1));
  TickerContinuation c;
  ASSERT_TRUE(ContinueTicker(StateOf(Rows(s, 0, split)), Rows(s, split, split + 3), &c).ok());
  EXPECT_EQ(QuartersOf(c.features), (std::vector<int32_t>{20203}));
  CheckContinuation(s, split, split + 3, c, "skipped quarter");
}

TEST(TickerStateTest, NoAppendedRowsChangeNothing) {
  const DailySeries s = RandomSeries({D(2017, 1, 3), 300, 7});
  const TickerState state = StateOf(s);
  TickerContinuation c;
  ASSERT_TRUE(ContinueTicker(state, DailySeries{}, &c).ok());
  EXPECT_EQ(c.indicators.size(), 0u);
  for (Period p : {Period::kWeek, Period::kMonth, Period::kQuarter}) EXPECT_EQ(c.bars(p).size(), 0u);
  EXPECT_EQ(c.features.size(), 0u);
  ExpectSameState(state, c.state, "empty");
}

TEST(TickerStateTest, RejectsRowsNotAfterTheLastDate) {
  const DailySeries s = RandomSeries({D(2017, 1, 3), 40, 8});
  const TickerState state = StateOf(Rows(s, 0, 30));
  TickerContinuation c;
  const Status same_day = ContinueTicker(state, Rows(s, 29, 35), &c);
  EXPECT_TRUE(same_day.IsInvalidArgument()) << same_day.ToString();
  EXPECT_NE(same_day.message().find(FormatDate(s.date[29])), std::string::npos) << same_day.message();

  DailySeries backwards = Rows(s, 30, 35);
  std::swap(backwards.date[1], backwards.date[2]);
  EXPECT_TRUE(ContinueTicker(state, backwards, &c).IsInvalidArgument());

  DailySeries ragged = Rows(s, 30, 35);
  ragged.volume.pop_back();
  EXPECT_TRUE(ContinueTicker(state, ragged, &c).IsInvalidArgument());
}

TEST(TickerStateTest, RejectsAnInconsistentState) {
  const DailySeries s = RandomSeries({D(2017, 1, 3), 400, 9});
  TickerState state = StateOf(Rows(s, 0, 280));
  TickerContinuation c;
  TickerState short_tail = state;
  short_tail.tail = Rows(short_tail.tail, 1, short_tail.tail.size());
  EXPECT_TRUE(ContinueTicker(short_tail, Rows(s, 280, 290), &c).IsCorruption());

  TickerState unseeded = state;
  unseeded.recurrences.ema26 = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(ContinueTicker(unseeded, Rows(s, 280, 290), &c).IsCorruption());

  // 280 rows end in a quarter whose predecessor was traded: its row is needed as soon as
  // the appended rows reach the quarter after.
  TickerState no_quarters = state;
  no_quarters.last_quarters = StateOf(DailySeries{}).last_quarters;
  size_t next_quarter = 280;
  while (next_quarter < s.size() && QuarterKey(s.date[next_quarter]) == QuarterKey(s.date[279])) ++next_quarter;
  ASSERT_LT(next_quarter, s.size());
  const Status missing = ContinueTicker(no_quarters, Rows(s, 280, next_quarter + 1), &c);
  EXPECT_TRUE(missing.IsCorruption()) << missing.ToString();
}

// ---- Tables -------------------------------------------------------------------------

TickerStates SomeStates() {
  TickerStates states;
  size_t seed = 20;
  for (size_t rows : {0u, 1u, 5u, 40u, 199u, 252u, 253u, 700u}) {
    const DailySeries s = RandomSeries({D(2012, 2, 1), rows, ++seed, 0.1, 0.02});
    states["T" + std::to_string(rows)] = StateOf(s);
  }
  return states;
}

TEST(TickerStateTest, TablesRoundTripBitForBit) {
  const TickerStates states = SomeStates();
  const TickerStateTables tables = EncodeTickerStates(states);
  size_t tail_rows = 0, quarter_rows = 0;
  for (const auto& [ticker, state] : states) {
    tail_rows += state.tail.size();
    quarter_rows += state.last_quarters.size();
  }
  EXPECT_EQ(tables.scalars.num_rows(), states.size());
  EXPECT_EQ(tables.tail.num_rows(), tail_rows);
  EXPECT_EQ(tables.quarters.num_rows(), quarter_rows);
  // No NaN reaches a table: undefined values are NULLs.
  for (const Table* table : {&tables.scalars, &tables.tail, &tables.quarters}) {
    for (const Column& column : table->columns) {
      for (size_t r = 0; r < column.f64.size(); ++r) {
        EXPECT_FALSE(!column.IsNull(r) && std::isnan(column.f64[r])) << column.name;
      }
    }
  }
  const Result<TickerStates> decoded = DecodeTickerStates(tables);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), states.size());
  for (const auto& [ticker, state] : states) {
    const auto found = decoded->find(ticker);
    ASSERT_NE(found, decoded->end()) << ticker;
    ExpectSameState(state, found->second, ticker);
  }
}

TEST(TickerStateTest, ADecodedStateContinuesLikeTheFullComputation) {
  const DailySeries s = RandomSeries({D(2013, 5, 1), 400, 31});
  TickerStates states;
  states["X"] = StateOf(Rows(s, 0, 330));
  const Result<TickerStates> decoded = DecodeTickerStates(EncodeTickerStates(states));
  ASSERT_TRUE(decoded.ok());
  TickerContinuation c;
  ASSERT_TRUE(ContinueTicker(decoded->at("X"), Rows(s, 330, 400), &c).ok());
  CheckContinuation(s, 330, 400, c, "decoded");
}

TEST(TickerStateTest, EmptyTablesHaveTheEncodedColumns) {
  const TickerStateTables empty = EmptyTickerStateTables();
  const TickerStateTables encoded = EncodeTickerStates(SomeStates());
  for (auto [e, x] : {std::pair{&empty.scalars, &encoded.scalars}, std::pair{&empty.tail, &encoded.tail},
                      std::pair{&empty.quarters, &encoded.quarters}}) {
    EXPECT_EQ(e->num_rows(), 0u);
    ASSERT_EQ(e->columns.size(), x->columns.size());
    for (size_t k = 0; k < e->columns.size(); ++k) {
      EXPECT_EQ(e->columns[k].name, x->columns[k].name);
      EXPECT_EQ(e->columns[k].type, x->columns[k].type);
    }
  }
  EXPECT_EQ(empty.tail.columns[0].type, ColumnType::kString);
  EXPECT_EQ(empty.quarters.columns.size(), 5 + QuarterFeatureColumnNames().size());
}

TEST(TickerStateTest, DecodeRejectsDamagedTables) {
  const TickerStateTables good = EncodeTickerStates(SomeStates());

  TickerStateTables missing = good;
  missing.scalars.columns.erase(missing.scalars.columns.begin() + 3);
  EXPECT_TRUE(DecodeTickerStates(missing).status().IsCorruption());

  TickerStateTables retyped = good;
  retyped.tail.Find("close")->type = ColumnType::kInt64;
  EXPECT_TRUE(DecodeTickerStates(retyped).status().IsCorruption());

  TickerStateTables orphan = good;
  orphan.tail.columns[0].dictionary.push_back("NOPE");
  orphan.tail.columns[0].codes[0] = static_cast<int32_t>(orphan.tail.columns[0].dictionary.size() - 1);
  const Status orphan_status = DecodeTickerStates(orphan).status();
  EXPECT_TRUE(orphan_status.IsCorruption());
  EXPECT_NE(orphan_status.message().find("NOPE"), std::string::npos) << orphan_status.message();

  TickerStateTables short_tail = good;
  for (Column& column : short_tail.tail.columns) {
    column.codes.erase(column.codes.begin(), column.codes.begin() + (column.codes.empty() ? 0 : 1));
    column.i32.erase(column.i32.begin(), column.i32.begin() + (column.i32.empty() ? 0 : 1));
    column.i64.erase(column.i64.begin(), column.i64.begin() + (column.i64.empty() ? 0 : 1));
    column.f64.erase(column.f64.begin(), column.f64.begin() + (column.f64.empty() ? 0 : 1));
  }
  EXPECT_TRUE(DecodeTickerStates(short_tail).status().IsCorruption());

  TickerStateTables unordered = good;
  std::swap(unordered.tail.columns[1].i32[10], unordered.tail.columns[1].i32[11]);
  EXPECT_TRUE(DecodeTickerStates(unordered).status().IsCorruption());

  TickerStateTables twice = good;
  twice.scalars.columns[0].codes[1] = twice.scalars.columns[0].codes[0];
  EXPECT_TRUE(DecodeTickerStates(twice).status().IsCorruption());
}

}  // namespace
}  // namespace stocklake
