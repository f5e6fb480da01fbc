#include "libs/calendar/business_calendar.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace complaints::calendar {
namespace {

// Bounds every day loop: a calendar always has working days (Create checks that not every weekday
// is a weekend day and holidays are finite), so only an absurd request runs this far.
constexpr int kMaxDays = 100 * 366;
// The per-day override table covers the declared holidays; more than this is a data error.
constexpr int kMaxOverrideDays = 200 * 366;

std::string DayString(absl::CivilDay day) { return absl::FormatCivilTime(day); }

std::string Where(const std::string& origin) { return origin.empty() ? "" : origin + ": "; }

bool Leap29(absl::CivilDay day) { return day.month() == 2 && day.day() == 29; }

// Month and day of a day, comparable: (3, 15) < (3, 16).
std::pair<int, int> MonthDay(absl::CivilDay day) { return {day.month(), day.day()}; }

// The occurrence of a sensitive period that covers `day`, if any.
std::optional<std::pair<absl::CivilDay, absl::CivilDay>> Occurrence(const SensitivePeriod& p,
                                                                    absl::CivilDay day) {
  if (!p.every_year) {
    if (day < p.first || day > p.last) return std::nullopt;
    return std::make_pair(p.first, p.last);
  }
  const auto s = MonthDay(p.first);
  const auto e = MonthDay(p.last);
  const auto x = MonthDay(day);
  const auto y = day.year();
  auto on = [](absl::civil_year_t year, std::pair<int, int> md) {
    return absl::CivilDay(year, md.first, md.second);
  };
  if (s <= e) {
    if (x < s || x > e) return std::nullopt;
    return std::make_pair(on(y, s), on(y, e));
  }
  // Wraps the year end: 12-20..01-10.
  if (x >= s) return std::make_pair(on(y, s), on(y + 1, e));
  if (x <= e) return std::make_pair(on(y - 1, s), on(y, e));
  return std::nullopt;
}

}  // namespace

absl::Status BusinessCalendar::ValidatePeriods(const std::vector<Period>& periods) {
  if (periods.empty()) return absl::InvalidArgumentError("a working day needs at least one period");
  int previous_end = 0;
  for (const Period& p : periods) {
    if (p.start_minute < 0 || p.end_minute > 24 * 60 || p.start_minute >= p.end_minute) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "working period %02d:%02d-%02d:%02d is empty or outside 00:00-24:00", p.start_minute / 60,
          p.start_minute % 60, p.end_minute / 60, p.end_minute % 60));
    }
    if (p.start_minute < previous_end) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "working period starting %02d:%02d overlaps or precedes the one before: list periods "
          "in order",
          p.start_minute / 60, p.start_minute % 60));
    }
    previous_end = p.end_minute;
  }
  return absl::OkStatus();
}

absl::StatusOr<BusinessCalendar> BusinessCalendar::Create(Spec spec) {
  BusinessCalendar cal;
  const std::string name = "region " + spec.region + ": ";
  if (spec.region.empty()) return absl::InvalidArgumentError("calendar without a region");
  if (!absl::LoadTimeZone(spec.zone, &cal.zone_)) {
    return absl::NotFoundError(name + "unknown time zone '" + spec.zone +
                               "' (is tzdata installed in /usr/share/zoneinfo?)");
  }
  if (absl::Status s = ValidatePeriods(spec.periods); !s.ok()) {
    return absl::InvalidArgumentError(name + std::string(s.message()));
  }
  for (const Period& p : spec.periods) cal.day_minutes_ += p.end_minute - p.start_minute;
  for (absl::Weekday w : spec.weekend) cal.weekend_[static_cast<int>(w)] = true;
  if (std::all_of(cal.weekend_.begin(), cal.weekend_.end(), [](bool b) { return b; })) {
    return absl::InvalidArgumentError(name + "every day of the week is a weekend day");
  }

  // Dense override table over the declared days.
  std::optional<absl::CivilDay> lo, hi;
  for (const auto* ranges : {&spec.holidays, &spec.workdays}) {
    for (const DayRange& r : *ranges) {
      if (r.name.empty()) return absl::InvalidArgumentError(Where(r.origin) + "a day needs a name");
      if (r.first > r.last || r.last - r.first >= 366) {
        return absl::InvalidArgumentError(Where(r.origin) + "bad day range " + DayString(r.first) +
                                          ".." + DayString(r.last) +
                                          " (first after last, or longer than a year)");
      }
      lo = lo ? std::min(*lo, r.first) : r.first;
      hi = hi ? std::max(*hi, r.last) : r.last;
    }
  }
  if (lo) {
    if (*hi - *lo >= kMaxOverrideDays) {
      return absl::InvalidArgumentError(name + "declared days span more than 200 years");
    }
    cal.overrides_first_ = *lo;
    cal.overrides_.assign(static_cast<size_t>(*hi - *lo + 1), Override::kNone);
    // Which entry set each day, to name both sides of a conflict.
    std::vector<const DayRange*> owner(cal.overrides_.size(), nullptr);
    auto mark = [&](const DayRange& r, Override kind) -> absl::Status {
      for (absl::CivilDay d = r.first; d <= r.last; ++d) {
        const size_t i = static_cast<size_t>(d - *lo);
        if (owner[i] != nullptr) {
          return absl::InvalidArgumentError(Where(r.origin) + DayString(d) + " (" + r.name +
                                            ") is already declared at " + owner[i]->origin + " (" +
                                            owner[i]->name + ")");
        }
        if (kind == Override::kWorkday && !cal.weekend_[static_cast<int>(absl::GetWeekday(d))]) {
          return absl::InvalidArgumentError(Where(r.origin) + "make-up working day " +
                                            DayString(d) +
                                            " is not a weekend day: check the date");
        }
        owner[i] = &r;
        cal.overrides_[i] = kind;
      }
      return absl::OkStatus();
    };
    for (const DayRange& r : spec.holidays) {
      if (absl::Status s = mark(r, Override::kHoliday); !s.ok()) return s;
    }
    for (const DayRange& r : spec.workdays) {
      if (absl::Status s = mark(r, Override::kWorkday); !s.ok()) return s;
    }
  }

  for (const SensitivePeriod& p : spec.sensitive) {
    const std::string where = Where(p.origin) + "sensitive period '" + p.name + "': ";
    if (p.name.empty()) {
      return absl::InvalidArgumentError(Where(p.origin) + "a period needs a name");
    }
    if (!(p.deadline_factor > 0 && p.deadline_factor <= 1) ||
        !(p.warning_factor > 0 && p.warning_factor <= 1)) {
      return absl::InvalidArgumentError(where + "factors must be in (0, 1]");
    }
    if (p.every_year && (Leap29(p.first) || Leap29(p.last))) {
      return absl::InvalidArgumentError(where + "02-29 cannot bound a yearly period");
    }
    if (!p.every_year && p.first > p.last) {
      return absl::InvalidArgumentError(where + "first day after last day");
    }
  }
  std::sort(spec.official_years.begin(), spec.official_years.end());
  if (auto dup = std::adjacent_find(spec.official_years.begin(), spec.official_years.end());
      dup != spec.official_years.end()) {
    return absl::InvalidArgumentError(name + "year " + std::to_string(*dup) + " declared twice");
  }
  cal.spec_ = std::move(spec);
  return cal;
}

bool BusinessCalendar::IsWorkingDay(absl::CivilDay day) const {
  const auto i = day - overrides_first_;
  if (i >= 0 && i < static_cast<absl::civil_diff_t>(overrides_.size())) {
    switch (overrides_[static_cast<size_t>(i)]) {
      case Override::kHoliday:
        return false;
      case Override::kWorkday:
        return true;
      case Override::kNone:
        break;
    }
  }
  return !weekend_[static_cast<int>(absl::GetWeekday(day))];
}

absl::CivilDay BusinessCalendar::DayOf(absl::Time t) const { return absl::ToCivilDay(t, zone_); }

absl::Time BusinessCalendar::At(absl::CivilDay day, absl::Duration since_midnight) const {
  const int64_t seconds = absl::ToInt64Seconds(since_midnight);  // since_midnight >= 0
  return zone_.At(absl::CivilSecond(day) + seconds).pre +
         (since_midnight - absl::Seconds(seconds));
}

absl::Time BusinessCalendar::CloseOf(absl::CivilDay day) const {
  return At(day, absl::Minutes(spec_.periods.back().end_minute));
}

absl::CivilDay BusinessCalendar::NextWorkingDay(absl::CivilDay day) const {
  for (int i = 0; i < kMaxDays; ++i) {
    if (IsWorkingDay(++day)) return day;
  }
  return day;
}

namespace {

// A local instant split into its day and the time since local midnight.
struct Local {
  absl::CivilDay day;
  absl::Duration since_midnight;
};

Local Split(const absl::TimeZone& zone, absl::Time t) {
  const absl::TimeZone::CivilInfo info = zone.At(t);
  return {absl::CivilDay(info.cs), absl::Hours(info.cs.hour()) + absl::Minutes(info.cs.minute()) +
                                       absl::Seconds(info.cs.second()) + info.subsecond};
}

bool IsInfinite(absl::Time t) { return t == absl::InfiniteFuture() || t == absl::InfinitePast(); }

}  // namespace

bool BusinessCalendar::IsWorkingTime(absl::Time t) const {
  if (IsInfinite(t)) return false;
  const Local local = Split(zone_, t);
  if (!IsWorkingDay(local.day)) return false;
  for (const Period& p : spec_.periods) {
    if (local.since_midnight >= absl::Minutes(p.start_minute) &&
        local.since_midnight < absl::Minutes(p.end_minute)) {
      return true;
    }
  }
  return false;
}

absl::Time BusinessCalendar::NextWorkingTime(absl::Time t) const {
  if (IsInfinite(t)) return t;
  Local local = Split(zone_, t);
  for (int i = 0; i < kMaxDays; ++i, ++local.day, local.since_midnight = absl::ZeroDuration()) {
    if (!IsWorkingDay(local.day)) continue;
    for (const Period& p : spec_.periods) {
      if (local.since_midnight >= absl::Minutes(p.end_minute)) continue;
      if (local.since_midnight >= absl::Minutes(p.start_minute)) return t;
      return At(local.day, absl::Minutes(p.start_minute));
    }
  }
  return absl::InfiniteFuture();
}

absl::Time BusinessCalendar::AddWorkingTime(absl::Time from, absl::Duration working) const {
  if (working <= absl::ZeroDuration() || IsInfinite(from)) return from;
  if (working == absl::InfiniteDuration()) return absl::InfiniteFuture();
  const absl::Duration day_length = WorkingDayLength();
  absl::Duration remaining = working;
  Local local = Split(zone_, from);
  for (int i = 0; i < kMaxDays; ++i, ++local.day, local.since_midnight = absl::ZeroDuration()) {
    if (!IsWorkingDay(local.day)) continue;
    // Whole days are skipped in one step; strictly greater so that a deadline of exactly a day's
    // working time lands on this day's close, not the next opening.
    if (local.since_midnight == absl::ZeroDuration() && remaining > day_length) {
      remaining -= day_length;
      continue;
    }
    for (const Period& p : spec_.periods) {
      const absl::Duration end = absl::Minutes(p.end_minute);
      if (local.since_midnight >= end) continue;
      const absl::Duration begin = std::max(local.since_midnight, absl::Minutes(p.start_minute));
      if (remaining <= end - begin) return At(local.day, begin + remaining);
      remaining -= end - begin;
    }
  }
  return absl::InfiniteFuture();
}

absl::Time BusinessCalendar::AddWorkingDays(absl::Time from, int n) const {
  if (n <= 0 || IsInfinite(from)) return from;
  absl::CivilDay day = DayOf(from);
  for (int k = 0; k < n; ++k) day = NextWorkingDay(day);
  return CloseOf(day);
}

absl::Duration BusinessCalendar::WorkingWithin(absl::Duration begin, absl::Duration end) const {
  absl::Duration total;
  for (const Period& p : spec_.periods) {
    const absl::Duration b = std::max(begin, absl::Minutes(p.start_minute));
    const absl::Duration e = std::min(end, absl::Minutes(p.end_minute));
    if (b < e) total += e - b;
  }
  return total;
}

absl::Duration BusinessCalendar::WorkingTimeBetween(absl::Time from, absl::Time to) const {
  if (to <= from) return absl::ZeroDuration();
  if (IsInfinite(from) || IsInfinite(to)) return absl::InfiniteDuration();
  const Local a = Split(zone_, from);
  const Local b = Split(zone_, to);
  if (a.day == b.day) {
    return IsWorkingDay(a.day) ? WorkingWithin(a.since_midnight, b.since_midnight)
                               : absl::ZeroDuration();
  }
  absl::Duration total;
  if (IsWorkingDay(a.day)) total += WorkingWithin(a.since_midnight, absl::Hours(24));
  const absl::Duration day_length = WorkingDayLength();
  for (absl::CivilDay d = a.day + 1; d < b.day; ++d) {
    if (IsWorkingDay(d)) total += day_length;
  }
  if (IsWorkingDay(b.day)) total += WorkingWithin(absl::ZeroDuration(), b.since_midnight);
  return total;
}

absl::Time BusinessCalendar::AddCalendarDays(absl::Time from, int n) const {
  if (IsInfinite(from)) return from;
  const absl::TimeZone::CivilInfo info = zone_.At(from);
  const absl::CivilDay day = absl::CivilDay(info.cs) + n;
  const absl::CivilSecond cs(day.year(), day.month(), day.day(), info.cs.hour(), info.cs.minute(),
                             info.cs.second());
  return zone_.At(cs).pre + info.subsecond;
}

absl::Time BusinessCalendar::EndOfCalendarDays(absl::Time from, int n, Rollover rollover) const {
  if (n <= 0 || IsInfinite(from)) return from;
  absl::CivilDay last = DayOf(from) + n;
  if (rollover == Rollover::kNextWorkingDay && !IsWorkingDay(last)) last = NextWorkingDay(last);
  return At(last + 1, absl::ZeroDuration());  // 24:00 of the last day
}

std::optional<SensitivePeriod> BusinessCalendar::SensitivePeriodOn(absl::CivilDay day) const {
  const SensitivePeriod* best = nullptr;
  std::pair<absl::CivilDay, absl::CivilDay> dates;
  for (const SensitivePeriod& p : spec_.sensitive) {
    auto occurrence = Occurrence(p, day);
    if (!occurrence) continue;
    if (best == nullptr || std::tie(p.deadline_factor, p.warning_factor) <
                               std::tie(best->deadline_factor, best->warning_factor)) {
      best = &p;
      dates = *occurrence;
    }
  }
  if (best == nullptr) return std::nullopt;
  SensitivePeriod result = *best;
  std::tie(result.first, result.last) = dates;
  return result;
}

std::optional<SensitivePeriod> BusinessCalendar::SensitivePeriodAt(absl::Time t) const {
  if (IsInfinite(t)) return std::nullopt;
  return SensitivePeriodOn(DayOf(t));
}

bool BusinessCalendar::CoversYear(int year) const {
  return std::binary_search(spec_.official_years.begin(), spec_.official_years.end(), year);
}

}  // namespace complaints::calendar
