#include "services/routing/reopen.h"

#include <algorithm>

namespace complaints::routing {
namespace {

// ORDINARY < MAJOR < ESCALATED; an unset level counts as ordinary.
events::v1::Level Higher(events::v1::Level a, events::v1::Level b) {
  const auto rank = [](events::v1::Level l) {
    return l == events::v1::LEVEL_UNSPECIFIED ? events::v1::LEVEL_ORDINARY : l;
  };
  return rank(a) >= rank(b) ? rank(a) : rank(b);
}

}  // namespace

bool SpecialistHolds(const routing::v1::SpecialistRule& rule, const routing::v1::Case& c,
                     const UnitHierarchy& units) {
  if (c.reopen_count() < rule.min_reopens()) return false;
  if (!rule.category_prefix().empty() &&
      std::none_of(rule.category_prefix().begin(), rule.category_prefix().end(),
                   [&](const std::string& p) { return c.category().starts_with(p); })) {
    return false;
  }
  if (!rule.level().empty() &&
      std::find(rule.level().begin(), rule.level().end(), c.level()) == rule.level().end()) {
    return false;
  }
  if (!rule.unit_under().empty() &&
      std::none_of(rule.unit_under().begin(), rule.unit_under().end(),
                   [&](const std::string& u) { return units.Contains(u, c.unit()); })) {
    return false;
  }
  return true;
}

ReopenPlan PlanReopen(const routing::v1::Case& c, const routing::v1::ReopenPolicy& policy,
                      const UnitHierarchy& units, const std::string& default_supervisor) {
  ReopenPlan plan;
  plan.level = Higher(c.level(), events::v1::LEVEL_ORDINARY);
  for (const routing::v1::LevelRaise& raise : policy.raise()) {
    if (c.reopen_count() >= raise.reopens()) plan.level = Higher(plan.level, raise.level());
  }
  // 升级投诉: a complaint its units could not settle in two handlings needs a higher level.
  if (c.reopen_count() >= 2) plan.level = events::v1::LEVEL_ESCALATED;

  for (const routing::v1::SpecialistRule& rule : policy.specialist()) {
    if (SpecialistHolds(rule, c, units)) {
      plan.unit = rule.unit();
      plan.rule_id = "reopen:" + rule.id();
      return plan;
    }
  }
  plan.rule_id = kReopenRuleId;
  if (units.Has(c.unit())) {
    const std::string parent = units.Parent(c.unit());
    plan.unit = parent.empty() ? c.unit() : parent;  // the top handles its own
  } else {
    plan.unit = default_supervisor.empty() ? c.unit() : default_supervisor;
  }
  return plan;
}

}  // namespace complaints::routing
