#include "services/routing/router.h"

#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"
#include "services/routing/case_state.h"
#include "services/routing/rules.h"

namespace complaints::routing {
namespace {

constexpr char kEventSource[] = "/complaints/routing";
// Enough to recognise any re-published duplicate: a case sees a handful of events.
constexpr int kRememberedEventIds = 64;

bool Contains(const routing::v1::CaseRecord& record, const std::string& event_id) {
  for (const auto& id : record.applied_event_ids()) {
    if (id == event_id) return true;
  }
  return false;
}

void RememberEvent(routing::v1::CaseRecord* record, const std::string& event_id) {
  auto* ids = record->mutable_applied_event_ids();
  ids->Add(std::string(event_id));
  if (ids->size() > kRememberedEventIds) ids->DeleteSubrange(0, ids->size() - kRememberedEventIds);
}

events::v1::CaseEvent NewCaseEvent(const routing::v1::Case& c, const std::string& actor,
                                   absl::Time now) {
  events::v1::CaseEvent event;
  event.set_complaint_id(c.complaint_id());
  event.set_unit(c.unit());
  event.set_actor(actor);
  *event.mutable_occurred_at() = common::ToProtoTime(now);
  return event;
}

}  // namespace

kafka::OutgoingRecord Router::CaseRecordOf(const events::v1::CaseEvent& event,
                                           const std::string& id, absl::Time now) const {
  return events::ToRecord(events::kCaseTopic, event.complaint_id(), event, id, kEventSource,
                          event.complaint_id(), now);
}

std::vector<kafka::OutgoingRecord> Router::AssignmentRecords(const routing::v1::Case& to,
                                                             const std::string& rule_id,
                                                             int sequence, absl::Time now) const {
  const std::string& id = to.complaint_id();
  const std::string seq = std::to_string(sequence);

  events::v1::CaseEvent assigned = NewCaseEvent(to, "routing", now);
  auto* a = assigned.mutable_assigned();
  a->set_rule_id(rule_id);
  a->set_level(to.level());
  a->set_urgency(to.urgency());
  a->set_category(to.category());
  a->set_sequence(sequence);
  *a->mutable_received_at() = to.received_at();

  events::v1::Assignment assignment;
  assignment.set_complaint_id(id);
  assignment.set_unit(to.unit());
  assignment.set_rule_id(rule_id);
  assignment.set_level(to.level());
  assignment.set_urgency(to.urgency());
  assignment.set_category(to.category());
  assignment.set_sequence(sequence);
  *assignment.mutable_assigned_at() = common::ToProtoTime(now);

  // The unit's consumers read the assignment topic by unit: keyed by unit, not complaint.
  return {
      CaseRecordOf(assigned, common::DeterministicId({id, "assigned", seq}), now),
      events::ToRecord(events::kAssignmentsTopic, to.unit(), assignment,
                       common::DeterministicId({id, "assignment", seq}), kEventSource, id, now)};
}

absl::Status Router::HandleReceived(const kafka::IncomingRecord& record) {
  auto complaint = events::ParseRecordAs<events::v1::ComplaintReceived>(record);
  if (!complaint.ok()) return complaint.status();
  if (complaint->complaint_id().empty()) return absl::InvalidArgumentError("complaint_id is empty");
  auto existing = store_->Get(complaint->complaint_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return absl::OkStatus();  // routed before: a re-delivered duplicate

  const RouteDecision decision = Route(settings_.rules, *complaint, settings_.fallback_unit);
  routing::v1::Case to;
  to.set_complaint_id(complaint->complaint_id());
  to.set_unit(decision.unit);
  to.set_level(complaint->level());
  to.set_urgency(complaint->urgency());
  to.set_category(complaint->category());
  *to.mutable_received_at() = complaint->received_at();
  const auto records = AssignmentRecords(to, decision.rule_id, 1, clock_->Now());
  if (auto s = publisher_->Publish(records); !s.ok()) return s;
  spdlog::info("complaint {} assigned to {} by rule {}", to.complaint_id(), decision.unit,
               decision.rule_id);
  return absl::OkStatus();
}

absl::Status Router::HandleCaseEvent(const kafka::IncomingRecord& record) {
  auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
  if (!event.ok()) return event.status();
  if (event->complaint_id().empty()) return absl::InvalidArgumentError("complaint_id is empty");
  auto cloud_event = kafka::FromHeaders(record.headers);
  if (!cloud_event.ok()) return cloud_event.status();

  auto stored = store_->Get(event->complaint_id());
  if (!stored.ok()) return stored.status();
  routing::v1::CaseRecord case_record = stored->value_or(routing::v1::CaseRecord());
  if (stored->has_value() && record.offset <= case_record.applied_offset()) {
    return absl::OkStatus();  // replayed after a restart: applied before
  }

  if (!Contains(case_record, cloud_event->id)) {
    const routing::v1::Case& before = case_record.case_();
    // A case reopened after follow-up goes back to its unit for a second handling (二次处理).
    // Published before the projection moves on, so a crash in between re-publishes (same ids)
    // rather than forgets.
    if (event->has_reopened() && before.state() == routing::v1::CASE_STATE_RESOLVED) {
      const auto records =
          AssignmentRecords(before, "reopened", before.assignment_sequence() + 1, clock_->Now());
      if (auto s = publisher_->Publish(records); !s.ok()) return s;
    }
    ApplyCaseEvent(*event, case_record.mutable_case_());
    RememberEvent(&case_record, cloud_event->id);
  }
  case_record.set_applied_offset(record.offset);
  return store_->Put(case_record);
}

absl::StatusOr<routing::v1::Case> Router::LoadCase(const std::string& complaint_id) {
  if (complaint_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  auto stored = store_->Get(complaint_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError("complaint_id: no case " + complaint_id +
                               " (unknown, or not routed yet)");
  }
  return (*stored)->case_();
}

absl::StatusOr<routing::v1::Case> Router::Get(const std::string& complaint_id) {
  return LoadCase(complaint_id);
}

absl::StatusOr<routing::v1::Case> Router::Execute(const std::string& complaint_id,
                                                  const Check& check, const Events& make_events) {
  auto current = LoadCase(complaint_id);
  if (!current.ok()) return current.status();
  if (auto s = check(*current); !s.ok()) return s;

  const auto records = make_events(*current, clock_->Now());
  auto deliveries = publisher_->PublishWithOffsets(records);
  if (!deliveries.ok()) return deliveries.status();

  // Our own case events, applied locally: the answer if the projection is slow to catch up.
  routing::v1::Case expected = *current;
  int64_t last_case_offset = -1;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].topic != events::kCaseTopic) continue;
    events::v1::CaseEvent event;
    event.ParseFromString(records[i].value);
    ApplyCaseEvent(event, &expected);
    last_case_offset = (*deliveries)[i].offset;
  }

  const absl::Time deadline = absl::Now() + settings_.read_your_writes_timeout;
  for (;;) {
    auto stored = store_->Get(complaint_id);
    if (stored.ok() && stored->has_value() && (*stored)->applied_offset() >= last_case_offset) {
      return (*stored)->case_();
    }
    if (absl::Now() >= deadline) return expected;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

absl::StatusOr<routing::v1::Case> Router::ExecuteOne(
    const std::string& complaint_id, const Check& check, const std::string& actor,
    const std::string& what, const Occurrence& occurrence,
    const std::function<void(events::v1::CaseEvent&)>& fill) {
  return Execute(complaint_id, check, [&](const routing::v1::Case& c, absl::Time now) {
    auto event = NewCaseEvent(c, actor, now);
    fill(event);
    const std::string which = occurrence ? occurrence(c) : std::to_string(absl::ToUnixNanos(now));
    return std::vector{
        CaseRecordOf(event, common::DeterministicId({c.complaint_id(), what, which}), now)};
  });
}

absl::StatusOr<routing::v1::Case> Router::Accept(const routing::v1::AcceptCaseRequest& request) {
  // Accepting one assignment is one event, however often the branch system retries.
  return ExecuteOne(
      request.complaint_id(), [&](const auto& c) { return CheckAccept(c, request.unit()); },
      request.actor(), "accepted",
      [](const routing::v1::Case& c) { return std::to_string(c.assignment_sequence()); },
      [](events::v1::CaseEvent& e) { e.mutable_accepted(); });
}

absl::StatusOr<routing::v1::Case> Router::LogContact(
    const routing::v1::LogContactRequest& request) {
  if (request.channel().empty())
    return grpcutil::FieldError("channel", "is required (phone, sms, visit)");
  return ExecuteOne(
      request.complaint_id(), [&](const auto& c) { return CheckWork(c, request.unit()); },
      request.actor(), "contact", nullptr,
      [&](events::v1::CaseEvent& e) {
        e.mutable_contact_logged()->set_channel(request.channel());
        e.mutable_contact_logged()->set_summary(request.summary());
      });
}

absl::StatusOr<routing::v1::Case> Router::Transfer(
    const routing::v1::TransferCaseRequest& request) {
  if (request.reason().empty()) return grpcutil::FieldError("reason", "is required");
  return Execute(
      request.complaint_id(),
      [&](const auto& c) { return CheckTransfer(c, request.unit(), request.to_unit()); },
      [&](const routing::v1::Case& c, absl::Time now) {
        const int sequence = c.assignment_sequence() + 1;
        auto event = NewCaseEvent(c, request.actor(), now);
        auto* transferred = event.mutable_transferred();
        transferred->set_from_unit(c.unit());
        transferred->set_to_unit(request.to_unit());
        transferred->set_reason(request.reason());
        std::vector<kafka::OutgoingRecord> records = {CaseRecordOf(
            event,
            common::DeterministicId({c.complaint_id(), "transferred", std::to_string(sequence)}),
            now)};
        routing::v1::Case to = c;
        to.set_unit(request.to_unit());
        for (auto& r : AssignmentRecords(to, "transfer", sequence, now))
          records.push_back(std::move(r));
        return records;
      });
}

absl::StatusOr<routing::v1::Case> Router::RequestExtension(
    const routing::v1::RequestExtensionRequest& request) {
  if (request.days() <= 0 || request.days() > 45) {
    return grpcutil::FieldError("days", "must be between 1 and 45");
  }
  if (request.reason().empty()) return grpcutil::FieldError("reason", "is required");
  return ExecuteOne(
      request.complaint_id(), [&](const auto& c) { return CheckWork(c, request.unit()); },
      request.actor(), "extension", nullptr,
      [&](events::v1::CaseEvent& e) {
        auto* extension = e.mutable_extension_requested();
        extension->set_days(request.days());
        extension->set_reason(request.reason());
        extension->set_approved_by(request.approved_by());
      });
}

absl::StatusOr<routing::v1::Case> Router::Resolve(const routing::v1::ResolveCaseRequest& request) {
  if (request.resolution().empty()) return grpcutil::FieldError("resolution", "is required");
  return ExecuteOne(
      request.complaint_id(), [&](const auto& c) { return CheckResolve(c, request.unit()); },
      request.actor(), "resolved",
      [](const routing::v1::Case& c) {
        return std::to_string(c.assignment_sequence()) + "/" + std::to_string(c.reopen_count());
      },
      [&](events::v1::CaseEvent& e) {
        e.mutable_resolved()->set_resolution(request.resolution());
        e.mutable_resolved()->set_bank_at_fault(request.bank_at_fault());
      });
}

absl::StatusOr<routing::v1::Case> Router::Pause(const routing::v1::PauseCaseRequest& request) {
  if (request.reason() == events::v1::PAUSE_REASON_UNSPECIFIED ||
      !events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "must be WAITING_ON_CUSTOMER or EXTERNAL_APPRAISAL");
  }
  return ExecuteOne(
      request.complaint_id(), [&](const auto& c) { return CheckWork(c, request.unit()); },
      request.actor(), "paused", nullptr,
      [&](events::v1::CaseEvent& e) {
        auto* paused = e.mutable_paused();
        paused->set_reason(request.reason());
        paused->set_note(request.note());
        paused->set_customer_notified(request.customer_notified());
      });
}

absl::StatusOr<routing::v1::Case> Router::Resume(const routing::v1::ResumeCaseRequest& request) {
  if (!events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "unknown value");
  }
  return ExecuteOne(
      request.complaint_id(), [&](const auto& c) { return CheckWork(c, request.unit()); },
      request.actor(), "resumed", nullptr,
      [&](events::v1::CaseEvent& e) { e.mutable_resumed()->set_reason(request.reason()); });
}

absl::StatusOr<routing::v1::Case> Router::RecordNewFacts(
    const routing::v1::RecordNewFactsRequest& request) {
  if (request.summary().empty()) return grpcutil::FieldError("summary", "is required");
  return ExecuteOne(
      request.complaint_id(), [&](const auto& c) { return CheckOpen(c); }, request.actor(),
      "new-facts", nullptr,
      [&](events::v1::CaseEvent& e) {
        e.mutable_new_facts_recorded()->set_summary(request.summary());
      });
}

}  // namespace complaints::routing
