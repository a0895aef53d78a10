// The lake's tables: their paths under the lake directory and their columns, exactly as
// reference-job.md "Output" names them. One place so the writer, the reader and the
// tests agree.
#pragma once

#include <string_view>
#include <vector>

#include "core/table.h"

namespace stocklake {

inline constexpr std::string_view kSilverBars = "silver/bars";
inline constexpr std::string_view kGoldIndicators = "gold/indicators";
inline constexpr std::string_view kGoldBarsWeekly = "gold/bars_weekly";
inline constexpr std::string_view kGoldBarsMonthly = "gold/bars_monthly";
inline constexpr std::string_view kGoldBarsQuarterly = "gold/bars_quarterly";
inline constexpr std::string_view kGoldMlFeatures = "gold/ml_features";
inline constexpr std::string_view kRejects = "rejects";
// The ML application's tables (ml.md). Not bucketed: written by train, predict and
// backtest, one file per unit of replacement (DataFile::partition names it).
inline constexpr std::string_view kGoldPredictions = "gold/predictions";
inline constexpr std::string_view kGoldBacktest = "gold/backtest";
inline constexpr std::string_view kGoldBacktestPredictions = "gold/backtest_predictions";
//! The speed layer's finalised windows (stream.md), one file per UTC hour of window start
//! (DataFile::partition "date=YYYY-MM-DD/hour=HH"), exported from the serving store so that the
//! history of intraday bars outlives it. Times are Unix milliseconds, UTC.
inline constexpr std::string_view kSilverIntradayBars = "silver/intraday_bars";
//! Internal: for each silver/bars file, the source id and line of every row (same row
//! order), so a later run can report a displaced row as a duplicate with its origin.
inline constexpr std::string_view kBarsLineage = "_internal/bars_lineage";
//! The source id and line of each rejects row, aligned with the bucket's rejects file: how
//! the lake recognises a row delivered again after it was applied.
inline constexpr std::string_view kRejectsLineage = "_internal/rejects_lineage";

//! Internal: each ticker's state after its last row (process/ticker_state.h), so a run
//! that only appends days continues indicators, period bars and quarter features without
//! rereading the history: its scalars (row count, the indicators' recurrences), the tail
//! of its last rows, and its last two quarters' feature rows. One file per bucket each.
inline constexpr std::string_view kTickerStateScalars = "_internal/ticker_state";
inline constexpr std::string_view kTickerStateTail = "_internal/ticker_tail";
inline constexpr std::string_view kTickerStateQuarters = "_internal/ticker_quarters";

//! Every table a run writes, in the order they are written (one file per bucket each).
const std::vector<std::string_view>& AllTableNames();

//! The tables of the ML application (not bucketed).
const std::vector<std::string_view>& MlTableNames();

//! Every unbucketed table: the ML tables and silver/intraday_bars.
const std::vector<std::string_view>& UnbucketedTableNames();

//! An empty Table with the named table's columns (names, types, nullability).
Table EmptyTableFor(std::string_view table_name);

}  // namespace stocklake
