#include "libs/cases/case_machine.h"

#include <initializer_list>

#include "libs/grpcutil/status.h"

namespace complaints::cases {
namespace {

using events::v1::CaseEvent;
using routing::v1::CaseState;

constexpr std::initializer_list<CaseState> kOpen = {
    routing::v1::CASE_STATE_ASSIGNED, routing::v1::CASE_STATE_ACCEPTED,
    routing::v1::CASE_STATE_REOPENED};

bool OneOf(CaseState state, std::initializer_list<CaseState> allowed) {
  for (CaseState s : allowed) {
    if (s == state) return true;
  }
  return false;
}

// What a state means for whoever works the case, and what they can do next: the refusals are
// read by branch clerks, not by programmers.
std::string WhatToDo(CaseState state) {
  switch (state) {
    case routing::v1::CASE_STATE_ASSIGNED:
      return "it has not been accepted yet; accept it first (AcceptCase)";
    case routing::v1::CASE_STATE_ACCEPTED:
      return "it is being handled by its unit; resolve it or transfer it";
    case routing::v1::CASE_STATE_RESOLVED:
      return "it is resolved and waits for the customer's follow-up, which reopens or closes it";
    case routing::v1::CASE_STATE_CLOSED:
      return "it is closed; a new issue from the customer is a new complaint";
    case routing::v1::CASE_STATE_REOPENED:
      return "it was reopened and waits to be assigned again; nothing can be done until then";
    case routing::v1::CASE_STATE_AWAITING_FIX:
      return "it waits, the customer satisfied, for the business problem to be fixed; report "
             "the fix (ReportFix) to archive it";
    default:
      return "it has not been routed to a unit yet; try again shortly";
  }
}

absl::Status InState(const routing::v1::Case& c, std::initializer_list<CaseState> allowed,
                     const std::string& action) {
  if (OneOf(c.state(), allowed)) return absl::OkStatus();
  return absl::FailedPreconditionError("case " + c.complaint_id() + " is " +
                                       StateName(c.state()) + ": cannot " + action + " (" +
                                       WhatToDo(c.state()) + ")");
}

bool IsRegulatory(events::v1::Clock clock) {
  return clock == events::v1::CLOCK_UNSPECIFIED || clock == events::v1::CLOCK_REGULATORY;
}

// An extension decision names the pending request (or none: a decision of SlaService, which
// needs no request). A refusal needs a pending request.
absl::Status CheckDecision(const routing::v1::Case& c, const std::string& ref, bool needs_request) {
  if (!c.has_pending_extension()) {
    if (!needs_request && ref.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        "case " + c.complaint_id() +
        ": no extension request is waiting for a decision (the unit asks with RequestExtension)");
  }
  if (!ref.empty() && ref != c.pending_extension().request_ref()) {
    return absl::FailedPreconditionError("case " + c.complaint_id() + ": the extension request " +
                                         ref + " is not the one waiting (" +
                                         c.pending_extension().request_ref() + ")");
  }
  return absl::OkStatus();
}

absl::Status OwnUnit(const routing::v1::Case& c, const std::string& unit) {
  if (unit.empty()) return grpcutil::FieldError("unit", "is required");
  if (unit != c.unit()) {
    return absl::PermissionDeniedError("unit: case " + c.complaint_id() + " is with unit " +
                                       c.unit() + ", not " + unit + ": only " + c.unit() +
                                       " can do this");
  }
  return absl::OkStatus();
}

absl::Status CheckAssigned(const CaseEvent& event, const routing::v1::Case& c) {
  const int expected = c.assignment_sequence() + 1;
  if (event.assigned().sequence() != expected) {
    return absl::FailedPreconditionError(
        "case " + c.complaint_id() + ": assignment " + std::to_string(event.assigned().sequence()) +
        " out of sequence (the next is " + std::to_string(expected) + ")");
  }
  if (event.unit().empty()) {
    return absl::FailedPreconditionError("case " + c.complaint_id() + ": assignment names no unit");
  }
  const bool fresh = c.state() == routing::v1::CASE_STATE_UNSPECIFIED;
  if (fresh) return absl::OkStatus();
  return InState(c, kOpen, "be assigned again");
}

}  // namespace

std::string StateName(CaseState state) {
  const std::string name = routing::v1::CaseState_Name(state);
  return name.starts_with("CASE_STATE_") ? name.substr(sizeof("CASE_STATE_") - 1) : name;
}

std::string EventKind(const CaseEvent& event) {
  const auto* field = CaseEvent::descriptor()->FindFieldByNumber(event.event_case());
  return field == nullptr ? "empty" : field->name();
}

absl::Status CheckEvent(const CaseEvent& event, const routing::v1::Case& c) {
  if (event.event_case() == CaseEvent::EVENT_NOT_SET) {
    return absl::FailedPreconditionError("case " + c.complaint_id() + ": event of no kind");
  }
  if (!c.complaint_id().empty() && event.complaint_id() != c.complaint_id()) {
    return absl::FailedPreconditionError("event of complaint " + event.complaint_id() +
                                         " applied to case " + c.complaint_id());
  }
  if (event.has_assigned()) return CheckAssigned(event, c);
  if (c.state() == routing::v1::CASE_STATE_UNSPECIFIED) {
    return absl::FailedPreconditionError("case " + event.complaint_id() + " is not assigned: cannot " +
                                         EventKind(event));
  }
  if (event.unit() != c.unit()) {
    return absl::FailedPreconditionError("case " + c.complaint_id() + ": " + EventKind(event) +
                                         " by a unit the case is not assigned to");
  }
  const std::string action = "take a " + EventKind(event) + " event";
  switch (event.event_case()) {
    case CaseEvent::kAccepted:
      return InState(c, {routing::v1::CASE_STATE_ASSIGNED}, action);
    case CaseEvent::kExtensionRequested:
      // Requests without a reference were written before requests waited for a decision.
      if (!event.extension_requested().request_ref().empty() && c.has_pending_extension()) {
        return absl::FailedPreconditionError(
            "case " + c.complaint_id() + ": the extension request " +
            c.pending_extension().request_ref() +
            " still waits for the supervisor's decision; one request at a time");
      }
      return InState(c, {routing::v1::CASE_STATE_ACCEPTED}, "request an extension");
    case CaseEvent::kContactLogged:
    case CaseEvent::kResolved:
      return InState(c, {routing::v1::CASE_STATE_ACCEPTED}, action);
    case CaseEvent::kTransferred:
      if (event.transferred().from_unit() != c.unit() || event.transferred().to_unit().empty() ||
          event.transferred().to_unit() == c.unit()) {
        return absl::FailedPreconditionError("case " + c.complaint_id() +
                                             ": transfer does not start from the case's unit");
      }
      return InState(c, {routing::v1::CASE_STATE_ASSIGNED, routing::v1::CASE_STATE_ACCEPTED},
                     action);
    case CaseEvent::kReopened:
    case CaseEvent::kAwaitingFix:
      return InState(c, {routing::v1::CASE_STATE_RESOLVED}, action);
    case CaseEvent::kClosed:
      return InState(c, {routing::v1::CASE_STATE_RESOLVED, routing::v1::CASE_STATE_AWAITING_FIX},
                     action);
    case CaseEvent::kFixReported:
      return InState(c, {routing::v1::CASE_STATE_AWAITING_FIX}, action);
    case CaseEvent::kExtensionApproved:
      if (auto s = InState(c, kOpen, "extend its deadline"); !s.ok()) return s;
      return CheckDecision(c, event.extension_approved().request_ref(), false);
    case CaseEvent::kExtensionRefused:
      if (auto s = InState(c, kOpen, "refuse an extension"); !s.ok()) return s;
      return CheckDecision(c, event.extension_refused().request_ref(), true);
    case CaseEvent::kPaused:
    case CaseEvent::kResumed:
    case CaseEvent::kNewFactsRecorded:
    case CaseEvent::kEscalated:
      return InState(c, kOpen, action);
    case CaseEvent::kAssigned:
    case CaseEvent::EVENT_NOT_SET:
      break;  // handled above
  }
  return absl::OkStatus();
}

absl::Status ApplyCaseEvent(const CaseEvent& event, routing::v1::Case* c) {
  if (absl::Status allowed = CheckEvent(event, *c); !allowed.ok()) return allowed;
  c->set_complaint_id(event.complaint_id());
  c->set_version(c->version() + 1);
  switch (event.event_case()) {
    case CaseEvent::kAssigned: {
      const auto& assigned = event.assigned();
      if (!c->unit().empty() && c->unit() != event.unit()) c->add_previous_units(c->unit());
      c->set_unit(event.unit());
      c->set_state(routing::v1::CASE_STATE_ASSIGNED);
      c->set_assignment_sequence(assigned.sequence());
      c->set_level(assigned.level());
      c->set_urgency(assigned.urgency());
      if (!assigned.category().empty()) c->set_category(assigned.category());
      if (!c->has_received_at() && assigned.has_received_at()) {
        *c->mutable_received_at() = assigned.received_at();
      }
      if (assigned.has_contact_preference()) {
        *c->mutable_contact_preference() = assigned.contact_preference();
      }
      c->clear_responsible();  // the new unit names its own when it accepts
      break;
    }
    case CaseEvent::kAccepted:
      c->set_state(routing::v1::CASE_STATE_ACCEPTED);
      c->set_responsible(event.accepted().responsible());
      break;
    case CaseEvent::kTransferred: {
      auto* hop = c->add_transfers();
      hop->set_from_unit(event.transferred().from_unit());
      hop->set_to_unit(event.transferred().to_unit());
      break;
    }
    case CaseEvent::kExtensionRequested: {
      const auto& requested = event.extension_requested();
      if (requested.request_ref().empty()) break;
      auto* pending = c->mutable_pending_extension();
      pending->set_request_ref(requested.request_ref());
      pending->set_days(requested.days());
      pending->set_reason(requested.reason());
      pending->set_requested_by(event.actor());
      *pending->mutable_requested_at() = event.occurred_at();
      break;
    }
    case CaseEvent::kExtensionApproved: {
      const auto& approved = event.extension_approved();
      if (!approved.request_ref().empty()) c->clear_pending_extension();
      if (IsRegulatory(approved.clock()) && !approved.has_new_due() &&
          approved.stage() > c->regulatory_extension_stage()) {
        c->set_regulatory_extension_stage(approved.stage());
      }
      break;
    }
    case CaseEvent::kExtensionRefused:
      c->clear_pending_extension();
      break;
    case CaseEvent::kResolved:
      c->set_state(routing::v1::CASE_STATE_RESOLVED);
      *c->mutable_resolution() = event.resolved();
      // A request still waiting is moot once the case is resolved.
      c->clear_pending_extension();
      break;
    case CaseEvent::kReopened:
      c->set_state(routing::v1::CASE_STATE_REOPENED);
      c->set_reopen_count(c->reopen_count() + 1);
      c->set_reopen_reason(event.reopened().reason());
      break;
    case CaseEvent::kEscalated: {
      const auto& escalated = event.escalated();
      auto* record = c->add_escalations();
      record->set_alert_id(escalated.alert_id());
      record->set_clock(escalated.clock());
      record->set_step(escalated.step());
      record->set_action(escalated.action());
      record->set_notified_unit(escalated.notified_unit());
      record->set_role(escalated.role());
      record->set_to_unit(escalated.to_unit());
      *record->mutable_at() = event.occurred_at();
      break;
    }
    case CaseEvent::kClosed:
      c->set_state(routing::v1::CASE_STATE_CLOSED);
      break;
    case CaseEvent::kAwaitingFix:
      c->set_state(routing::v1::CASE_STATE_AWAITING_FIX);
      break;
    default:
      // The unit's contacts and the clock operations, which are the SLA timer's business, leave
      // the state as it is; they still count in the version.
      break;
  }
  return absl::OkStatus();
}

absl::Status CheckAccept(const routing::v1::Case& c, const std::string& unit) {
  if (auto s = OwnUnit(c, unit); !s.ok()) return s;
  return InState(c, {routing::v1::CASE_STATE_ASSIGNED}, "accept");
}

absl::Status CheckWork(const routing::v1::Case& c, const std::string& unit,
                       const std::string& action) {
  if (auto s = OwnUnit(c, unit); !s.ok()) return s;
  return InState(c, {routing::v1::CASE_STATE_ACCEPTED}, action);
}

absl::Status CheckExtensionRequest(const routing::v1::Case& c, const std::string& unit) {
  if (auto s = CheckWork(c, unit, "request an extension"); !s.ok()) return s;
  if (c.has_pending_extension()) {
    return absl::FailedPreconditionError(
        "case " + c.complaint_id() + ": the extension request " +
        c.pending_extension().request_ref() +
        " still waits for the supervisor's decision; one request at a time");
  }
  return absl::OkStatus();
}

absl::Status CheckExtensionDecision(const routing::v1::Case& c, const std::string& request_ref,
                                    const std::string& action) {
  if (auto s = InState(c, kOpen, action); !s.ok()) return s;
  return CheckDecision(c, request_ref, true);
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

absl::Status CheckReportFix(const routing::v1::Case& c) {
  return InState(c, {routing::v1::CASE_STATE_AWAITING_FIX}, "report a fix");
}

absl::Status CheckOpen(const routing::v1::Case& c) {
  return InState(c, kOpen,
                 "change its clocks or record new facts (after a resolution, the customer's "
                 "follow-up reopens it)");
}

}  // namespace complaints::cases
