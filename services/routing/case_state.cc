#include "services/routing/case_state.h"

#include "libs/grpcutil/status.h"

namespace complaints::routing {
namespace {

using routing::v1::CaseState;

std::string StateName(CaseState state) {
  return routing::v1::CaseState_Name(state).substr(sizeof("CASE_STATE_") - 1);
}

absl::Status InState(const routing::v1::Case& c, std::initializer_list<CaseState> allowed,
                     const char* action) {
  for (CaseState state : allowed) {
    if (c.state() == state) return absl::OkStatus();
  }
  return absl::FailedPreconditionError("case " + c.complaint_id() + " is " +
                                       StateName(c.state()) + ": cannot " + action);
}

absl::Status OwnUnit(const routing::v1::Case& c, const std::string& unit) {
  if (unit.empty()) return grpcutil::FieldError("unit", "is required");
  if (unit != c.unit()) {
    return absl::PermissionDeniedError("unit: case " + c.complaint_id() +
                                       " is assigned to another unit");
  }
  return absl::OkStatus();
}

}  // namespace

void ApplyCaseEvent(const events::v1::CaseEvent& event, routing::v1::Case* c) {
  using routing::v1::CaseState;
  c->set_complaint_id(event.complaint_id());
  switch (event.event_case()) {
    case events::v1::CaseEvent::kAssigned: {
      const auto& assigned = event.assigned();
      if (assigned.sequence() <= c->assignment_sequence()) return;  // duplicate or stale
      c->set_unit(event.unit());
      c->set_state(routing::v1::CASE_STATE_ASSIGNED);
      c->set_assignment_sequence(assigned.sequence());
      if (c->level() == events::v1::LEVEL_UNSPECIFIED) c->set_level(assigned.level());
      if (c->category().empty()) c->set_category(assigned.category());
      if (c->urgency() == events::v1::URGENCY_UNSPECIFIED) c->set_urgency(assigned.urgency());
      if (!c->has_received_at() && assigned.has_received_at()) {
        *c->mutable_received_at() = assigned.received_at();
      }
      return;
    }
    case events::v1::CaseEvent::kAccepted:
      if (c->state() == routing::v1::CASE_STATE_ASSIGNED) c->set_state(routing::v1::CASE_STATE_ACCEPTED);
      return;
    case events::v1::CaseEvent::kResolved:
      if (c->state() == routing::v1::CASE_STATE_ASSIGNED ||
          c->state() == routing::v1::CASE_STATE_ACCEPTED) {
        c->set_state(routing::v1::CASE_STATE_RESOLVED);
      }
      return;
    case events::v1::CaseEvent::kReopened:
      if (c->state() == routing::v1::CASE_STATE_RESOLVED) {
        c->set_state(routing::v1::CASE_STATE_REOPENED);
        c->set_reopen_count(c->reopen_count() + 1);
      }
      return;
    case events::v1::CaseEvent::kClosed:
      c->set_state(routing::v1::CASE_STATE_CLOSED);
      return;
    case events::v1::CaseEvent::kContactLogged:
    case events::v1::CaseEvent::kTransferred:  // the Assigned event that follows moves the case
    case events::v1::CaseEvent::kExtensionRequested:
    case events::v1::CaseEvent::kPaused:  // clock operations: the SLA timer's business
    case events::v1::CaseEvent::kResumed:
    case events::v1::CaseEvent::kNewFactsRecorded:
    case events::v1::CaseEvent::kExtensionApproved:
    case events::v1::CaseEvent::EVENT_NOT_SET:
      return;
  }
}

absl::Status CheckAccept(const routing::v1::Case& c, const std::string& unit) {
  if (auto s = OwnUnit(c, unit); !s.ok()) return s;
  return InState(c, {routing::v1::CASE_STATE_ASSIGNED}, "accept");
}

absl::Status CheckWork(const routing::v1::Case& c, const std::string& unit) {
  if (auto s = OwnUnit(c, unit); !s.ok()) return s;
  return InState(c, {routing::v1::CASE_STATE_ACCEPTED}, "log a contact or request an extension");
}

absl::Status CheckTransfer(const routing::v1::Case& c, const std::string& unit,
                           const std::string& to_unit) {
  if (auto s = OwnUnit(c, unit); !s.ok()) return s;
  if (to_unit.empty()) return grpcutil::FieldError("to_unit", "is required");
  if (to_unit == unit) return grpcutil::FieldError("to_unit", "is the unit the case is already with");
  return InState(c, {routing::v1::CASE_STATE_ASSIGNED, routing::v1::CASE_STATE_ACCEPTED},
                 "transfer");
}

absl::Status CheckResolve(const routing::v1::Case& c, const std::string& unit) {
  if (auto s = OwnUnit(c, unit); !s.ok()) return s;
  return InState(c, {routing::v1::CASE_STATE_ACCEPTED}, "resolve");
}

absl::Status CheckOpen(const routing::v1::Case& c) {
  return InState(c,
                 {routing::v1::CASE_STATE_ASSIGNED, routing::v1::CASE_STATE_ACCEPTED,
                  routing::v1::CASE_STATE_REOPENED},
                 "record new facts (after a resolution, the customer's follow-up reopens it)");
}

}  // namespace complaints::routing
