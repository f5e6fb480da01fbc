#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/sla_timer/store/deadline_store.h"

namespace complaints::routing {

// A unit's deadlines as the SLA timer keeps them: its worklist in the SLA store (the same
// one SlaService.ListUnitDeadlines reads), complaint id -> due time of the complaint's first
// running clock, which is the unit's. Read whole (a unit's open complaints: hundreds), up to
// `horizon` ahead of `now`; complaints with no running clock of the unit are not in it.
absl::StatusOr<std::map<std::string, absl::Time>> ReadUnitDeadlines(
    sla_timer::DeadlineStore& store, const std::string& unit, absl::Time now,
    absl::Duration horizon = absl::Hours(24 * 400));

}  // namespace complaints::routing
