#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/routing/v1/routing.pb.h"
#include "services/routing/unit_hierarchy.h"

namespace complaints::routing {

// The rule id of an assignment an escalation step made.
inline constexpr char kEscalationRuleId[] = "escalation";

// Whether an sla.alerts.v1 record's alert is one routing can act on: InvalidArgument (its
// record goes to sla.alerts.v1.dlq) naming the field when it is not. Warnings and breaches pass
// (routing ignores them); an escalation needs a step of 1 or more and a known action.
absl::Status CheckAlert(const events::v1::SlaAlert& alert);

// What routing does about one escalation alert on case `c`, decided purely: the Escalated event
// to append (who was notified; `to_unit` set when the case moves, and then an assignment to it
// follows). nullopt when the alert changes nothing: not an escalation, a case no longer being
// handled (resolved, closed), or an alert the case has recorded already (its id is among
// c.escalations(): a redelivery, whatever the ledger's event-id window remembers).
//
// The step's target is the hierarchy's EscalationTarget of the case's unit; for a unit the
// hierarchy does not know, `default_supervisor`. A REASSIGN step moves the case there unless
// the case is already with it, the case is reopened (its reopening decides where it goes), or
// the alert is about a unit the case has left since its deadline was set; each of those is
// recorded as a notification with a note saying why.
std::optional<events::v1::Escalated> PlanEscalation(const events::v1::SlaAlert& alert,
                                                    const std::string& alert_id,
                                                    const routing::v1::Case& c,
                                                    const UnitHierarchy& units,
                                                    const std::string& default_supervisor);

// The reason an escalation's assignment carries, for the unit that receives the case.
std::string EscalationReason(const events::v1::SlaAlert& alert, const std::string& from_unit);

}  // namespace complaints::routing
