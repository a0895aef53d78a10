// Quarter features (ml.md "Features"): one ticker's rows of gold/ml_features, one per
// calendar quarter in which it traded, each computed only from rows dated on or before
// the quarter's as-of date (its last trading date), plus the forward-looking label.
//
// The kernel lives beside the indicators rather than in src/ml because the lake stage
// writes gold/ml_features with the other gold tables and the lake's schema takes the
// column names from here; src/ml reads the table to train and predict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "process/daily_series.h"
#include "process/indicators.h"
#include "process/period_bars.h"

namespace stocklake {

//! Position of each column of QuarterFeatures::columns: the spec's 17 features in the
//! spec's order, then `label`, then the extra features (AlphaFeatureCatalog()).
enum QuarterFeatureIndex : size_t {
  kRet1m = 0,
  kRet3m,
  kRet6m,
  kRet12m,
  kMom12_1,
  kVol3m,
  kVol12m,
  kRsi14Feature,
  kAtrRatio,
  kMacdHistRatio,
  kDistSma50,
  kDistSma200,
  kBbPosition,
  kDrawdown12m,
  kVolumeRatio1m12m,
  kUpDays3m,
  kQuarterReturn,
  kSpecFeatureCount,  // = 17
  kLabel = kSpecFeatureCount,
  kFirstExtraFeature,
};

//! The feature rows of one ticker, one per quarter with rows, ascending. Every column
//! has one value per row; NaN marks NULL (not defined), and writers emit it as NULL.
struct QuarterFeatures {
  std::vector<int32_t> quarter;              // QuarterKey (year * 10 + q)
  std::vector<Date> quarter_end;             // the calendar quarter's last day
  std::vector<Date> as_of_date;              // the ticker's last trading date in the quarter
  std::vector<size_t> as_of_row;             // its row in the DailySeries
  std::vector<std::vector<double>> columns;  // QuarterFeatureIndex order

  size_t size() const { return quarter.size(); }
};

//! Rows the spec's features at an as-of row read: the row and the 252 before it (vol_12m's
//! 252 log returns reach back to the close 252 rows earlier; ret_12m and mom_12_1 too).
inline constexpr size_t kQuarterFeatureSpan = 253;

//! The label of a quarter: its as-of close to the next calendar quarter's as-of close,
//! (next - close) / close. Defined only when the ticker traded in that next quarter.
double QuarterLabel(double as_of_close, double next_as_of_close);

//! The 17 feature names of the spec, in order (ret_1m ... quarter_return).
std::span<const std::string_view> SpecFeatureNames();

//! Every double column of gold/ml_features after as_of_date, in order: the spec's
//! features, `label`, then the extra features.
std::span<const std::string_view> QuarterFeatureColumnNames();

//! The names a model trains on: the spec's features then the extras (no label).
std::vector<std::string_view> ModelFeatureNames();

//! Computes the rows of one ticker. `series` is its accepted bars (ascending),
//! `indicators` and `quarters` were computed from that series (ComputeIndicators,
//! ComputePeriodBars with Period::kQuarter). Replaces the contents of `out`.
void ComputeQuarterFeatures(const DailySeries& series, const Indicators& indicators, const PeriodBars& quarters,
                            QuarterFeatures* out);

//! As above, but only the rows of quarters[first_quarter..] (a continuation's quarters,
//! TickerState). Rows before those quarters' as-of rows serve only as history: the rows
//! equal the full computation's when `series` holds at least kQuarterFeatureSpan - 1
//! rows before the first of those as-of rows (or the whole history), and `indicators` is right at those rows.
void ComputeQuarterFeatures(const DailySeries& series, const Indicators& indicators, const PeriodBars& quarters,
                            size_t first_quarter, QuarterFeatures* out);

}  // namespace stocklake
