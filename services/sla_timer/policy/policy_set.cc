#include "services/sla_timer/policy/policy_set.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "libs/common/files.h"
#include "libs/common/textproto.h"
#include "libs/common/utf8.h"
#include "services/sla_timer/policy/policy_span.h"

namespace complaints::sla_policy {
namespace {

using sla::v1::AlertPlan;
using sla::v1::ClockPolicy;
using sla::v1::PolicyFile;
using sla::v1::PolicyRule;
using sla::v1::Span;

constexpr int kMaxEscalationSteps = 9;

absl::Status Invalid(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError("policy " + where + ": " + what);
}

std::string ClockName(ClockKind clock) { return events::v1::Clock_Name(clock); }

bool LevelMatches(const sla::v1::Match& when, events::v1::Level level) {
  if (when.level().empty()) return true;
  if (level == events::v1::LEVEL_UNSPECIFIED) level = events::v1::LEVEL_ORDINARY;
  return std::find(when.level().begin(), when.level().end(), level) != when.level().end();
}

bool UrgencyMatches(const sla::v1::Match& when, events::v1::Urgency urgency) {
  if (when.urgency().empty()) return true;
  if (urgency == events::v1::URGENCY_UNSPECIFIED) urgency = events::v1::URGENCY_NORMAL;
  return std::find(when.urgency().begin(), when.urgency().end(), urgency) != when.urgency().end();
}

// The length of the longest of the rule's prefixes `category` starts with; 0 when the rule names
// none; -1 when it names some and none matches.
int CategoryMatch(const sla::v1::Match& when, const std::string& category) {
  if (when.category_prefix().empty()) return 0;
  int best = -1;
  for (const std::string& prefix : when.category_prefix()) {
    if (category.compare(0, prefix.size(), prefix) == 0) {
      best = std::max(best, static_cast<int>(prefix.size()));
    }
  }
  return best;
}

// Higher is more specific; see PolicyFile in policy.proto.
using Specificity = std::tuple<int, int, int, int>;

void Merge(const ClockPolicy& from, ClockPolicy* into) {
  if (from.has_disabled()) into->set_disabled(from.disabled());
  if (from.has_span()) *into->mutable_span() = from.span();
  if (from.has_statutory()) into->set_statutory(from.statutory());
  if (!from.extension().empty()) *into->mutable_extension() = from.extension();
  if (from.has_agreed_extension()) *into->mutable_agreed_extension() = from.agreed_extension();
  if (!from.paused_by().empty()) *into->mutable_paused_by() = from.paused_by();
  if (from.has_restart_on_new_facts()) into->set_restart_on_new_facts(from.restart_on_new_facts());
  if (from.has_rearm_on_reopen()) into->set_rearm_on_reopen(from.rearm_on_reopen());
  if (from.has_alerts()) *into->mutable_alerts() = from.alerts();  // a plan is whole
  if (from.has_warn_before()) *into->mutable_warn_before() = from.warn_before();
}

absl::Status CheckSpan(const std::string& where, const Span& span) {
  if (!IsValidSpan(span)) return Invalid(where, "needs one positive amount in one unit");
  return absl::OkStatus();
}

absl::Status CheckAlerts(const std::string& where, const AlertPlan& alerts) {
  double previous = 0;
  for (double fraction : alerts.warn_at()) {
    if (!(fraction > previous && fraction < 1)) {
      return Invalid(where + ".warn_at", "fractions must increase strictly within (0, 1)");
    }
    previous = fraction;
  }
  if (alerts.escalation_size() > kMaxEscalationSteps) {
    return Invalid(where + ".escalation",
                   "at most " + std::to_string(kMaxEscalationSteps) + " steps");
  }
  for (int i = 0; i < alerts.escalation_size(); ++i) {
    const std::string step = where + ".escalation[" + std::to_string(i) + "]";
    if (auto s = CheckSpan(step + ".after", alerts.escalation(i).after()); !s.ok()) return s;
    if (!events::v1::EscalationAction_IsValid(alerts.escalation(i).action())) {
      return Invalid(step + ".action", "unknown escalation action");
    }
  }
  return absl::OkStatus();
}

// The promise clock is due at the promised time: what shapes a span-based deadline has no
// meaning for it.
absl::Status CheckPromisePolicy(const std::string& where, const ClockPolicy& policy) {
  if (policy.has_span() || policy.has_statutory() || !policy.extension().empty() ||
      policy.has_agreed_extension() || !policy.paused_by().empty() ||
      policy.has_restart_on_new_facts() || policy.has_rearm_on_reopen()) {
    return Invalid(where,
                   "is due at the promised time: only disabled, warn_before and alerts apply");
  }
  if (policy.has_warn_before()) {
    const Span& lead = policy.warn_before();
    if (!IsValidSpan(lead) || (lead.amount_case() != Span::kCalendarMinutes &&
                               lead.amount_case() != Span::kCalendarHours)) {
      return Invalid(where + ".warn_before",
                     "needs a positive calendar_minutes or calendar_hours");
    }
  }
  if (policy.has_alerts()) {
    if (!policy.alerts().warn_at().empty()) {
      return Invalid(where + ".alerts.warn_at",
                     "does not apply to the promise clock (warn_before does)");
    }
    return CheckAlerts(where + ".alerts", policy.alerts());
  }
  return absl::OkStatus();
}

// What can be checked of one rule's clock policy on its own.
absl::Status CheckClockPolicy(const std::string& where, ClockKind clock,
                              const ClockPolicy& policy) {
  if (clock == events::v1::CLOCK_PROMISE) return CheckPromisePolicy(where, policy);
  if (policy.has_warn_before()) {
    return Invalid(where + ".warn_before",
                   "applies to the promise clock only (use alerts.warn_at)");
  }
  if (policy.has_span()) {
    if (auto s = CheckSpan(where + ".span", policy.span()); !s.ok()) return s;
  }
  for (int i = 0; i < policy.extension_size(); ++i) {
    const std::string stage = where + ".extension[" + std::to_string(i) + "]";
    const Span& to = policy.extension(i).to();
    if (auto s = CheckSpan(stage + ".to", to); !s.ok()) return s;
    if (i > 0) {
      const Span& before = policy.extension(i - 1).to();
      if (!SameUnit(before, to) || AmountOf(to) <= AmountOf(before)) {
        return Invalid(stage, "must be longer than the stage before, in the same unit");
      }
    }
  }
  if (policy.has_agreed_extension()) {
    if (auto s = CheckSpan(where + ".agreed_extension.max_delay",
                           policy.agreed_extension().max_delay());
        !s.ok()) {
      return s;
    }
  }
  for (int reason : policy.paused_by()) {
    if (reason == events::v1::PAUSE_REASON_UNSPECIFIED) {
      return Invalid(where + ".paused_by", "PAUSE_REASON_UNSPECIFIED is not a reason");
    }
  }
  if (policy.has_alerts()) return CheckAlerts(where + ".alerts", policy.alerts());
  return absl::OkStatus();
}

// What can only be checked of a merged policy: the chain against the span it extends.
absl::Status CheckResolved(const std::string& where, const ClockPolicy& policy) {
  if (policy.extension().empty()) return absl::OkStatus();
  const Span& first = policy.extension(0).to();
  if (!SameUnit(policy.span(), first) || AmountOf(first) <= AmountOf(policy.span())) {
    return Invalid(where, "the first extension stage (" + SpanText(first) +
                              ") must be longer than the span (" + SpanText(policy.span()) +
                              "), in the same unit");
  }
  return absl::OkStatus();
}

}  // namespace

const ClockPolicy* ClockPolicyOf(const PolicyRule& rule, ClockKind clock) {
  switch (clock) {
    case events::v1::CLOCK_ACCEPT:
      return rule.has_accept() ? &rule.accept() : nullptr;
    case events::v1::CLOCK_FIRST_CONTACT:
      return rule.has_first_contact() ? &rule.first_contact() : nullptr;
    case events::v1::CLOCK_PROGRESS_UPDATE:
      return rule.has_progress_update() ? &rule.progress_update() : nullptr;
    case events::v1::CLOCK_RESOLUTION:
      return rule.has_resolution() ? &rule.resolution() : nullptr;
    case events::v1::CLOCK_REGULATORY:
      return rule.has_regulatory() ? &rule.regulatory() : nullptr;
    case events::v1::CLOCK_FIX:
      return rule.has_fix() ? &rule.fix() : nullptr;
    case events::v1::CLOCK_PROMISE:
      return rule.has_promise() ? &rule.promise() : nullptr;
    default:
      return nullptr;
  }
}

absl::StatusOr<PolicySet> PolicySet::Create(PolicyFile file) {
  if (file.rule().empty()) return Invalid("file", "has no rule");
  if (auto s = CheckAlerts("default_alerts", file.default_alerts()); !s.ok()) return s;

  std::set<std::string> names;
  std::set<std::string> prefixes = {""};
  for (int i = 0; i < file.rule_size(); ++i) {
    const PolicyRule& rule = file.rule(i);
    const std::string where = "rule[" + std::to_string(i) + "] \"" + rule.name() + "\"";
    if (rule.name().empty()) return Invalid(where, "needs a name");
    if (!names.insert(rule.name()).second) return Invalid(where, "name used twice");
    for (int level : rule.when().level()) {
      if (level == events::v1::LEVEL_UNSPECIFIED) return Invalid(where, "LEVEL_UNSPECIFIED in when");
    }
    for (int urgency : rule.when().urgency()) {
      if (urgency == events::v1::URGENCY_UNSPECIFIED) {
        return Invalid(where, "URGENCY_UNSPECIFIED in when");
      }
    }
    for (const std::string& prefix : rule.when().category_prefix()) {
      if (prefix.empty()) return Invalid(where, "empty category_prefix (leave it out instead)");
      prefixes.insert(prefix);
    }
    for (ClockKind clock : kAllClocks) {
      const ClockPolicy* policy = ClockPolicyOf(rule, clock);
      if (policy == nullptr) continue;
      if (auto s = CheckClockPolicy(where + "." + ClockName(clock), clock, *policy); !s.ok()) {
        return s;
      }
    }
  }

  PolicySet set(std::move(file));
  // Every distinct policy the file can produce comes from some level x urgency x named prefix.
  for (auto level : {events::v1::LEVEL_ORDINARY, events::v1::LEVEL_MAJOR,
                     events::v1::LEVEL_ESCALATED}) {
    for (auto urgency : {events::v1::URGENCY_NORMAL, events::v1::URGENCY_VERY_URGENT}) {
      for (const std::string& category : prefixes) {
        const Subject subject{level, urgency, category};
        for (ClockKind clock : kAllClocks) {
          auto resolved = set.Resolve(clock, subject);
          if (!resolved.has_value()) continue;
          const std::string where = ClockName(clock) + " for " + events::v1::Level_Name(level) +
                                    " " + events::v1::Urgency_Name(urgency) + " category \"" +
                                    category + "\" (rule \"" + resolved->rule + "\")";
          if (auto s = CheckResolved(where, resolved->policy); !s.ok()) return s;
        }
      }
    }
  }
  return set;
}

std::optional<ResolvedClock> PolicySet::Resolve(ClockKind clock, const Subject& subject) const {
  struct Candidate {
    Specificity specificity;
    const PolicyRule* rule;
    const ClockPolicy* policy;
  };
  std::vector<Candidate> candidates;
  for (int i = 0; i < file_.rule_size(); ++i) {
    const PolicyRule& rule = file_.rule(i);
    const ClockPolicy* policy = ClockPolicyOf(rule, clock);
    if (policy == nullptr) continue;
    const sla::v1::Match& when = rule.when();
    if (!LevelMatches(when, subject.level) || !UrgencyMatches(when, subject.urgency)) continue;
    const int prefix = CategoryMatch(when, subject.category);
    if (prefix < 0) continue;
    const int dimensions = (when.level().empty() ? 0 : 1) + (when.urgency().empty() ? 0 : 1) +
                           (when.category_prefix().empty() ? 0 : 1);
    candidates.push_back({{rule.priority(), dimensions, prefix, -i}, &rule, policy});
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.specificity < b.specificity; });

  ResolvedClock resolved;
  *resolved.policy.mutable_alerts() = file_.default_alerts();
  for (const Candidate& candidate : candidates) {
    Merge(*candidate.policy, &resolved.policy);
    resolved.rules.push_back(candidate.rule->name());
    if (candidate.policy->has_span() || candidate.policy->has_disabled()) {
      resolved.rule = candidate.rule->name();
    }
  }
  if (resolved.policy.disabled()) return std::nullopt;
  if (clock == events::v1::CLOCK_PROMISE) {
    if (resolved.rule.empty()) {
      resolved.rule = resolved.rules.empty() ? "(default)" : resolved.rules.back();
    }
    return resolved;
  }
  if (!resolved.policy.has_span()) return std::nullopt;
  return resolved;
}

absl::StatusOr<PolicySet> ParsePolicyText(const std::string& text) {
  PolicyFile file;
  if (auto parsed = common::ParseTextProto("", text, &file); !parsed.ok()) {
    return absl::InvalidArgumentError("policy file: " + std::string(parsed.message()));
  }
  // Messages quote rule names from the file, which may hold broken UTF-8; they are logged.
  auto set = PolicySet::Create(std::move(file));
  if (!set.ok()) return common::WithValidUtf8(set.status());
  return set;
}

absl::StatusOr<PolicySet> LoadPolicyFile(const std::string& path) {
  auto text = common::ReadFile(path);
  if (!text.ok()) {
    return absl::NotFoundError("policy file: " + std::string(text.status().message()));
  }
  auto set = ParsePolicyText(*text);
  if (!set.ok()) {
    return absl::Status(set.status().code(), path + ": " + std::string(set.status().message()));
  }
  return set;
}

}  // namespace complaints::sla_policy
