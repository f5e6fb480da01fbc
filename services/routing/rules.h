#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/rules.pb.h"
#include "complaints/routing/v1/routing_config.pb.h"
#include "services/routing/unit_hierarchy.h"

namespace complaints::routing {

// The unit that handles a complaint, the rule that chose it and the version of the rules.
struct RouteDecision {
  std::string unit;
  std::string rule_id;
  int64_t rules_version = 0;
};

// Placeholders in a rule's unit: the complaint's own branch (网点), for complaints that the
// branch where they arose must handle; the customer's home branch (开户网点).
inline constexpr std::string_view kBranchPlaceholder = "${branch}";
inline constexpr std::string_view kHomeBranchPlaceholder = "${home_branch}";
// The rule id of a decision no rule made.
inline constexpr std::string_view kFallbackRuleId = "fallback";

// The texts a rule set is built from, with the names their problems are reported under.
struct RuleSources {
  std::string rules_name = "rules.textproto";
  std::string rules;  // routing.v1.RoutingRules
  std::string units_name = "units.textproto";
  std::string units;  // routing.v1.UnitHierarchy
  // The category catalogue (intake.v1.Taxonomy); empty: category prefixes are not checked
  // against it, and shadowing is judged on the rules' own prefixes.
  std::string taxonomy_name = "taxonomy.textproto";
  std::string taxonomy;
};

// A rule that did not choose the complaint, and why.
struct PassedOver {
  routing::v1::RoutingRule rule;
  std::string reason;
};

struct Explanation {
  RouteDecision decision;
  std::vector<PassedOver> passed_over;  // every other rule, in precedence order
};

class RuleSet;

// What Router needs of the rules: a decision per complaint, and the set in force for the unit
// hierarchy (escalation and reopening move a case up it: Current()->units()). A RuleSet (one
// fixed version) or a RulesHolder (whatever version is in force, swapped on reload).
class RouteTable {
 public:
  virtual ~RouteTable() = default;
  virtual RouteDecision Route(const events::v1::ComplaintReceived& complaint) const = 0;
  // The set in force now; decisions that need several answers take it once and ask it all.
  virtual std::shared_ptr<const RuleSet> Current() const = 0;
};

// One version of the routing rules with the unit hierarchy they name: immutable, shared by the
// threads that route (a reload builds a new one). Pure: no I/O.
class RuleSet final : public RouteTable, public std::enable_shared_from_this<RuleSet> {
 public:
  // Parses and checks the sources. Every problem is reported with its file and line, all at
  // once (InvalidArgument, one per line):
  //  - syntax, missing or duplicate ids, no fallback unit;
  //  - an unknown unit (the rule's, the fallback's, one in `branch`/`home_branch`), an unknown
  //    region, a category prefix that names no category of the catalogue;
  //  - a rule that can never match: its conditions exclude each other, or a rule of higher
  //    precedence takes every complaint it would match (shadowed);
  //  - an ambiguous overlap: two rules of equal precedence that one complaint can both match;
  //  - the reopen policy's: a raise without a level or for fewer than 1 reopening, a specialist
  //    rule without an id (or one twice), naming an unknown unit or an unknown category.
  // `version` is recorded in every decision.
  static absl::StatusOr<std::shared_ptr<const RuleSet>> Build(const RuleSources& sources,
                                                              int64_t version);

  // The highest-precedence rule that matches (the checks on load leave at most one), else the
  // fallback unit. A `${branch}` rule does not match a complaint without a branch; likewise
  // `${home_branch}`. A branch the hierarchy does not know still gets its complaint from a
  // `${branch}` rule, but matches no `branch`/`region` condition.
  RouteDecision Route(const events::v1::ComplaintReceived& complaint) const override;
  std::shared_ptr<const RuleSet> Current() const override { return shared_from_this(); }
  // Route, and why each other rule did not choose the complaint.
  Explanation Explain(const events::v1::ComplaintReceived& complaint) const;

  // The same rules under another version (the version is given once the set has passed its
  // checks, so that a bad file uses up no version number).
  std::shared_ptr<const RuleSet> WithVersion(int64_t version) const;
  // The digest of `sources`' contents, as digest() of a set built from them.
  static std::string DigestOf(const RuleSources& sources);

  int64_t version() const { return version_; }
  // Of the sources' contents: two sets with the same digest route alike.
  const std::string& digest() const { return digest_; }
  const std::string& fallback_unit() const { return fallback_unit_; }
  // Highest precedence first (file order among equals).
  const std::vector<routing::v1::RoutingRule>& rules() const { return rules_; }
  const UnitHierarchy& units() const { return units_; }
  // Where reopened cases go and their level after (services/routing/reopen.h).
  const routing::v1::ReopenPolicy& reopen() const { return reopen_; }

 private:
  // "" when `rule` matches, else why not.
  std::string Mismatch(const routing::v1::RoutingRule& rule,
                       const events::v1::ComplaintReceived& complaint) const;
  RouteDecision Decide(const routing::v1::RoutingRule& rule,
                       const events::v1::ComplaintReceived& complaint) const;

  int64_t version_ = 0;
  std::string digest_;
  std::string fallback_unit_;
  std::vector<routing::v1::RoutingRule> rules_;
  UnitHierarchy units_;
  routing::v1::ReopenPolicy reopen_;
};

// What changed from `before` (null: nothing was in force) to `after`: the body of the
// RulesReloaded event (versions, rules and units added, removed and changed).
events::v1::RulesReloaded DiffRuleSets(const RuleSet* before, const RuleSet& after);

// The shipped rules, units and catalogue (deploy/routing, deploy/classifier), as version 1. For
// tests and tools; the service reads its files (routing.rules_dir).
std::shared_ptr<const RuleSet> DefaultRules();

}  // namespace complaints::routing
