#include "services/routing/rules.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "complaints/intake/v1/classifier_config.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/common/files.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/textproto.h"

namespace complaints::routing {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::RepeatedField;
using google::protobuf::RepeatedPtrField;
using google::protobuf::util::MessageDifferencer;
using routing::v1::RoutingRule;
using routing::v1::RuleMatch;
using Tree = google::protobuf::TextFormat::ParseInfoTree;

bool IsPlaceholder(std::string_view unit) {
  return unit == kBranchPlaceholder || unit == kHomeBranchPlaceholder;
}

// --- the conditions, one group at a time ------------------------------------------------------
// The checks on load reason about each group separately (a rule's conditions are an AND of
// groups), so each group is a predicate of its own. Branch, home branch, region and the unit's
// placeholder are one group: the region comes from the branches.

bool CategoryHolds(const RuleMatch& m, std::string_view category) {
  if (m.category_prefix().empty()) return true;
  return std::any_of(m.category_prefix().begin(), m.category_prefix().end(),
                     [&](const std::string& prefix) { return category.starts_with(prefix); });
}

bool ProductHolds(const RuleMatch& m, std::string_view product) {
  if (m.product().empty()) return true;
  return std::find(m.product().begin(), m.product().end(), product) != m.product().end();
}

bool EnumHolds(const RepeatedField<int>& values, int value) {
  return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
}

bool UnderAny(const UnitHierarchy& units, const RepeatedPtrField<std::string>& ancestors,
              std::string_view unit) {
  if (ancestors.empty()) return true;
  if (unit.empty()) return false;
  return std::any_of(ancestors.begin(), ancestors.end(),
                     [&](const std::string& a) { return units.Contains(a, unit); });
}

// The complaint's region: its branch's, or its customer's home branch's when the hierarchy does
// not know its branch.
std::string RegionOf(const UnitHierarchy& units, std::string_view branch, std::string_view home) {
  if (units.Has(branch)) return units.Region(branch);
  if (units.Has(home)) return units.Region(home);
  return "";
}

// "" when the location group holds, else why not.
std::string LocationMismatch(const RoutingRule& rule, const UnitHierarchy& units,
                             std::string_view branch, std::string_view home) {
  const RuleMatch& m = rule.match();
  if (rule.unit() == kBranchPlaceholder && branch.empty()) {
    return "the complaint names no branch for ${branch}";
  }
  if (rule.unit() == kHomeBranchPlaceholder && home.empty()) {
    return "the customer has no home branch for ${home_branch}";
  }
  if (!UnderAny(units, m.branch(), branch)) {
    return branch.empty() ? "the complaint names no branch"
                          : absl::StrCat("branch ", std::string(branch), " is not under ",
                                         absl::StrJoin(m.branch(), ", "));
  }
  if (!UnderAny(units, m.home_branch(), home)) {
    return home.empty() ? "the customer has no home branch"
                        : absl::StrCat("home branch ", std::string(home), " is not under ",
                                       absl::StrJoin(m.home_branch(), ", "));
  }
  if (!m.region().empty()) {
    const std::string region = RegionOf(units, branch, home);
    if (std::find(m.region().begin(), m.region().end(), region) == m.region().end()) {
      return region.empty() ? "the complaint's branches are in no known region"
                            : absl::StrCat("region ", region, " is not ",
                                           absl::StrJoin(m.region(), " or "));
    }
  }
  return "";
}

std::string EnumNames(const EnumDescriptor* type, const RepeatedField<int>& values) {
  std::vector<std::string> names;
  for (int v : values) {
    const auto* value = type->FindValueByNumber(v);
    names.push_back(value == nullptr ? std::to_string(v) : value->name());
  }
  return absl::StrJoin(names, " or ");
}

std::string EnumName(const EnumDescriptor* type, int v) {
  const auto* value = type->FindValueByNumber(v);
  return value == nullptr ? std::to_string(v) : value->name();
}

// --- the checks on load -----------------------------------------------------------------------

// Representative values of each group: every complaint behaves, for each rule, like one of them.
// Categories are the catalogue's leaves (intake publishes no others), or without a catalogue the
// rules' own prefixes and one category outside them all.
struct Universe {
  std::vector<std::string> categories;
  std::vector<std::string> products;
  std::vector<int> channels, levels, urgencies;
  std::vector<std::pair<std::string, std::string>> locations;  // branch, home branch
};

constexpr char kOutside[] = "\x01outside";  // a value no condition names

std::vector<int> EnumValues(const EnumDescriptor* type) {
  std::vector<int> values;  // the zero value never reaches routing: intake sets a default
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) values.push_back(type->value(i)->number());
  }
  return values;
}

// Which representatives of each group a rule holds for.
using Bits = std::vector<bool>;
constexpr int kGroups = 6;
using RuleBits = std::array<Bits, kGroups>;
constexpr std::array<const char*, kGroups> kGroupNames = {
    "category", "product", "channel", "level", "urgency",
    "branch, home branch, region and unit"};

RuleBits BitsOf(const RoutingRule& rule, const Universe& u, const UnitHierarchy& units) {
  RuleBits bits;
  const RuleMatch& m = rule.match();
  for (const auto& c : u.categories) bits[0].push_back(CategoryHolds(m, c));
  for (const auto& p : u.products) bits[1].push_back(ProductHolds(m, p));
  for (int v : u.channels) bits[2].push_back(EnumHolds(m.channel(), v));
  for (int v : u.levels) bits[3].push_back(EnumHolds(m.level(), v));
  for (int v : u.urgencies) bits[4].push_back(EnumHolds(m.urgency(), v));
  for (const auto& [branch, home] : u.locations) {
    bits[5].push_back(LocationMismatch(rule, units, branch, home).empty());
  }
  return bits;
}

bool Any(const Bits& b) { return std::find(b.begin(), b.end(), true) != b.end(); }
bool Intersect(const Bits& a, const Bits& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] && b[i]) return true;
  }
  return false;
}
bool Subset(const Bits& a, const Bits& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] && !b[i]) return false;
  }
  return true;
}

class Checker {
 public:
  Checker(const RuleSources& sources, common::ConfigProblems& problems)
      : sources_(sources), problems_(problems) {}

  // Every problem goes to `problems`; OK when there are none.
  absl::Status Run();
  const routing::v1::RoutingRules& proto() const { return proto_; }
  UnitHierarchy TakeUnits() { return std::move(units_); }

 private:
  void Problem(int line, const std::string& what) {
    problems_.Add(sources_.rules_name, line, what);
  }
  int RuleLine(int i, std::string_view field = "") {
    const Tree* tree = common::TextProtoNested(&tree_, proto_, "rule", i);
    int line = 0;
    if (!field.empty()) line = common::TextProtoLine(tree, proto_.rule(i), field);
    if (line == 0) {
      const Tree* match = common::TextProtoNested(tree, proto_.rule(i), "match");
      if (!field.empty()) line = common::TextProtoLine(match, proto_.rule(i).match(), field, 0);
    }
    return line > 0 ? line : common::TextProtoLine(&tree_, proto_, "rule", i);
  }
  // Problems of a rule on its own; false when it has any.
  bool CheckRule(int i);
  // Problems of the reopen policy.
  void CheckReopen();
  int ReopenLine(std::string_view list, int i, std::string_view field) {
    const Tree* reopen = common::TextProtoNested(&tree_, proto_, "reopen");
    const google::protobuf::Message& item =
        list == "raise" ? static_cast<const google::protobuf::Message&>(proto_.reopen().raise(i))
                        : proto_.reopen().specialist(i);
    const Tree* tree = common::TextProtoNested(reopen, proto_.reopen(), std::string(list), i);
    const auto* descriptor = item.GetDescriptor()->FindFieldByName(std::string(field));
    const int index = descriptor != nullptr && descriptor->is_repeated() ? 0 : -1;
    int line = common::TextProtoLine(tree, item, std::string(field), index);
    if (line == 0) line = common::TextProtoLine(reopen, proto_.reopen(), std::string(list), i);
    return line > 0 ? line : common::TextProtoLine(&tree_, proto_, "reopen");
  }
  Universe MakeUniverse() const;

  const RuleSources& sources_;
  common::ConfigProblems& problems_;
  routing::v1::RoutingRules proto_;
  Tree tree_;
  UnitHierarchy units_;
  std::set<std::string> leaves_;
  std::string taxonomy_version_;
};

bool Checker::CheckRule(int i) {
  const RoutingRule& rule = proto_.rule(i);
  const std::string who = "rule " + (rule.id().empty() ? "#" + std::to_string(i + 1) : rule.id());
  bool ok = true;
  auto problem = [&](std::string_view field, const std::string& what) {
    Problem(RuleLine(i, field), who + ": " + what);
    ok = false;
  };
  if (rule.unit().empty()) {
    problem("unit", "no unit");
  } else if (!IsPlaceholder(rule.unit()) && !units_.Has(rule.unit())) {
    problem("unit", "unknown unit " + rule.unit() + " (not in " + sources_.units_name + ")");
  }
  const RuleMatch& m = rule.match();
  for (const std::string& prefix : m.category_prefix()) {
    if (prefix.empty()) {
      problem("category_prefix", "empty category prefix (leave the field out to match all)");
    } else if (!leaves_.empty() &&
               std::none_of(leaves_.begin(), leaves_.end(),
                            [&](const std::string& leaf) { return leaf.starts_with(prefix); })) {
      problem("category_prefix", "category " + prefix + " is not in the catalogue (" +
                                     sources_.taxonomy_name + " " + taxonomy_version_ + ")");
    }
  }
  for (const std::string& product : m.product()) {
    if (product.empty()) problem("product", "empty product");
  }
  for (const auto* field : {&m.branch(), &m.home_branch()}) {
    for (const std::string& unit : *field) {
      if (!units_.Has(unit)) {
        problem(field == &m.branch() ? "branch" : "home_branch",
                "unknown unit " + unit + " (not in " + sources_.units_name + ")");
      }
    }
  }
  for (const std::string& region : m.region()) {
    if (!units_.HasRegion(region)) {
      problem("region", "unknown region " + region + " (no unit of " + sources_.units_name +
                            " is in it)");
    }
  }
  return ok;
}

void Checker::CheckReopen() {
  const routing::v1::ReopenPolicy& reopen = proto_.reopen();
  for (int i = 0; i < reopen.raise_size(); ++i) {
    const routing::v1::LevelRaise& raise = reopen.raise(i);
    if (raise.reopens() < 1) {
      Problem(ReopenLine("raise", i, "reopens"), "reopen raise: reopens must be 1 or more");
    }
    if (raise.level() == events::v1::LEVEL_UNSPECIFIED ||
        !events::v1::Level_IsValid(raise.level())) {
      Problem(ReopenLine("raise", i, "level"), "reopen raise: no level");
    }
  }
  std::set<std::string> ids;
  for (int i = 0; i < reopen.specialist_size(); ++i) {
    const routing::v1::SpecialistRule& rule = reopen.specialist(i);
    const std::string who =
        "reopen specialist " + (rule.id().empty() ? "#" + std::to_string(i + 1) : rule.id());
    if (rule.id().empty() || rule.id().find_first_of(" \t") != std::string::npos) {
      Problem(ReopenLine("specialist", i, "id"), who + ": no id, or one with spaces");
    } else if (!ids.insert(rule.id()).second) {
      Problem(ReopenLine("specialist", i, "id"), who + ": defined twice");
    }
    if (rule.unit().empty()) {
      Problem(ReopenLine("specialist", i, "unit"), who + ": no unit");
    } else if (!units_.Has(rule.unit())) {
      Problem(ReopenLine("specialist", i, "unit"),
              who + ": unknown unit " + rule.unit() + " (not in " + sources_.units_name + ")");
    }
    for (const std::string& unit : rule.unit_under()) {
      if (!units_.Has(unit)) {
        Problem(ReopenLine("specialist", i, "unit_under"),
                who + ": unknown unit " + unit + " (not in " + sources_.units_name + ")");
      }
    }
    for (const std::string& prefix : rule.category_prefix()) {
      if (prefix.empty() ||
          (!leaves_.empty() &&
           std::none_of(leaves_.begin(), leaves_.end(),
                        [&](const std::string& leaf) { return leaf.starts_with(prefix); }))) {
        Problem(ReopenLine("specialist", i, "category_prefix"),
                who + ": category " + prefix + " is not in the catalogue (" +
                    sources_.taxonomy_name + " " + taxonomy_version_ + ")");
      }
    }
  }
}

Universe Checker::MakeUniverse() const {
  Universe u;
  if (!leaves_.empty()) {
    u.categories.assign(leaves_.begin(), leaves_.end());
  } else {
    std::set<std::string> prefixes;
    for (const RoutingRule& rule : proto_.rule()) {
      prefixes.insert(rule.match().category_prefix().begin(), rule.match().category_prefix().end());
    }
    u.categories.assign(prefixes.begin(), prefixes.end());
    u.categories.push_back(kOutside);
  }
  std::set<std::string> products;
  for (const RoutingRule& rule : proto_.rule()) {
    products.insert(rule.match().product().begin(), rule.match().product().end());
  }
  u.products.assign(products.begin(), products.end());
  u.products.push_back("");
  u.products.push_back(kOutside);
  u.channels = EnumValues(events::v1::Channel_descriptor());
  u.levels = EnumValues(events::v1::Level_descriptor());
  u.urgencies = EnumValues(events::v1::Urgency_descriptor());
  // A branch is one of the hierarchy's units, one it does not know, or none; likewise the home
  // branch.
  std::vector<std::string> places = {"", kOutside};
  for (const auto& unit : units_.units()) places.push_back(unit.code());
  for (const auto& branch : places) {
    for (const auto& home : places) u.locations.emplace_back(branch, home);
  }
  return u;
}

absl::Status Checker::Run() {
  // The hierarchy and catalogue first: the rules are checked against them.
  routing::v1::UnitHierarchy units_proto;
  Tree units_tree;
  bool units_ok = false;
  if (auto s = common::ParseTextProto(sources_.units_name, sources_.units, &units_proto, &units_tree);
      !s.ok()) {
    problems_.AddLocated(std::string(s.message()));
  } else if (auto built = UnitHierarchy::Build(units_proto, &units_tree, sources_.units_name,
                                               problems_);
             built.ok()) {
    units_ = *std::move(built);
    units_ok = true;
  }
  if (!sources_.taxonomy.empty()) {
    intake::v1::Taxonomy taxonomy;
    if (auto s = common::ParseTextProto(sources_.taxonomy_name, sources_.taxonomy, &taxonomy);
        !s.ok()) {
      problems_.AddLocated(std::string(s.message()));
    }
    for (const auto& leaf : taxonomy.leaf()) leaves_.insert(leaf.code());
    taxonomy_version_ = taxonomy.version();
  }
  if (auto s = common::ParseTextProto(sources_.rules_name, sources_.rules, &proto_, &tree_);
      !s.ok()) {
    problems_.AddLocated(std::string(s.message()));
    return problems_.ToStatus();
  }
  if (!units_ok) return problems_.ToStatus();  // every rule would be judged on no units

  const int fallback_line = common::TextProtoLine(&tree_, proto_, "fallback_unit");
  if (proto_.fallback_unit().empty()) {
    Problem(0, "no fallback_unit (where complaints no rule matches go)");
  } else if (!units_.Has(proto_.fallback_unit())) {
    Problem(fallback_line, "unknown fallback unit " + proto_.fallback_unit());
  }

  CheckReopen();
  std::map<std::string, int> first_line_of;
  std::vector<bool> sound(proto_.rule_size());
  for (int i = 0; i < proto_.rule_size(); ++i) {
    const RoutingRule& rule = proto_.rule(i);
    if (rule.id().empty()) {
      Problem(RuleLine(i), "rule without an id");
    } else if (rule.id() == kFallbackRuleId || rule.id().find_first_of(" \t") != std::string::npos) {
      Problem(RuleLine(i, "id"), "rule id " + rule.id() + " is reserved or has spaces");
    } else if (auto [at, fresh] = first_line_of.emplace(rule.id(), RuleLine(i, "id")); !fresh) {
      Problem(RuleLine(i, "id"),
              "rule " + rule.id() + " is defined twice (first on line " +
                  std::to_string(at->second) + ")");
    }
    sound[i] = CheckRule(i);
  }

  // Whether each rule can ever choose a complaint, and whether two rules of equal precedence
  // compete for one: judged on the representatives of each group. Rules with problems of their
  // own are left out (their problem is reported already).
  const Universe universe = MakeUniverse();
  std::vector<RuleBits> bits(proto_.rule_size());
  for (int i = 0; i < proto_.rule_size(); ++i) {
    if (sound[i]) bits[i] = BitsOf(proto_.rule(i), universe, units_);
  }
  for (int i = 0; i < proto_.rule_size(); ++i) {
    if (!sound[i]) continue;
    const RoutingRule& rule = proto_.rule(i);
    std::vector<std::string> empty_groups;
    for (int g = 0; g < kGroups; ++g) {
      if (!Any(bits[i][g])) empty_groups.push_back(kGroupNames[g]);
    }
    if (!empty_groups.empty()) {
      Problem(RuleLine(i), "rule " + rule.id() + " can never match: no complaint satisfies its " +
                               absl::StrJoin(empty_groups, "; ") + " conditions");
      sound[i] = false;
      continue;
    }
    for (int j = 0; j < proto_.rule_size(); ++j) {
      if (j == i || !sound[j]) continue;
      const RoutingRule& other = proto_.rule(j);
      bool covers = true, overlaps = true;
      for (int g = 0; g < kGroups; ++g) {
        covers = covers && Subset(bits[i][g], bits[j][g]);
        overlaps = overlaps && Intersect(bits[i][g], bits[j][g]);
      }
      if (other.precedence() > rule.precedence() && covers) {
        Problem(RuleLine(i), "rule " + rule.id() + " can never match: rule " + other.id() +
                                 " (line " + std::to_string(RuleLine(j)) + ", precedence " +
                                 std::to_string(other.precedence()) +
                                 ") takes every complaint it would");
        break;
      }
      if (j < i && other.precedence() == rule.precedence() && overlaps) {
        Problem(RuleLine(i), "rule " + rule.id() + " overlaps rule " + other.id() + " (line " +
                                 std::to_string(RuleLine(j)) + ") at equal precedence " +
                                 std::to_string(rule.precedence()) +
                                 ": one complaint can match both; give them different "
                                 "precedences or disjoint conditions");
      }
    }
  }
  return problems_.ToStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSet::Build(const RuleSources& sources,
                                                              int64_t version) {
  common::ConfigProblems problems;
  Checker checker(sources, problems);
  if (absl::Status checked = checker.Run(); !checked.ok()) return checked;
  const routing::v1::RoutingRules& proto = checker.proto();

  auto set = std::shared_ptr<RuleSet>(new RuleSet());
  set->version_ = version;
  set->digest_ = DigestOf(sources);
  set->fallback_unit_ = proto.fallback_unit();
  set->rules_.assign(proto.rule().begin(), proto.rule().end());
  std::stable_sort(set->rules_.begin(), set->rules_.end(),
                   [](const RoutingRule& a, const RoutingRule& b) {
                     return a.precedence() > b.precedence();
                   });
  set->units_ = checker.TakeUnits();
  set->reopen_ = proto.reopen();
  return std::shared_ptr<const RuleSet>(std::move(set));
}

std::string RuleSet::DigestOf(const RuleSources& sources) {
  return common::DeterministicId({sources.rules, sources.units, sources.taxonomy});
}

std::shared_ptr<const RuleSet> RuleSet::WithVersion(int64_t version) const {
  auto copy = std::make_shared<RuleSet>(*this);
  copy->version_ = version;
  return copy;
}

std::string RuleSet::Mismatch(const RoutingRule& rule,
                              const events::v1::ComplaintReceived& c) const {
  const RuleMatch& m = rule.match();
  if (!CategoryHolds(m, c.category())) {
    return absl::StrCat("category ", c.category().empty() ? "(none)" : c.category(),
                        " is not under ", absl::StrJoin(m.category_prefix(), " or "));
  }
  if (!ProductHolds(m, c.product())) {
    return absl::StrCat("product ", c.product().empty() ? "(none)" : c.product(), " is not ",
                        absl::StrJoin(m.product(), " or "));
  }
  if (!EnumHolds(m.channel(), c.channel())) {
    return absl::StrCat("channel ", EnumName(events::v1::Channel_descriptor(), c.channel()),
                        " is not ", EnumNames(events::v1::Channel_descriptor(), m.channel()));
  }
  if (!EnumHolds(m.level(), c.level())) {
    return absl::StrCat("level ", EnumName(events::v1::Level_descriptor(), c.level()), " is not ",
                        EnumNames(events::v1::Level_descriptor(), m.level()));
  }
  if (!EnumHolds(m.urgency(), c.urgency())) {
    return absl::StrCat("urgency ", EnumName(events::v1::Urgency_descriptor(), c.urgency()),
                        " is not ", EnumNames(events::v1::Urgency_descriptor(), m.urgency()));
  }
  return LocationMismatch(rule, units_, c.branch_code(), c.customer().home_branch());
}

RouteDecision RuleSet::Decide(const RoutingRule& rule,
                              const events::v1::ComplaintReceived& c) const {
  std::string unit = rule.unit();
  if (unit == kBranchPlaceholder) unit = c.branch_code();
  if (unit == kHomeBranchPlaceholder) unit = c.customer().home_branch();
  return {unit, rule.id(), version_};
}

RouteDecision RuleSet::Route(const events::v1::ComplaintReceived& complaint) const {
  for (const RoutingRule& rule : rules_) {
    if (Mismatch(rule, complaint).empty()) return Decide(rule, complaint);
  }
  return {fallback_unit_, std::string(kFallbackRuleId), version_};
}

Explanation RuleSet::Explain(const events::v1::ComplaintReceived& complaint) const {
  Explanation out;
  const RoutingRule* chosen = nullptr;
  for (const RoutingRule& rule : rules_) {
    std::string why = Mismatch(rule, complaint);
    if (why.empty() && chosen == nullptr) {
      chosen = &rule;
      out.decision = Decide(rule, complaint);
      continue;
    }
    if (why.empty()) {
      why = absl::StrCat("matches too, but rule ", chosen->id(), " (precedence ",
                         chosen->precedence(), ") comes first");
    }
    out.passed_over.push_back({rule, std::move(why)});
  }
  if (chosen == nullptr) out.decision = {fallback_unit_, std::string(kFallbackRuleId), version_};
  return out;
}

events::v1::RulesReloaded DiffRuleSets(const RuleSet* before, const RuleSet& after) {
  events::v1::RulesReloaded diff;
  diff.set_version(after.version());
  diff.set_digest(after.digest());
  std::map<std::string, const RoutingRule*> old_rules, new_rules;
  if (before != nullptr) {
    diff.set_previous_version(before->version());
    for (const auto& rule : before->rules()) old_rules[rule.id()] = &rule;
  }
  for (const auto& rule : after.rules()) new_rules[rule.id()] = &rule;
  for (const auto& [id, rule] : new_rules) {
    auto old = old_rules.find(id);
    if (old == old_rules.end()) {
      *diff.add_added() = *rule;
    } else if (!MessageDifferencer::Equals(*old->second, *rule)) {
      auto* change = diff.add_changed();
      *change->mutable_before() = *old->second;
      *change->mutable_after() = *rule;
    }
  }
  for (const auto& [id, rule] : old_rules) {
    if (!new_rules.contains(id)) *diff.add_removed() = *rule;
  }
  const std::string old_fallback = before == nullptr ? "" : before->fallback_unit();
  if (old_fallback != after.fallback_unit()) {
    diff.set_fallback_unit_before(old_fallback);
    diff.set_fallback_unit_after(after.fallback_unit());
  }
  for (const auto& unit : after.units().units()) {
    const routing::v1::Unit* old = before == nullptr ? nullptr : before->units().Find(unit.code());
    if (old == nullptr) {
      diff.add_units_added(unit.code());
    } else if (!MessageDifferencer::Equals(*old, unit)) {
      diff.add_units_changed(unit.code());
    }
  }
  if (before != nullptr) {
    for (const auto& unit : before->units().units()) {
      if (!after.units().Has(unit.code())) diff.add_units_removed(unit.code());
    }
  }
  return diff;
}

std::shared_ptr<const RuleSet> DefaultRules() {
  const std::string routing_dir = COMPLAINTS_DEFAULT_ROUTING_DIR;
  const std::string classifier_dir = COMPLAINTS_DEFAULT_CLASSIFIER_DIR;
  RuleSources sources;
  auto read = [](const std::string& path) {
    auto text = common::ReadFile(path);
    if (!text.ok()) {
      spdlog::critical("shipped routing data {}: {}", path, text.status().ToString());
      std::abort();
    }
    return *std::move(text);
  };
  sources.rules = read(routing_dir + "/rules.textproto");
  sources.units = read(routing_dir + "/units.textproto");
  sources.taxonomy = read(classifier_dir + "/taxonomy.textproto");
  auto set = RuleSet::Build(sources, 1);
  if (!set.ok()) {
    spdlog::critical("shipped routing data in {}: {}", routing_dir, set.status().ToString());
    std::abort();
  }
  return *std::move(set);
}

}  // namespace complaints::routing
