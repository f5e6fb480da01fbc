#pragma once

// Test fixtures for the SLA policy engine: a fake business calendar and case-event builders.

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "libs/common/proto_time.h"
#include "services/sla_timer/policy/policy_calendar.h"

namespace complaints::sla_policy::testing {

// March 2025, UTC, Monday to Friday 09:00-17:00:
//   Mon 3  Tue 4  Wed 5  Thu 6  Fri 7  [Sat 8  Sun 9]
//   Mon 10 (public holiday)  Tue 11 ... Fri 14  [Sat 15  Sun 16] ...
//   Sat 29 is a make-up working day (调休).
// Sensitive period "3·15": Fri 14 to Sun 16, deadlines x0.5, warnings x0.8.
inline absl::Time T(int day, int hour, int minute = 0, int month = 3) {
  return absl::FromCivil(absl::CivilSecond(2025, month, day, hour, minute, 0), absl::UTCTimeZone());
}

inline SimpleWorkCalendar::Options FakeCalendarOptions() {
  SimpleWorkCalendar::Options options;
  options.holidays = {absl::CivilDay(2025, 3, 10)};
  options.working_weekend_days = {absl::CivilDay(2025, 3, 29)};
  options.sensitive_periods = {{absl::CivilDay(2025, 3, 14), absl::CivilDay(2025, 3, 16),
                                {"3·15", 0.5, 0.8}}};
  return options;
}

inline const SimpleWorkCalendar& FakeCalendar() {
  static const SimpleWorkCalendar calendar(FakeCalendarOptions());
  return calendar;
}

inline events::v1::CaseEvent Event(absl::Time at, const std::string& unit = "BJ-0101") {
  events::v1::CaseEvent e;
  e.set_complaint_id("CMP1");
  e.set_unit(unit);
  e.set_actor("tester");
  *e.mutable_occurred_at() = common::ToProtoTime(at);
  return e;
}

inline events::v1::CaseEvent Assigned(absl::Time at, int sequence = 1,
                                      const std::string& unit = "BJ-0101",
                                      events::v1::Level level = events::v1::LEVEL_ORDINARY,
                                      events::v1::Urgency urgency = events::v1::URGENCY_NORMAL,
                                      const std::string& category = "counter.attitude") {
  events::v1::CaseEvent e = Event(at, unit);
  auto* a = e.mutable_assigned();
  a->set_sequence(sequence);
  a->set_level(level);
  a->set_urgency(urgency);
  a->set_category(category);
  a->set_rule_id("test");
  return e;
}

inline events::v1::CaseEvent Accepted(absl::Time at) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_accepted();
  return e;
}

inline events::v1::CaseEvent Contact(absl::Time at) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_contact_logged()->set_channel("phone");
  return e;
}

inline events::v1::CaseEvent Paused(absl::Time at, events::v1::PauseReason reason) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_paused()->set_reason(reason);
  return e;
}

inline events::v1::CaseEvent Resumed(absl::Time at,
                                     events::v1::PauseReason reason =
                                         events::v1::PAUSE_REASON_UNSPECIFIED) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_resumed()->set_reason(reason);
  return e;
}

inline events::v1::CaseEvent Extension(absl::Time at, int stage, const std::string& approved_by,
                                       bool customer_notified,
                                       events::v1::Clock clock = events::v1::CLOCK_UNSPECIFIED) {
  events::v1::CaseEvent e = Event(at);
  auto* x = e.mutable_extension_approved();
  x->set_clock(clock);
  x->set_stage(stage);
  x->set_reason("complex case");
  x->set_approved_by(approved_by);
  x->set_customer_notified(customer_notified);
  return e;
}

inline events::v1::CaseEvent AgreedDeadline(absl::Time at, absl::Time new_due,
                                            bool customer_notified,
                                            events::v1::Clock clock =
                                                events::v1::CLOCK_RESOLUTION) {
  events::v1::CaseEvent e = Event(at);
  auto* x = e.mutable_extension_approved();
  x->set_clock(clock);
  *x->mutable_new_due() = common::ToProtoTime(new_due);
  x->set_reason("customer agreed a new time");
  x->set_customer_notified(customer_notified);
  return e;
}

inline events::v1::CaseEvent NewFacts(absl::Time at) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_new_facts_recorded()->set_summary("second statement");
  return e;
}

inline events::v1::CaseEvent Transferred(absl::Time at, const std::string& from,
                                         const std::string& to) {
  events::v1::CaseEvent e = Event(at, from);
  auto* t = e.mutable_transferred();
  t->set_from_unit(from);
  t->set_to_unit(to);
  t->set_reason("wrong branch");
  return e;
}

inline events::v1::CaseEvent Resolved(absl::Time at) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_resolved()->set_resolution("refunded");
  return e;
}

inline events::v1::CaseEvent Reopened(absl::Time at) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_reopened()->set_reason("customer dissatisfied");
  return e;
}

inline events::v1::CaseEvent Closed(absl::Time at) {
  events::v1::CaseEvent e = Event(at);
  e.mutable_closed()->set_reason("done");
  return e;
}

}  // namespace complaints::sla_policy::testing
