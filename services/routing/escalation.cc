#include "services/routing/escalation.h"

#include <algorithm>

#include "libs/grpcutil/status.h"

namespace complaints::routing {
namespace {

bool StillHandled(routing::v1::CaseState state) {
  return state == routing::v1::CASE_STATE_ASSIGNED || state == routing::v1::CASE_STATE_ACCEPTED ||
         state == routing::v1::CASE_STATE_REOPENED;
}

std::string ClockName(events::v1::Clock clock) {
  std::string name = events::v1::Clock_Name(clock);
  return name.starts_with("CLOCK_") ? name.substr(6) : name;
}

}  // namespace

absl::Status CheckAlert(const events::v1::SlaAlert& alert) {
  if (alert.complaint_id().empty()) return grpcutil::FieldError("complaint_id", "is empty");
  if (!events::v1::AlertKind_IsValid(alert.kind()) ||
      alert.kind() == events::v1::ALERT_KIND_UNSPECIFIED) {
    return grpcutil::FieldError("kind", "is not a known alert kind");
  }
  if (alert.kind() != events::v1::ALERT_KIND_ESCALATION) return absl::OkStatus();
  if (alert.step() < 1) return grpcutil::FieldError("step", "must be 1 or more on an escalation");
  if (!events::v1::EscalationAction_IsValid(alert.action())) {
    return grpcutil::FieldError("action", "is not a known escalation action");
  }
  if (!events::v1::Clock_IsValid(alert.clock())) {
    return grpcutil::FieldError("clock", "is not a known clock");
  }
  return absl::OkStatus();
}

std::optional<events::v1::Escalated> PlanEscalation(const events::v1::SlaAlert& alert,
                                                    const std::string& alert_id,
                                                    const routing::v1::Case& c,
                                                    const UnitHierarchy& units,
                                                    const std::string& default_supervisor) {
  if (alert.kind() != events::v1::ALERT_KIND_ESCALATION) return std::nullopt;
  if (!StillHandled(c.state())) return std::nullopt;
  if (std::any_of(c.escalations().begin(), c.escalations().end(),
                  [&](const routing::v1::EscalationRecord& e) { return e.alert_id() == alert_id; })) {
    return std::nullopt;
  }
  const std::string target =
      units.Has(c.unit()) ? units.EscalationTarget(c.unit(), alert.step()) : default_supervisor;

  events::v1::Escalated escalated;
  escalated.set_alert_id(alert_id);
  escalated.set_clock(alert.clock());
  escalated.set_step(alert.step());
  escalated.set_action(alert.action() == events::v1::ESCALATION_ACTION_REASSIGN
                           ? events::v1::ESCALATION_ACTION_REASSIGN
                           : events::v1::ESCALATION_ACTION_NOTIFY);
  escalated.set_notified_unit(target);
  escalated.set_role(alert.role());
  if (escalated.action() != events::v1::ESCALATION_ACTION_REASSIGN) return escalated;

  if (!alert.unit().empty() && alert.unit() != c.unit()) {
    escalated.set_note("the deadline was " + alert.unit() + "'s; the case has moved to " +
                       c.unit() + " since, and stays there");
  } else if (c.state() == routing::v1::CASE_STATE_REOPENED) {
    escalated.set_note("the case is reopened: its reopening decides where it goes");
  } else if (target.empty() || target == c.unit()) {
    escalated.set_note(c.unit() + " is already at the step's level: nobody higher to move to");
  } else {
    escalated.set_to_unit(target);
  }
  return escalated;
}

std::string EscalationReason(const events::v1::SlaAlert& alert, const std::string& from_unit) {
  return "escalation step " + std::to_string(alert.step()) + " of the " +
         ClockName(alert.clock()) + " deadline missed by " + from_unit +
         (alert.role().empty() ? std::string() : " (" + alert.role() + ")");
}

}  // namespace complaints::routing
