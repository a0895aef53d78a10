// How well predictions of one quarter did against the realised labels, and the summary
// over the quarters of a backtest: the metrics of ml.md "Walk-forward training and
// evaluation", computed exactly as written there. Also the rank helpers the metrics and
// the label transform share.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace stocklake {

//! The metrics of one quarter's predictions; NaN where undefined.
struct PredictionMetrics {
  static constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  double ic = kUndefined;                 //!< Pearson; NaN when count < 2 or either side is constant
  double rank_ic = kUndefined;            //!< Spearman (Pearson of average ranks); NaN as for ic
  double hit_rate = kUndefined;           //!< sign(prediction) == sign(label) over rows with label != 0; NaN if none
  double top_bottom_spread = kUndefined;  //!< mean label of decile 9 minus decile 0; NaN if either is empty
  double rmse = kUndefined;               //!< NaN when count is 0
  int64_t count = 0;                      //!< rows with both a prediction and a label
};

//! Scores `prediction` against `label` (same length; rows where either is NaN are left
//! out). Rows are given in a stable order (by ticker): ties in the decile ranking are
//! broken by that order (ordinal ranks 1..count ascending by prediction, stable), so the
//! same rows always give the same deciles (floor(10 * (rank - 1) / count)).
PredictionMetrics ScorePredictions(std::span<const double> prediction, std::span<const double> label);

//! 1-based ranks of `values` (none NaN), ascending; tied values share their mean rank.
std::vector<double> AverageRanks(std::span<const double> values);

//! The label transform "cs_rank" (like Qlib's CSRankNorm) within one cross-section:
//! ((average rank - 1) / (n - 1) - 0.5) * 3.46, so roughly uniform with unit variance.
//! n counts the non-NaN values; NaN stays NaN; a single value gives 0.
std::vector<double> CrossSectionalRankNorm(std::span<const double> values);

//! The summary of a backtest over its quarters. Means skip NaN quarters (NaN when every
//! quarter is NaN); an ICIR is the mean over the sample standard deviation of the defined
//! quarters (NaN with fewer than 2 of them, or when they are all equal).
struct MetricsSummary {
  static constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
  int quarters = 0;  //!< quarters summarised, defined or not
  int64_t rows = 0;  //!< scored rows over every quarter (sum of count)
  double mean_ic = kUndefined;
  double ic_ir = kUndefined;
  double mean_rank_ic = kUndefined;
  double rank_ic_ir = kUndefined;
  double mean_hit_rate = kUndefined;
  double mean_spread = kUndefined;
  double mean_rmse = kUndefined;
};

MetricsSummary Summarize(std::span<const PredictionMetrics> per_quarter);

//! {"ic", "rank_ic", "hit_rate", "top_bottom_spread", "rmse", "count"}; NaN -> null.
nlohmann::json ToJson(const PredictionMetrics& metrics);
//! {"quarters", "rows", "mean_ic", "icir", "mean_rank_ic", "rank_icir", "mean_hit_rate",
//! "mean_top_bottom_spread", "mean_rmse"}; NaN -> null. (The API serves this object.)
nlohmann::json ToJson(const MetricsSummary& summary);

}  // namespace stocklake
