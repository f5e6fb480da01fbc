#include "services/sla_timer/policy/policy_calendar.h"

#include <algorithm>

namespace complaints::sla_policy {
namespace {

// Beyond this a calendar has no working time left (a misconfiguration): give up rather than loop.
constexpr int kMaxDays = 3 * 366;

}  // namespace

bool SimpleWorkCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (options_.holidays.count(day) > 0) return false;
  if (options_.working_weekend_days.count(day) > 0) return true;
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday;
}

absl::CivilDay SimpleWorkCalendar::DayOf(absl::Time t) const {
  return absl::ToCivilDay(t, options_.zone);
}

absl::Time SimpleWorkCalendar::Open(absl::CivilDay day) const {
  return absl::FromCivil(absl::CivilMinute(day) + options_.open_minute, options_.zone);
}

absl::Time SimpleWorkCalendar::Close(absl::CivilDay day) const {
  return absl::FromCivil(absl::CivilMinute(day) + options_.close_minute, options_.zone);
}

absl::Time SimpleWorkCalendar::AddWorkingTime(absl::Time from, absl::Duration working) const {
  if (working <= absl::ZeroDuration()) return from;
  absl::CivilDay day = DayOf(from);
  for (int i = 0; i < kMaxDays; ++i, ++day) {
    if (!IsWorkingDay(day)) continue;
    const absl::Time start = std::max(from, Open(day));
    const absl::Time end = Close(day);
    if (start >= end) continue;
    if (working <= end - start) return start + working;
    working -= end - start;
  }
  return absl::InfiniteFuture();
}

absl::Time SimpleWorkCalendar::AddWorkingDays(absl::Time from, int n) const {
  absl::CivilDay day = DayOf(from);
  int seen = 0;
  for (int i = 0; i < kMaxDays; ++i) {
    ++day;
    if (IsWorkingDay(day) && ++seen >= n) return Close(day);
  }
  return absl::InfiniteFuture();
}

absl::Duration SimpleWorkCalendar::WorkingTimeBetween(absl::Time from, absl::Time to) const {
  absl::Duration total = absl::ZeroDuration();
  if (to <= from) return total;
  const absl::CivilDay last = DayOf(to);
  for (absl::CivilDay day = DayOf(from); day <= last; ++day) {
    if (!IsWorkingDay(day)) continue;
    const absl::Time start = std::max(from, Open(day));
    const absl::Time end = std::min(to, Close(day));
    if (start < end) total += end - start;
  }
  return total;
}

SensitiveFactors SimpleWorkCalendar::SensitivityAt(absl::Time t) const {
  const absl::CivilDay day = DayOf(t);
  for (const SensitivePeriod& period : options_.sensitive_periods) {
    if (period.first <= day && day <= period.last) return period.factors;
  }
  return {};
}

}  // namespace complaints::sla_policy
