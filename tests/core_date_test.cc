#include <gtest/gtest.h>

#include "core/date.h"

namespace stocklake {
namespace {

TEST(DateTest, RoundTripsEveryDayOfFourCenturies) {
  for (Date d = DaysFromCivil(1900, 1, 1); d < DaysFromCivil(2300, 1, 1); ++d) {
    const CivilDate c = CivilFromDays(d);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), d);
  }
}

TEST(DateTest, ParsesOnlyRealCalendarDays) {
  Date d;
  EXPECT_TRUE(ParseIsoDate("2024-02-29", 10, &d));
  EXPECT_EQ(FormatDate(d), "2024-02-29");
  EXPECT_FALSE(ParseIsoDate("2023-02-29", 10, &d));
  EXPECT_FALSE(ParseIsoDate("1900-02-29", 10, &d));
  EXPECT_TRUE(ParseIsoDate("2000-02-29", 10, &d));
  EXPECT_FALSE(ParseIsoDate("2024-13-01", 10, &d));
  EXPECT_FALSE(ParseIsoDate("2024-00-10", 10, &d));
  EXPECT_FALSE(ParseIsoDate("2024-04-31", 10, &d));
  EXPECT_FALSE(ParseIsoDate("2024-4-01", 9, &d));
  EXPECT_FALSE(ParseIsoDate("2024/04/01", 10, &d));
  EXPECT_FALSE(ParseIsoDate("2024-04-0a", 10, &d));
  EXPECT_EQ(FormatDate(0), "1970-01-01");
}

TEST(DateTest, IsoWeeksSpanTheYearBoundary) {
  // 2020-12-31 (Thu) and 2021-01-03 (Sun) are both in ISO week 2020-W53.
  EXPECT_EQ(IsoWeekKey(DaysFromCivil(2020, 12, 31)), 202053);
  EXPECT_EQ(IsoWeekKey(DaysFromCivil(2021, 1, 3)), 202053);
  EXPECT_EQ(IsoWeekKey(DaysFromCivil(2021, 1, 4)), 202101);
  // 2024-12-30 (Mon) is in 2025-W01.
  EXPECT_EQ(IsoWeekKey(DaysFromCivil(2024, 12, 30)), 202501);
  EXPECT_EQ(WeekdayMondayZero(DaysFromCivil(2024, 12, 30)), 0);
  EXPECT_EQ(MonthKey(DaysFromCivil(2024, 12, 30)), 202412);
  EXPECT_EQ(QuarterKey(DaysFromCivil(2024, 12, 30)), 20244);
  EXPECT_EQ(QuarterKey(DaysFromCivil(2024, 4, 1)), 20242);
}

}  // namespace
}  // namespace stocklake
