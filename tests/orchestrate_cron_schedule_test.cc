// Cron schedules (orchestrate/cron_schedule.h) against pipeline.md: every syntax and error
// of the parser, fire times worked out by hand in UTC and in zones with daylight saving
// (gaps, repeated hours, half-hour offsets), and random schedules checked over a whole year
// against a brute-force walk over every UTC minute that shares no code with the search.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "orchestrate/cron_schedule.h"
#include "stream/trade_event.h"

namespace stocklake {
namespace {

using std::chrono::sys_seconds;
using Strings = std::vector<std::string>;

sys_seconds Utc(const std::string& rfc3339) {
  int64_t ms = 0;
  EXPECT_TRUE(ParseRfc3339Millis(rfc3339, &ms)) << rfc3339;
  return sys_seconds{std::chrono::seconds{ms / 1000}};
}

const date::time_zone* Zone(std::string_view name) {
  Result<const date::time_zone*> zone = LocateTimeZone(name);
  EXPECT_TRUE(zone.ok()) << zone.status().ToString();
  return zone.ok() ? *zone : date::locate_zone("UTC");
}

CronSchedule Schedule(std::string_view text) {
  Result<CronSchedule> schedule = CronSchedule::Parse(text);
  EXPECT_TRUE(schedule.ok()) << text << ": " << schedule.status().ToString();
  return schedule.ok() ? *schedule : *CronSchedule::Parse("0 0 1 1 *");
}

// The next `count` fire times after `after`, as RFC 3339 UTC ("never" once there is none).
Strings FireTimes(std::string_view cron, std::string_view zone_name, const std::string& after, int count) {
  const CronSchedule schedule = Schedule(cron);
  const date::time_zone* zone = Zone(zone_name);
  Strings out;
  sys_seconds t = Utc(after);
  for (int i = 0; i < count; ++i) {
    const std::optional<sys_seconds> next = schedule.NextFireTime(zone, t);
    if (!next) {
      out.push_back("never");
      break;
    }
    EXPECT_GT(*next, t);
    out.push_back(FormatRfc3339Utc(*next));
    t = *next;
  }
  return out;
}

std::string ParseError(std::string_view cron) {
  Result<CronSchedule> schedule = CronSchedule::Parse(cron);
  if (schedule.ok()) return "parsed";
  EXPECT_TRUE(schedule.status().IsInvalidArgument()) << schedule.status().ToString();
  return schedule.status().message();
}

TEST(CronScheduleTest, QuarterlyInUtc) {
  EXPECT_EQ(FireTimes("0 0 1 */3 *", "UTC", "2024-12-31T23:59:59Z", 5),
            (Strings{"2025-01-01T00:00:00Z", "2025-04-01T00:00:00Z", "2025-07-01T00:00:00Z", "2025-10-01T00:00:00Z",
                     "2026-01-01T00:00:00Z"}));
  // Strictly after: a fire time itself is not the next one.
  EXPECT_EQ(FireTimes("0 0 1 */3 *", "UTC", "2025-04-01T00:00:00Z", 1), (Strings{"2025-07-01T00:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 1 */3 *", "UTC", "2025-03-31T23:59:59Z", 1), (Strings{"2025-04-01T00:00:00Z"}));
}

TEST(CronScheduleTest, QuarterlyForAYearInZones) {
  const std::string after = "2024-12-01T00:00:00Z";
  EXPECT_EQ(FireTimes("0 0 1 */3 *", "America/New_York", after, 5),
            (Strings{"2025-01-01T05:00:00Z", "2025-04-01T04:00:00Z", "2025-07-01T04:00:00Z", "2025-10-01T04:00:00Z",
                     "2026-01-01T05:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 1 */3 *", "Europe/Berlin", after, 5),
            (Strings{"2024-12-31T23:00:00Z", "2025-03-31T22:00:00Z", "2025-06-30T22:00:00Z", "2025-09-30T22:00:00Z",
                     "2025-12-31T23:00:00Z"}));
  // Southern summer: +11 until the first Sunday of April, +10 until the first of October.
  EXPECT_EQ(FireTimes("0 0 1 */3 *", "Australia/Sydney", after, 5),
            (Strings{"2024-12-31T13:00:00Z", "2025-03-31T13:00:00Z", "2025-06-30T14:00:00Z", "2025-09-30T14:00:00Z",
                     "2025-12-31T13:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 1 */3 *", "Asia/Kolkata", after, 5),
            (Strings{"2024-12-31T18:30:00Z", "2025-03-31T18:30:00Z", "2025-06-30T18:30:00Z", "2025-09-30T18:30:00Z",
                     "2025-12-31T18:30:00Z"}));
}

TEST(CronScheduleTest, ParsesEverySyntax) {
  const std::string jan1 = "2025-01-01T00:00:00Z";  // a Wednesday
  EXPECT_EQ(FireTimes("* * * * *", "UTC", "2025-01-01T00:00:30Z", 2),
            (Strings{"2025-01-01T00:01:00Z", "2025-01-01T00:02:00Z"}));
  EXPECT_EQ(FireTimes("*/20 * * * *", "UTC", jan1, 3),
            (Strings{"2025-01-01T00:20:00Z", "2025-01-01T00:40:00Z", "2025-01-01T01:00:00Z"}));
  // A list of a value, a range and `a/n` (a to the maximum).
  EXPECT_EQ(FireTimes("5,10-12,50/5 * * * *", "UTC", jan1, 7),
            (Strings{"2025-01-01T00:05:00Z", "2025-01-01T00:10:00Z", "2025-01-01T00:11:00Z", "2025-01-01T00:12:00Z",
                     "2025-01-01T00:50:00Z", "2025-01-01T00:55:00Z", "2025-01-01T01:05:00Z"}));
  EXPECT_EQ(FireTimes("10-30/10 * * * *", "UTC", jan1, 4),
            (Strings{"2025-01-01T00:10:00Z", "2025-01-01T00:20:00Z", "2025-01-01T00:30:00Z", "2025-01-01T01:10:00Z"}));
  EXPECT_EQ(FireTimes("0 9-17/4 * * *", "UTC", jan1, 4),
            (Strings{"2025-01-01T09:00:00Z", "2025-01-01T13:00:00Z", "2025-01-01T17:00:00Z", "2025-01-02T09:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 31 * *", "UTC", jan1, 3),
            (Strings{"2025-01-31T00:00:00Z", "2025-03-31T00:00:00Z", "2025-05-31T00:00:00Z"}));
  // Month names in any case, in lists and stepped ranges.
  EXPECT_EQ(FireTimes("0 0 1 jan,Jul *", "UTC", jan1, 2), (Strings{"2025-07-01T00:00:00Z", "2026-01-01T00:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 1 MAR-nov/4 *", "UTC", jan1, 4),
            (Strings{"2025-03-01T00:00:00Z", "2025-07-01T00:00:00Z", "2025-11-01T00:00:00Z", "2026-03-01T00:00:00Z"}));
  // Day names; Sunday is 0, 7 and SUN.
  EXPECT_EQ(FireTimes("0 12 * * mon-WED", "UTC", jan1, 4),
            (Strings{"2025-01-01T12:00:00Z", "2025-01-06T12:00:00Z", "2025-01-07T12:00:00Z", "2025-01-08T12:00:00Z"}));
  for (const char* sunday : {"0 0 * * 0", "0 0 * * 7", "0 0 * * SUN", "0 0 * * sun"}) {
    EXPECT_EQ(FireTimes(sunday, "UTC", jan1, 2), (Strings{"2025-01-05T00:00:00Z", "2025-01-12T00:00:00Z"})) << sunday;
  }
  EXPECT_EQ(FireTimes("0 0 * * 5-7", "UTC", jan1, 4),
            (Strings{"2025-01-03T00:00:00Z", "2025-01-04T00:00:00Z", "2025-01-05T00:00:00Z", "2025-01-10T00:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 * * */3", "UTC", jan1, 3),  // Sunday, Wednesday, Saturday
            (Strings{"2025-01-04T00:00:00Z", "2025-01-05T00:00:00Z", "2025-01-08T00:00:00Z"}));
  // Any blanks between fields, and around them.
  EXPECT_EQ(FireTimes(" \t0  0\t1 */3 *  ", "UTC", jan1, 1), (Strings{"2025-04-01T00:00:00Z"}));
}

TEST(CronScheduleTest, SixFieldsLeadWithSeconds) {
  EXPECT_EQ(FireTimes("* * * * * *", "UTC", "2025-01-01T23:59:58Z", 4),
            (Strings{"2025-01-01T23:59:59Z", "2025-01-02T00:00:00Z", "2025-01-02T00:00:01Z", "2025-01-02T00:00:02Z"}));
  EXPECT_EQ(FireTimes("*/20 * * * * *", "UTC", "2025-01-01T00:00:00Z", 3),
            (Strings{"2025-01-01T00:00:20Z", "2025-01-01T00:00:40Z", "2025-01-01T00:01:00Z"}));
  EXPECT_EQ(FireTimes("30 15 10 1 1 *", "UTC", "2025-01-01T00:00:00Z", 2),
            (Strings{"2025-01-01T10:15:30Z", "2026-01-01T10:15:30Z"}));
  // Every second, a minute at a time: 3600 fire times in an hour, each one second apart.
  const CronSchedule every_second = Schedule("* * * * * *");
  const date::time_zone* utc = Zone("UTC");
  sys_seconds t = Utc("2025-06-01T00:00:00Z");
  for (int i = 0; i < 3600; ++i) {
    const std::optional<sys_seconds> next = every_second.NextFireTime(utc, t);
    ASSERT_TRUE(next.has_value());
    ASSERT_EQ(*next - t, std::chrono::seconds{1});
    t = *next;
  }
}

TEST(CronScheduleTest, DayOfMonthOrDayOfWeekAsVixieCron) {
  const std::string feb1 = "2025-02-01T00:00:00Z";  // Fridays in February 2025: 7, 14, 21, 28
  // Both restricted: the 13th OR a Friday.
  EXPECT_EQ(FireTimes("0 0 13 * 5", "UTC", feb1, 6),
            (Strings{"2025-02-07T00:00:00Z", "2025-02-13T00:00:00Z", "2025-02-14T00:00:00Z", "2025-02-21T00:00:00Z",
                     "2025-02-28T00:00:00Z", "2025-03-07T00:00:00Z"}));
  // One of them `*`: the other alone decides.
  EXPECT_EQ(FireTimes("0 0 * * 5", "UTC", feb1, 2), (Strings{"2025-02-07T00:00:00Z", "2025-02-14T00:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 13 * *", "UTC", feb1, 2), (Strings{"2025-02-13T00:00:00Z", "2025-03-13T00:00:00Z"}));
  // A field that starts with `*` counts as unrestricted even with a step (Vixie's rule): odd
  // days AND Fridays ...
  EXPECT_EQ(FireTimes("0 0 */2 * 5", "UTC", feb1, 3),
            (Strings{"2025-02-07T00:00:00Z", "2025-02-21T00:00:00Z", "2025-03-07T00:00:00Z"}));
  // ... while the same days written as a range are restricted: odd days OR Fridays.
  EXPECT_EQ(FireTimes("0 0 1-31/2 * 5", "UTC", feb1, 9),
            (Strings{"2025-02-03T00:00:00Z", "2025-02-05T00:00:00Z", "2025-02-07T00:00:00Z", "2025-02-09T00:00:00Z",
                     "2025-02-11T00:00:00Z", "2025-02-13T00:00:00Z", "2025-02-14T00:00:00Z", "2025-02-15T00:00:00Z",
                     "2025-02-17T00:00:00Z"}));
}

TEST(CronScheduleTest, SpringForwardGapFiresOnceAtItsEnd) {
  // America/New_York, 2025-03-09: 02:00 EST becomes 03:00 EDT at 07:00Z.
  EXPECT_EQ(FireTimes("30 2 * * *", "America/New_York", "2025-03-07T12:00:00Z", 3),
            (Strings{"2025-03-08T07:30:00Z", "2025-03-09T07:00:00Z", "2025-03-10T06:30:00Z"}));
  // Four times in the gap: one fire, then the next day's 02:00 EDT.
  EXPECT_EQ(FireTimes("*/15 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", 3),
            (Strings{"2025-03-09T07:00:00Z", "2025-03-10T06:00:00Z", "2025-03-10T06:15:00Z"}));
  // 02:00, 02:30 (in the gap) and 03:00 (right after it) are the same instant: one fire.
  EXPECT_EQ(FireTimes("*/30 * * * *", "America/New_York", "2025-03-09T06:00:00Z", 3),
            (Strings{"2025-03-09T06:30:00Z", "2025-03-09T07:00:00Z", "2025-03-09T07:30:00Z"}));
  EXPECT_EQ(FireTimes("* * * * * *", "America/New_York", "2025-03-09T06:59:58Z", 3),
            (Strings{"2025-03-09T06:59:59Z", "2025-03-09T07:00:00Z", "2025-03-09T07:00:01Z"}));
  EXPECT_EQ(FireTimes("15 30 2 9 3 *", "America/New_York", "2025-01-01T00:00:00Z", 2),
            (Strings{"2025-03-09T07:00:00Z", "2026-03-09T06:30:15Z"}));
  // Europe/Berlin, 2025-03-30: 02:00 CET becomes 03:00 CEST at 01:00Z.
  EXPECT_EQ(FireTimes("30 2 * * *", "Europe/Berlin", "2025-03-28T12:00:00Z", 3),
            (Strings{"2025-03-29T01:30:00Z", "2025-03-30T01:00:00Z", "2025-03-31T00:30:00Z"}));
  // Australia/Sydney, 2025-10-05: 02:00 AEST becomes 03:00 AEDT at 2025-10-04T16:00Z.
  EXPECT_EQ(FireTimes("30 2 * * *", "Australia/Sydney", "2025-10-03T12:00:00Z", 3),
            (Strings{"2025-10-03T16:30:00Z", "2025-10-04T16:00:00Z", "2025-10-05T15:30:00Z"}));
  // Australia/Lord_Howe moves by half an hour: 02:00 +10:30 becomes 02:30 +11 at 15:30Z.
  EXPECT_EQ(FireTimes("15 2 * * *", "Australia/Lord_Howe", "2025-10-03T12:00:00Z", 3),
            (Strings{"2025-10-03T15:45:00Z", "2025-10-04T15:30:00Z", "2025-10-05T15:15:00Z"}));
  // America/Santiago springs forward at midnight: 2025-09-07 00:00 -04 becomes 01:00 -03.
  EXPECT_EQ(FireTimes("0 0 * * *", "America/Santiago", "2025-09-05T12:00:00Z", 3),
            (Strings{"2025-09-06T04:00:00Z", "2025-09-07T04:00:00Z", "2025-09-08T03:00:00Z"}));
}

TEST(CronScheduleTest, RepeatedHourFiresOnceAtTheFirstOccurrence) {
  // America/New_York, 2025-11-02: 02:00 EDT becomes 01:00 EST at 06:00Z; 01:30 happens at
  // 05:30Z and again at 06:30Z.
  EXPECT_EQ(FireTimes("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", 2),
            (Strings{"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"}));
  // Europe/Berlin, 2025-10-26: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:30 happens at
  // 00:30Z and 01:30Z.
  EXPECT_EQ(FireTimes("30 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", 2),
            (Strings{"2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"}));
  // Every quarter hour: none fires during the second 01:xx (06:00Z-06:59Z) ...
  EXPECT_EQ(FireTimes("*/15 * * * *", "America/New_York", "2025-11-02T05:40:00Z", 3),
            (Strings{"2025-11-02T05:45:00Z", "2025-11-02T07:00:00Z", "2025-11-02T07:15:00Z"}));
  // ... also when asked from inside it (06:10Z is the second 01:10).
  EXPECT_EQ(FireTimes("*/15 * * * *", "America/New_York", "2025-11-02T06:10:00Z", 1),
            (Strings{"2025-11-02T07:00:00Z"}));
  EXPECT_EQ(FireTimes("* * * * * *", "America/New_York", "2025-11-02T05:59:58Z", 3),
            (Strings{"2025-11-02T05:59:59Z", "2025-11-02T07:00:00Z", "2025-11-02T07:00:01Z"}));
  EXPECT_EQ(FireTimes("* * * * * *", "America/New_York", "2025-11-02T06:30:00Z", 1), (Strings{"2025-11-02T07:00:00Z"}));
}

TEST(CronScheduleTest, ScheduleThatCannotFireEndsTheSearch) {
  EXPECT_EQ(FireTimes("0 0 30 2 *", "UTC", "2025-01-01T00:00:00Z", 1), (Strings{"never"}));
  EXPECT_EQ(FireTimes("0 0 31 4,6,9,11 *", "Europe/Berlin", "2025-01-01T00:00:00Z", 1), (Strings{"never"}));
  EXPECT_EQ(FireTimes("0 0 30 2 */2", "America/New_York", "2025-01-01T00:00:00Z", 1), (Strings{"never"}));
  // Rare is not never: 29 February, eight years apart across 2100 (not a leap year).
  EXPECT_EQ(FireTimes("0 0 29 2 *", "UTC", "2025-01-01T00:00:00Z", 1), (Strings{"2028-02-29T00:00:00Z"}));
  EXPECT_EQ(FireTimes("0 0 29 2 *", "UTC", "2097-03-01T00:00:00Z", 1), (Strings{"2104-02-29T00:00:00Z"}));
  // 29 February on a Sunday (`*/7` is Sunday and, starting with `*`, ANDs with the day).
  EXPECT_EQ(FireTimes("0 0 29 2 */7", "UTC", "2021-01-01T00:00:00Z", 2),
            (Strings{"2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z"}));
  // Outside the years 1-9999 there is no answer rather than an overflow.
  const CronSchedule hourly = Schedule("0 * * * *");
  EXPECT_FALSE(hourly.NextFireTime(Zone("UTC"), Utc("9999-12-31T23:59:59Z") + std::chrono::seconds{1}));
  EXPECT_EQ(hourly.NextFireTime(Zone("UTC"), Utc("9999-12-31T22:59:59Z")), Utc("9999-12-31T23:00:00Z"));
}

TEST(CronScheduleTest, RejectsEveryMalformedField) {
  const std::string fields =
      "expected 5 or 6 fields (minute hour day-of-month month day-of-week, optionally led by "
      "second), got ";
  EXPECT_EQ(ParseError(""), fields + "0");
  EXPECT_EQ(ParseError("@daily"), fields + "1");
  EXPECT_EQ(ParseError("0 0 1 *"), fields + "4");
  EXPECT_EQ(ParseError("0 0 0 1 * * *"), fields + "7");
  EXPECT_EQ(ParseError("61 * * * *"), "minute field \"61\": value 61 out of range 0-59");
  EXPECT_EQ(ParseError("60 * * * * *"), "second field \"60\": value 60 out of range 0-59");
  EXPECT_EQ(ParseError("0 24 * * *"), "hour field \"24\": value 24 out of range 0-23");
  EXPECT_EQ(ParseError("0 0 0 * *"), "day-of-month field \"0\": value 0 out of range 1-31");
  EXPECT_EQ(ParseError("0 0 32 * *"), "day-of-month field \"32\": value 32 out of range 1-31");
  EXPECT_EQ(ParseError("0 0 * 13 *"), "month field \"13\": value 13 out of range 1-12");
  EXPECT_EQ(ParseError("0 0 * 0 *"), "month field \"0\": value 0 out of range 1-12");
  EXPECT_EQ(ParseError("0 0 * * 8"), "day-of-week field \"8\": value 8 out of range 0-7");
  EXPECT_EQ(ParseError("1,5,99999999999 * * * *"),
            "minute field \"1,5,99999999999\": value 99999999999 out of range 0-59");
  EXPECT_EQ(ParseError("0 0 * JANUARY *"),
            "month field \"JANUARY\": expected a number or a month name (JAN-DEC), got \"JANUARY\"");
  EXPECT_EQ(ParseError("0 0 * * MON-FRY"),
            "day-of-week field \"MON-FRY\": expected a number or a day name (SUN-SAT), got \"FRY\"");
  EXPECT_EQ(ParseError("0 JAN * * *"), "hour field \"JAN\": expected a number, got \"JAN\"");
  EXPECT_EQ(ParseError("0 0 * MON *"), "month field \"MON\": expected a number or a month name (JAN-DEC), got \"MON\"");
  EXPECT_EQ(ParseError("x * * * *"), "minute field \"x\": expected a number, got \"x\"");
  EXPECT_EQ(ParseError("-1 * * * *"), "minute field \"-1\": expected a number, got \"\"");
  EXPECT_EQ(ParseError("5- * * * *"), "minute field \"5-\": expected a number, got \"\"");
  EXPECT_EQ(ParseError("*-5 * * * *"), "minute field \"*-5\": expected a number, got \"*\"");
  EXPECT_EQ(ParseError("1-2-3 * * * *"), "minute field \"1-2-3\": expected a number, got \"2-3\"");
  EXPECT_EQ(ParseError("5-3 * * * *"), "minute field \"5-3\": range 5-3 runs backwards");
  EXPECT_EQ(ParseError("0 0 * * FRI-MON"), "day-of-week field \"FRI-MON\": range FRI-MON runs backwards");
  EXPECT_EQ(ParseError("*/0 * * * *"), "minute field \"*/0\": step 0 out of range 1-60");
  EXPECT_EQ(ParseError("0 */25 * * *"), "hour field \"*/25\": step 25 out of range 1-24");
  EXPECT_EQ(ParseError("*/ * * * *"), "minute field \"*/\": step \"\" is not a number");
  EXPECT_EQ(ParseError("*/2/3 * * * *"), "minute field \"*/2/3\": step \"2/3\" is not a number");
  EXPECT_EQ(ParseError("1,,2 * * * *"), "minute field \"1,,2\": empty list element");
  EXPECT_EQ(ParseError("0 0 1, * *"), "day-of-month field \"1,\": empty list element");
  // The first bad field is the one reported.
  EXPECT_EQ(ParseError("99 99 * * *"), "minute field \"99\": value 99 out of range 0-59");
}

TEST(CronScheduleTest, LocatesOnlyRealZones) {
  for (const char* name : {"UTC", "Etc/UTC", "America/New_York", "Europe/Berlin", "US/Eastern"}) {
    Result<const date::time_zone*> zone = LocateTimeZone(name);
    ASSERT_TRUE(zone.ok()) << name << ": " << zone.status().ToString();
    EXPECT_EQ((*zone)->name(), name);
  }
  // Not zones: unknown, wrong case, a directory, a data file beside the zones, empty.
  for (const char* name : {"Mars/Base", "america/new_york", "America", "tzdata.zi", "zone.tab", ""}) {
    Result<const date::time_zone*> zone = LocateTimeZone(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_TRUE(zone.status().IsInvalidArgument()) << zone.status().ToString();
    EXPECT_EQ(
        zone.status().message().rfind("unknown time zone \"" + std::string(name) + "\": expected an IANA name", 0), 0u)
        << zone.status().message();
  }
}

// ---- Random schedules against a brute-force reference ----------------------------------

// A field's allowed values, worked out from the text's meaning by the test itself.
struct ReferenceField {
  std::string text;
  std::vector<bool> allowed;  // index = value
};

ReferenceField RandomField(SeededRandom* rng, int min, int max, const std::vector<std::string>& names) {
  ReferenceField field{"", std::vector<bool>(static_cast<size_t>(max + 1), false)};
  auto pick = [&] { return min + static_cast<int>(rng->Below(static_cast<uint32_t>(max - min + 1))); };
  auto render = [&](int v) {
    const size_t index = static_cast<size_t>(v - min);
    return (index < names.size() && rng->Below(2) == 0) ? names[index] : std::to_string(v);
  };
  auto allow = [&](int from, int to, int step) {
    for (int v = from; v <= to; v += step) field.allowed[static_cast<size_t>(v)] = true;
  };
  const int step = 1 + static_cast<int>(rng->Below(static_cast<uint32_t>(std::min(max - min + 1, 12))));
  switch (rng->Below(7)) {
    case 0:
      field.text = "*";
      allow(min, max, 1);
      break;
    case 1:
    case 2: {  // a list of one to three values
      const int count = 1 + static_cast<int>(rng->Below(3));
      for (int i = 0; i < count; ++i) {
        const int v = pick();
        field.text += (i ? "," : "") + render(v);
        allow(v, v, 1);
      }
      break;
    }
    case 3:
    case 4: {  // a-b, or a-b/n
      int a = pick(), b = pick();
      if (a > b) std::swap(a, b);
      const int n = rng->Below(2) ? step : 1;
      field.text = render(a) + "-" + render(b) + (n > 1 ? "/" + std::to_string(n) : "");
      allow(a, b, n);
      break;
    }
    case 5:
      field.text = "*/" + std::to_string(step);
      allow(min, max, step);
      break;
    default: {
      const int a = pick();
      field.text = render(a) + "/" + std::to_string(step);
      allow(a, max, step);
      break;
    }
  }
  return field;
}

struct ReferenceSchedule {
  std::string text;
  ReferenceField minute, hour, day_of_month, month, day_of_week;

  bool Matches(int64_t local_minute) const {
    const int64_t day = local_minute >= 0 ? local_minute / 1440 : (local_minute - 1439) / 1440;
    const int minute_of_day = static_cast<int>(local_minute - day * 1440);
    const date::local_days local_day{date::days{day}};
    const date::year_month_day ymd{local_day};
    const unsigned weekday = date::weekday{local_day}.c_encoding();
    const bool dom = day_of_month.allowed[static_cast<unsigned>(ymd.day())];
    const bool dow = day_of_week.allowed[weekday] || (weekday == 0 && day_of_week.allowed[7]);
    const bool day_ok = (day_of_month.text[0] == '*' || day_of_week.text[0] == '*') ? (dom && dow) : (dom || dow);
    return day_ok && month.allowed[static_cast<unsigned>(ymd.month())] &&
           hour.allowed[static_cast<size_t>(minute_of_day / 60)] &&
           minute.allowed[static_cast<size_t>(minute_of_day % 60)];
  }
};

ReferenceSchedule FixedSchedule(const std::string& text) {
  // Only for texts of plain `*`, values and `a-b` lists, which the reference reads itself.
  ReferenceSchedule s{text, {}, {}, {}, {}, {}};
  ReferenceField* fields[] = {&s.minute, &s.hour, &s.day_of_month, &s.month, &s.day_of_week};
  const int maxima[] = {59, 23, 31, 12, 7};
  size_t pos = 0;
  for (int f = 0; f < 5; ++f) {
    const size_t end = text.find(' ', pos);
    ReferenceField& field = *fields[f];
    field.text = text.substr(pos, end == std::string::npos ? end : end - pos);
    field.allowed.assign(static_cast<size_t>(maxima[f] + 1), false);
    size_t item = 0;
    while (item <= field.text.size()) {
      size_t comma = field.text.find(',', item);
      if (comma == std::string::npos) comma = field.text.size();
      const std::string token = field.text.substr(item, comma - item);
      int low = f >= 2 && f <= 3 ? 1 : 0, high = maxima[f], step = 1;
      std::string range = token;
      if (const size_t slash = token.find('/'); slash != std::string::npos) {
        step = std::stoi(token.substr(slash + 1));
        range = token.substr(0, slash);
      }
      if (range != "*") {
        const size_t dash = range.find('-');
        low = std::stoi(range.substr(0, dash));
        high = dash == std::string::npos ? (token.find('/') == std::string::npos ? low : high)
                                         : std::stoi(range.substr(dash + 1));
      }
      for (int v = low; v <= high; v += step) field.allowed[static_cast<size_t>(v)] = true;
      item = comma + 1;
    }
    pos = end + 1;
  }
  return s;
}

ReferenceSchedule RandomSchedule(SeededRandom* rng) {
  static const std::vector<std::string> kMonths = {"JAN", "feb", "Mar", "APR", "may", "JUN",
                                                   "jul", "AUG", "sep", "OCT", "nov", "Dec"};
  static const std::vector<std::string> kDays = {"SUN", "mon", "Tue", "WED", "thu", "FRI", "sat"};
  ReferenceSchedule s;
  s.minute = RandomField(rng, 0, 59, {});
  s.hour = RandomField(rng, 0, 23, {});
  s.day_of_month = RandomField(rng, 1, 31, {});
  s.month = RandomField(rng, 1, 12, kMonths);
  s.day_of_week = RandomField(rng, 0, 7, kDays);
  s.text =
      s.minute.text + " " + s.hour.text + " " + s.day_of_month.text + " " + s.month.text + " " + s.day_of_week.text;
  return s;
}

// The spec's rule as a walk over UTC minutes: each minute newly reaches the local times
// after the latest one reached so far (a whole gap at once when clocks jump forward, none
// while they repeat an hour); it fires when any of those matches.
std::vector<sys_seconds> ReferenceFireTimes(const ReferenceSchedule& schedule, sys_seconds start,
                                            const std::vector<int64_t>& local_minutes) {
  std::vector<sys_seconds> fires;
  int64_t reached = local_minutes[0];
  for (size_t i = 1; i < local_minutes.size(); ++i) {
    for (int64_t m = reached + 1; m <= local_minutes[i]; ++m) {
      if (schedule.Matches(m)) {
        fires.push_back(start + std::chrono::minutes{static_cast<int64_t>(i)});
        break;
      }
    }
    reached = std::max(reached, local_minutes[i]);
  }
  return fires;
}

TEST(CronScheduleTest, RandomSchedulesMatchABruteForceWalkForAYear) {
  const sys_seconds start = Utc("2024-12-31T00:00:00Z");
  const sys_seconds end = Utc("2026-01-02T00:00:00Z");
  std::vector<ReferenceSchedule> schedules;
  for (const char* text : {"*/15 2 * * *", "30 1 * * *", "0 * * * *", "*/7 0-3 * * *", "0 2 * 3,10,11 0",
                           "45 1,2 * * 0", "0,30 2 8-14 3 *", "15 2 * * *", "0 0 * * *", "59 23 * * 6"}) {
    schedules.push_back(FixedSchedule(text));
  }
  SeededRandom rng(20250309);
  for (int i = 0; i < 24; ++i) schedules.push_back(RandomSchedule(&rng));

  for (const char* zone_name : {"UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe",
                                "Asia/Kolkata", "America/Santiago"}) {
    const date::time_zone* zone = Zone(zone_name);
    std::vector<int64_t> local_minutes;
    for (sys_seconds t = start; t < end; t += std::chrono::minutes{1}) {
      const auto local = zone->to_local(t).time_since_epoch();
      ASSERT_EQ(local.count() % 60, 0) << zone_name << " has an offset of seconds";
      local_minutes.push_back(local.count() / 60);
    }
    for (const ReferenceSchedule& reference : schedules) {
      SCOPED_TRACE(std::string(zone_name) + " \"" + reference.text + "\"");
      const std::vector<sys_seconds> expected = ReferenceFireTimes(reference, start, local_minutes);
      const CronSchedule schedule = Schedule(reference.text);
      // The chain of fire times from the start ...
      std::vector<sys_seconds> got;
      for (std::optional<sys_seconds> t = schedule.NextFireTime(zone, start); t && *t < end;
           t = schedule.NextFireTime(zone, *t)) {
        got.push_back(*t);
      }
      const auto [e, g] = std::mismatch(expected.begin(), expected.end(), got.begin(), got.end());
      ASSERT_TRUE(e == expected.end() && g == got.end())
          << "fire " << (e - expected.begin()) << " of " << expected.size() << ": expected "
          << (e == expected.end() ? "none" : FormatRfc3339Utc(*e)) << ", got "
          << (g == got.end() ? "none" : FormatRfc3339Utc(*g));
      // ... and from arbitrary instants, whole seconds anywhere in the year.
      for (int k = 0; k < 40; ++k) {
        const sys_seconds after = start + std::chrono::seconds{rng.Below(360 * 86400)};
        const auto next = std::upper_bound(expected.begin(), expected.end(), after);
        if (next == expected.end()) continue;
        ASSERT_EQ(schedule.NextFireTime(zone, after), *next) << "after " << FormatRfc3339Utc(after);
      }
    }
  }
}

}  // namespace
}  // namespace stocklake
