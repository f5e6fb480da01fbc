#include "services/sla_timer/sla_timer.h"

#include "complaints/events/v1/case.pb.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/grpcutil/status.h"

namespace complaints::sla_timer {
namespace {

const char* ChangeName(ClockChange::Kind kind) {
  switch (kind) {
    case ClockChange::Kind::kArm:
      return "armed";
    case ClockChange::Kind::kStop:
      return "stopped";
    case ClockChange::Kind::kRetarget:
      return "moved";
  }
  return "?";
}

sla::v1::DeadlineStatus StatusAt(const ClockEntry& entry, absl::Time now) {
  if (!entry.running()) return sla::v1::DEADLINE_STATUS_STOPPED;
  return entry.due <= now ? sla::v1::DEADLINE_STATUS_BREACHED : sla::v1::DEADLINE_STATUS_RUNNING;
}

}  // namespace

absl::Status SlaTimer::HandleCaseEvent(const kafka::IncomingRecord& record) {
  auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
  if (!event.ok()) return event.status();
  if (auto s = ValidateCaseEvent(*event); !s.ok()) return s;
  const std::string& id = event->complaint_id();
  if (!record.key.empty() && record.key != id) {
    // Its deadlines would land in another partition's schedule than the complaint's.
    return absl::InvalidArgumentError("record key is not the complaint id " + id);
  }

  auto current = store_->Load(id);
  if (!current.ok()) return current.status();
  if (record.offset <= current->last_offset) return absl::OkStatus();  // redelivered

  const Decision decision = Decide(*current, *event, record.offset, policy_);
  if (decision.empty() && decision.assignment_sequence == current->assignment_sequence) {
    return absl::OkStatus();
  }
  const CaseClocks after = Apply(*current, decision, record.offset);

  CaseUpdate update;
  update.expected_last_offset = current->last_offset;
  update.last_offset = record.offset;
  update.assignment_sequence = decision.assignment_sequence;
  for (const ClockChange& change : decision.changes) {
    update.changes.push_back({change, FirstFiring(change.entry, policy_)});
  }
  if (AllStopped(after)) update.expire_after = stopped_ttl_;
  // Aborted when another instance updated the complaint meanwhile (a rebalance overlap): the
  // consumer retries, reloads, and finds the record applied or applies it to the new state.
  if (auto s = store_->Update(record.partition, id, update); !s.ok()) return s;

  for (const ClockChange& change : decision.changes) {
    spdlog::info("complaint {}: {} {} v{} due {} (unit {})", id,
                 events::v1::Clock_Name(change.entry.clock), ChangeName(change.kind),
                 change.entry.version, absl::FormatTime(change.entry.due), change.entry.unit);
  }
  return absl::OkStatus();
}

absl::StatusOr<sla::v1::GetDeadlinesResponse> SlaTimer::GetDeadlines(
    const std::string& complaint_id) {
  if (complaint_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  auto clocks = store_->Load(complaint_id);
  if (!clocks.ok()) return clocks.status();
  const absl::Time now = clock_->Now();
  sla::v1::GetDeadlinesResponse response;
  for (const auto& [kind, entry] : clocks->clocks) {
    sla::v1::Deadline* deadline = response.add_deadlines();
    deadline->set_clock(kind);
    *deadline->mutable_due_at() = common::ToProtoTime(entry.due);
    deadline->set_version(entry.version);
    deadline->set_unit(entry.unit);
    deadline->set_status(StatusAt(entry, now));
    *deadline->mutable_armed_at() = common::ToProtoTime(entry.armed_at);
  }
  return response;
}

}  // namespace complaints::sla_timer
