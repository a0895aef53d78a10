// Gold rows: the per-ticker outputs of the processing kernels (indicators, period bars,
// quarter features) appended to lake Tables with the columns EmptyTableFor gives them.
// Undefined values become NULLs here, so no NaN ever reaches a lake file.
#pragma once

#include <cstdint>

#include "core/table.h"
#include "process/daily_series.h"
#include "process/indicators.h"
#include "process/period_bars.h"
#include "process/quarter_features.h"

namespace stocklake {

//! Appends one ticker's rows to a gold/indicators table. Column 0's dictionary must
//! already hold the ticker at `ticker_code`.
void AppendIndicatorRows(const Indicators& indicators, const DailySeries& series, int32_t ticker_code, Table* table);

//! Appends one ticker's rows to a gold/bars_<period> table (dictionary as above).
void AppendPeriodBarRows(const PeriodBars& bars, int32_t ticker_code, Table* table);

//! Appends one ticker's rows to a gold/ml_features table (dictionary as above);
//! `quarter_names` codes the quarter column (built on that table's column 1).
void AppendQuarterFeatureRows(const QuarterFeatures& features, int32_t ticker_code, StringColumnBuilder* quarter_names,
                              Table* table);

}  // namespace stocklake
