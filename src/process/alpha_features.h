// Extra model features in the spirit of Qlib's Alpha158 (candle shape, rolling returns,
// volatility, regression slope, quantiles, rank, up/down counts, volume over 5 to 60
// trading days), evaluated at chosen rows of one ticker's series. They become extra
// columns of gold/ml_features after the spec's columns; each is named and described once,
// in AlphaFeatureCatalog(), which the catalog and the docs read.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "process/daily_series.h"

namespace stocklake {

struct FeatureDoc {
  std::string_view name;
  std::string_view description;
};

//! Rows the extra features at a row read: the row itself and the 60 before it (the
//! longest window, 60 rows, and the row before it for day-to-day changes).
inline constexpr size_t kAlphaFeatureSpan = 61;

//! Every extra feature, in column order, with a one-line definition.
std::span<const FeatureDoc> AlphaFeatureCatalog();

//! For each row index in `rows` (ascending, each < series.size()), the value of every
//! extra feature at that row, using only rows at or before it. Resizes `columns` to one
//! vector per catalogue entry, each with rows.size() values; NaN where undefined
//! (too short a history, a zero denominator). Each value is within 1e-9 of the exact
//! value relative to max(|value|, 1e-6) (slopes and residuals near 0 are differences of
//! quantities of the close's size).
void ComputeAlphaFeatures(const DailySeries& series, std::span<const size_t> rows,
                          std::vector<std::vector<double>>* columns);

}  // namespace stocklake
