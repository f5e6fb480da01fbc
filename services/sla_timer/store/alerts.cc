#include "services/sla_timer/store/alerts.h"

#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"

namespace complaints::sla_timer {

std::string AlertId(const AlertKey& key) {
  const std::string clock = std::to_string(static_cast<int>(key.clock));
  const std::string version = std::to_string(key.version);
  const std::string kind = std::to_string(static_cast<int>(key.kind));
  const std::string step = std::to_string(key.step);
  return common::DeterministicId({key.complaint_id, "sla-alert", clock, version, kind, step});
}

events::v1::SlaAlert MakeAlert(const AlertKey& key, const ClockEntry& entry, absl::Time fired_at) {
  events::v1::SlaAlert alert;
  alert.set_complaint_id(key.complaint_id);
  alert.set_unit(entry.unit);
  alert.set_clock(key.clock);
  alert.set_kind(key.kind);
  alert.set_step(key.step);
  alert.set_deadline_version(key.version);
  *alert.mutable_due_at() = common::ToProtoTime(entry.due);
  *alert.mutable_fired_at() = common::ToProtoTime(fired_at);
  return alert;
}

kafka::OutgoingRecord ToAlertRecord(const events::v1::SlaAlert& alert) {
  const AlertKey key{.complaint_id = alert.complaint_id(),
                     .clock = alert.clock(),
                     .version = alert.deadline_version(),
                     .kind = alert.kind(),
                     .step = alert.step()};
  return events::ToRecord(events::kSlaAlertsTopic, alert.complaint_id(), alert, AlertId(key),
                          kEventSource, alert.complaint_id(),
                          common::FromProtoTime(alert.fired_at()));
}

bool AlertFilter::Matches(const events::v1::SlaAlert& alert) const {
  if (!unit.empty() && alert.unit() != unit) return false;
  if (kind != events::v1::ALERT_KIND_UNSPECIFIED && alert.kind() != kind) return false;
  if (level != events::v1::LEVEL_UNSPECIFIED && alert.level() != level) return false;
  return true;
}

}  // namespace complaints::sla_timer
