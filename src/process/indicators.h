// Daily indicators (reference-job.md "Daily indicators"): the per-ticker kernels that turn
// a DailySeries into the columns of gold/indicators. Every value is within 1e-9 relative
// of the formula evaluated exactly, for any positive finite prices: rolling sums carry an
// error bound and are recomputed directly when it grows, standard deviations come from
// deviations about the mean, and recurrences are written with non-negative terms only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "process/daily_series.h"

namespace stocklake {

//! One double indicator column: one value per row of the series. Values before
//! `first_defined` are meaningless (NaN); writers emit NULL there, never NaN. When the
//! series has at most `first_defined` rows, the whole column is undefined.
struct IndicatorColumn {
  std::string_view name;
  std::vector<double> values;
  size_t first_defined = 0;
};

//! Position of each double column in Indicators::columns (and in IndicatorNames()).
enum IndicatorIndex : size_t {
  kReturn1d = 0,
  kLogReturn1d,
  kSma20,
  kSma50,
  kSma200,
  kEma12,
  kEma26,
  kMacd,
  kMacdSignal,
  kMacdHist,
  kRsi14,
  kBbMiddle,
  kBbUpper,
  kBbLower,
  kAtr14,
  kVolatility20,
  kIndicatorCount,
};

//! Where every recurrence of the indicators stands after one row: with the rows before it,
//! all ContinueIndicators needs to compute the next rows exactly (bit for bit) as
//! ComputeIndicators would. NaN where the recurrence has not been seeded yet.
struct IndicatorRecurrences {
  // sma_50 and sma_200 are running sums that carry a bound on their rounding error (and
  // are recomputed from the window when it grows), so the continuation needs both.
  double sma50_sum, sma50_error, sma200_sum, sma200_error;
  double ema12, ema26, macd_signal;
  double avg_gain, avg_loss, avg_true_range;  // Wilder's averages of rsi_14 and atr_14
  int64_t obv;
};

//! The daily indicators of one ticker. `columns` holds the 16 double columns in the order
//! of IndicatorIndex, named as in gold/indicators; `obv` is defined from row 0.
struct Indicators {
  std::vector<IndicatorColumn> columns;
  std::vector<int64_t> obv;
  //! The recurrences after the last row (meaningless when size() is 0).
  IndicatorRecurrences recurrences;

  size_t size() const { return obv.size(); }
};

//! The 16 double column names in order: return_1d, log_return_1d, sma_20, sma_50,
//! sma_200, ema_12, ema_26, macd, macd_signal, macd_hist, rsi_14, bb_middle, bb_upper,
//! bb_lower, atr_14, volatility_20.
std::span<const std::string_view> IndicatorNames();

//! Row index from which each double column is defined (sma_20 -> 19, macd_signal -> 33).
std::span<const size_t> IndicatorFirstDefined();

//! Computes every indicator for `series` (ascending dates, positive finite prices) into
//! `out`, reusing its buffers: no allocation when `out` already held a series at least as
//! long. Afterwards every column of `out` has series.size() values.
void ComputeIndicators(const DailySeries& series, Indicators* out);

//! Rows of history ContinueIndicators needs before the first row it computes: sma_200 is
//! seeded at row 199 and its running sum may be recomputed from the last 200 closes.
inline constexpr size_t kIndicatorHistoryRows = 200;

//! Computes rows [begin, series.size()) of `out` from the rows before them and
//! `before`, the recurrences after row begin - 1; they equal, bit for bit, what
//! ComputeIndicators gives those rows of the ticker's whole history when `series` ends
//! that history and `before` came from it (Indicators::recurrences). Requires begin >=
//! kIndicatorHistoryRows, so every recurrence is past its seed. Rows below `begin` of
//! `out` hold only return_1d and log_return_1d (from row 1; volatility_20 and the quarter
//! features read them); its other values there are meaningless. Sets out->recurrences.
void ContinueIndicators(const DailySeries& series, size_t begin, const IndicatorRecurrences& before, Indicators* out);

}  // namespace stocklake
