#include "libs/authz/access_policy.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "libs/common/files.h"
#include "libs/common/textproto.h"

namespace complaints::authz {
namespace {

using authz::v1::Scope;

std::string ScopeName(Scope scope) {
  switch (scope) {
    case authz::v1::SCOPE_ANY: return "any";
    case authz::v1::SCOPE_OWN_UNIT: return "own unit";
    case authz::v1::SCOPE_UNIT_SUBTREE: return "unit subtree";
    default: return "none";
  }
}

bool Matches(std::string_view pattern, std::string_view method) {
  if (pattern == "*") return true;
  if (pattern.ends_with("/*")) return method.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == method;
}

// Wider first: ANY > SUBTREE > OWN_UNIT.
int Width(Scope scope) {
  switch (scope) {
    case authz::v1::SCOPE_ANY: return 3;
    case authz::v1::SCOPE_UNIT_SUBTREE: return 2;
    case authz::v1::SCOPE_OWN_UNIT: return 1;
    default: return 0;
  }
}

absl::Status Denied(const Principal& principal, const std::string& method, const std::string& what) {
  return absl::PermissionDeniedError(absl::StrCat("role ", principal.role, " (", principal.ToString(),
                                                  ") lacks ", what, " for ", method));
}

}  // namespace

absl::StatusOr<Principal> ParsePrincipal(std::string_view cn) {
  const size_t colon = cn.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == cn.size()) {
    return absl::InvalidArgumentError(
        "the client certificate's subject CN is not <role>:<name>");
  }
  return Principal{std::string(cn.substr(0, colon)), std::string(cn.substr(colon + 1))};
}

UnitTree UnitTree::FromProto(const routing::v1::UnitHierarchy& proto) {
  UnitTree tree;
  for (const auto& unit : proto.unit()) tree.parent_[unit.code()] = unit.parent();
  return tree;
}

absl::StatusOr<UnitTree> UnitTree::FromFile(const std::string& path) {
  auto text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  routing::v1::UnitHierarchy proto;
  if (auto status = common::ParseTextProto(path, *text, &proto); !status.ok()) return status;
  return FromProto(proto);
}

bool UnitTree::Contains(std::string_view ancestor, std::string_view unit) const {
  std::string current(unit);
  // Bounded by the number of units, so that a cycle (routing refuses them) cannot hang us.
  for (size_t hops = 0; hops <= parent_.size() && !current.empty(); ++hops) {
    if (current == ancestor) return true;
    auto it = parent_.find(current);
    if (it == parent_.end()) return false;
    current = it->second;
  }
  return false;
}

absl::StatusOr<AccessPolicy> AccessPolicy::FromProto(authz::v1::AccessPolicy proto) {
  std::set<std::string> names;
  for (const auto& role : proto.roles()) {
    const std::string where = absl::StrCat("role \"", role.name(), "\"");
    if (role.name().empty() || role.name().find(':') != std::string::npos) {
      return absl::InvalidArgumentError(where + ": a role needs a name without ':'");
    }
    if (!names.insert(role.name()).second) return absl::InvalidArgumentError(where + " twice");
    for (const auto& grant : role.grants()) {
      if (grant.scope() == authz::v1::SCOPE_UNSPECIFIED) {
        return absl::InvalidArgumentError(where + ": a grant without a scope");
      }
      if (!role.unit_bound() && grant.scope() != authz::v1::SCOPE_ANY) {
        return absl::InvalidArgumentError(where + ": a unit scope needs unit_bound: true");
      }
      if (grant.methods().empty()) return absl::InvalidArgumentError(where + ": a grant without methods");
      for (const std::string& method : grant.methods()) {
        if (method != "*" && (method.find('/') == std::string::npos || method.starts_with("/"))) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": method \"", method, "\" is not <package>.<Service>/<Method>"));
        }
      }
    }
  }
  AccessPolicy policy;
  policy.proto_ = std::move(proto);
  return policy;
}

absl::StatusOr<AccessPolicy> AccessPolicy::FromText(const std::string& text,
                                                    const std::string& file) {
  authz::v1::AccessPolicy proto;
  if (auto status = common::ParseTextProto(file, text, &proto); !status.ok()) return status;
  auto policy = FromProto(std::move(proto));
  if (!policy.ok()) return absl::InvalidArgumentError(absl::StrCat(file, ": ", policy.status().message()));
  return policy;
}

absl::StatusOr<AccessPolicy> AccessPolicy::FromFile(const std::string& path) {
  auto text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  return FromText(*text, path);
}

const authz::v1::Role* AccessPolicy::FindRole(std::string_view role) const {
  for (const auto& candidate : proto_.roles()) {
    if (candidate.name() == role) return &candidate;
  }
  return nullptr;
}

Scope AccessPolicy::ScopeFor(const authz::v1::Role& role, std::string_view method) const {
  Scope best = authz::v1::SCOPE_UNSPECIFIED;
  for (const auto& grant : role.grants()) {
    for (const std::string& pattern : grant.methods()) {
      if (Matches(pattern, method) && Width(grant.scope()) > Width(best)) best = grant.scope();
    }
  }
  return best;
}

bool AccessPolicy::NeedsCaseUnit(const Principal& principal, std::string_view method) const {
  const authz::v1::Role* role = FindRole(principal.role);
  if (role == nullptr) return false;
  const Scope scope = ScopeFor(*role, method);
  return scope == authz::v1::SCOPE_OWN_UNIT || scope == authz::v1::SCOPE_UNIT_SUBTREE;
}

Decision AccessPolicy::Decide(const Principal& principal, const CallFacts& facts,
                              const UnitTree& units) const {
  Decision decision;
  decision.change = IsChange(facts.method);
  const authz::v1::Role* role = FindRole(principal.role);
  if (role == nullptr) {
    decision.status = absl::PermissionDeniedError(absl::StrCat(
        "role ", principal.role, " (", principal.ToString(), ") is not in the access policy"));
    return decision;
  }
  decision.mask_customer = role->mask_customer();
  const Scope scope = ScopeFor(*role, facts.method);
  if (scope == authz::v1::SCOPE_UNSPECIFIED) {
    decision.status = Denied(principal, facts.method, "a grant");
    return decision;
  }
  if (scope == authz::v1::SCOPE_ANY) return decision;

  // A unit scope: the principal's name is its unit.
  const std::string& own = principal.name;
  const auto within = [&](std::string_view unit) {
    return scope == authz::v1::SCOPE_OWN_UNIT ? unit == own : units.Contains(own, unit);
  };
  const std::string scope_text = absl::StrCat("scope ", ScopeName(scope), " ", own);
  if (!facts.complaint_id.empty()) {
    // The acting unit is the credential's: filled in when the request leaves it empty, refused
    // when it names another.
    if (facts.has_unit_field) {
      if (!facts.request_unit.empty() && facts.request_unit != own) {
        decision.status = Denied(principal, facts.method,
                                 absl::StrCat("the right to act for unit ", facts.request_unit,
                                              " (the unit comes from the credential)"));
        return decision;
      }
      decision.fill_unit = own;
    }
    // An unknown complaint is refused like another unit's: a guessed id tells nothing.
    if (!facts.case_unit.has_value() || !within(*facts.case_unit)) {
      decision.status = Denied(principal, facts.method,
                               absl::StrCat(scope_text, " over complaint ", facts.complaint_id));
    }
    return decision;
  }
  if (facts.has_unit_field) {
    if (facts.request_unit.empty()) {
      decision.fill_unit = own;  // e.g. WatchAlerts: its own unit, never every unit
      return decision;
    }
    if (!within(facts.request_unit)) {
      decision.status = Denied(principal, facts.method,
                               absl::StrCat(scope_text, " over unit ", facts.request_unit));
    }
    return decision;
  }
  // Neither a complaint nor a unit: nothing to scope the call to, so a unit-bound role may not.
  decision.status = Denied(principal, facts.method, "scope any (the call spans every unit)");
  return decision;
}

bool IsChange(std::string_view method) {
  const size_t slash = method.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? method : method.substr(slash + 1);
  for (const char* read : {"Get", "List", "Watch", "Explain"}) {
    if (name.starts_with(read)) return false;
  }
  return true;
}

}  // namespace complaints::authz
