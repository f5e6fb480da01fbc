#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/routing/v1/routing_config.pb.h"
#include "google/protobuf/text_format.h"
#include "libs/common/config_problems.h"

namespace complaints::routing {

// The bank's units as data (deploy/routing/units.textproto): 网点 → 支行 → 分行 → 总行部门, each
// unit's supervisor and region, and where a case goes at each escalation step. Immutable once
// built, so readers share it without locks (a reload builds a new one). Pure: no I/O.
//
// Questions about a code the hierarchy does not know answer as for a unit alone at the top:
// no parent, no supervisor, no region, tier UNSPECIFIED, contained only by itself.
class UnitHierarchy {
 public:
  // Checks `proto` (`locations` from its parse, for the lines of problems in `file`): codes unique and
  // non-empty, tiers given, parents known and of a higher tier (a head-office department's may
  // be another department), exactly one root, no cycles, supervisors and escalation targets
  // known, steps 1..9. Every problem goes to `problems`; the hierarchy is built only without.
  static absl::StatusOr<UnitHierarchy> Build(
      const routing::v1::UnitHierarchy& proto,
      const google::protobuf::TextFormat::ParseInfoTree* locations, const std::string& file,
      common::ConfigProblems& problems);
  // Parses and builds; problems as an InvalidArgument status, one per line.
  static absl::StatusOr<UnitHierarchy> FromText(const std::string& text,
                                                const std::string& file = "units.textproto");

  UnitHierarchy() = default;

  bool Has(std::string_view code) const { return units_.contains(code); }
  // The unit's definition, or nullptr.
  const routing::v1::Unit* Find(std::string_view code) const;
  // The unit it belongs to; "" at the root.
  std::string Parent(std::string_view code) const;
  // Who supervises it: its `supervisor`, else its parent; "" at the root.
  std::string Supervisor(std::string_view code) const;
  // Its tier (网点 1 … 总行部门 4).
  routing::v1::UnitTier Level(std::string_view code) const;
  // Its region, or the nearest one among its parents; "" when none.
  std::string Region(std::string_view code) const;
  // Whether `unit` is `ancestor` or under it.
  bool Contains(std::string_view ancestor, std::string_view unit) const;
  // Where a case of `code` goes at escalation `step` (1-based): the unit's own target for that
  // step, else the hierarchy's; a tier target is the nearest of the unit and its parents at or
  // above that tier. A step beyond the last one defined uses the last one. Without any target:
  // the supervisor, `step` times up. Never "" for a known unit: at the top, the unit itself
  // (the caller then has nobody higher to move the case to).
  std::string EscalationTarget(std::string_view code, int step) const;
  // The code and its parents, from the unit up to the root.
  std::vector<std::string> Chain(std::string_view code) const;

  // Every unit, in file order.
  const std::vector<routing::v1::Unit>& units() const { return proto_units_; }
  const routing::v1::UnitHierarchy& proto() const { return proto_; }
  bool HasRegion(std::string_view region) const;

 private:
  // Resolves one target for `code`; "" when the target names nothing at or above the unit.
  std::string Resolve(std::string_view code, const routing::v1::EscalationTarget& target) const;

  routing::v1::UnitHierarchy proto_;
  std::vector<routing::v1::Unit> proto_units_;
  std::map<std::string, size_t, std::less<>> units_;  // code → index in proto_units_
};

}  // namespace complaints::routing
