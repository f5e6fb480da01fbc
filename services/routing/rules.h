#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/routing/v1/routing.pb.h"

namespace complaints::routing {

// The unit that handles a complaint and the rule that chose it.
struct RouteDecision {
  std::string unit;
  std::string rule_id;
};

// Placeholder in a rule's unit: the complaint's own branch (网点), for complaints that the branch
// where they arose must handle.
inline constexpr std::string_view kBranchPlaceholder = "${branch}";

// Rules file format, one rule per line, `#` comments:
//   <rule_id> <priority> <category_prefix|*> <unit|${branch}>
absl::StatusOr<std::vector<routing::v1::Rule>> ParseRules(std::string_view text);

// Shipped defaults: complaints about a branch's service, queues or ATMs go to that branch; card,
// loan, wealth, credit-report and e-banking complaints to the head-office department that owns
// the product; everything else to head-office complaint management.
std::vector<routing::v1::Rule> DefaultRules();

// The matching rule with the highest priority, the longest prefix breaking ties. A `${branch}`
// rule does not match a complaint without a branch code. There is always an answer as long as
// the rules include a catch-all; without one, complaints nothing matches go to `fallback_unit`.
RouteDecision Route(const std::vector<routing::v1::Rule>& rules,
                    const events::v1::ComplaintReceived& complaint,
                    const std::string& fallback_unit);

}  // namespace complaints::routing
