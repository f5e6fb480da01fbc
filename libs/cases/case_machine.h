#pragma once

#include <string>

#include "absl/status/status.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/routing/v1/routing.pb.h"

namespace complaints::cases {

// The case's life as a state machine, pure. Every writer of complaints.case.v1 appends through
// the case ledger (case_ledger.h), which applies these rules before anything is published, and
// every reader of the topic that keeps the case (routing's projection) applies the same rules.
//
//   (none) --Assigned 1--> ASSIGNED --Accepted--> ACCEPTED --Resolved--> RESOLVED --Closed--> CLOSED
//                                                          RESOLVED --AwaitingFix--> AWAITING_FIX
//                                           AWAITING_FIX --FixReported, Closed--> CLOSED
//                            ^   |                  |    ^                  |
//                            |   +--Assigned n+1----+    | (transfer, escalation)
//                            |                                              |
//                            +------------Assigned n+1-- REOPENED <--Reopened+
//
// Events that only record work (ContactLogged, ExtensionRequested) need ACCEPTED; clock
// operations (Paused, Resumed, NewFactsRecorded, ExtensionApproved), ExtensionRefused and
// Escalated (routing acting on an SLA escalation step; recorded in Case.escalations) need an
// open case (ASSIGNED, ACCEPTED or REOPENED); Transferred needs ASSIGNED or ACCEPTED and names
// the case's unit as from_unit. An ExtensionRequested with a request_ref waits on the case
// (pending_extension) until an ExtensionApproved or ExtensionRefused naming it; only one waits
// at a time, and a refusal needs one waiting. Resolved drops a request still waiting. Every event but Assigned must carry the case's current unit; Assigned
// carries the new one and the next assignment sequence.

// OK if `event` may be applied to `c` now; otherwise FailedPrecondition saying why (the state,
// the unit or the sequence), without any free text of the event.
absl::Status CheckEvent(const events::v1::CaseEvent& event, const routing::v1::Case& c);

// Applies `event` if CheckEvent allows it, counting it in the case's version; otherwise leaves
// `c` unchanged and returns CheckEvent's refusal.
absl::Status ApplyCaseEvent(const events::v1::CaseEvent& event, routing::v1::Case* c);

// What a branch or specialist may do to a case in its current state, as CaseService commands.
// The errors are FailedPrecondition (wrong state) or PermissionDenied (not the case's unit), with
// a message saying what the state is.
absl::Status CheckAccept(const routing::v1::Case& c, const std::string& unit);
// Logging a contact, pausing or resuming (`action`, for the refusal): the unit must have
// accepted the case.
absl::Status CheckWork(const routing::v1::Case& c, const std::string& unit,
                       const std::string& action = "log a contact");
// CheckWork, and no extension request already waiting for a decision.
absl::Status CheckExtensionRequest(const routing::v1::Case& c, const std::string& unit);
// A supervisor's decision on the pending extension request (`request_ref`, or the pending one
// when empty): an open case with that request waiting. Whether the caller is the supervisor is
// the caller's to check (the hierarchy is routing's).
absl::Status CheckExtensionDecision(const routing::v1::Case& c, const std::string& request_ref,
                                    const std::string& action);
absl::Status CheckTransfer(const routing::v1::Case& c, const std::string& unit,
                           const std::string& to_unit);
absl::Status CheckResolve(const routing::v1::Case& c, const std::string& unit);
// The business problem of a case AWAITING_FIX is fixed. Whether the caller is the case's unit or
// its supervisor is the caller's to check (the hierarchy is routing's).
absl::Status CheckReportFix(const routing::v1::Case& c);
// New facts from the complainant, or a supervisor's clock operation: a case still being
// handled, whoever records them.
absl::Status CheckOpen(const routing::v1::Case& c);

// "ASSIGNED" for CASE_STATE_ASSIGNED.
std::string StateName(routing::v1::CaseState state);
// "resolved" for a Resolved event: for logs and refusals.
std::string EventKind(const events::v1::CaseEvent& event);

}  // namespace complaints::cases
