// Period bars: ISO weeks across the year end, months, quarters, returns, trading days and
// volume sums, against hand-built cases and a reference that groups by core/date.h's
// IsoWeekKey / MonthKey / QuarterKey.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "process/period_bars.h"

namespace stocklake {
namespace {

Date D(int y, unsigned m, unsigned d) { return DaysFromCivil(y, m, d); }

// A row whose prices are derived from its position so every aggregate is distinguishable.
void AddRow(DailySeries* s, Date d, double c, int64_t volume) {
  s->Append(d, c - 0.5, c + 1, c - 1, c, c * 0.9, volume);
}

PeriodBars Compute(const DailySeries& s, Period p) {
  PeriodBars out;
  ComputePeriodBars(s, p, &out);
  return out;
}

TEST(PeriodBarsTest, TableNames) {
  EXPECT_EQ(PeriodTableName(Period::kWeek), "bars_weekly");
  EXPECT_EQ(PeriodTableName(Period::kMonth), "bars_monthly");
  EXPECT_EQ(PeriodTableName(Period::kQuarter), "bars_quarterly");
}

TEST(PeriodBarsTest, IsoWeekSpanningTheYearEndIsOnePeriod) {
  DailySeries s;
  AddRow(&s, D(2020, 12, 28), 10, 1);  // Monday of 2020-W53
  AddRow(&s, D(2020, 12, 31), 11, 2);
  AddRow(&s, D(2021, 1, 1), 12, 4);
  AddRow(&s, D(2021, 1, 3), 9, 8);    // Sunday, still 2020-W53
  AddRow(&s, D(2021, 1, 4), 13, 16);  // Monday of 2021-W01
  const PeriodBars w = Compute(s, Period::kWeek);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w.period_start[0], D(2020, 12, 28));
  EXPECT_EQ(w.period_end[0], D(2021, 1, 3));
  EXPECT_EQ(w.trading_days[0], 4);
  EXPECT_EQ(w.volume[0], 15);
  EXPECT_EQ(w.open[0], 9.5);
  EXPECT_EQ(w.high[0], 13);  // 12 + 1
  EXPECT_EQ(w.low[0], 8);    // 9 - 1
  EXPECT_EQ(w.close[0], 9);
  EXPECT_EQ(w.adj_close[0], 9 * 0.9);
  EXPECT_EQ(w.has_return[0], 0);
  EXPECT_EQ(w.period_start[1], D(2021, 1, 4));
  EXPECT_EQ(w.period_end[1], D(2021, 1, 4));
  EXPECT_EQ(w.trading_days[1], 1);
  EXPECT_EQ(w.has_return[1], 1);
  EXPECT_DOUBLE_EQ(w.period_return[1], 13.0 / 9.0 - 1);

  // The same rows by month and quarter split at the year end.
  const PeriodBars m = Compute(s, Period::kMonth);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.period_end[0], D(2020, 12, 31));
  EXPECT_EQ(m.trading_days[0], 2);
  EXPECT_EQ(m.period_start[1], D(2021, 1, 1));
  EXPECT_EQ(m.trading_days[1], 3);
  EXPECT_EQ(m.volume[1], 28);
  EXPECT_DOUBLE_EQ(m.period_return[1], 13.0 / 11.0 - 1);
  const PeriodBars q = Compute(s, Period::kQuarter);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q.trading_days[0], 2);
  EXPECT_EQ(q.trading_days[1], 3);
}

TEST(PeriodBarsTest, MondayThirtiethOfDecember2024IsIn2025Week1) {
  DailySeries s;
  AddRow(&s, D(2024, 12, 27), 10, 1);  // Friday of 2024-W52
  AddRow(&s, D(2024, 12, 30), 11, 1);  // Monday of 2025-W01
  AddRow(&s, D(2024, 12, 31), 12, 1);
  AddRow(&s, D(2025, 1, 2), 13, 1);
  AddRow(&s, D(2025, 1, 6), 14, 1);  // 2025-W02
  const PeriodBars w = Compute(s, Period::kWeek);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w.period_start[1], D(2024, 12, 30));
  EXPECT_EQ(w.period_end[1], D(2025, 1, 2));
  EXPECT_EQ(w.trading_days[1], 3);
  EXPECT_EQ(IsoWeekKey(w.period_start[1]), 202501);
}

TEST(PeriodBarsTest, MonthsAndQuarters) {
  DailySeries s;
  AddRow(&s, D(2023, 1, 31), 10, 100);
  AddRow(&s, D(2023, 2, 1), 20, 200);
  AddRow(&s, D(2023, 2, 28), 30, 300);
  AddRow(&s, D(2023, 3, 31), 40, 400);
  AddRow(&s, D(2023, 4, 3), 50, 500);
  AddRow(&s, D(2023, 9, 29), 25, 600);
  AddRow(&s, D(2024, 1, 2), 5, 700);  // skips Q4 entirely: no empty period
  const PeriodBars m = Compute(s, Period::kMonth);
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m.period_start[1], D(2023, 2, 1));
  EXPECT_EQ(m.period_end[1], D(2023, 2, 28));
  EXPECT_EQ(m.trading_days[1], 2);
  EXPECT_EQ(m.volume[1], 500);
  EXPECT_EQ(m.open[1], 19.5);
  EXPECT_EQ(m.high[1], 31);
  EXPECT_EQ(m.low[1], 19);
  EXPECT_DOUBLE_EQ(m.period_return[1], 30.0 / 10.0 - 1);
  EXPECT_DOUBLE_EQ(m.period_return[2], 40.0 / 30.0 - 1);
  const PeriodBars q = Compute(s, Period::kQuarter);
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q.period_start[0], D(2023, 1, 31));
  EXPECT_EQ(q.period_end[0], D(2023, 3, 31));
  EXPECT_EQ(q.trading_days[0], 4);
  EXPECT_EQ(q.volume[0], 1000);
  EXPECT_EQ(q.close[0], 40);
  EXPECT_EQ(q.has_return[0], 0);
  EXPECT_EQ(q.period_start[1], D(2023, 4, 3));
  EXPECT_DOUBLE_EQ(q.period_return[1], 50.0 / 40.0 - 1);
  EXPECT_EQ(q.period_start[2], D(2023, 9, 29));
  EXPECT_DOUBLE_EQ(q.period_return[2], 25.0 / 50.0 - 1);
  EXPECT_EQ(q.period_start[3], D(2024, 1, 2));
  EXPECT_DOUBLE_EQ(q.period_return[3], 5.0 / 25.0 - 1);
}

TEST(PeriodBarsTest, SingleRowAndEmptySeries) {
  DailySeries one;
  AddRow(&one, D(2022, 6, 15), 7, 42);
  for (Period p : {Period::kWeek, Period::kMonth, Period::kQuarter}) {
    const PeriodBars b = Compute(one, p);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b.period_start[0], D(2022, 6, 15));
    EXPECT_EQ(b.period_end[0], D(2022, 6, 15));
    EXPECT_EQ(b.trading_days[0], 1);
    EXPECT_EQ(b.volume[0], 42);
    EXPECT_EQ(b.has_return[0], 0);
    EXPECT_EQ(Compute(DailySeries{}, p).size(), 0u);
  }
}

TEST(PeriodBarsTest, ReusedOutputIsReplaced) {
  DailySeries a, b;
  for (int i = 0; i < 100; ++i) AddRow(&a, D(2010, 1, 1) + i, 10 + i, 1);
  AddRow(&b, D(2011, 1, 1), 3, 1);
  PeriodBars out;
  ComputePeriodBars(a, Period::kWeek, &out);
  ComputePeriodBars(b, Period::kWeek, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out.period_return.size(), 1u);
  EXPECT_EQ(out.has_return[0], 0);
}

// Reference: group by the key functions of core/date.h with a map, over 40 years of
// random trading days (gaps of 1..9 days) so every kind of boundary occurs many times.
TEST(PeriodBarsTest, MatchesGroupingByCalendarKeys) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> gap(1, 9);
  std::uniform_real_distribution<double> price(1, 1000);
  std::uniform_int_distribution<int64_t> volume(1, 1'000'000'000);
  DailySeries s;
  for (Date d = D(1985, 1, 1); d < D(2025, 1, 1); d += gap(rng)) {
    const double c = price(rng);
    s.Append(d, price(rng), c + price(rng), c / 2 * std::abs(std::sin(d)) + 0.5, c, c * 0.97, volume(rng));
  }
  for (Period p : {Period::kWeek, Period::kMonth, Period::kQuarter}) {
    std::map<int32_t, std::vector<size_t>> groups;
    for (size_t i = 0; i < s.size(); ++i) {
      const Date d = s.date[i];
      const int32_t key = p == Period::kWeek ? IsoWeekKey(d) : p == Period::kMonth ? MonthKey(d) : QuarterKey(d);
      groups[key].push_back(i);
    }
    const PeriodBars b = Compute(s, p);
    ASSERT_EQ(b.size(), groups.size());
    size_t k = 0;
    double previous_close = 0;
    for (const auto& [key, rows] : groups) {
      double high = -1, low = 1e300;
      int64_t vol = 0;
      for (size_t r : rows) {
        high = std::max(high, s.high[r]);
        low = std::min(low, s.low[r]);
        vol += s.volume[r];
      }
      ASSERT_EQ(b.period_start[k], s.date[rows.front()]) << key;
      ASSERT_EQ(b.period_end[k], s.date[rows.back()]) << key;
      ASSERT_EQ(b.open[k], s.open[rows.front()]);
      ASSERT_EQ(b.high[k], high);
      ASSERT_EQ(b.low[k], low);
      ASSERT_EQ(b.close[k], s.close[rows.back()]);
      ASSERT_EQ(b.adj_close[k], s.adj_close[rows.back()]);
      ASSERT_EQ(b.volume[k], vol);
      ASSERT_EQ(b.trading_days[k], static_cast<int32_t>(rows.size()));
      ASSERT_EQ(b.has_return[k], k > 0 ? 1 : 0);
      if (k > 0) {
        const long double want = static_cast<long double>(b.close[k]) / previous_close - 1;
        ASSERT_LE(std::fabs(b.period_return[k] - want), 1e-12 * std::fabs(want)) << key;
      }
      previous_close = b.close[k];
      ++k;
    }
  }
}

}  // namespace
}  // namespace stocklake
