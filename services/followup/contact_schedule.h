#pragma once

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "libs/calendar/business_calendar.h"
#include "libs/common/config.h"

namespace complaints::followup {

// 跟回访: which channel a follow-up uses and when each attempt falls, pure (no clock, no I/O).
//
// Seed 004: surveys at T+2 reached under 15% of customers, who no longer remembered; follow-up
// must be prompt and use the channel the customer answers. So the first attempt is due within
// `first_within` of working time after the resolution, every attempt falls inside contact
// hours on a day the calendar allows, and an SMS that gets no answer becomes a callback.
struct ContactPolicy {
  // Contact hours, local time of the calendar's zone, minutes from midnight: [start, end).
  int contact_start_minute = 8 * 60;
  int contact_end_minute = 21 * 60;
  // The first attempt: at most this much working time (the business calendar's) after the
  // resolution.
  absl::Duration first_within = absl::Hours(2);
  // An SMS survey with no answer after this long is followed by a callback.
  absl::Duration sms_answer_window = absl::Hours(4);
  // Between two callbacks.
  absl::Duration callback_spacing = absl::Hours(24);
  int max_attempts = 3;

  // From `followup.contact_hours` ("08:00-21:00"), `followup.first_within_business_hours`,
  // `followup.sms_answer_hours`, `followup.callback_spacing_hours`, `followup.max_attempts`;
  // InvalidArgument naming the key for a bad value.
  static absl::StatusOr<ContactPolicy> FromConfig(const common::Config& config);
};

// What the channel and the schedule depend on.
struct ContactFacts {
  events::v1::Level level = events::v1::LEVEL_UNSPECIFIED;
  events::v1::Urgency urgency = events::v1::URGENCY_UNSPECIFIED;
  int reopen_count = 0;
  // The customer's, as the case's assignment carries it (from intake's risk tags).
  std::optional<events::v1::ContactPreference> preference;
  // The customer asked to be contacted on public holidays too.
  bool holidays_ok = false;
};

// The customer's preference first, when their history has more than this complaint: one who
// complains by phone, or who usually demands a reply within a set time, gets a callback; one
// who complains online gets an SMS. Without a preference, the case: a callback for major, escalated, very urgent and reopened complaints,
// else an SMS.
events::v1::FollowUpChannel ChooseChannel(const ContactFacts& facts);

// The first instant at or after `t` inside contact hours on a contact day: a working day of the
// calendar (weekends and public holidays excluded, make-up working days included) or, when the
// customer asked, any day.
absl::Time FitIntoContactHours(const calendar::BusinessCalendar& calendar,
                               const ContactPolicy& policy, absl::Time t, bool holidays_ok);

// When attempt 1 is due: `first_within` of working time after the resolution, fitted into
// contact hours.
absl::Time FirstAttemptDue(const calendar::BusinessCalendar& calendar, const ContactPolicy& policy,
                           absl::Time resolved_at, bool holidays_ok);

// When the attempt after one that failed (due at `previous_due`, by `previous_channel`) is due:
// an SMS is given `sms_answer_window` to be answered, a callback is tried again
// `callback_spacing` later; fitted into contact hours. Nullopt when `previous_attempt` was the
// last (max_attempts): the case closes as unreachable.
std::optional<absl::Time> NextAttemptDue(const calendar::BusinessCalendar& calendar,
                                         const ContactPolicy& policy, absl::Time previous_due,
                                         events::v1::FollowUpChannel previous_channel,
                                         int previous_attempt, bool holidays_ok);

}  // namespace complaints::followup
