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

const ClockEntry* Find(const CaseClocks& current, ClockKind clock) {
  auto it = current.clocks.find(clock);
  return it == current.clocks.end() ? nullptr : &it->second;
}

// Builds the changes of one event against the clocks as they were before it.
class Changes {
 public:
  Changes(const CaseClocks& current, const CaseEvent& event, int64_t version)
      : current_(current),
        event_(event),
        version_(version),
        // Whole milliseconds, as deadlines are stored: a duplicate must compare equal.
        at_(absl::FromUnixMillis(absl::ToUnixMillis(common::FromProtoTime(event.occurred_at())))) {}

  // The unit of the event, or the clock's if the event does not say.
  std::string UnitFor(ClockKind clock) const {
    if (!event_.unit().empty()) return event_.unit();
    const ClockEntry* existing = Find(current_, clock);
    return existing == nullptr ? std::string() : existing->unit;
  }

  void Arm(ClockKind clock, absl::Duration span) {
    ClockEntry entry{.clock = clock,
                     .state = ClockEntry::State::kRunning,
                     .due = at_ + span,
                     .version = version_,
                     .armed_at = at_,
                     .unit = UnitFor(clock)};
    const ClockEntry* existing = Find(current_, clock);
    // The same deadline for the same unit, running or already stopped: a duplicate of the event
    // that armed it (re-emitted after a producer's crash, with a new offset).
    if (existing != nullptr && existing->due == entry.due && existing->unit == entry.unit) return;
    out_.push_back({ClockChange::Kind::kArm, std::move(entry)});
  }

  void Stop(ClockKind clock) {
    const ClockEntry* existing = Find(current_, clock);
    if (existing == nullptr || !existing->running()) return;
    ClockEntry entry = *existing;
    entry.state = ClockEntry::State::kStopped;
    out_.push_back({ClockChange::Kind::kStop, std::move(entry)});
  }

  // A later assignment: the deadline stays, the new unit answers for it.
  void Keep(ClockKind clock, absl::Duration span) {
    const ClockEntry* existing = Find(current_, clock);
    if (existing == nullptr) {
      // The first assignment was never seen (lost state rebuilt from a compacted history, or a
      // producer that started numbering elsewhere): better late than a deadline never armed.
      Arm(clock, span);
      return;
    }
    if (!existing->running() || event_.unit().empty() || existing->unit == event_.unit()) return;
    ClockEntry entry = *existing;
    entry.unit = event_.unit();
    out_.push_back({ClockChange::Kind::kRetarget, std::move(entry)});
  }

  std::vector<ClockChange> Take() { return std::move(out_); }

 private:
  const CaseClocks& current_;
  const CaseEvent& event_;
  const int64_t version_;
  const absl::Time at_;
  std::vector<ClockChange> out_;
};

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

absl::Status ValidateCaseEvent(const CaseEvent& event) {
  if (event.complaint_id().empty()) return grpcutil::FieldError("complaint_id", "is required");
  if (!event.has_occurred_at()) return grpcutil::FieldError("occurred_at", "is required");
  return absl::OkStatus();
}

Decision Decide(const CaseClocks& current, const CaseEvent& event, int64_t version,
                const PolicySettings& settings) {
  Decision decision;
  decision.assignment_sequence = current.assignment_sequence;
  Changes changes(current, event, version);
  switch (event.event_case()) {
    case CaseEvent::kAssigned: {
      const int32_t sequence = std::max(1, event.assigned().sequence());
      if (sequence <= current.assignment_sequence) break;  // seen, or overtaken by a later one
      decision.assignment_sequence = sequence;
      changes.Arm(events::v1::CLOCK_ACCEPT, settings.accept);
      if (sequence == 1) {
        changes.Arm(events::v1::CLOCK_RESOLUTION, settings.resolution);
        changes.Arm(events::v1::CLOCK_REGULATORY, settings.regulatory);
      } else {
        changes.Keep(events::v1::CLOCK_RESOLUTION, settings.resolution);
        changes.Keep(events::v1::CLOCK_REGULATORY, settings.regulatory);
      }
      break;
    }
    case CaseEvent::kAccepted:
      changes.Stop(events::v1::CLOCK_ACCEPT);
      break;
    case CaseEvent::kResolved:
      // A unit that resolves has evidently accepted: its accept clock must not breach later.
      changes.Stop(events::v1::CLOCK_ACCEPT);
      changes.Stop(events::v1::CLOCK_RESOLUTION);
      changes.Stop(events::v1::CLOCK_REGULATORY);
      break;
    case CaseEvent::kClosed:
      for (const auto& [clock, entry] : current.clocks) changes.Stop(clock);
      break;
    case CaseEvent::kReopened:
      changes.Arm(events::v1::CLOCK_RESOLUTION, settings.resolution);
      break;
    default:
      break;
  }
  decision.changes = changes.Take();
  return decision;
}

CaseClocks Apply(CaseClocks current, const Decision& decision, int64_t offset) {
  for (const ClockChange& change : decision.changes) {
    current.clocks[change.entry.clock] = change.entry;
  }
  current.assignment_sequence = decision.assignment_sequence;
  current.last_offset = offset;
  return current;
}

bool AllStopped(const CaseClocks& clocks) {
  return std::none_of(clocks.clocks.begin(), clocks.clocks.end(),
                      [](const auto& item) { return item.second.running(); });
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
