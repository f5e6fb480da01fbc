#pragma once
// Who may do what (README.md, "Who may do what"): the roles of deploy/authz/policy.textproto and
// the decision for one call, pure and free of gRPC, Redis or Kafka. The gRPC side
// (libs/grpcutil/authorization.h) gathers the facts of a call — the caller's certificate CN, the
// method, the complaint and unit the request names, the unit of that complaint's case — and
// applies the decision before the handler runs.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "complaints/authz/v1/policy.pb.h"
#include "complaints/routing/v1/routing_config.pb.h"

namespace complaints::authz {

// A caller: the subject CN of its client certificate, "<role>:<name>" ("branch:BJ-0101",
// "agent:alice"). For a unit-bound role the name is the unit code.
struct Principal {
  std::string role;
  std::string name;
  std::string ToString() const { return role + ":" + name; }
};
// InvalidArgument unless `cn` is "<role>:<name>" with both parts non-empty.
absl::StatusOr<Principal> ParsePrincipal(std::string_view cn);

// The units' parent links (deploy/routing/units.textproto), for supervisors' subtrees. Routing's
// UnitHierarchy is the full model; this is the one question authorization asks of it.
class UnitTree {
 public:
  static UnitTree FromProto(const routing::v1::UnitHierarchy& proto);
  static absl::StatusOr<UnitTree> FromFile(const std::string& path);
  // Whether `unit` is `ancestor` or under it; an unknown unit is under nothing but itself.
  bool Contains(std::string_view ancestor, std::string_view unit) const;

 private:
  std::map<std::string, std::string, std::less<>> parent_;
};

// What a call is about, as its request and the case store say.
struct CallFacts {
  std::string method = "";        // "complaints.routing.v1.CaseService/GetCase"
  std::string complaint_id = "";  // the request's complaint_id; empty when it names none
  // The request's `unit` field: with a complaint_id, the unit acting on the case (it must be
  // the credential's); without, the unit the request is about (ListCases, WatchAlerts...).
  std::string request_unit = "";
  bool has_unit_field = false;
  // The unit the complaint's case is with; nullopt when the complaint has no case (unknown id,
  // not routed yet). Only looked at when a scope needs it.
  std::optional<std::string> case_unit = std::nullopt;
};

struct Decision {
  absl::Status status;      // OK, or PERMISSION_DENIED naming the role and the missing scope
  std::string fill_unit;    // when set: the request's `unit` field is this (the credential's)
  bool mask_customer = false;
  bool change = false;      // the method changes a case (for the audit trail)
};

class AccessPolicy {
 public:
  // Checks every role: a name, no duplicate, scopes given, methods well formed, unit-bound
  // roles only with unit scopes and unit-free roles only with SCOPE_ANY.
  static absl::StatusOr<AccessPolicy> FromProto(authz::v1::AccessPolicy proto);
  static absl::StatusOr<AccessPolicy> FromText(const std::string& text,
                                               const std::string& file = "policy.textproto");
  static absl::StatusOr<AccessPolicy> FromFile(const std::string& path);

  const authz::v1::Role* FindRole(std::string_view role) const;
  // The scope the role has for `method` (its widest grant), or SCOPE_UNSPECIFIED: none.
  authz::v1::Scope ScopeFor(const authz::v1::Role& role, std::string_view method) const;
  // Whether deciding `method` for `principal` needs the complaint's case unit (a unit scope and
  // a request naming a complaint): the caller resolves it only then.
  bool NeedsCaseUnit(const Principal& principal, std::string_view method) const;

  // The decision for one call: pure.
  Decision Decide(const Principal& principal, const CallFacts& facts, const UnitTree& units) const;

  const authz::v1::AccessPolicy& proto() const { return proto_; }

 private:
  authz::v1::AccessPolicy proto_;
};

// Whether a method changes a case (commands) rather than reads: reads are Get*, List*, Watch*
// and Explain* by our API's naming.
bool IsChange(std::string_view method);

}  // namespace complaints::authz
