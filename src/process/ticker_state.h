// TickerState: what the lake keeps per ticker so that a run which only appends days after
// the ticker's last date computes the new gold rows (indicators, period bars, quarter
// features) from a small saved state instead of re-reading the ticker's whole history.
// The continuation runs the same kernels as the full computation, on the saved tail
// followed by the appended rows, with the indicators' recurrences resumed from the state;
// its outputs equal the full computation's rows bit for bit.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/status.h"
#include "core/table.h"
#include "process/alpha_features.h"
#include "process/daily_series.h"
#include "process/indicators.h"
#include "process/period_bars.h"
#include "process/quarter_features.h"

namespace stocklake {

//! Rows before the first appended row that a period bar holding it can read: a quarter
//! spans at most 92 days, so its first row is at most 91 rows earlier, and `return` reads
//! the close of the row before that.
inline constexpr size_t kPeriodBarReach = 92;

//! Rows of a ticker's history the state keeps (its tail): the furthest any output for an
//! appended row reads back. The quarter features' 252-row windows reach furthest
//! (kQuarterFeatureSpan - 1 = 252); sma_200's running sum needs 200 (kIndicatorHistoryRows),
//! the Alpha158 extras 60, a period bar 92, volatility_20 and the bands 20.
inline constexpr size_t kTickerStateTailRows =
    std::max({kQuarterFeatureSpan - 1, kIndicatorHistoryRows, kAlphaFeatureSpan - 1, kPeriodBarReach});

//! Everything needed to continue one ticker's gold rows after its last row.
struct TickerState {
  //! Rows of the ticker's history so far (its DailySeries' size).
  int64_t rows = 0;
  //! The indicators' recurrences after the last row; meaningless while rows is 0. The
  //! seeds need no state of their own: a series still seeding (fewer than
  //! kIndicatorHistoryRows rows) is entirely in the tail and is recomputed from it.
  IndicatorRecurrences recurrences{};
  //! The last min(rows, kTickerStateTailRows) rows. adj_close is not kept (NaN): only a
  //! period's last row's adj_close is output, and that row is always an appended one.
  DailySeries tail;
  //! The feature rows of the ticker's last two quarters (fewer when it has traded in
  //! fewer), as_of_row counted in the whole history: the continuation returns the earlier
  //! one again when the appended rows change its label, and cannot recompute it from the
  //! tail (its windows reach further back).
  QuarterFeatures last_quarters;
};

//! The state after `series`, a ticker's whole history, given the indicators and quarter
//! features computed from it (ComputeIndicators, ComputeQuarterFeatures).
TickerState StateAfter(const DailySeries& series, const Indicators& indicators, const QuarterFeatures& features);

//! The state of a ticker without rows yet: what a ticker new to the lake continues from.
TickerState NewTickerState();

//! The gold rows of one continuation and the state after it. Every row equals the full
//! computation's row over the whole history (tail and appended rows).
struct TickerContinuation {
  //! One row per appended row; first_defined counts from the first appended row, so
  //! AppendIndicatorRows(indicators, appended, ...) appends them.
  Indicators indicators;
  //! For week, month and quarter (indexed by Period): every period holding an appended
  //! row, ascending. They replace the ticker's rows of those periods; the first may have
  //! begun before the appended rows.
  std::array<PeriodBars, 3> period_bars;
  //! The feature rows of every quarter holding an appended row, preceded by the row of
  //! the calendar quarter just before the first of them when the ticker traded in it (its
  //! label reads the next quarter's as-of close, which the appended rows set). The
  //! caller replaces exactly these quarters' rows. as_of_row counts in the whole history.
  QuarterFeatures features;
  //! The state after the appended rows.
  TickerState state;

  const PeriodBars& bars(Period period) const { return period_bars[static_cast<size_t>(period)]; }
};

//! Continues `before` with `appended` (ascending dates, one row per date, all after the
//! tail's last date; positive finite prices), replacing `out`. InvalidArgument, and `out`
//! unspecified, when the dates are not after the state's last date or not ascending, or
//! the columns differ in length; Corruption when `before` is inconsistent (a tail length
//! other than min(rows, kTickerStateTailRows), a missing quarter row).
Status ContinueTicker(const TickerState& before, const DailySeries& appended, TickerContinuation* out);

//! States by ticker, in ticker order.
using TickerStates = std::map<std::string, TickerState, std::less<>>;

//! The lake tables of a set of states. Undefined doubles (NaN) are NULL; every other
//! double is stored bit for bit. The tickers are dictionary-coded strings.
struct TickerStateTables {
  //! One row per ticker: ticker, rows, the IndicatorRecurrences (obv an int64).
  Table scalars;
  //! The tail rows: ticker, date, open, high, low, close, volume.
  Table tail;
  //! The last quarters' feature rows: ticker, quarter (QuarterKey), quarter_end,
  //! as_of_date, as_of_row, then QuarterFeatureColumnNames().
  Table quarters;
};

//! The three tables with their columns and no rows.
TickerStateTables EmptyTickerStateTables();

//! Encodes `states` (one row group per ticker, tickers ascending).
TickerStateTables EncodeTickerStates(const TickerStates& states);

//! Decodes tables written by EncodeTickerStates, exactly. Corruption, naming the table and
//! row, when a column is missing or of another type, a row names a ticker without a scalars
//! row, or a ticker's tail does not hold min(rows, kTickerStateTailRows) rows ascending
//! by date.
Result<TickerStates> DecodeTickerStates(const TickerStateTables& tables);

}  // namespace stocklake
