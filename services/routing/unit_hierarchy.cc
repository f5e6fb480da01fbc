#include "services/routing/unit_hierarchy.h"

#include <set>

#include "libs/common/textproto.h"

namespace complaints::routing {
namespace {

using routing::v1::EscalationTarget;
using routing::v1::Unit;
using routing::v1::UnitTier;
using Tree = google::protobuf::TextFormat::ParseInfoTree;

constexpr int kMaxStep = 9;  // the SLA policy's ladder has at most 9 steps

bool IsHeadOffice(UnitTier tier) { return tier == routing::v1::UNIT_TIER_HEAD_OFFICE; }

// Checks one escalation ladder (the hierarchy's or a unit's).
void CheckLadder(const google::protobuf::RepeatedPtrField<EscalationTarget>& ladder,
                 const std::set<std::string, std::less<>>& codes, const std::string& file,
                 int line, const std::string& owner, common::ConfigProblems& problems) {
  std::set<int> steps;
  for (const EscalationTarget& target : ladder) {
    const std::string where = owner + " escalation step " + std::to_string(target.step());
    if (target.step() < 1 || target.step() > kMaxStep) {
      problems.Add(file, line, owner + ": escalation step must be 1.." + std::to_string(kMaxStep));
    } else if (!steps.insert(target.step()).second) {
      problems.Add(file, line, where + " is given twice");
    }
    switch (target.target_case()) {
      case EscalationTarget::kUnit:
        if (!codes.contains(target.unit())) {
          problems.Add(file, line, where + ": unknown unit " + target.unit());
        }
        break;
      case EscalationTarget::kTier:
        if (target.tier() == routing::v1::UNIT_TIER_UNSPECIFIED) {
          problems.Add(file, line, where + ": tier must be given");
        }
        break;
      case EscalationTarget::TARGET_NOT_SET:
        problems.Add(file, line, where + ": needs a unit or a tier");
        break;
    }
  }
}

}  // namespace

absl::StatusOr<UnitHierarchy> UnitHierarchy::Build(const routing::v1::UnitHierarchy& proto,
                                                   const Tree* locations, const std::string& file,
                                                   common::ConfigProblems& problems) {
  const size_t problems_before = problems.list().size();
  auto line_of = [&](int index, std::string_view field = "") {
    const Tree* unit_tree = common::TextProtoNested(locations, proto, "unit", index);
    const int line =
        field.empty() ? 0 : common::TextProtoLine(unit_tree, proto.unit(index), field, 0);
    return line > 0 ? line : common::TextProtoLine(locations, proto, "unit", index);
  };

  std::set<std::string, std::less<>> codes;
  std::map<std::string, int, std::less<>> index_of;
  for (int i = 0; i < proto.unit_size(); ++i) {
    const Unit& unit = proto.unit(i);
    if (unit.code().empty()) {
      problems.Add(file, line_of(i), "unit without a code");
      continue;
    }
    if (unit.code().find_first_of(" \t${}") != std::string::npos) {
      problems.Add(file, line_of(i, "code"), "unit " + unit.code() + ": code has spaces or ${}");
    }
    if (!codes.insert(unit.code()).second) {
      problems.Add(file, line_of(i, "code"), "unit " + unit.code() + " is defined twice");
      continue;
    }
    index_of[unit.code()] = i;
  }
  if (proto.unit().empty()) problems.Add(file, 0, "no `unit`");

  std::vector<std::string> roots;
  for (int i = 0; i < proto.unit_size(); ++i) {
    const Unit& unit = proto.unit(i);
    if (unit.code().empty()) continue;
    const std::string who = "unit " + unit.code();
    if (unit.tier() == routing::v1::UNIT_TIER_UNSPECIFIED) {
      problems.Add(file, line_of(i), who + ": tier must be given");
    }
    if (unit.parent().empty()) {
      roots.push_back(unit.code());
    } else if (auto parent = index_of.find(unit.parent()); parent == index_of.end()) {
      problems.Add(file, line_of(i, "parent"), who + ": unknown parent " + unit.parent());
    } else {
      const UnitTier parent_tier = proto.unit(parent->second).tier();
      const bool higher = parent_tier > unit.tier() ||
                          (IsHeadOffice(unit.tier()) && IsHeadOffice(parent_tier));
      if (!higher) {
        problems.Add(file, line_of(i, "parent"),
                     who + ": parent " + unit.parent() + " is not of a higher tier (" +
                         routing::v1::UnitTier_Name(parent_tier) + " over " +
                         routing::v1::UnitTier_Name(unit.tier()) + ")");
      }
    }
    if (!unit.supervisor().empty() && !codes.contains(unit.supervisor())) {
      problems.Add(file, line_of(i, "supervisor"), who + ": unknown supervisor " + unit.supervisor());
    }
    if (unit.supervisor() == unit.code()) {
      problems.Add(file, line_of(i, "supervisor"), who + " supervises itself");
    }
    CheckLadder(unit.escalation(), codes, file, line_of(i, "escalation"), who, problems);
  }
  if (!proto.unit().empty() && roots.size() != 1) {
    problems.Add(file, 0,
                 "exactly one unit must have no parent (the top of the hierarchy); found " +
                     std::to_string(roots.size()) +
                     (roots.empty() ? "" : ": " + absl::StrJoin(roots, ", ")));
  }
  CheckLadder(proto.escalation(), codes, file,
              common::TextProtoLine(locations, proto, "escalation", 0), "hierarchy", problems);

  // Only head-office departments may have a parent of their own tier: a cycle can only be among
  // them, and is found by walking up at most as many steps as there are units.
  for (int i = 0; i < proto.unit_size(); ++i) {
    std::string at = proto.unit(i).code();
    for (int steps = 0; !at.empty(); ++steps) {
      auto found = index_of.find(at);
      if (found == index_of.end()) break;
      if (steps > proto.unit_size()) {
        problems.Add(file, line_of(i, "parent"),
                     "unit " + proto.unit(i).code() + ": its parents form a cycle");
        break;
      }
      at = proto.unit(found->second).parent();
    }
  }

  if (problems.list().size() != problems_before) {
    return absl::InvalidArgumentError("the unit hierarchy has problems");
  }
  UnitHierarchy hierarchy;
  hierarchy.proto_ = proto;
  hierarchy.proto_units_.assign(proto.unit().begin(), proto.unit().end());
  for (size_t i = 0; i < hierarchy.proto_units_.size(); ++i) {
    hierarchy.units_[hierarchy.proto_units_[i].code()] = i;
  }
  return hierarchy;
}

absl::StatusOr<UnitHierarchy> UnitHierarchy::FromText(const std::string& text,
                                                      const std::string& file) {
  routing::v1::UnitHierarchy proto;
  Tree locations;
  if (auto s = common::ParseTextProto(file, text, &proto, &locations); !s.ok()) return s;
  common::ConfigProblems problems;
  auto built = Build(proto, &locations, file, problems);
  if (!problems.empty()) return problems.ToStatus();
  return built;
}

const Unit* UnitHierarchy::Find(std::string_view code) const {
  auto found = units_.find(code);
  return found == units_.end() ? nullptr : &proto_units_[found->second];
}

std::string UnitHierarchy::Parent(std::string_view code) const {
  const Unit* unit = Find(code);
  return unit == nullptr ? "" : unit->parent();
}

std::string UnitHierarchy::Supervisor(std::string_view code) const {
  const Unit* unit = Find(code);
  if (unit == nullptr) return "";
  return unit->supervisor().empty() ? unit->parent() : unit->supervisor();
}

UnitTier UnitHierarchy::Level(std::string_view code) const {
  const Unit* unit = Find(code);
  return unit == nullptr ? routing::v1::UNIT_TIER_UNSPECIFIED : unit->tier();
}

std::string UnitHierarchy::Region(std::string_view code) const {
  for (const Unit* unit = Find(code); unit != nullptr; unit = Find(unit->parent())) {
    if (!unit->region().empty()) return unit->region();
  }
  return "";
}

bool UnitHierarchy::Contains(std::string_view ancestor, std::string_view code) const {
  if (ancestor == code) return true;
  for (const Unit* unit = Find(code); unit != nullptr; unit = Find(unit->parent())) {
    if (unit->parent() == ancestor) return true;
  }
  return false;
}

std::vector<std::string> UnitHierarchy::Chain(std::string_view code) const {
  std::vector<std::string> chain;
  if (!Has(code)) return chain;
  for (const Unit* unit = Find(code); unit != nullptr; unit = Find(unit->parent())) {
    chain.push_back(unit->code());
  }
  return chain;
}

bool UnitHierarchy::HasRegion(std::string_view region) const {
  for (const Unit& unit : proto_units_) {
    if (unit.region() == region) return true;
  }
  return false;
}

std::string UnitHierarchy::Resolve(std::string_view code,
                                   const routing::v1::EscalationTarget& target) const {
  if (target.has_unit()) return target.unit();
  for (const std::string& unit : Chain(code)) {
    if (Level(unit) >= target.tier()) return unit;
  }
  return "";
}

std::string UnitHierarchy::EscalationTarget(std::string_view code, int step) const {
  const Unit* unit = Find(code);
  if (unit == nullptr || step < 1) return std::string(code);
  // The target of `step` in a ladder: that step's, else the last step's before it.
  auto pick = [step](const auto& ladder) -> const routing::v1::EscalationTarget* {
    const routing::v1::EscalationTarget* best = nullptr;
    for (const auto& target : ladder) {
      if (target.step() <= step && (best == nullptr || target.step() > best->step())) {
        best = &target;
      }
    }
    return best;
  };
  const routing::v1::EscalationTarget* own = pick(unit->escalation());
  const routing::v1::EscalationTarget* shared = pick(proto_.escalation());
  // The unit's own target wins for the steps it names; past them, the hierarchy's ladder when
  // that names a later step.
  const routing::v1::EscalationTarget* target = own;
  if (target == nullptr || (shared != nullptr && shared->step() > own->step())) target = shared;
  if (target != nullptr) {
    const std::string resolved = Resolve(code, *target);
    if (!resolved.empty()) return resolved;
  }
  std::string at(code);
  for (int i = 0; i < step; ++i) {
    const std::string up = Supervisor(at);
    if (up.empty()) break;
    at = up;
  }
  return at;
}

}  // namespace complaints::routing
