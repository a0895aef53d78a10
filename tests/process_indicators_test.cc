// Indicators: compared with a straightforward reference written here in long double that
// recomputes every window directly, over random walks, flat, rising and falling series,
// series shorter than the windows and series jumping by 8 orders of magnitude; plus a few
// values computed by hand.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "process/indicators.h"

namespace stocklake {
namespace {

using LD = long double;

// The reference: each indicator straight from reference-job.md, windows summed afresh.
struct Reference {
  std::vector<std::vector<LD>> values;  // [column][row]
  std::vector<std::vector<bool>> defined;
  std::vector<int64_t> obv;
};

Reference ComputeReference(const DailySeries& s) {
  const size_t n = s.size();
  Reference ref;
  ref.values.assign(kIndicatorCount, std::vector<LD>(n, 0));
  ref.defined.assign(kIndicatorCount, std::vector<bool>(n, false));
  auto set = [&](size_t column, size_t row, LD v) {
    ref.values[column][row] = v;
    ref.defined[column][row] = true;
  };
  std::vector<LD> c(n), h(n), l(n);
  for (size_t i = 0; i < n; ++i) {
    c[i] = s.close[i];
    h[i] = s.high[i];
    l[i] = s.low[i];
  }
  auto mean_of = [&](const std::vector<LD>& x, size_t end_row, size_t count) {
    LD sum = 0;
    for (size_t j = end_row + 1 - count; j <= end_row; ++j) sum += x[j];
    return sum / count;
  };
  std::vector<LD> lr(n, 0);
  for (size_t i = 1; i < n; ++i) {
    // c - p is exact in long double, so tiny returns keep every digit here too.
    const LD r = (c[i] - c[i - 1]) / c[i - 1];
    set(kReturn1d, i, r);
    lr[i] = std::log1p(r);
    set(kLogReturn1d, i, lr[i]);
  }
  const size_t sma_index[] = {kSma20, kSma50, kSma200};
  const size_t sma_n[] = {20, 50, 200};
  for (int w = 0; w < 3; ++w) {
    for (size_t i = sma_n[w] - 1; i < n; ++i) set(sma_index[w], i, mean_of(c, i, sma_n[w]));
  }
  std::vector<LD> ema12(n), ema26(n), macd(n), signal(n);
  auto ema = [&](const std::vector<LD>& x, size_t first, size_t period, std::vector<LD>& e) {
    const LD k = 2.0L / (period + 1);
    const size_t seed = first + period - 1;
    if (n <= seed) return;
    e[seed] = mean_of(x, seed, period);
    for (size_t i = seed + 1; i < n; ++i) e[i] = e[i - 1] + k * (x[i] - e[i - 1]);
  };
  ema(c, 0, 12, ema12);
  ema(c, 0, 26, ema26);
  for (size_t i = 11; i < n; ++i) set(kEma12, i, ema12[i]);
  for (size_t i = 25; i < n; ++i) {
    set(kEma26, i, ema26[i]);
    macd[i] = ema12[i] - ema26[i];
    set(kMacd, i, macd[i]);
  }
  ema(macd, 25, 9, signal);
  for (size_t i = 33; i < n; ++i) {
    set(kMacdSignal, i, signal[i]);
    set(kMacdHist, i, macd[i] - signal[i]);
  }
  if (n > 14) {
    LD ag = 0, ad = 0, atr = 0;
    for (size_t i = 1; i < n; ++i) {
      const LD g = std::max(c[i] - c[i - 1], LD(0));
      const LD d = std::max(c[i - 1] - c[i], LD(0));
      const LD tr = std::max({h[i] - l[i], std::fabs(h[i] - c[i - 1]), std::fabs(l[i] - c[i - 1])});
      if (i <= 14) {
        ag += g / 14;
        ad += d / 14;
        atr += tr / 14;
      } else {
        ag = (ag * 13 + g) / 14;
        ad = (ad * 13 + d) / 14;
        atr = (atr * 13 + tr) / 14;
      }
      if (i >= 14) {
        LD rsi;
        if (ad == 0) {
          rsi = ag > 0 ? 100 : 50;
        } else {
          rsi = 100 - 100 / (1 + ag / ad);
        }
        set(kRsi14, i, rsi);
        set(kAtr14, i, atr);
      }
    }
  }
  for (size_t i = 19; i < n; ++i) {
    const LD m = mean_of(c, i, 20);
    LD sq = 0;
    for (size_t j = i - 19; j <= i; ++j) sq += (c[j] - m) * (c[j] - m);
    const LD sd = std::sqrt(sq / 20);
    set(kBbMiddle, i, m);
    set(kBbUpper, i, m + 2 * sd);
    set(kBbLower, i, m - 2 * sd);
  }
  for (size_t i = 20; i < n; ++i) {
    const LD m = mean_of(lr, i, 20);
    LD sq = 0;
    for (size_t j = i - 19; j <= i; ++j) sq += (lr[j] - m) * (lr[j] - m);
    set(kVolatility20, i, std::sqrt(sq / 19) * std::sqrt(252.0L));
  }
  ref.obv.assign(n, 0);
  for (size_t i = 1; i < n; ++i) {
    ref.obv[i] = ref.obv[i - 1] + (s.close[i] > s.close[i - 1]   ? s.volume[i]
                                   : s.close[i] < s.close[i - 1] ? -s.volume[i]
                                                                 : 0);
  }
  return ref;
}

bool IsMacdFamily(size_t column) { return column == kMacd || column == kMacdSignal || column == kMacdHist; }

// Checks every value of `got` against the reference: defined exactly where the reference
// is, within 1e-9 relative (macd family: relative to the close).
void ExpectMatchesReference(const DailySeries& s, const Indicators& got, const std::string& label) {
  const Reference ref = ComputeReference(s);
  const size_t n = s.size();
  ASSERT_EQ(got.columns.size(), static_cast<size_t>(kIndicatorCount)) << label;
  ASSERT_EQ(got.obv.size(), n) << label;
  double worst = 0;
  for (size_t col = 0; col < kIndicatorCount; ++col) {
    const IndicatorColumn& column = got.columns[col];
    ASSERT_EQ(column.values.size(), n) << label << " " << column.name;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(i >= column.first_defined, ref.defined[col][i]) << label << " " << column.name << " row " << i;
      if (i < column.first_defined) {
        ASSERT_TRUE(std::isnan(column.values[i])) << label << " " << column.name << " row " << i;
        continue;
      }
      const double v = column.values[i];
      ASSERT_TRUE(std::isfinite(v)) << label << " " << column.name << " row " << i;
      const LD want = ref.values[col][i];
      LD scale = std::fabs(want);
      if (IsMacdFamily(col)) scale = std::max(scale, static_cast<LD>(s.close[i]));
      const LD error = std::fabs(static_cast<LD>(v) - want);
      if (scale == 0) {
        ASSERT_EQ(v, 0.0) << label << " " << column.name << " row " << i;
        continue;
      }
      const double relative = static_cast<double>(error / scale);
      worst = std::max(worst, relative);
      ASSERT_LE(relative, 1e-9) << label << " " << column.name << " row " << i << " got " << v << " want "
                                << static_cast<double>(want);
    }
  }
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(got.obv[i], ref.obv[i]) << label << " obv row " << i;
  ::testing::Test::RecordProperty(label + "_worst_relative_error", std::to_string(worst));
}

// Bars around a close path: high/low a little outside, open somewhere between.
DailySeries SeriesFromCloses(const std::vector<double>& closes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> spread(0.0, 0.02);
  std::uniform_int_distribution<int64_t> volume(1, 5'000'000);
  DailySeries s;
  for (size_t i = 0; i < closes.size(); ++i) {
    const double c = closes[i];
    const double o = c * (1 + spread(rng) - 0.01);
    const double h = std::max(o, c) * (1 + spread(rng));
    const double l = std::min(o, c) * (1 - spread(rng));
    s.Append(static_cast<Date>(10000 + i), o, h, l, c, c, volume(rng));
  }
  return s;
}

std::vector<double> RandomWalk(size_t n, uint64_t seed, double start, double daily_sigma) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, daily_sigma);
  std::vector<double> c(n);
  double x = start;
  for (size_t i = 0; i < n; ++i) {
    x *= std::exp(step(rng));
    c[i] = x;
  }
  return c;
}

Indicators Compute(const DailySeries& s) {
  Indicators out;
  ComputeIndicators(s, &out);
  return out;
}

TEST(IndicatorsTest, NamesAndFirstDefinedRows) {
  const std::vector<std::string> names = {
      "return_1d",   "log_return_1d", "sma_20", "sma_50",    "sma_200",  "ema_12",   "ema_26", "macd",
      "macd_signal", "macd_hist",     "rsi_14", "bb_middle", "bb_upper", "bb_lower", "atr_14", "volatility_20"};
  const std::vector<size_t> first = {1, 1, 19, 49, 199, 11, 25, 25, 33, 33, 14, 19, 19, 19, 14, 20};
  ASSERT_EQ(IndicatorNames().size(), names.size());
  const Indicators out = Compute(SeriesFromCloses(RandomWalk(5, 1, 10, 0.01), 1));
  ASSERT_EQ(out.columns.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(IndicatorNames()[i], names[i]);
    EXPECT_EQ(out.columns[i].name, names[i]);
    EXPECT_EQ(out.columns[i].first_defined, first[i]) << names[i];
    EXPECT_EQ(IndicatorFirstDefined()[i], first[i]) << names[i];
  }
}

TEST(IndicatorsTest, RandomWalksMatchReference) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const double start = seed % 2 ? 37.5 : 0.0123;
    const DailySeries s = SeriesFromCloses(RandomWalk(1500, seed, start, 0.025), seed);
    ExpectMatchesReference(s, Compute(s), "walk" + std::to_string(seed));
  }
}

TEST(IndicatorsTest, ShortSeriesMatchReference) {
  for (size_t n : {0, 1, 2, 11, 12, 14, 15, 16, 19, 20, 21, 25, 26, 33, 34, 49, 50, 199, 200, 201}) {
    const DailySeries s = SeriesFromCloses(RandomWalk(n, 100 + n, 50, 0.02), n);
    const Indicators out = Compute(s);
    ExpectMatchesReference(s, out, "short" + std::to_string(n));
  }
}

TEST(IndicatorsTest, JumpsOfEightOrdersOfMagnitude) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> c;
  double level = 1e6;
  for (int i = 0; i < 3000; ++i) {
    if (u(rng) < 0.01) level = level > 1 ? 0.01 : 1e6;  // 1e6 <-> 0.01
    level *= std::exp((u(rng) - 0.5) * 0.04);
    c.push_back(level);
  }
  // And single-day spikes both ways.
  c[1000] *= 1e8;
  c[1500] *= 1e-8;
  c[2000] *= 1e8;
  c[2001] *= 1e8;
  const DailySeries s = SeriesFromCloses(c, 7);
  ExpectMatchesReference(s, Compute(s), "jumps");
}

// bb_lower = mean - 2 sd cancels when the window's std dev is near half its mean: a
// window alternating a and 3a - d has lower = d/2 while the mean is about 2a, so any
// error in the mean is magnified 4a/d times. A long history of prices of the same size
// first lets a running sum accumulate rounding errors.
TEST(IndicatorsTest, BollingerLowerBandNearZeroKeepsItsPrecision) {
  std::vector<double> c;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(1.5, 2.5);
  for (int i = 0; i < 3500; ++i) c.push_back(u(rng));
  for (int i = 0; i < 40; ++i) c.push_back(i % 2 == 0 ? 1.0 : 3.0 - 1e-5);
  const DailySeries s = SeriesFromCloses(c, 3);
  const Indicators out = Compute(s);
  ExpectMatchesReference(s, out, "bollinger");
  EXPECT_NEAR(out.columns[kBbLower].values[c.size() - 1], 0.5e-5, 1e-9);
}

// Returns of about 1e-13: c / p - 1 or ln(c / p) in double would keep only ~3 digits.
TEST(IndicatorsTest, TinyReturnsKeepTheirPrecision) {
  DailySeries s;
  for (int i = 0; i < 80; ++i) {
    const double c = 3.0 + (i % 3) * 0x1p-40;
    s.Append(i, c, c, c, c, c, 10);
  }
  const Indicators out = Compute(s);
  ExpectMatchesReference(s, out, "tiny");
  const long double x = 0x1p-40L / 3.0L;  // return from 3 to 3 + 2^-40
  EXPECT_NEAR(out.columns[kReturn1d].values[1] / static_cast<double>(x), 1.0, 1e-15);
  EXPECT_NEAR(out.columns[kLogReturn1d].values[1] / static_cast<double>(x - x * x / 2), 1.0, 1e-15);
}

TEST(IndicatorsTest, FlatSeries) {
  DailySeries s;
  for (int i = 0; i < 260; ++i) s.Append(i, 100, 101, 99.5, 100, 100, 1000);
  const Indicators out = Compute(s);
  ExpectMatchesReference(s, out, "flat");
  for (size_t i = 20; i < s.size(); ++i) {
    EXPECT_EQ(out.columns[kRsi14].values[i], 50.0);
    EXPECT_EQ(out.columns[kVolatility20].values[i], 0.0);
    EXPECT_EQ(out.columns[kBbUpper].values[i], 100.0);
    EXPECT_EQ(out.columns[kBbLower].values[i], 100.0);
    EXPECT_EQ(out.columns[kReturn1d].values[i], 0.0);
    EXPECT_EQ(out.columns[kAtr14].values[i], 1.5);
    EXPECT_EQ(out.obv[i], 0);
  }
  EXPECT_EQ(out.columns[kMacdHist].values[259], 0.0);
  EXPECT_EQ(out.columns[kSma200].values[259], 100.0);
}

// Closes 1, 2, 3, ... with high = low = close and volume 100: values worked out by hand.
TEST(IndicatorsTest, HandComputedRisingSeries) {
  DailySeries s;
  for (int i = 0; i < 240; ++i) s.Append(i, i + 1, i + 1, i + 1, i + 1, i + 1, 100);
  const Indicators out = Compute(s);
  ExpectMatchesReference(s, out, "rising");
  auto v = [&](IndicatorIndex col, size_t row) { return out.columns[col].values[row]; };
  EXPECT_DOUBLE_EQ(v(kReturn1d, 1), 1.0);  // 2/1 - 1
  EXPECT_DOUBLE_EQ(v(kLogReturn1d, 3), std::log(4.0 / 3.0));
  EXPECT_DOUBLE_EQ(v(kSma20, 19), 10.5);  // mean of 1..20
  EXPECT_DOUBLE_EQ(v(kSma50, 60), 36.5);  // mean of 12..61
  EXPECT_DOUBLE_EQ(v(kSma200, 199), 100.5);
  // EMA of a line lags it by (1-k)/k: 5.5 for N = 12, 12.5 for N = 26, from the seed on.
  EXPECT_DOUBLE_EQ(v(kEma12, 11), 6.5);
  EXPECT_NEAR(v(kEma12, 100), 101 - 5.5, 1e-12);
  EXPECT_NEAR(v(kEma26, 25), 13.5, 1e-12);
  EXPECT_NEAR(v(kEma26, 200), 201 - 12.5, 1e-12);
  EXPECT_NEAR(v(kMacd, 30), 7.0, 1e-12);
  EXPECT_NEAR(v(kMacdSignal, 33), 7.0, 1e-12);
  EXPECT_NEAR(v(kMacdHist, 150), 0.0, 1e-11);
  EXPECT_EQ(v(kRsi14, 14), 100.0);
  EXPECT_EQ(v(kRsi14, 239), 100.0);
  // 20 consecutive integers: population variance (20^2 - 1) / 12.
  EXPECT_DOUBLE_EQ(v(kBbUpper, 19), 10.5 + 2 * std::sqrt(399.0 / 12));
  EXPECT_DOUBLE_EQ(v(kBbLower, 30), 21.5 - 2 * std::sqrt(399.0 / 12));
  EXPECT_DOUBLE_EQ(v(kAtr14, 14), 1.0);  // every true range is |c - c[n-1]| = 1
  EXPECT_DOUBLE_EQ(v(kAtr14, 239), 1.0);
  EXPECT_EQ(out.obv[0], 0);
  EXPECT_EQ(out.obv[239], 23900);
}

TEST(IndicatorsTest, FallingSeriesHasRsiZero) {
  DailySeries s;
  for (int i = 0; i < 60; ++i) s.Append(i, 100 - i, 100 - i, 100 - i, 100 - i, 100 - i, 7);
  const Indicators out = Compute(s);
  ExpectMatchesReference(s, out, "falling");
  EXPECT_EQ(out.columns[kRsi14].values[14], 0.0);
  EXPECT_EQ(out.columns[kRsi14].values[59], 0.0);
  EXPECT_EQ(out.obv[59], -7 * 59);
}

// rsi from Wilder averages, hand-computed: closes 10, 11, 10, 11, ... gains and losses of 1
// alternate, so avg_g = 7/14 and avg_d = 7/14 at n = 14 -> rsi 50; at n = 15 (a gain)
// avg_g = (0.5*13 + 1)/14 = 7.5/14, avg_d = 6.5/14 -> rsi = 100 * 7.5 / 14.
TEST(IndicatorsTest, HandComputedWilderRsi) {
  DailySeries s;
  for (int i = 0; i < 16; ++i) {
    const double c = i % 2 ? 11 : 10;
    s.Append(i, c, c, c, c, c, 1);
  }
  // At n = 15 the close is 11 after 10: a gain.
  const Indicators out = Compute(s);
  EXPECT_DOUBLE_EQ(out.columns[kRsi14].values[14], 50.0);
  EXPECT_DOUBLE_EQ(out.columns[kRsi14].values[15], 100.0 * 7.5 / 14.0);
  EXPECT_DOUBLE_EQ(out.columns[kAtr14].values[15], 1.0);
}

TEST(IndicatorsTest, ReusesBuffersAcrossSeries) {
  Indicators out;
  const DailySeries long_series = SeriesFromCloses(RandomWalk(800, 11, 20, 0.02), 11);
  const DailySeries short_series = SeriesFromCloses(RandomWalk(300, 12, 5, 0.02), 12);
  ComputeIndicators(long_series, &out);
  const double* before = out.columns[kSma20].values.data();
  ComputeIndicators(short_series, &out);
  EXPECT_EQ(out.columns[kSma20].values.data(), before);
  ExpectMatchesReference(short_series, out, "reused");
}

}  // namespace
}  // namespace stocklake
