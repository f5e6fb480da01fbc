#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/sla/v1/policy.pb.h"

namespace complaints::sla_policy {

using ClockKind = events::v1::Clock;

// The clocks, in order.
inline constexpr ClockKind kAllClocks[] = {
    events::v1::CLOCK_ACCEPT,     events::v1::CLOCK_FIRST_CONTACT, events::v1::CLOCK_PROGRESS_UPDATE,
    events::v1::CLOCK_RESOLUTION, events::v1::CLOCK_REGULATORY,    events::v1::CLOCK_FIX,
    events::v1::CLOCK_PROMISE};

// The promise clock's reminder when its policy sets no warn_before.
inline constexpr absl::Duration kDefaultPromiseReminder = absl::Hours(2);

// What a complaint's policy is chosen by. An unspecified level counts as ordinary and an
// unspecified urgency as normal.
struct Subject {
  events::v1::Level level = events::v1::LEVEL_ORDINARY;
  events::v1::Urgency urgency = events::v1::URGENCY_NORMAL;
  std::string category;
};

// The policy of one clock for one subject, merged from the rules that match it.
struct ResolvedClock {
  sla::v1::ClockPolicy policy;     // alerts completed from the file's default_alerts
  std::string rule;                // the most specific rule that set the span
  std::vector<std::string> rules;  // every rule that contributed, least specific first
};

// A validated policy file. Immutable and cheap to share; selection is pure.
class PolicySet {
 public:
  // Checks every rule, and every policy the file can produce (each level x urgency x category
  // prefix it names), so that a bad file fails at start-up rather than on some complaint.
  static absl::StatusOr<PolicySet> Create(sla::v1::PolicyFile file);

  const sla::v1::PolicyFile& file() const { return file_; }
  const std::string& name() const { return file_.name(); }
  const std::string& region() const { return file_.region(); }

  // The policy of `clock` for `subject`; nullopt when no matching rule gives it a span, or the
  // most specific one that speaks of it disables it. The promise clock needs no span: it has a
  // policy (the default alerts, at least) unless disabled.
  std::optional<ResolvedClock> Resolve(ClockKind clock, const Subject& subject) const;

 private:
  explicit PolicySet(sla::v1::PolicyFile file) : file_(std::move(file)) {}

  sla::v1::PolicyFile file_;
};

// The rule's policy for `clock`, or nullptr when the rule does not speak of it.
const sla::v1::ClockPolicy* ClockPolicyOf(const sla::v1::PolicyRule& rule, ClockKind clock);

// A policy file in protobuf text format; errors name the line and column.
absl::StatusOr<PolicySet> ParsePolicyText(const std::string& text);
// Reads and parses `path` (the only I/O of the policy engine: call it at start-up).
absl::StatusOr<PolicySet> LoadPolicyFile(const std::string& path);

}  // namespace complaints::sla_policy
