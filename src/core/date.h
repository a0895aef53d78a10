// Calendar dates as days since 1970-01-01 (the Parquet DATE representation), with the
// conversions the readers and period bars need. Proleptic Gregorian, no time zones.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace stocklake {

using Date = int32_t;
//! Marks a date that did not parse (SQL NULL in every output).
inline constexpr Date kNullDate = std::numeric_limits<int32_t>::min();

struct CivilDate {
  int32_t year;
  uint32_t month;  // 1..12
  uint32_t day;    // 1..31
};

//! Days since 1970-01-01 of a civil date (any year, no range check).
Date DaysFromCivil(int32_t year, uint32_t month, uint32_t day);
CivilDate CivilFromDays(Date days);
bool IsLeapYear(int32_t year);
uint32_t DaysInMonth(int32_t year, uint32_t month);

//! Parses exactly "YYYY-MM-DD" naming a real calendar day; false otherwise.
bool ParseIsoDate(const char* text, size_t length, Date* out);
//! "YYYY-MM-DD".
std::string FormatDate(Date days);

//! 0 = Monday ... 6 = Sunday.
int WeekdayMondayZero(Date days);
//! ISO-8601 week key: iso_year * 100 + week (week 1..53).
int32_t IsoWeekKey(Date days);
//! year * 100 + month.
int32_t MonthKey(Date days);
//! year * 10 + quarter (1..4).
int32_t QuarterKey(Date days);

//! "YYYYQn" of a QuarterKey (2017Q3 for 20173).
std::string FormatQuarter(int32_t quarter_key);
//! Parses exactly "YYYYQn" (n in 1..4, year 1000..9999) into a QuarterKey; false otherwise.
bool ParseQuarter(std::string_view text, int32_t* quarter_key);
//! The QuarterKey after / before `quarter_key` (2017Q4 -> 2018Q1).
int32_t NextQuarter(int32_t quarter_key);
int32_t PreviousQuarter(int32_t quarter_key);
//! The last calendar day of the quarter.
Date QuarterEndDate(int32_t quarter_key);

}  // namespace stocklake
