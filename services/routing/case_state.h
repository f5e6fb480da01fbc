#pragma once

#include "absl/status/status.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/routing/v1/routing.pb.h"

namespace complaints::routing {

// Applies one complaints.case.v1 event to a case. Pure and order-tolerant: an event that does not
// fit the case's state (a late duplicate, an acceptance after the resolution) leaves it as is.
void ApplyCaseEvent(const events::v1::CaseEvent& event, routing::v1::Case* c);

// What a branch or specialist may do to a case in its current state, as CaseService commands.
// The errors are FailedPrecondition (wrong state) or PermissionDenied (not the case's unit), with
// a message saying what the state is.
absl::Status CheckAccept(const routing::v1::Case& c, const std::string& unit);
// Logging a contact or requesting an extension: the unit must have accepted the case.
absl::Status CheckWork(const routing::v1::Case& c, const std::string& unit);
absl::Status CheckTransfer(const routing::v1::Case& c, const std::string& unit,
                           const std::string& to_unit);
absl::Status CheckResolve(const routing::v1::Case& c, const std::string& unit);
// New facts from the complainant: a case still being handled, whoever records them.
absl::Status CheckOpen(const routing::v1::Case& c);

}  // namespace complaints::routing
