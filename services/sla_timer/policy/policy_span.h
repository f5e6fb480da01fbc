#pragma once

#include <string>

#include "absl/time/time.h"
#include "complaints/sla/v1/policy.pb.h"
#include "services/sla_timer/policy/policy_calendar.h"

namespace complaints::sla_policy {

// What a span is measured in: working time by the business calendar, or elapsed time. Pauses,
// agreed extensions, sensitive-period tightening and warning fractions are all counted in the
// measure of the clock's span.
enum class Measure { kWorking, kElapsed };

// False when no unit is set or the amount is not positive.
bool IsValidSpan(const sla::v1::Span& span);
Measure MeasureOf(const sla::v1::Span& span);
// Whether two spans have the same unit (so their amounts compare).
bool SameUnit(const sla::v1::Span& a, const sla::v1::Span& b);
int64_t AmountOf(const sla::v1::Span& span);
// "15 calendar days", "2 working hours": for explanations and errors.
std::string SpanText(const sla::v1::Span& span);

// The end of `span` started at `from` (see Span in policy.proto for each unit's meaning).
absl::Time AddSpan(const WorkCalendar& calendar, absl::Time from, const sla::v1::Span& span);

// How much of `measure` lies between two instants (zero if `to` <= `from`).
absl::Duration Between(const WorkCalendar& calendar, Measure measure, absl::Time from,
                       absl::Time to);
// `from` moved on by `amount` of `measure`; `from` itself when `amount` is not positive.
absl::Time Advance(const WorkCalendar& calendar, Measure measure, absl::Time from,
                   absl::Duration amount);

// Deadlines and alert times are whole milliseconds, as stores keep them: a value computed twice
// (a duplicate, a replay) compares equal.
absl::Time FloorMillis(absl::Time t);

}  // namespace complaints::sla_policy
