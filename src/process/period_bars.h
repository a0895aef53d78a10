// Period bars (reference-job.md "Period bars"): one ticker's daily bars rolled up into ISO
// weeks, calendar months and calendar quarters, the rows of gold/bars_weekly,
// gold/bars_monthly and gold/bars_quarterly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "process/daily_series.h"

namespace stocklake {

enum class Period { kWeek, kMonth, kQuarter };

//! "bars_weekly", "bars_monthly", "bars_quarterly".
std::string_view PeriodTableName(Period period);

//! Period bars of one ticker, one row per period that has trading days, ascending.
struct PeriodBars {
  std::vector<Date> period_start, period_end;  // first and last trading date in the period
  std::vector<double> open, high, low, close, adj_close;
  std::vector<int64_t> volume;
  std::vector<int32_t> trading_days;
  std::vector<double> period_return;  // meaningless (NaN) where has_return is 0
  std::vector<uint8_t> has_return;    // 0 only for the ticker's first period: NULL return

  size_t size() const { return period_start.size(); }
  //! Empties every column, keeping capacity.
  void Clear();
};

//! Rolls `series` (ascending dates) up into `period` bars, replacing the contents of `out`
//! and reusing its buffers. Weeks are ISO weeks keyed by ISO year and week, so a week
//! spanning 31 Dec / 1 Jan is one period; months and quarters are calendar ones.
void ComputePeriodBars(const DailySeries& series, Period period, PeriodBars* out);

}  // namespace stocklake
