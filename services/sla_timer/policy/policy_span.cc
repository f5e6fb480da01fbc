#include "services/sla_timer/policy/policy_span.h"

#include "absl/time/civil_time.h"

namespace complaints::sla_policy {
namespace {

using sla::v1::Span;

// A last day that is a holiday moves at most this far (the longest Chinese holiday is 8 days).
constexpr int kMaxRollDays = 31;

absl::Time EndOfCalendarDays(const WorkCalendar& calendar, absl::Time from, int64_t days,
                             bool roll_to_working_day) {
  const absl::TimeZone zone = calendar.zone();
  absl::CivilDay last = absl::ToCivilDay(from, zone) + days;
  if (roll_to_working_day) {
    for (int i = 0; i < kMaxRollDays && !calendar.IsWorkingDay(last); ++i) ++last;
  }
  return absl::FromCivil(last + 1, zone);  // 24:00 of the last day
}

}  // namespace

bool IsValidSpan(const Span& span) {
  return span.amount_case() != Span::AMOUNT_NOT_SET && AmountOf(span) > 0;
}

Measure MeasureOf(const Span& span) {
  switch (span.amount_case()) {
    case Span::kWorkingMinutes:
    case Span::kWorkingHours:
    case Span::kWorkingDays:
      return Measure::kWorking;
    default:
      return Measure::kElapsed;
  }
}

bool SameUnit(const Span& a, const Span& b) { return a.amount_case() == b.amount_case(); }

int64_t AmountOf(const Span& span) {
  switch (span.amount_case()) {
    case Span::kWorkingMinutes:
      return span.working_minutes();
    case Span::kWorkingHours:
      return span.working_hours();
    case Span::kWorkingDays:
      return span.working_days();
    case Span::kCalendarMinutes:
      return span.calendar_minutes();
    case Span::kCalendarHours:
      return span.calendar_hours();
    case Span::kCalendarDays:
      return span.calendar_days();
    case Span::kCalendarWeeks:
      return span.calendar_weeks();
    case Span::AMOUNT_NOT_SET:
      break;
  }
  return 0;
}

std::string SpanText(const Span& span) {
  const char* unit = "";
  switch (span.amount_case()) {
    case Span::kWorkingMinutes:
      unit = " working minutes";
      break;
    case Span::kWorkingHours:
      unit = " working hours";
      break;
    case Span::kWorkingDays:
      unit = " working days";
      break;
    case Span::kCalendarMinutes:
      unit = " calendar minutes";
      break;
    case Span::kCalendarHours:
      unit = " calendar hours";
      break;
    case Span::kCalendarDays:
      unit = " calendar days";
      break;
    case Span::kCalendarWeeks:
      unit = " calendar weeks";
      break;
    case Span::AMOUNT_NOT_SET:
      return "(no span)";
  }
  return std::to_string(AmountOf(span)) + unit;
}

absl::Time AddSpan(const WorkCalendar& calendar, absl::Time from, const Span& span) {
  const int64_t n = AmountOf(span);
  switch (span.amount_case()) {
    case Span::kWorkingMinutes:
      return calendar.AddWorkingTime(from, absl::Minutes(n));
    case Span::kWorkingHours:
      return calendar.AddWorkingTime(from, absl::Hours(n));
    case Span::kWorkingDays:
      return calendar.AddWorkingDays(from, static_cast<int>(n));
    case Span::kCalendarMinutes:
      return from + absl::Minutes(n);
    case Span::kCalendarHours:
      return from + absl::Hours(n);
    case Span::kCalendarDays:
      return EndOfCalendarDays(calendar, from, n, span.roll_to_working_day());
    case Span::kCalendarWeeks:
      return EndOfCalendarDays(calendar, from, 7 * n, span.roll_to_working_day());
    case Span::AMOUNT_NOT_SET:
      break;
  }
  return from;
}

absl::Duration Between(const WorkCalendar& calendar, Measure measure, absl::Time from,
                       absl::Time to) {
  if (to <= from) return absl::ZeroDuration();
  return measure == Measure::kWorking ? calendar.WorkingTimeBetween(from, to) : to - from;
}

absl::Time Advance(const WorkCalendar& calendar, Measure measure, absl::Time from,
                   absl::Duration amount) {
  if (amount <= absl::ZeroDuration()) return from;
  return measure == Measure::kWorking ? calendar.AddWorkingTime(from, amount) : from + amount;
}

absl::Time FloorMillis(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return t;
  return absl::FromUnixMillis(absl::ToUnixMillis(t));
}

}  // namespace complaints::sla_policy
