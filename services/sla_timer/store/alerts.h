#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "complaints/events/v1/sla.pb.h"
#include "libs/kafka/producer.h"
#include "services/sla_timer/store/clocks.h"

namespace complaints::sla_timer {

inline constexpr char kEventSource[] = "/complaints/sla-timer";

// One alert occurrence: what its event id is derived from, so that an alert fired again (after a
// crash between publishing and acknowledging, or a rebuild from Kafka) keeps its id.
struct AlertKey {
  std::string complaint_id;
  ClockKind clock = events::v1::CLOCK_UNSPECIFIED;
  int64_t version = 0;
  events::v1::AlertKind kind = events::v1::ALERT_KIND_BREACH;
  int32_t step = 0;
  bool operator==(const AlertKey&) const = default;
};

// DeterministicId({complaint, "sla-alert", clock, version, kind, step}), enum values by number.
std::string AlertId(const AlertKey& key);

// The alert `key` raises about `entry`, fired at `fired_at`.
events::v1::SlaAlert MakeAlert(const AlertKey& key, const ClockEntry& entry, absl::Time fired_at);

// The sla.alerts.v1 record of an alert: keyed and subject by complaint id, id from AlertId.
kafka::OutgoingRecord ToAlertRecord(const events::v1::SlaAlert& alert);

// WatchAlerts' filter: an empty unit, an unspecified kind or level matches every alert.
struct AlertFilter {
  std::string unit;
  events::v1::AlertKind kind = events::v1::ALERT_KIND_UNSPECIFIED;
  events::v1::Level level = events::v1::LEVEL_UNSPECIFIED;
  bool Matches(const events::v1::SlaAlert& alert) const;
};

}  // namespace complaints::sla_timer
