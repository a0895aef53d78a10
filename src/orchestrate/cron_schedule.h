// Cron schedules for the pipeline scheduler (pipeline.md "Definition" and "Commands"): the
// `schedule` field parsed once, and its fire times in the pipeline's IANA time zone with the
// spec's daylight-saving rules. Zones come from the system tzdata (/usr/share/zoneinfo)
// through Howard Hinnant's date library.
#pragma once

#include <date/tz.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace stocklake {

//! A parsed cron expression: the local wall-clock times at which a pipeline fires.
class CronSchedule {
 public:
  //! Parses 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading
  //! second, separated by blanks. A field is `*` or a comma list of `a`, `a-b`, `*/n`,
  //! `a-b/n` or `a/n` (a to the field's maximum); months may be JAN-DEC and days of the week
  //! SUN-SAT (any case); day-of-week 0 and 7 are both Sunday. As in Vixie cron, when both
  //! day fields are restricted a day matches if EITHER matches, and a field that starts
  //! with `*` (also `*/2`) counts as unrestricted. InvalidArgument naming the field and the
  //! reason (`minute field "61": value 61 out of range 0-59`); the caller adds where the
  //! text came from.
  [[nodiscard]] static Result<CronSchedule> Parse(std::string_view text);

  //! The first fire time strictly after `after`, in UTC. Fields match the wall-clock time
  //! of `zone` (from LocateTimeZone, not null). A local time that does not exist (the
  //! spring-forward gap) fires once, at the first instant after the gap, however many
  //! matching times the gap swallows; a local time that occurs twice (fall-back) fires once,
  //! at its first occurrence. Skips by field, and searches 400 years (a full Gregorian
  //! cycle, so a schedule it finds nothing for never fires): nullopt for a schedule that
  //! can never fire (`0 0 30 2 *`) or an `after` outside the years 1-9999.
  //! After the last transition its tzdata file lists (2037 in Debian's files) a zone keeps
  //! that offset: the date library ignores the file's rule for later years (date#794).
  [[nodiscard]] std::optional<std::chrono::sys_seconds> NextFireTime(const date::time_zone* zone,
                                                                     std::chrono::sys_seconds after) const;

 private:
  CronSchedule() = default;
  bool DayMatches(const date::year_month_day& day) const;
  //! The first matching wall-clock time at or after `from`, nullopt if none before `limit`.
  std::optional<date::local_seconds> NextLocalMatch(date::local_seconds from, date::local_days limit) const;

  // Bit i set: value i matches.
  uint64_t seconds_ = 0;
  uint64_t minutes_ = 0;
  uint32_t hours_ = 0;
  uint32_t days_of_month_ = 0;  // bits 1-31
  uint16_t months_ = 0;         // bits 1-12
  uint8_t days_of_week_ = 0;    // bits 0-6, 0 = Sunday
  bool day_of_month_star_ = false;
  bool day_of_week_star_ = false;
};

//! The zone named `iana_name` ("America/New_York", "UTC"), loaded, so that using it later
//! cannot fail. InvalidArgument for a name the system tzdata does not hold
//! (`unknown time zone "Mars/Base"`); IOError when the tzdata itself cannot be read.
[[nodiscard]] Result<const date::time_zone*> LocateTimeZone(std::string_view iana_name);

}  // namespace stocklake
