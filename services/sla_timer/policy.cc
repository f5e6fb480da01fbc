#include "services/sla_timer/policy.h"

#include <algorithm>

#include "libs/common/proto_time.h"
#include "libs/grpcutil/status.h"

namespace complaints::sla_timer {
namespace {

using events::v1::CaseEvent;

absl::StatusOr<absl::Duration> PositiveHours(const common::Config& config, const char* key,
                                             absl::Duration fallback, double hours_per_unit) {
  auto value = config.GetDouble(key, absl::ToDoubleHours(fallback) / hours_per_unit);
  if (!value.ok()) return value.status();
  if (!(*value > 0)) {
    return absl::InvalidArgumentError(std::string("config ") + key + ": must be positive");
  }
  return absl::Hours(*value * hours_per_unit);
}

}  // namespace

absl::StatusOr<PolicySettings> PolicySettings::FromConfig(const common::Config& config) {
  PolicySettings settings;
  auto accept = PositiveHours(config, "sla.accept_hours", settings.accept, 1);
  if (!accept.ok()) return accept.status();
  auto resolution = PositiveHours(config, "sla.resolution_hours", settings.resolution, 1);
  if (!resolution.ok()) return resolution.status();
  auto regulatory = PositiveHours(config, "sla.regulatory_days", settings.regulatory, 24);
  if (!regulatory.ok()) return regulatory.status();
  settings.accept = *accept;
  settings.resolution = *resolution;
  settings.regulatory = *regulatory;
  return settings;
}

Firing FirstFiring(const ClockEntry& entry, const PolicySettings&) {
  // Warnings (e.g. at 50% and 80% of armed_at..due) will be scheduled here, before the breach.
  return Firing{.kind = events::v1::ALERT_KIND_BREACH, .step = 0, .at = entry.due};
}

std::optional<Firing> NextFiring(const ClockEntry&, events::v1::AlertKind, int32_t,
                                 const PolicySettings&) {
  // warning -> next warning or breach; breach -> escalation step 1 at due + interval; step n ->
  // step n+1 up to head office. This slice stops at the breach.
  return std::nullopt;
}

}  // namespace complaints::sla_timer
