// Prediction metrics against a naive recomputation (long double, ranks by explicit
// counting loops) on random inputs with ties and NaNs, plus small hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ml/metrics.h"

namespace stocklake {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- The naive recomputation: the spec's words, one loop each. ----

using LD = long double;

LD NaivePearson(const std::vector<LD>& x, const std::vector<LD>& y) {
  const size_t n = x.size();
  if (n < 2) return kNaN;
  LD mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= n, my /= n;
  LD sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

// Average rank: 1 + (values below) + (other values equal) / 2.
std::vector<LD> NaiveRanks(const std::vector<LD>& v) {
  std::vector<LD> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    size_t below = 0, equal = 0;
    for (size_t j = 0; j < v.size(); ++j) {
      below += v[j] < v[i];
      equal += j != i && v[j] == v[i];
    }
    r[i] = 1 + below + static_cast<LD>(equal) / 2;
  }
  return r;
}

PredictionMetrics Naive(const std::vector<double>& prediction, const std::vector<double>& label) {
  std::vector<LD> p, y;
  for (size_t i = 0; i < prediction.size(); ++i) {
    if (std::isnan(prediction[i]) || std::isnan(label[i])) continue;
    p.push_back(prediction[i]);
    y.push_back(label[i]);
  }
  const size_t n = p.size();
  PredictionMetrics m;
  m.count = n;
  if (n == 0) return m;
  m.ic = NaivePearson(p, y);
  m.rank_ic = NaivePearson(NaiveRanks(p), NaiveRanks(y));
  LD hits = 0, signed_rows = 0, se = 0;
  for (size_t i = 0; i < n; ++i) {
    se += (p[i] - y[i]) * (p[i] - y[i]);
    if (y[i] == 0) continue;
    signed_rows += 1;
    hits += (p[i] > 0 && y[i] > 0) || (p[i] < 0 && y[i] < 0);
  }
  m.rmse = std::sqrt(se / n);
  m.hit_rate = signed_rows > 0 ? static_cast<double>(hits / signed_rows) : kNaN;
  // Ordinal rank: 1 + (predictions below) + (equal predictions earlier in the input).
  LD top = 0, bottom = 0, top_n = 0, bottom_n = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t rank = 1;
    for (size_t j = 0; j < n; ++j) rank += p[j] < p[i] || (j < i && p[j] == p[i]);
    const size_t decile = static_cast<size_t>(std::floor(10.0L * (rank - 1) / n));
    if (decile == 9) top += y[i], top_n += 1;
    if (decile == 0) bottom += y[i], bottom_n += 1;
  }
  m.top_bottom_spread = top_n > 0 && bottom_n > 0 ? static_cast<double>(top / top_n - bottom / bottom_n) : kNaN;
  return m;
}

void ExpectSame(double expected, double actual, const char* what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": " << actual << ", expected NaN";
  } else {
    EXPECT_NEAR(actual, expected, 1e-12 * std::max(1.0, std::fabs(expected))) << what;
  }
}

void ExpectSame(const PredictionMetrics& expected, const PredictionMetrics& actual) {
  ExpectSame(expected.ic, actual.ic, "ic");
  ExpectSame(expected.rank_ic, actual.rank_ic, "rank_ic");
  ExpectSame(expected.hit_rate, actual.hit_rate, "hit_rate");
  ExpectSame(expected.top_bottom_spread, actual.top_bottom_spread, "top_bottom_spread");
  ExpectSame(expected.rmse, actual.rmse, "rmse");
  EXPECT_EQ(expected.count, actual.count);
}

TEST(ScorePredictions, AgreesWithTheNaiveRecomputation) {
  std::mt19937 rng(42);
  std::normal_distribution<double> gauss(0, 1);
  std::uniform_real_distribution<double> unit(0, 1);
  int cases = 0;
  for (size_t n : {0, 1, 2, 3, 5, 9, 10, 11, 19, 20, 21, 37, 100, 101, 999}) {
    for (int variant = 0; variant < 4; ++variant) {
      std::vector<double> p(n), y(n);
      for (size_t i = 0; i < n; ++i) {
        p[i] = gauss(rng);
        y[i] = 0.3 * p[i] + gauss(rng);
        // Variants: plain; coarse values (many ties, label 0 rows); NaNs; a constant label.
        if (variant == 1) p[i] = std::round(p[i] * 2) / 2, y[i] = std::round(y[i]);
        if (variant == 2 && unit(rng) < 0.2) (unit(rng) < 0.5 ? p[i] : y[i]) = kNaN;
        if (variant == 3) y[i] = 0.25;
      }
      SCOPED_TRACE("n " + std::to_string(n) + " variant " + std::to_string(variant));
      ExpectSame(Naive(p, y), ScorePredictions(p, y));
      ++cases;
    }
  }
  EXPECT_EQ(cases, 60);
}

TEST(ScorePredictions, PerfectSmallCase) {
  const std::vector<double> p = {1, 2, 3}, y = {0.1, 0.2, 0.3};
  const PredictionMetrics m = ScorePredictions(p, y);
  EXPECT_DOUBLE_EQ(m.ic, 1.0);
  EXPECT_DOUBLE_EQ(m.rank_ic, 1.0);
  EXPECT_DOUBLE_EQ(m.hit_rate, 1.0);
  EXPECT_TRUE(std::isnan(m.top_bottom_spread)) << "fewer than 10 rows: decile 9 is empty";
  EXPECT_NEAR(m.rmse, std::sqrt((0.81 + 3.24 + 7.29) / 3), 1e-12);
  EXPECT_EQ(m.count, 3);
}

TEST(ScorePredictions, TiesShareTheirMeanRankForRankIc) {
  // Ranks of p: {1.5, 1.5, 3, 4}; of y: {1, 2, 3, 4}. Pearson of the ranks by hand:
  // deviations {-1, -1, 0.5, 1.5} and {-1.5, -0.5, 0.5, 1.5}: 4.5 / sqrt(4.5 * 5).
  const std::vector<double> p = {7, 7, 8, 9}, y = {1, 2, 3, 4};
  EXPECT_NEAR(ScorePredictions(p, y).rank_ic, 4.5 / std::sqrt(4.5 * 5), 1e-15);
}

TEST(ScorePredictions, HitRateLeavesOutZeroLabels) {
  // Label-0 row left out; a 0 prediction against a positive label is a miss.
  const std::vector<double> p = {1, -1, 0, 2}, y = {1, 1, 1, 0};
  EXPECT_DOUBLE_EQ(ScorePredictions(p, y).hit_rate, 1.0 / 3);
  const std::vector<double> zero = {0, 0};
  EXPECT_TRUE(std::isnan(ScorePredictions(zero, zero).hit_rate));
}

TEST(ScorePredictions, AllEqualPredictionsHaveNoIcAndDecilesByInputOrder) {
  std::vector<double> p(10, 0.5), y(10);
  for (int i = 0; i < 10; ++i) y[i] = i;
  const PredictionMetrics m = ScorePredictions(p, y);
  EXPECT_TRUE(std::isnan(m.ic));
  EXPECT_TRUE(std::isnan(m.rank_ic));
  // Stable ordinal ranks: the first row is the bottom decile, the last the top.
  EXPECT_DOUBLE_EQ(m.top_bottom_spread, 9.0);
  // 0.1 repeated: its mean is not exactly 0.1, yet the side is still constant.
  std::vector<double> tenths(7, 0.1), labels = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_TRUE(std::isnan(ScorePredictions(tenths, labels).ic));
}

TEST(ScorePredictions, DecilesOfElevenRows) {
  // floor(10 (rank - 1) / 11): ranks 1 and 2 are decile 0, only rank 11 is decile 9.
  std::vector<double> p(11), y(11);
  for (int i = 0; i < 11; ++i) p[i] = 10 - i, y[i] = i * i;  // p descending: rank of row i = 11 - i
  // Bottom: rows 10 and 9 (labels 100, 81); top: row 0 (label 0).
  EXPECT_DOUBLE_EQ(ScorePredictions(p, y).top_bottom_spread, 0 - (100.0 + 81.0) / 2);
}

TEST(ScorePredictions, RowsWithANaNAreLeftOut) {
  const std::vector<double> p = {1, kNaN, 2, 3}, y = {2, 5, kNaN, 4};
  const PredictionMetrics m = ScorePredictions(p, y);
  EXPECT_EQ(m.count, 2);
  EXPECT_DOUBLE_EQ(m.rmse, 1.0);
  EXPECT_DOUBLE_EQ(m.ic, 1.0);
  const PredictionMetrics none = ScorePredictions(std::vector<double>{kNaN}, std::vector<double>{1});
  EXPECT_EQ(none.count, 0);
  EXPECT_TRUE(std::isnan(none.rmse));
  EXPECT_TRUE(std::isnan(none.ic));
}

TEST(AverageRanks, TiesShareTheMean) {
  EXPECT_EQ(AverageRanks(std::vector<double>{3, 1, 3, 2}), (std::vector<double>{3.5, 1, 3.5, 2}));
  EXPECT_EQ(AverageRanks(std::vector<double>{5, 5, 5}), (std::vector<double>{2, 2, 2}));
  EXPECT_TRUE(AverageRanks(std::vector<double>{}).empty());
}

TEST(CrossSectionalRankNorm, ScalesRanksAndKeepsNaN) {
  const std::vector<double> out = CrossSectionalRankNorm(std::vector<double>{10, kNaN, 30, 20});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_DOUBLE_EQ(out[0], -1.73);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_DOUBLE_EQ(out[2], 1.73);
  EXPECT_DOUBLE_EQ(out[3], 0.0);
}

TEST(CrossSectionalRankNorm, SingleAndTiedValues) {
  const std::vector<double> single = CrossSectionalRankNorm(std::vector<double>{kNaN, 4});
  EXPECT_TRUE(std::isnan(single[0]));
  EXPECT_EQ(single[1], 0.0);
  EXPECT_EQ(CrossSectionalRankNorm(std::vector<double>{1, 1}), (std::vector<double>{0, 0}));
  for (double v : CrossSectionalRankNorm(std::vector<double>{kNaN, kNaN})) EXPECT_TRUE(std::isnan(v));
}

PredictionMetrics WithIc(double ic, double rank_ic, double hit, double spread) {
  PredictionMetrics m;
  m.ic = ic, m.rank_ic = rank_ic, m.hit_rate = hit, m.top_bottom_spread = spread, m.count = 10;
  return m;
}

TEST(Summarize, MeansSkipNaNAndIcirUsesTheSampleStd) {
  const std::vector<PredictionMetrics> quarters = {WithIc(0.1, 0.2, 0.5, 0.01), WithIc(0.3, kNaN, 0.7, kNaN),
                                                   WithIc(kNaN, 0.4, kNaN, 0.03)};
  const MetricsSummary s = Summarize(quarters);
  EXPECT_EQ(s.quarters, 3);
  EXPECT_NEAR(s.mean_ic, 0.2, 1e-15);
  EXPECT_NEAR(s.ic_ir, 0.2 / std::sqrt(0.02), 1e-12);  // deviations +-0.1, N - 1 = 1
  EXPECT_NEAR(s.mean_rank_ic, 0.3, 1e-15);
  EXPECT_NEAR(s.rank_ic_ir, 0.3 / std::sqrt(0.02), 1e-12);
  EXPECT_NEAR(s.mean_hit_rate, 0.6, 1e-15);
  EXPECT_NEAR(s.mean_spread, 0.02, 1e-15);
}

TEST(Summarize, IcirNeedsTwoDefinedDifferentQuarters) {
  const std::vector<PredictionMetrics> one = {WithIc(0.1, kNaN, 0.5, 0.01), WithIc(kNaN, kNaN, kNaN, kNaN)};
  const MetricsSummary s = Summarize(one);
  EXPECT_DOUBLE_EQ(s.mean_ic, 0.1);
  EXPECT_TRUE(std::isnan(s.ic_ir));
  EXPECT_TRUE(std::isnan(s.mean_rank_ic));
  EXPECT_TRUE(std::isnan(s.rank_ic_ir));
  const std::vector<PredictionMetrics> equal = {WithIc(0.1, 0.1, 0.5, 0), WithIc(0.1, 0.1, 0.5, 0)};
  EXPECT_TRUE(std::isnan(Summarize(equal).ic_ir));
  EXPECT_EQ(Summarize(std::span<const PredictionMetrics>{}).quarters, 0);
}

TEST(MetricsJson, NaNBecomesNull) {
  const nlohmann::json j = ToJson(WithIc(0.5, kNaN, 0.25, kNaN));
  EXPECT_EQ(j["ic"], 0.5);
  EXPECT_TRUE(j["rank_ic"].is_null());
  EXPECT_TRUE(j["top_bottom_spread"].is_null());
  EXPECT_TRUE(j["rmse"].is_null());
  EXPECT_EQ(j["count"], 10);
  const nlohmann::json s = ToJson(Summarize(std::vector<PredictionMetrics>{WithIc(0.5, kNaN, 0.25, kNaN)}));
  EXPECT_EQ(s["quarters"], 1);
  EXPECT_EQ(s["mean_ic"], 0.5);
  EXPECT_TRUE(s["icir"].is_null());
  EXPECT_TRUE(s["mean_top_bottom_spread"].is_null());
  EXPECT_NO_THROW((void)s.dump());
}

}  // namespace
}  // namespace stocklake
