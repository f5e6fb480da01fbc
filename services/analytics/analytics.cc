#include "services/analytics/analytics.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/events/v1/ops.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"

namespace complaints::analytics {
namespace {

// An enum value's name without its prefix: ("CHANNEL_PHONE", "CHANNEL_") -> "PHONE".
std::string Bare(const std::string& name, const std::string& prefix) {
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

std::string Lower(const std::string& name, const std::string& prefix) {
  return absl::AsciiStrToLower(Bare(name, prefix));
}

// What each topic's message contributes, besides the CloudEvents attributes.
struct Parsed {
  std::string complaint_id;
  const google::protobuf::Timestamp* time = nullptr;  // the event's own time, when it has one
  std::string kind;
  std::string summary;
  std::string category;
  std::string unit;
};

std::string AssignedSummary(const std::string& unit, const std::string& rule_id, int sequence) {
  std::string summary = "assigned to " + unit;
  if (!rule_id.empty()) summary += " by rule " + rule_id;
  if (sequence > 1) summary += " (assignment " + std::to_string(sequence) + ")";
  return summary;
}

void Describe(const events::v1::ComplaintReceived& m, Parsed& out) {
  out.complaint_id = m.complaint_id();
  out.time = &m.received_at();
  out.kind = "received";
  out.category = m.category();
  // Not the customer nor the description: both may carry personal data.
  out.summary = "received: " + (m.category().empty() ? "uncategorised" : m.category()) + " via " +
                Lower(events::v1::Channel_Name(m.channel()), "CHANNEL_") + ", " +
                Lower(events::v1::Level_Name(m.level()), "LEVEL_");
  if (m.urgency() == events::v1::URGENCY_VERY_URGENT) out.summary += ", very urgent";
  if (!m.branch_code().empty()) out.summary += ", about branch " + m.branch_code();
}

void Describe(const events::v1::Assignment& m, Parsed& out) {
  out.complaint_id = m.complaint_id();
  out.time = &m.assigned_at();
  out.kind = "assignment";
  out.unit = m.unit();
  out.summary = AssignedSummary(m.unit(), m.rule_id(), m.sequence());
}

void Describe(const events::v1::CaseEvent& m, Parsed& out) {
  using events::v1::CaseEvent;
  out.complaint_id = m.complaint_id();
  out.time = &m.occurred_at();
  // Reasons, resolutions and contact summaries are free text: left out.
  switch (m.event_case()) {
    case CaseEvent::kAssigned:
      out.kind = "case.assigned";
      out.summary = AssignedSummary(m.unit(), m.assigned().rule_id(), m.assigned().sequence());
      break;
    case CaseEvent::kAccepted:
      out.kind = "case.accepted";
      out.summary = "accepted by " + m.unit();
      break;
    case CaseEvent::kContactLogged:
      out.kind = "case.contact_logged";
      out.summary = m.contact_logged().has_next_contact_promised_at()
                        ? "customer contacted; next contact promised by " +
                              kafka::FormatEventTime(common::FromProtoTime(
                                  m.contact_logged().next_contact_promised_at()))
                        : "customer contacted";
      break;
    case CaseEvent::kTransferred:
      out.kind = "case.transferred";
      out.summary =
          "transferred from " + m.transferred().from_unit() + " to " + m.transferred().to_unit();
      break;
    case CaseEvent::kExtensionRequested:
      out.kind = "case.extension_requested";
      out.summary =
          "extension of " + std::to_string(m.extension_requested().days()) + " days requested";
      break;
    case CaseEvent::kResolved:
      out.kind = "case.resolved";
      out.summary = m.resolved().bank_at_fault() ? "resolved (bank at fault)" : "resolved";
      break;
    case CaseEvent::kReopened:
      out.kind = "case.reopened";
      out.summary = "reopened";
      break;
    case CaseEvent::kClosed:
      out.kind = "case.closed";
      out.summary = "closed";
      break;
    case CaseEvent::kPaused:
      out.kind = "case.paused";
      out.summary = "clocks paused";
      break;
    case CaseEvent::kResumed:
      out.kind = "case.resumed";
      out.summary = "clocks resumed";
      break;
    case CaseEvent::kNewFactsRecorded:
      out.kind = "case.new_facts";
      out.summary = "new facts recorded";
      break;
    case CaseEvent::kExtensionApproved:
      out.kind = "case.extension_approved";
      out.summary = "extension approved";
      break;
    case CaseEvent::kExtensionRefused:
      out.kind = "case.extension_refused";
      out.summary = "extension refused";
      break;
    case CaseEvent::kAwaitingFix:
      out.kind = "case.awaiting_fix";
      out.summary = "satisfied; waiting for the business problem to be fixed";
      break;
    case CaseEvent::kFixReported:
      out.kind = "case.fix_reported";
      out.summary = "business problem fixed";
      break;
    case CaseEvent::kEscalated:
      out.kind = "case.escalated";
      out.summary = m.escalated().to_unit().empty()
                        ? "escalation step " + std::to_string(m.escalated().step()) + ": " +
                              m.escalated().notified_unit() + " notified"
                        : "escalation step " + std::to_string(m.escalated().step()) +
                              ": reassigned to " + m.escalated().to_unit();
      break;
    case CaseEvent::EVENT_NOT_SET:
      out.kind = "case.other";  // a kind newer than this build: kept, not dead-lettered
      out.summary = "case event";
      break;
  }
}

void Describe(const events::v1::SlaAlert& m, Parsed& out) {
  out.complaint_id = m.complaint_id();
  out.time = &m.fired_at();
  const std::string kind = Lower(events::v1::AlertKind_Name(m.kind()), "ALERT_KIND_");
  const std::string clock = Bare(events::v1::Clock_Name(m.clock()), "CLOCK_");
  out.kind = "sla." + kind;
  out.summary = "SLA " + kind;
  if (m.kind() == events::v1::ALERT_KIND_ESCALATION) {
    out.summary += " step " + std::to_string(m.step());
  }
  out.summary += ": " + clock;
}

void Describe(const events::v1::FollowUpTask& m, Parsed& out) {
  out.complaint_id = m.complaint_id();
  out.kind = "followup.task";
  out.summary = (m.kind() == events::v1::FOLLOW_UP_TASK_KIND_SURVEY
                     ? "follow-up attempt " + std::to_string(m.attempt())
                     : Lower(events::v1::FollowUpTaskKind_Name(m.kind()), "FOLLOW_UP_TASK_KIND_") +
                           " task") +
                " by " +
                Lower(events::v1::FollowUpChannel_Name(m.channel()), "FOLLOW_UP_CHANNEL_") +
                " due " + kafka::FormatEventTime(common::FromProtoTime(m.due_at()));
}

// An operator's re-drive of a dead letter (complaintctl dlq redrive), once it is done. The note
// is free text: left out.
void Describe(const events::v1::DeadLetterRedrive& m, Parsed& out) {
  out.complaint_id = m.complaint_id();
  out.time = &m.at();
  out.kind = "ops.redrive";
  out.summary = "dead letter re-driven to " + m.topic() + " by " + m.actor() + " (from " +
                m.dead_letter_topic() + " " + std::to_string(m.dead_letter_partition()) + ":" +
                std::to_string(m.dead_letter_offset()) + ", dead-lettered by " +
                m.dead_letter_group() + ")";
}

template <typename T>
absl::Status ParseAndDescribe(const kafka::IncomingRecord& record, T& message, Parsed& out) {
  if (auto s = events::ParseRecord(record, &message); !s.ok()) return s;
  Describe(message, out);
  return absl::OkStatus();
}

bool IsSet(const google::protobuf::Timestamp* time) {
  return time != nullptr && (time->seconds() != 0 || time->nanos() != 0);
}

}  // namespace

absl::StatusOr<Observation> Observe(const kafka::IncomingRecord& record) {
  auto header = kafka::FromHeaders(record.headers);
  if (!header.ok()) return header.status();

  // The messages live until the end of the function: `parsed.time` points into one of them.
  events::v1::ComplaintReceived received;
  events::v1::Assignment assignment;
  events::v1::CaseEvent case_event;
  events::v1::SlaAlert alert;
  events::v1::FollowUpTask task;
  events::v1::DeadLetterRedrive redrive;
  Parsed parsed;
  absl::Status status;
  if (record.topic == events::kReceivedTopic) {
    status = ParseAndDescribe(record, received, parsed);
  } else if (record.topic == events::kAssignmentsTopic) {
    status = ParseAndDescribe(record, assignment, parsed);
  } else if (record.topic == events::kCaseTopic) {
    status = ParseAndDescribe(record, case_event, parsed);
  } else if (record.topic == events::kSlaAlertsTopic) {
    status = ParseAndDescribe(record, alert, parsed);
  } else if (record.topic == events::kFollowUpTasksTopic) {
    status = ParseAndDescribe(record, task, parsed);
  } else if (record.topic == events::kRedrivesTopic) {
    status = ParseAndDescribe(record, redrive, parsed);
  } else {
    return absl::InvalidArgumentError("analytics does not read topic " + record.topic);
  }
  if (!status.ok()) return status;

  Observation observation;
  observation.complaint_id = header->subject.empty() ? parsed.complaint_id : header->subject;
  if (observation.complaint_id.empty()) {
    return absl::InvalidArgumentError("record has neither ce_subject nor a complaint_id");
  }
  auto& entry = observation.entry;
  entry.set_topic(record.topic);
  entry.set_event_type(header->type);
  entry.set_event_id(header->id);
  *entry.mutable_time() = IsSet(parsed.time) ? *parsed.time : common::ToProtoTime(header->time);
  entry.set_summary(std::move(parsed.summary));
  entry.set_kind(std::move(parsed.kind));
  observation.category = std::move(parsed.category);
  observation.unit = std::move(parsed.unit);
  return observation;
}

namespace {

// What `record` puts on a timeline, if anything: only a finished re-drive of a complaint's
// record does (a claim may lose to another operator's, and dead letters without a subject
// belong to no one); every record of the other topics does.
absl::StatusOr<std::optional<Observation>> TimelineObservation(
    const kafka::IncomingRecord& record) {
  if (record.topic == events::kRedrivesTopic) {
    auto redrive = events::ParseRecordAs<events::v1::DeadLetterRedrive>(record);
    if (!redrive.ok()) return redrive.status();
    if (redrive->phase() != events::v1::DeadLetterRedrive::DONE ||
        redrive->complaint_id().empty()) {
      return std::nullopt;
    }
  }
  auto observation = Observe(record);
  if (!observation.ok()) return observation.status();
  return std::optional<Observation>(*std::move(observation));
}

}  // namespace

absl::Status Analytics::HandleRecord(const kafka::IncomingRecord& record) {
  return HandleBatch({record}).front();
}

std::vector<absl::Status> Analytics::HandleBatch(
    const std::vector<kafka::IncomingRecord>& records) {
  std::vector<absl::Status> statuses(records.size());
  std::vector<Observation> observations;
  std::vector<size_t> record_of;  // per observation, the index of its record
  for (size_t i = 0; i < records.size(); ++i) {
    auto observation = TimelineObservation(records[i]);
    if (!observation.ok()) {
      statuses[i] = observation.status();
    } else if (observation->has_value()) {
      observations.push_back(**std::move(observation));
      record_of.push_back(i);
    }
  }
  if (observations.empty()) return statuses;
  std::vector<absl::StatusOr<bool>> recorded = store_->RecordAll(observations);
  for (size_t k = 0; k < recorded.size(); ++k) {
    if (!recorded[k].ok()) statuses[record_of[k]] = recorded[k].status();
  }
  return statuses;
}

absl::StatusOr<analytics::v1::GetTimelineResponse> Analytics::GetTimeline(
    const analytics::v1::GetTimelineRequest& request) {
  if (request.complaint_id().empty()) return grpcutil::FieldError("complaint_id", "is required");
  if (check_ready_) {
    if (absl::Status ready = check_ready_(); !ready.ok()) return ready;
  }
  auto entries = store_->Timeline(request.complaint_id());
  if (!entries.ok()) return entries.status();
  if (entries->empty()) {
    return absl::NotFoundError("complaint_id: no events of complaint " + request.complaint_id());
  }
  // Stable: entries with the same time keep their arrival order.
  std::stable_sort(entries->begin(), entries->end(), [](const auto& a, const auto& b) {
    return common::FromProtoTime(a.time()) < common::FromProtoTime(b.time());
  });
  analytics::v1::GetTimelineResponse response;
  for (auto& entry : *entries) *response.add_entries() = std::move(entry);
  return response;
}

absl::StatusOr<analytics::v1::GetCountsResponse> Analytics::GetCounts() {
  // Counts span every partition: all of them must be complete.
  if (check_ready_) {
    if (absl::Status ready = check_ready_(); !ready.ok()) return ready;
  }
  return store_->Counts();
}

}  // namespace complaints::analytics
