// Period bars by ISO week, month and quarter; see period_bars.h.
#include "process/period_bars.h"

#include <algorithm>
#include <limits>

namespace stocklake {
namespace {

// First day of the period after the one holding `d`. Rows are in date order, so a period
// is the run of rows before that day, and the calendar is consulted once per period.
Date NextPeriodStart(Period period, Date d) {
  switch (period) {
    case Period::kWeek:
      // ISO weeks run Monday to Sunday, so grouping by the next Monday is grouping by
      // IsoWeekKey (ISO year and week), including the week that spans 31 Dec / 1 Jan.
      return d - WeekdayMondayZero(d) + 7;
    case Period::kMonth: {
      const CivilDate c = CivilFromDays(d);
      return c.month == 12 ? DaysFromCivil(c.year + 1, 1, 1) : DaysFromCivil(c.year, c.month + 1, 1);
    }
    case Period::kQuarter: {
      const CivilDate c = CivilFromDays(d);
      const uint32_t next_month = (c.month - 1) / 3 * 3 + 4;
      return next_month > 12 ? DaysFromCivil(c.year + 1, 1, 1) : DaysFromCivil(c.year, next_month, 1);
    }
  }
  return d + 1;
}

}  // namespace

std::string_view PeriodTableName(Period period) {
  switch (period) {
    case Period::kWeek: return "bars_weekly";
    case Period::kMonth: return "bars_monthly";
    case Period::kQuarter: return "bars_quarterly";
  }
  return "";
}

void PeriodBars::Clear() {
  period_start.clear();
  period_end.clear();
  open.clear();
  high.clear();
  low.clear();
  close.clear();
  adj_close.clear();
  volume.clear();
  trading_days.clear();
  period_return.clear();
  has_return.clear();
}

void ComputePeriodBars(const DailySeries& series, Period period, PeriodBars* out) {
  out->Clear();
  const size_t n = series.size();
  size_t begin = 0;
  while (begin < n) {
    const Date next_start = NextPeriodStart(period, series.date[begin]);
    double high = series.high[begin];
    double low = series.low[begin];
    uint64_t volume = static_cast<uint64_t>(series.volume[begin]);  // wraps, never UB
    size_t end = begin + 1;
    for (; end < n && series.date[end] < next_start; ++end) {
      high = std::max(high, series.high[end]);
      low = std::min(low, series.low[end]);
      volume += static_cast<uint64_t>(series.volume[end]);
    }
    const size_t last = end - 1;
    const double close = series.close[last];
    if (out->close.empty()) {
      out->period_return.push_back(std::numeric_limits<double>::quiet_NaN());
      out->has_return.push_back(0);
    } else {
      // (c - p) / p rather than c / p - 1: no cancellation when the two closes are close.
      const double previous = out->close.back();
      out->period_return.push_back((close - previous) / previous);
      out->has_return.push_back(1);
    }
    out->period_start.push_back(series.date[begin]);
    out->period_end.push_back(series.date[last]);
    out->open.push_back(series.open[begin]);
    out->high.push_back(high);
    out->low.push_back(low);
    out->close.push_back(close);
    out->adj_close.push_back(series.adj_close[last]);
    out->volume.push_back(static_cast<int64_t>(volume));
    out->trading_days.push_back(static_cast<int32_t>(end - begin));
    begin = end;
  }
}

}  // namespace stocklake
