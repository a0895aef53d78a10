// Cron parsing into one bit set per field, and the next-fire search: field by field over
// local wall-clock time, then the zone's local_info decides what a matching time means in
// UTC (unique, in a spring-forward gap, or repeated by a fall-back).
#include "orchestrate/cron_schedule.h"

#include <array>
#include <bit>
#include <charconv>
#include <exception>
#include <string>
#include <vector>

namespace stocklake {

namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;  // names[i] means the value names_first + i; null: numbers only
  int name_count;
  int names_first;
  std::string_view names_hint;  // completes "expected a number"
};

constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0, 0, ""};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0, 0, ""};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0, 0, ""};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr, 0, 0, ""};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames.data(), 12, 1, " or a month name (JAN-DEC)"};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, kDayNames.data(), 7, 0, " or a day name (SUN-SAT)"};

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'a' && a[i] <= 'z') ? static_cast<char>(a[i] - 'a' + 'A') : a[i];
    if (c != b[i]) return false;
  }
  return true;
}

// One field's text into a bit set (bit v set: value v matches).
class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view text) : spec_(spec), text_(text) {}

  Result<uint64_t> Parse() const {
    uint64_t bits = 0;
    size_t start = 0;
    while (true) {
      const size_t comma = text_.find(',', start);
      SL_RETURN_IF_ERROR(AddItem(text_.substr(start, comma == std::string_view::npos ? comma : comma - start), &bits));
      if (comma == std::string_view::npos) return bits;
      start = comma + 1;
    }
  }

 private:
  Status Error(const std::string& reason) const {
    return Status::InvalidArgument(std::string(spec_.name) + " field \"" + std::string(text_) + "\": " + reason);
  }

  // `*`, `a`, `a-b`, each optionally followed by `/step`.
  Status AddItem(std::string_view item, uint64_t* bits) const {
    if (item.empty()) return Error("empty list element");
    const size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      const int span = spec_.max - spec_.min + 1;
      if (!AllDigits(step_text)) return Error("step \"" + std::string(step_text) + "\" is not a number");
      if (std::from_chars(step_text.data(), step_text.data() + step_text.size(), step).ec != std::errc() || step < 1 ||
          step > span) {
        return Error("step " + std::string(step_text) + " out of range 1-" + std::to_string(span));
      }
    }
    int low = spec_.min;
    int high = spec_.max;
    if (base != "*") {
      const size_t dash = base.find('-');
      SL_ASSIGN_OR_RETURN(low, Value(base.substr(0, dash)));
      if (dash != std::string_view::npos) {
        SL_ASSIGN_OR_RETURN(high, Value(base.substr(dash + 1)));
        if (high < low) return Error("range " + std::string(base) + " runs backwards");
      } else if (slash == std::string_view::npos) {
        high = low;  // `a/n` runs from a to the maximum; a lone `a` is just a
      }
    }
    for (int v = low; v <= high; v += step) *bits |= uint64_t{1} << v;
    return Status::OK();
  }

  Result<int> Value(std::string_view token) const {
    if (AllDigits(token)) {
      int value = 0;
      if (std::from_chars(token.data(), token.data() + token.size(), value).ec != std::errc() || value < spec_.min ||
          value > spec_.max) {
        return Error("value " + std::string(token) + " out of range " + std::to_string(spec_.min) + "-" +
                     std::to_string(spec_.max));
      }
      return value;
    }
    for (int i = 0; i < spec_.name_count; ++i) {
      if (EqualsIgnoringCase(token, spec_.names[i])) return spec_.names_first + i;
    }
    return Error("expected a number" + std::string(spec_.names_hint) + ", got \"" + std::string(token) + "\"");
  }

  const FieldSpec& spec_;
  std::string_view text_;
};

std::vector<std::string_view> SplitFields(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n\v\f";
  std::vector<std::string_view> fields;
  size_t pos = text.find_first_not_of(kBlanks);
  while (pos != std::string_view::npos) {
    const size_t end = text.find_first_of(kBlanks, pos);
    fields.push_back(text.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = text.find_first_not_of(kBlanks, end);
  }
  return fields;
}

// The lowest set bit of `bits` at or above `from`, or -1.
int NextBit(uint64_t bits, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = bits >> from;
  return rest == 0 ? -1 : from + std::countr_zero(rest);
}

std::chrono::sys_seconds ToSys(date::local_seconds local, std::chrono::seconds offset) {
  return std::chrono::sys_seconds{local.time_since_epoch()} - offset;
}

date::local_seconds ToLocal(std::chrono::sys_seconds sys, std::chrono::seconds offset) {
  return date::local_seconds{(sys + offset).time_since_epoch()};
}

// The searchable instants: 4-digit years, so local arithmetic (±1 day of offset, +400 years)
// stays far inside what the date library's year type holds.
const std::chrono::sys_seconds kEarliestAfter{date::sys_days{date::year{1} / 1 / 1}.time_since_epoch()};
const std::chrono::sys_seconds kLatestAfter{date::sys_days{date::year{10000} / 1 / 1}.time_since_epoch()};

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text) {
  const std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != 5 && fields.size() != 6) {
    return Status::InvalidArgument(
        "expected 5 or 6 fields (minute hour day-of-month month day-of-week, optionally led by second), got " +
        std::to_string(fields.size()));
  }
  CronSchedule schedule;
  size_t i = 0;
  if (fields.size() == 6) {
    SL_ASSIGN_OR_RETURN(schedule.seconds_, FieldParser(kSecond, fields[i++]).Parse());
  } else {
    schedule.seconds_ = 1;  // second 0
  }
  SL_ASSIGN_OR_RETURN(schedule.minutes_, FieldParser(kMinute, fields[i++]).Parse());
  SL_ASSIGN_OR_RETURN(const uint64_t hours, FieldParser(kHour, fields[i++]).Parse());
  schedule.day_of_month_star_ = fields[i].front() == '*';
  SL_ASSIGN_OR_RETURN(const uint64_t days_of_month, FieldParser(kDayOfMonth, fields[i++]).Parse());
  SL_ASSIGN_OR_RETURN(const uint64_t months, FieldParser(kMonth, fields[i++]).Parse());
  schedule.day_of_week_star_ = fields[i].front() == '*';
  SL_ASSIGN_OR_RETURN(uint64_t days_of_week, FieldParser(kDayOfWeek, fields[i++]).Parse());
  if (days_of_week & (uint64_t{1} << 7)) days_of_week |= 1;  // 7 is Sunday too
  schedule.hours_ = static_cast<uint32_t>(hours);
  schedule.days_of_month_ = static_cast<uint32_t>(days_of_month);
  schedule.months_ = static_cast<uint16_t>(months);
  schedule.days_of_week_ = static_cast<uint8_t>(days_of_week & 0x7F);
  return schedule;
}

bool CronSchedule::DayMatches(const date::year_month_day& day) const {
  const bool day_of_month = (days_of_month_ >> static_cast<unsigned>(day.day())) & 1;
  const bool day_of_week = (days_of_week_ >> date::weekday{date::local_days{day}}.c_encoding()) & 1;
  if (day_of_month_star_ || day_of_week_star_) return day_of_month && day_of_week;
  return day_of_month || day_of_week;
}

std::optional<date::local_seconds> CronSchedule::NextLocalMatch(date::local_seconds t, date::local_days limit) const {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  // Each step either returns or moves t forward to the next value the first failing field
  // allows (resetting the smaller fields), so the loop runs at most a few times per
  // matching month or day.
  while (true) {
    const date::local_days day = date::floor<date::days>(t);
    if (day >= limit) return std::nullopt;
    const date::year_month_day ymd{day};
    if (!((months_ >> static_cast<unsigned>(ymd.month())) & 1)) {
      date::year_month next = ymd.year() / ymd.month() + date::months{1};
      while (!((months_ >> static_cast<unsigned>(next.month())) & 1)) next += date::months{1};
      t = date::local_days{next / 1};
      continue;
    }
    if (!DayMatches(ymd)) {
      if (day_of_month_star_ || day_of_week_star_) {
        // Day-of-month must match: jump to its next value this month, or to the next month.
        const int next = NextBit(days_of_month_, static_cast<int>(static_cast<unsigned>(ymd.day())) + 1);
        const auto last = static_cast<int>(static_cast<unsigned>((ymd.year() / ymd.month() / date::last).day()));
        t = (next < 0 || next > last) ? date::local_days{(ymd.year() / ymd.month() + date::months{1}) / 1}
                                      : date::local_days{ymd.year() / ymd.month() / next};
      } else {
        t = day + date::days{1};
      }
      continue;
    }
    const seconds time_of_day = t - day;
    const int hour = static_cast<int>(time_of_day / hours{1});
    const int minute = static_cast<int>(time_of_day / minutes{1} % 60);
    const int second = static_cast<int>(time_of_day.count() % 60);
    const int next_hour = NextBit(hours_, hour);
    if (next_hour < 0) {
      t = day + date::days{1};
      continue;
    }
    if (next_hour != hour) {
      t = day + hours{next_hour};
      continue;
    }
    const int next_minute = NextBit(minutes_, minute);
    if (next_minute < 0) {
      t = day + hours{hour + 1};
      continue;
    }
    if (next_minute != minute) {
      t = day + hours{hour} + minutes{next_minute};
      continue;
    }
    const int next_second = NextBit(seconds_, second);
    if (next_second < 0) {
      t = day + hours{hour} + minutes{minute + 1};
      continue;
    }
    return day + hours{hour} + minutes{minute} + seconds{next_second};
  }
}

std::optional<std::chrono::sys_seconds> CronSchedule::NextFireTime(const date::time_zone* zone,
                                                                   std::chrono::sys_seconds after) const {
  if (after < kEarliestAfter || after >= kLatestAfter) return std::nullopt;
  const date::local_seconds after_local = zone->to_local(after);
  // The calendar (month, day, weekday) repeats every 400 years: nothing in that window
  // means nothing ever.
  const date::local_days limit =
      date::local_days{date::year_month_day{date::floor<date::days>(after_local)} + date::years{400}} + date::days{1};
  // Local time maps to UTC in order (gap times to the gap's end, repeated times to their
  // first occurrence), so the first matching local time after `after`'s own whose instant
  // is after `after` is the answer; only a repeated time's first occurrence can lie before.
  date::local_seconds from = after_local + std::chrono::seconds{1};
  while (const std::optional<date::local_seconds> local = NextLocalMatch(from, limit)) {
    const date::local_info info = zone->get_info(*local);
    std::chrono::sys_seconds fire;
    switch (info.result) {
      case date::local_info::nonexistent:
        fire = info.second.begin;  // the first instant after the gap, for every time in it
        from = ToLocal(info.second.begin, info.second.offset);
        break;
      case date::local_info::ambiguous:
        fire = ToSys(*local, info.first.offset);
        // The rest of the repeated hour fired (or not) on its first pass.
        from = ToLocal(info.second.begin, info.first.offset);
        break;
      default:
        fire = ToSys(*local, info.first.offset);
        from = *local + std::chrono::seconds{1};
        break;
    }
    if (fire > after) return fire;
  }
  return std::nullopt;
}

Result<const date::time_zone*> LocateTimeZone(std::string_view iana_name) {
  // The date library reports everything by exception: the tzdata directory missing
  // (get_tzdb), an unknown name (locate_zone), an unreadable zone file (its first use).
  try {
    (void)date::get_tzdb();
  } catch (const std::exception& e) {
    std::string what = e.what();
    while (!what.empty() && what.back() == '\n') what.pop_back();
    return Status::IOError("reading the time zone database: " + what + "; install tzdata (/usr/share/zoneinfo)");
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(iana_name);  // libdate-tz exports no tzdb::locate_zone
  } catch (const std::exception&) {
    return Status::InvalidArgument("unknown time zone \"" + std::string(iana_name) +
                                   "\": expected an IANA name such as UTC, Europe/Berlin or America/New_York "
                                   "(the names under /usr/share/zoneinfo)");
  }
  try {
    (void)zone->get_info(std::chrono::sys_seconds{});  // loads the zone's file now
  } catch (const std::exception& e) {
    return Status::IOError("reading time zone \"" + std::string(iana_name) + "\": " + e.what());
  }
  return zone;
}

}  // namespace stocklake
