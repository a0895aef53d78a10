// The ML application's tables: predictions ranked 1 = highest with ties by ticker, and a
// backtest's summary recomputed from its gold/backtest rows.
#include "ml/ml_tables.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ml_lake_util.h"

namespace stocklake {
namespace {

FeatureFrame FrameOf(const std::vector<std::string>& tickers, int32_t quarter) {
  FeatureFrame frame;
  for (size_t i = 0; i < tickers.size(); ++i) {
    frame.ticker.push_back(tickers[i]);
    frame.quarter.push_back(quarter);
    frame.as_of_date.push_back(DaysFromCivil(2017, 9, 29));
    frame.label.push_back(i == 1 ? std::numeric_limits<double>::quiet_NaN() : 0.01 * static_cast<double>(i));
    frame.baseline.push_back(0);
  }
  return frame;
}

TEST(MlTables, PredictionsRankHighestFirstAndBreakTiesByTicker) {
  const FeatureFrame frame = FrameOf({"AAA", "BBB", "CCC", "DDD"}, 20173);
  const Table t = PredictionsTable(frame, 0, 4, {0.5, 0.9, 0.5, -1.0}, "quarterly", 3);
  ASSERT_EQ(t.num_rows(), 4u);
  const Column* rank = t.Find("rank");
  EXPECT_EQ(rank->i32, (std::vector<int32_t>{2, 1, 3, 4})) << "AAA and CCC tie: AAA first";
  EXPECT_EQ(t.Find("quarter")->StringAt(0), "2017Q3");
  EXPECT_EQ(t.Find("model")->StringAt(3), "quarterly");
  EXPECT_EQ(t.Find("model_version")->i32[2], 3);
  EXPECT_TRUE(t.Find("label")->IsNull(1)) << "an unrealised label is NULL, not NaN";
  EXPECT_DOUBLE_EQ(t.Find("label")->f64[3], 0.03);
  EXPECT_EQ(PredictionsPartition(20173, "quarterly"), "quarter=2017Q3/model=quarterly");
}

// Mean and mean / sample std of the non-null values of `metric` for `predictor`.
std::pair<double, double> MeanAndRatio(const Table& t, const char* predictor, const char* metric) {
  std::vector<double> v;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    if (t.Find("predictor")->StringAt(r) == predictor && !t.Find(metric)->IsNull(r))
      v.push_back(t.Find(metric)->f64[r]);
  }
  double mean = 0;
  for (double x : v) mean += x / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return {mean, mean / std::sqrt(ss / static_cast<double>(v.size() - 1))};
}

TEST(MlTables, BacktestSummaryFollowsItsRows) {
  const Table rows = testing::MakeBacktest("bt-1", {"2016Q4", "2017Q1", "2017Q2", "2017Q3"}, 4);
  const auto summary = SummarizeBacktestRows(rows);
  ASSERT_EQ(summary.size(), 2u);
  for (const char* predictor : {"model", "baseline"}) {
    SCOPED_TRACE(predictor);
    const MetricsSummary& s = summary.at(predictor);
    EXPECT_EQ(s.quarters, 4);
    int64_t count = 0;
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      if (rows.Find("predictor")->StringAt(r) == predictor) count += rows.Find("count")->i64[r];
    }
    EXPECT_EQ(s.rows, count);
    const auto [ic, icir] = MeanAndRatio(rows, predictor, "ic");
    const auto [rank_ic, rank_icir] = MeanAndRatio(rows, predictor, "rank_ic");
    EXPECT_NEAR(s.mean_ic, ic, 1e-15);
    EXPECT_NEAR(s.ic_ir, icir, 1e-12);
    EXPECT_NEAR(s.mean_rank_ic, rank_ic, 1e-15);
    EXPECT_NEAR(s.rank_ic_ir, rank_icir, 1e-12);
    EXPECT_NEAR(s.mean_hit_rate, MeanAndRatio(rows, predictor, "hit_rate").first, 1e-15);
    EXPECT_NEAR(s.mean_spread, MeanAndRatio(rows, predictor, "top_bottom_spread").first, 1e-15);
    EXPECT_NEAR(s.mean_rmse, MeanAndRatio(rows, predictor, "rmse").first, 1e-15);
  }
}

}  // namespace
}  // namespace stocklake
