#pragma once

#include <string>

#include "complaints/events/v1/complaint.pb.h"
#include "complaints/routing/v1/routing.pb.h"
#include "complaints/routing/v1/routing_config.pb.h"
#include "services/routing/unit_hierarchy.h"

namespace complaints::routing {

// The rule id of a reopened case's assignment one level up; a specialist rule's is
// "reopen:<its id>".
inline constexpr char kReopenRuleId[] = "reopened";

// Where a reopened case (二次处理) goes and at what level.
struct ReopenPlan {
  std::string unit;
  std::string rule_id;
  events::v1::Level level = events::v1::LEVEL_UNSPECIFIED;
};

// Decided purely from the case as the Reopened event left it (reopen_count counts this
// reopening) and the rules in force (routing_config.proto ReopenPolicy):
//  - the first specialist rule that holds names the unit; otherwise one level up: the parent
//    of the case's unit in the hierarchy; at the top the case stays; a unit the hierarchy does
//    not know goes to `default_supervisor`;
//  - the level is the highest of the case's own, the policy's raise for this many reopenings,
//    and LEVEL_ESCALATED from the second reopening on.
ReopenPlan PlanReopen(const routing::v1::Case& c, const routing::v1::ReopenPolicy& policy,
                      const UnitHierarchy& units, const std::string& default_supervisor);

// Whether a specialist rule holds for case `c`.
bool SpecialistHolds(const routing::v1::SpecialistRule& rule, const routing::v1::Case& c,
                     const UnitHierarchy& units);

}  // namespace complaints::routing
