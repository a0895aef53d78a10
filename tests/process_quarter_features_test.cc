// Quarter features (ml.md "Features"): every spec feature and the label compared with a
// naive reference written here in long double straight from the formulas, with its own
// indicator arithmetic (reference-job.md), quarters and quarter ends, so nothing is
// shared with the kernel but the input. Fixtures: random walks, a ticker missing a whole
// quarter, histories ending exactly at each window's boundary, flat prices and zero
// volumes; plus the no-look-ahead property on truncated series.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "process/quarter_features.h"

namespace stocklake {
namespace {

using LD = long double;
constexpr LD kNullLD = std::numeric_limits<LD>::quiet_NaN();

// The calendar quarter of a date, as year * 10 + q, from the civil date.
int32_t QuarterOf(Date d) {
  const CivilDate c = CivilFromDays(d);
  return c.year * 10 + static_cast<int32_t>((c.month - 1) / 3 + 1);
}

Date LastDayOf(int32_t quarter) {
  const int32_t year = quarter / 10;
  const uint32_t q = static_cast<uint32_t>(quarter % 10);
  const uint32_t last_day[] = {31, 30, 30, 31};
  return DaysFromCivil(year, 3 * q, last_day[q - 1]);
}

int32_t FollowingQuarter(int32_t quarter) { return quarter % 10 == 4 ? (quarter / 10 + 1) * 10 + 1 : quarter + 1; }

struct RefRow {
  int32_t quarter;
  Date quarter_end, as_of_date;
  size_t as_of_row;
  LD values[kSpecFeatureCount + 1];  // the spec's features then the label; NaN = NULL
};

// Every spec feature and the label of one ticker, from the formulas.
std::vector<RefRow> ReferenceFeatures(const DailySeries& s) {
  const size_t rows = s.size();
  std::vector<LD> c(rows), h(rows), l(rows), v(rows), r(rows, 0);
  for (size_t i = 0; i < rows; ++i) {
    c[i] = s.close[i];
    h[i] = s.high[i];
    l[i] = s.low[i];
    v[i] = static_cast<LD>(s.volume[i]);
    if (i > 0) r[i] = std::log1p((c[i] - c[i - 1]) / c[i - 1]);  // the difference is exact in long double
  }
  auto mean = [](const std::vector<LD>& x, size_t first, size_t last) {
    LD sum = 0;
    for (size_t i = first; i <= last; ++i) sum += x[i];
    return sum / static_cast<LD>(last - first + 1);
  };
  auto squares_about_mean = [&](const std::vector<LD>& x, size_t first, size_t last) {
    const LD m = mean(x, first, last);
    LD sq = 0;
    for (size_t i = first; i <= last; ++i) sq += (x[i] - m) * (x[i] - m);
    return sq;
  };
  // Wilder's rsi_14 and atr_14, and the ema-based macd_hist, at every row.
  std::vector<LD> rsi(rows, kNullLD), atr(rows, kNullLD), hist(rows, kNullLD);
  LD avg_gain = 0, avg_loss = 0, avg_range = 0;
  for (size_t i = 1; i < rows; ++i) {
    const LD gain = std::max(c[i] - c[i - 1], LD(0)), loss = std::max(c[i - 1] - c[i], LD(0));
    const LD range = std::max({h[i] - l[i], std::fabs(h[i] - c[i - 1]), std::fabs(l[i] - c[i - 1])});
    if (i <= 14) {
      avg_gain += gain / 14;
      avg_loss += loss / 14;
      avg_range += range / 14;
    } else {
      avg_gain = (avg_gain * 13 + gain) / 14;
      avg_loss = (avg_loss * 13 + loss) / 14;
      avg_range = (avg_range * 13 + range) / 14;
    }
    if (i < 14) continue;
    if (avg_loss == 0) {
      rsi[i] = avg_gain > 0 ? 100 : 50;
    } else {
      rsi[i] = 100 - 100 / (1 + avg_gain / avg_loss);
    }
    atr[i] = avg_range;
  }
  std::vector<LD> ema12(rows), ema26(rows), macd(rows), signal(rows);
  auto ema = [&](const std::vector<LD>& x, size_t first, size_t period, std::vector<LD>& e) {
    const size_t seed = first + period - 1;
    if (rows <= seed) return;
    e[seed] = mean(x, first, seed);
    for (size_t i = seed + 1; i < rows; ++i) e[i] = e[i - 1] + 2.0L / (period + 1) * (x[i] - e[i - 1]);
  };
  ema(c, 0, 12, ema12);
  ema(c, 0, 26, ema26);
  for (size_t i = 25; i < rows; ++i) macd[i] = ema12[i] - ema26[i];
  ema(macd, 25, 9, signal);
  for (size_t i = 33; i < rows; ++i) hist[i] = macd[i] - signal[i];

  std::vector<RefRow> out;
  for (size_t i = 0; i < rows; ++i) {
    if (i + 1 < rows && QuarterOf(s.date[i + 1]) == QuarterOf(s.date[i])) continue;  // not the quarter's last row
    RefRow row;
    row.quarter = QuarterOf(s.date[i]);
    row.quarter_end = LastDayOf(row.quarter);
    row.as_of_date = s.date[i];
    row.as_of_row = i;
    out.push_back(row);
  }
  for (size_t q = 0; q < out.size(); ++q) {
    const size_t n = out[q].as_of_row;
    LD* f = out[q].values;
    std::fill_n(f, kSpecFeatureCount + 1, kNullLD);
    const size_t lookback[] = {21, 63, 126, 252};
    for (int k = 0; k < 4; ++k) {
      if (n >= lookback[k]) f[kRet1m + k] = c[n] / c[n - lookback[k]] - 1;
    }
    if (n >= 252) f[kMom12_1] = c[n - 21] / c[n - 252] - 1;
    if (n >= 63) f[kVol3m] = std::sqrt(squares_about_mean(r, n - 62, n) / 62) * std::sqrt(252.0L);
    if (n >= 252) f[kVol12m] = std::sqrt(squares_about_mean(r, n - 251, n) / 251) * std::sqrt(252.0L);
    f[kRsi14Feature] = rsi[n];
    f[kAtrRatio] = atr[n] / c[n];
    f[kMacdHistRatio] = hist[n] / c[n];
    if (n >= 49) f[kDistSma50] = c[n] / mean(c, n - 49, n) - 1;
    if (n >= 199) f[kDistSma200] = c[n] / mean(c, n - 199, n) - 1;
    if (n >= 19) {
      const LD middle = mean(c, n - 19, n);
      const LD sd = std::sqrt(squares_about_mean(c, n - 19, n) / 20);
      if (sd > 0) f[kBbPosition] = (c[n] - (middle - 2 * sd)) / (4 * sd);
    }
    if (n >= 251) {
      f[kDrawdown12m] = c[n] / *std::max_element(c.begin() + (n - 251), c.begin() + (n + 1)) - 1;
      const LD long_mean = mean(v, n - 251, n);
      if (long_mean > 0) f[kVolumeRatio1m12m] = mean(v, n - 20, n) / long_mean - 1;
    }
    if (n >= 63) {
      int up = 0;
      for (size_t i = n - 62; i <= n; ++i) up += c[i] > c[i - 1];
      f[kUpDays3m] = up / 63.0L;
    }
    if (q > 0) f[kQuarterReturn] = c[n] / c[out[q - 1].as_of_row] - 1;
    if (q + 1 < out.size() && out[q + 1].quarter == FollowingQuarter(out[q].quarter)) {
      f[kLabel] = c[out[q + 1].as_of_row] / c[n] - 1;
    }
  }
  return out;
}

QuarterFeatures Compute(const DailySeries& s) {
  Indicators ind;
  ComputeIndicators(s, &ind);
  PeriodBars quarters;
  ComputePeriodBars(s, Period::kQuarter, &quarters);
  QuarterFeatures out;
  ComputeQuarterFeatures(s, ind, quarters, &out);
  return out;
}

// Checks the kernel's spec columns and label against the reference: NULL exactly where
// the reference is, values within 1e-9 relative. macd_hist_ratio is compared relative
// to 1 (the close), as reference-job.md states macd's accuracy relative to the close.
void ExpectMatchesReference(const DailySeries& s, const QuarterFeatures& got, const std::string& label) {
  const std::vector<RefRow> want = ReferenceFeatures(s);
  ASSERT_EQ(got.size(), want.size()) << label;
  ASSERT_EQ(got.columns.size(), QuarterFeatureColumnNames().size()) << label;
  for (size_t q = 0; q < want.size(); ++q) {
    const std::string where = label + " quarter " + FormatQuarter(want[q].quarter);
    ASSERT_EQ(got.quarter[q], want[q].quarter) << where;
    ASSERT_EQ(got.quarter_end[q], want[q].quarter_end) << where;
    ASSERT_EQ(got.as_of_date[q], want[q].as_of_date) << where;
    ASSERT_EQ(got.as_of_row[q], want[q].as_of_row) << where;
    for (size_t k = 0; k <= kLabel; ++k) {
      const std::string what = where + " " + std::string(QuarterFeatureColumnNames()[k]);
      ASSERT_EQ(got.columns[k].size(), want.size()) << what;
      const double v = got.columns[k][q];
      const LD w = want[q].values[k];
      ASSERT_EQ(std::isnan(v), std::isnan(w)) << what << " got " << v << " want " << static_cast<double>(w);
      if (std::isnan(w)) continue;
      ASSERT_TRUE(std::isfinite(v)) << what;
      LD scale = std::fabs(w);
      if (k == kMacdHistRatio) scale = std::max(scale, LD(1));
      const LD error = std::fabs(static_cast<LD>(v) - w);
      if (scale == 0) {
        ASSERT_EQ(v, 0.0) << what;
        continue;
      }
      ASSERT_LE(static_cast<double>(error / scale), 1e-9) << what << " got " << v << " want " << static_cast<double>(w);
    }
  }
}

// Trading days: weekdays from `first` on, skipping the calendar quarters in `skip`.
std::vector<Date> TradingDays(size_t count, Date first, const std::set<int32_t>& skip = {}) {
  std::vector<Date> days;
  for (Date d = first; days.size() < count; ++d) {
    if (WeekdayMondayZero(d) < 5 && !skip.count(QuarterOf(d))) days.push_back(d);
  }
  return days;
}

// Bars around a close path: high and low a little outside, open in between.
DailySeries SeriesFromCloses(const std::vector<double>& closes, const std::vector<Date>& days, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> spread(0.0, 0.02);
  std::uniform_int_distribution<int64_t> volume(1, 5'000'000);
  DailySeries s;
  for (size_t i = 0; i < closes.size(); ++i) {
    const double c = closes[i];
    const double o = c * (1 + spread(rng) - 0.01);
    const double h = std::max(o, c) * (1 + spread(rng));
    const double l = std::min(o, c) * (1 - spread(rng));
    s.Append(days[i], o, h, l, c, c, volume(rng));
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

const Date kStart = DaysFromCivil(2001, 1, 2);

DailySeries RandomSeries(size_t rows, uint64_t seed, const std::set<int32_t>& skip = {}) {
  return SeriesFromCloses(RandomWalk(rows, seed, seed % 2 ? 41.5 : 0.0731, 0.02), TradingDays(rows, kStart, skip),
                          seed);
}

TEST(QuarterFeaturesTest, ColumnNamesStartWithTheSpecsAndLabel) {
  const std::vector<std::string> spec = {
      "ret_1m",      "ret_3m",        "ret_6m",      "ret_12m",      "mom_12_1",
      "vol_3m",      "vol_12m",       "rsi_14",      "atr_ratio",    "macd_hist_ratio",
      "dist_sma_50", "dist_sma_200",  "bb_position", "drawdown_12m", "volume_ratio_1m_12m",
      "up_days_3m",  "quarter_return"};
  ASSERT_EQ(SpecFeatureNames().size(), spec.size());
  for (size_t i = 0; i < spec.size(); ++i) {
    EXPECT_EQ(SpecFeatureNames()[i], spec[i]);
    EXPECT_EQ(QuarterFeatureColumnNames()[i], spec[i]);
  }
  EXPECT_EQ(QuarterFeatureColumnNames()[kLabel], "label");
  const std::vector<std::string_view> model = ModelFeatureNames();
  EXPECT_EQ(model.size() + 1, QuarterFeatureColumnNames().size());
  EXPECT_EQ(std::count(model.begin(), model.end(), "label"), 0);
}

TEST(QuarterFeaturesTest, RandomWalksMatchReference) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const DailySeries s = RandomSeries(1400 + 37 * seed, seed);
    const QuarterFeatures got = Compute(s);
    ASSERT_GE(got.size(), 20u);
    ExpectMatchesReference(s, got, "walk" + std::to_string(seed));
  }
}

// Prices jumping between about 1e6 and 0.01 (and single-day spikes of 1e8): closes far
// from the as-of close, so the windows' deviations from it are rounded, not exact.
TEST(QuarterFeaturesTest, JumpsOfEightOrdersOfMagnitude) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> c;
  double level = 1e6;
  for (int i = 0; i < 2000; ++i) {
    if (u(rng) < 0.01) level = level > 1 ? 0.01 : 1e6;
    level *= std::exp((u(rng) - 0.5) * 0.04);
    c.push_back(level);
  }
  c[1000] *= 1e8;
  c[1500] *= 1e-8;
  const DailySeries s = SeriesFromCloses(c, TradingDays(c.size(), kStart), 7);
  ExpectMatchesReference(s, Compute(s), "jumps");
}

// A ticker that skips 2003Q2 entirely: 2003Q1 has no label (its next calendar quarter has
// no rows), 2003Q3's return is against 2003Q1, and the quarters around it keep theirs.
TEST(QuarterFeaturesTest, MissingQuarterLeavesThePreviousLabelNull) {
  const DailySeries s = RandomSeries(1100, 21, {20032});
  const QuarterFeatures got = Compute(s);
  ExpectMatchesReference(s, got, "gap");
  const auto at = [&](int32_t quarter) {
    const auto it = std::find(got.quarter.begin(), got.quarter.end(), quarter);
    EXPECT_NE(it, got.quarter.end()) << quarter;
    return static_cast<size_t>(it - got.quarter.begin());
  };
  EXPECT_EQ(std::count(got.quarter.begin(), got.quarter.end(), 20032), 0);
  const size_t before = at(20031), after = at(20033);
  EXPECT_EQ(after, before + 1);
  EXPECT_TRUE(std::isnan(got.columns[kLabel][before]));
  EXPECT_FALSE(std::isnan(got.columns[kLabel][before - 1]));
  EXPECT_FALSE(std::isnan(got.columns[kLabel][after]));
  const double c_before = s.close[got.as_of_row[before]], c_after = s.close[got.as_of_row[after]];
  EXPECT_NEAR(got.columns[kQuarterReturn][after], c_after / c_before - 1, 1e-12);
  // The newest quarter has no label either.
  EXPECT_TRUE(std::isnan(got.columns[kLabel][got.size() - 1]));
}

// Each feature is NULL at as-of row n = k-1 and defined at n = k, k its first row.
TEST(QuarterFeaturesTest, ShortHistoriesAtEveryBoundary) {
  const size_t first_defined[kSpecFeatureCount] = {21, 63, 126, 252, 252, 63,  252, 14, 14,
                                                   33, 49, 199, 19,  251, 251, 63,  0};
  for (size_t k : {14, 19, 21, 33, 49, 63, 126, 199, 251, 252}) {
    for (size_t n : {k - 1, k}) {
      const DailySeries s = RandomSeries(n + 1, 1000 + n);
      const QuarterFeatures got = Compute(s);
      const std::string label = "n=" + std::to_string(n);
      ExpectMatchesReference(s, got, label);
      const size_t last = got.size() - 1;
      ASSERT_EQ(got.as_of_row[last], n) << label;
      for (size_t f = 0; f < kQuarterReturn; ++f) {
        EXPECT_EQ(std::isnan(got.columns[f][last]), n < first_defined[f]) << label << " " << SpecFeatureNames()[f];
      }
    }
  }
  // A single row: only the quarter itself, every feature NULL.
  const DailySeries one = RandomSeries(1, 5);
  const QuarterFeatures got = Compute(one);
  ASSERT_EQ(got.size(), 1u);
  for (size_t f = 0; f <= kLabel; ++f) EXPECT_TRUE(std::isnan(got.columns[f][0])) << SpecFeatureNames()[f];
}

TEST(QuarterFeaturesTest, FlatPrices) {
  const std::vector<Date> days = TradingDays(700, kStart);
  DailySeries s;
  for (Date d : days) s.Append(d, 20.1, 20.3, 19.9, 20.1, 20.1, 1000);
  const QuarterFeatures got = Compute(s);
  ExpectMatchesReference(s, got, "flat");
  for (size_t q = 0; q < got.size(); ++q) {
    const size_t n = got.as_of_row[q];
    EXPECT_TRUE(std::isnan(got.columns[kBbPosition][q])) << q;
    if (n >= 63) {
      EXPECT_EQ(got.columns[kVol3m][q], 0.0) << q;
      EXPECT_EQ(got.columns[kUpDays3m][q], 0.0) << q;
      EXPECT_EQ(got.columns[kRet3m][q], 0.0) << q;
    }
    if (n >= 252) {
      EXPECT_EQ(got.columns[kVol12m][q], 0.0) << q;
    }
    if (n >= 251) {
      EXPECT_EQ(got.columns[kDrawdown12m][q], 0.0) << q;
      EXPECT_EQ(got.columns[kVolumeRatio1m12m][q], 0.0) << q;
    }
    if (n >= 14) {
      EXPECT_EQ(got.columns[kRsi14Feature][q], 50.0) << q;
    }
    if (q > 0) {
      EXPECT_EQ(got.columns[kQuarterReturn][q], 0.0) << q;
    }
    if (n >= 199) {
      EXPECT_EQ(got.columns[kDistSma200][q], 0.0) << q;
    }
  }
}

// Zero volumes never reach the lake (they are rejected) but the kernel must not divide
// by them: a year of zeros has no volume ratio; zeros only in the last month give -1.
TEST(QuarterFeaturesTest, ZeroVolumes) {
  DailySeries s = RandomSeries(800, 31);
  for (size_t i = 0; i < 400; ++i) s.volume[i] = 0;
  for (size_t i = 700; i < 800; ++i) s.volume[i] = 0;
  const QuarterFeatures got = Compute(s);
  ExpectMatchesReference(s, got, "zero volume");
  bool saw_null = false, saw_minus_one = false;
  for (size_t q = 0; q < got.size(); ++q) {
    const size_t n = got.as_of_row[q];
    if (n < 251) continue;
    const double ratio = got.columns[kVolumeRatio1m12m][q];
    if (n < 400) {
      EXPECT_TRUE(std::isnan(ratio)) << n;
      saw_null = true;
    } else if (n >= 720) {
      EXPECT_EQ(ratio, -1.0) << n;
      saw_minus_one = true;
    }
  }
  EXPECT_TRUE(saw_null);
  EXPECT_TRUE(saw_minus_one);
}

// Prices that barely move (steps of 2^-30 around 7): the band width and the distances to
// the averages are tiny next to the close, so they must not come from a subtraction of
// two rounded prices.
TEST(QuarterFeaturesTest, NearlyFlatPricesKeepTheirPrecision) {
  const std::vector<Date> days = TradingDays(600, kStart);
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> step(-3, 3);
  DailySeries s;
  int level = 0;
  for (Date d : days) {
    level += step(rng);
    const double c = 7.0 + level * 0x1p-30;
    s.Append(d, c, c + 0x1p-28, c - 0x1p-28, c, c, 500 + step(rng));
  }
  ExpectMatchesReference(s, Compute(s), "nearly flat");
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Removing every row after a quarter's as-of date changes no feature of that quarter or
// of an earlier one, to the bit; only the truncated quarter's label becomes NULL.
TEST(QuarterFeaturesTest, NoLookAhead) {
  for (uint64_t seed : {41, 42}) {
    const DailySeries full = RandomSeries(1500, seed, seed == 42 ? std::set<int32_t>{20044} : std::set<int32_t>{});
    const QuarterFeatures all = Compute(full);
    ASSERT_GT(all.size(), 20u);
    for (size_t q = 0; q < all.size(); ++q) {
      DailySeries cut = full;
      const size_t rows = all.as_of_row[q] + 1;
      for (auto* column : {&cut.open, &cut.high, &cut.low, &cut.close, &cut.adj_close}) column->resize(rows);
      cut.date.resize(rows);
      cut.volume.resize(rows);
      const QuarterFeatures part = Compute(cut);
      ASSERT_EQ(part.size(), q + 1);
      ASSERT_EQ(part.columns.size(), all.columns.size());
      for (size_t p = 0; p <= q; ++p) {
        ASSERT_EQ(part.quarter[p], all.quarter[p]);
        ASSERT_EQ(part.as_of_date[p], all.as_of_date[p]);
        for (size_t k = 0; k < all.columns.size(); ++k) {
          if (k == kLabel) continue;
          ASSERT_TRUE(SameBits(part.columns[k][p], all.columns[k][p]))
              << "seed " << seed << " cut after quarter " << q << ", quarter " << p << " "
              << QuarterFeatureColumnNames()[k] << ": " << part.columns[k][p] << " vs " << all.columns[k][p];
        }
        if (p < q) {
          ASSERT_TRUE(SameBits(part.columns[kLabel][p], all.columns[kLabel][p])) << q << " " << p;
        }
      }
      EXPECT_TRUE(std::isnan(part.columns[kLabel][q]));
    }
  }
}

}  // namespace
}  // namespace stocklake
