#include "core/date.h"

#include <cstdio>

namespace stocklake {

// Howard Hinnant's civil-date algorithms (public domain), exact for all int32 days.
Date DaysFromCivil(int32_t y, uint32_t m, uint32_t d) {
  y -= m <= 2;
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const uint32_t yoe = static_cast<uint32_t>(y - era * 400);
  const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

CivilDate CivilFromDays(Date z) {
  int64_t zz = static_cast<int64_t>(z) + 719468;
  const int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
  const uint32_t doe = static_cast<uint32_t>(zz - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  const uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  const uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int32_t>(y + (m <= 2)), m, d};
}

bool IsLeapYear(int32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

uint32_t DaysInMonth(int32_t y, uint32_t m) {
  static constexpr uint8_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

bool ParseIsoDate(const char* s, size_t n, Date* out) {
  if (n != 10 || s[4] != '-' || s[7] != '-') return false;
  auto digit = [&](int i) { return static_cast<unsigned>(s[i] - '0'); };
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (digit(i) > 9) return false;
  }
  const int32_t year = static_cast<int32_t>(digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3));
  const uint32_t month = digit(5) * 10 + digit(6);
  const uint32_t day = digit(8) * 10 + digit(9);
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;
  *out = DaysFromCivil(year, month, day);
  return true;
}

std::string FormatDate(Date days) {
  const CivilDate c = CivilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
  return buf;
}

int WeekdayMondayZero(Date days) {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  const int64_t w = (static_cast<int64_t>(days) + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

int32_t IsoWeekKey(Date days) {
  // The ISO year is the year of the week's Thursday; week 1 holds the year's first Thursday.
  const Date thursday = days - WeekdayMondayZero(days) + 3;
  const int32_t iso_year = CivilFromDays(thursday).year;
  const Date jan1 = DaysFromCivil(iso_year, 1, 1);
  const int32_t week = (thursday - jan1) / 7 + 1;
  return iso_year * 100 + week;
}

int32_t MonthKey(Date days) {
  const CivilDate c = CivilFromDays(days);
  return c.year * 100 + static_cast<int32_t>(c.month);
}

int32_t QuarterKey(Date days) {
  const CivilDate c = CivilFromDays(days);
  return c.year * 10 + static_cast<int32_t>((c.month - 1) / 3 + 1);
}

std::string FormatQuarter(int32_t quarter_key) {
  return std::to_string(quarter_key / 10) + "Q" + std::to_string(quarter_key % 10);
}

bool ParseQuarter(std::string_view text, int32_t* quarter_key) {
  if (text.size() != 6 || (text[4] != 'Q' && text[4] != 'q') || text[5] < '1' || text[5] > '4') return false;
  int32_t year = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    year = year * 10 + (text[i] - '0');
  }
  if (year < 1000) return false;
  *quarter_key = year * 10 + (text[5] - '0');
  return true;
}

int32_t NextQuarter(int32_t quarter_key) {
  return quarter_key % 10 == 4 ? (quarter_key / 10 + 1) * 10 + 1 : quarter_key + 1;
}

int32_t PreviousQuarter(int32_t quarter_key) {
  return quarter_key % 10 == 1 ? (quarter_key / 10 - 1) * 10 + 4 : quarter_key - 1;
}

Date QuarterEndDate(int32_t quarter_key) {
  const int32_t year = quarter_key / 10;
  const uint32_t month = static_cast<uint32_t>(quarter_key % 10) * 3;
  return DaysFromCivil(year, month, DaysInMonth(year, month));
}

}  // namespace stocklake
