#include "services/sla_timer/sla_timer.h"

#include "absl/strings/numbers.h"
#include "complaints/events/v1/case.pb.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"
#include "services/sla_timer/alerts.h"

namespace complaints::sla_timer {
namespace {

absl::StatusOr<sla::v1::SlaCaseState> ParseState(const std::string& complaint_id,
                                                 const std::string& bytes) {
  sla::v1::SlaCaseState state;
  if (!state.ParseFromString(bytes)) {
    return absl::DataLossError("stored SLA state of " + complaint_id + " does not parse");
  }
  return state;
}

bool SameApartFromVersion(sla::v1::SlaCaseState a, sla::v1::SlaCaseState b) {
  a.clear_applied_version();
  b.clear_applied_version();
  return a.SerializeAsString() == b.SerializeAsString();
}

const char* UpdateName(sla_policy::ClockUpdate::Kind kind) {
  switch (kind) {
    case sla_policy::ClockUpdate::Kind::kArmed:
      return "armed";
    case sla_policy::ClockUpdate::Kind::kPaused:
      return "paused";
    case sla_policy::ClockUpdate::Kind::kStopped:
      return "stopped";
    case sla_policy::ClockUpdate::Kind::kRetargeted:
      return "moved";
  }
  return "?";
}

sla::v1::DeadlineStatus StatusAt(const sla::v1::ClockState& clock, absl::Time due, absl::Time now) {
  switch (clock.status()) {
    case sla::v1::CLOCK_STATUS_RUNNING:
      return due <= now ? sla::v1::DEADLINE_STATUS_BREACHED : sla::v1::DEADLINE_STATUS_RUNNING;
    case sla::v1::CLOCK_STATUS_PAUSED:
      return sla::v1::DEADLINE_STATUS_PAUSED;
    default:
      return sla::v1::DEADLINE_STATUS_STOPPED;
  }
}

sla::v1::Deadline ToDeadline(const sla_policy::PolicyEngine& engine,
                             const sla::v1::ClockState& clock, absl::Time now) {
  const absl::Time due = engine.DueOf(clock);
  sla::v1::Deadline deadline;
  deadline.set_clock(clock.clock());
  *deadline.mutable_due_at() = common::ToProtoTime(due);
  deadline.set_version(clock.version());
  deadline.set_unit(clock.unit());
  deadline.set_status(StatusAt(clock, due, now));
  *deadline.mutable_armed_at() = clock.started_at();
  return deadline;
}

// A worklist page token: where the page before ended, "<due unix ms>/<complaint id>".
std::string PageToken(const WorklistEntry& last) {
  return std::to_string(absl::ToUnixMillis(last.due)) + "/" + last.complaint_id;
}
std::optional<WorklistEntry> ParsePageToken(const std::string& token) {
  const size_t slash = token.find('/');
  int64_t millis = 0;
  if (slash == std::string::npos || slash + 1 == token.size() ||
      !absl::SimpleAtoi(token.substr(0, slash), &millis)) {
    return std::nullopt;
  }
  return WorklistEntry{token.substr(slash + 1), absl::FromUnixMillis(millis)};
}

}  // namespace

ClockEntry ToClockEntry(const sla_policy::PolicyEngine& engine, const sla::v1::ClockState& clock) {
  return ClockEntry{
      .clock = clock.clock(),
      // Paused clocks have nothing scheduled: for the store they are stopped until resumed.
      .state = clock.status() == sla::v1::CLOCK_STATUS_RUNNING ? ClockEntry::State::kRunning
                                                               : ClockEntry::State::kStopped,
      // Whole milliseconds, as the store keeps them.
      .due = absl::FromUnixMillis(absl::ToUnixMillis(engine.DueOf(clock))),
      .version = clock.version(),
      .armed_at =
          absl::FromUnixMillis(absl::ToUnixMillis(common::FromProtoTime(clock.started_at()))),
      .unit = clock.unit(),
  };
}

Firing ToFiring(const sla_policy::Firing& firing) {
  return Firing{.kind = firing.kind,
                .step = firing.step,
                .at = absl::FromUnixMillis(absl::ToUnixMillis(firing.at))};
}

absl::StatusOr<std::map<ClockKind, ClockEntry>> ClocksOfPolicyState(
    const sla_policy::PolicyEngine& engine, const std::string& policy_state) {
  sla::v1::SlaCaseState state;
  if (!state.ParseFromString(policy_state)) {
    return absl::DataLossError("stored SLA state does not parse");
  }
  std::map<ClockKind, ClockEntry> clocks;
  for (const auto& clock : state.clocks()) clocks[clock.clock()] = ToClockEntry(engine, clock);
  return clocks;
}

absl::Status SlaTimer::HandleCaseEvent(const kafka::IncomingRecord& record) {
  auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
  if (!event.ok()) return event.status();
  const std::string& id = event->complaint_id();
  if (!record.key.empty() && record.key != id) {
    // Its deadlines would land in another partition's schedule than the complaint's.
    return absl::InvalidArgumentError("record key is not the complaint id " + id);
  }

  auto stored = store_->LoadCase(id);
  if (!stored.ok()) return stored.status();
  if (record.offset <= stored->clocks.last_offset) return absl::OkStatus();  // redelivered
  auto state = ParseState(id, stored->policy_state);
  if (!state.ok()) return state.status();

  auto outcome = engine_->Apply(*state, *event, record.offset);
  if (!outcome.ok()) return outcome.status();  // not a usable case event: dead-lettered
  if (!outcome->refused.ok()) {
    spdlog::warn("complaint {}: {} refused by the policy: {}", id, record.offset,
                 outcome->refused.ToString());
  }
  if (outcome->duplicate ||
      (outcome->updates.empty() && SameApartFromVersion(*state, outcome->state))) {
    return absl::OkStatus();  // nothing to write: a redelivery would change nothing either
  }

  CaseUpdate update;
  update.expected_last_offset = stored->clocks.last_offset;
  update.last_offset = record.offset;
  update.assignment_sequence = outcome->state.assignment_sequence();
  std::map<ClockKind, ClockEntry> clocks;
  for (const auto& clock : outcome->state.clocks()) {
    clocks[clock.clock()] = ToClockEntry(*engine_, clock);
  }
  for (const sla_policy::ClockUpdate& change : outcome->updates) {
    const ClockEntry entry = ToClockEntry(*engine_, change.clock);
    switch (change.kind) {
      case sla_policy::ClockUpdate::Kind::kArmed:
        if (change.first) {
          update.AddChange(ClockChange::Kind::kArm, entry, ToFiring(*change.first));
        } else {
          update.AddChange(ClockChange::Kind::kStop, entry);  // nothing left to fire for it
        }
        break;
      case sla_policy::ClockUpdate::Kind::kPaused:  // nothing fires until it is resumed
      case sla_policy::ClockUpdate::Kind::kStopped:
        update.AddChange(ClockChange::Kind::kStop, entry);
        break;
      case sla_policy::ClockUpdate::Kind::kRetargeted:
        update.AddChange(ClockChange::Kind::kRetarget, entry);
        break;
    }
  }
  update.clocks = std::move(clocks);
  update.policy_state = outcome->state.SerializeAsString();
  if (sla_policy::AllStopped(outcome->state)) update.expire_after = stopped_ttl_;
  // Aborted when another instance updated the complaint meanwhile (a rebalance overlap): the
  // consumer retries, reloads, and finds the record applied or applies it to the new state.
  if (auto s = store_->Update(record.partition, id, update); !s.ok()) return s;

  for (const sla_policy::ClockUpdate& change : outcome->updates) {
    spdlog::info("complaint {}: {} {} v{} due {} (unit {})", id,
                 events::v1::Clock_Name(change.clock.clock()), UpdateName(change.kind),
                 change.clock.version(), absl::FormatTime(engine_->DueOf(change.clock)),
                 change.clock.unit());
  }
  return absl::OkStatus();
}

absl::StatusOr<sla::v1::SlaCaseState> SlaTimer::State(const std::string& complaint_id) {
  auto stored = store_->LoadCase(complaint_id);
  if (!stored.ok()) return stored.status();
  return ParseState(complaint_id, stored->policy_state);
}

absl::StatusOr<sla::v1::GetDeadlinesResponse> SlaTimer::GetDeadlines(
    const std::string& complaint_id) {
  if (complaint_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  auto state = State(complaint_id);
  if (!state.ok()) return state.status();
  const absl::Time now = clock_->Now();
  sla::v1::GetDeadlinesResponse response;
  for (const auto& clock : state->clocks()) {
    *response.add_deadlines() = ToDeadline(*engine_, clock, now);
  }
  return response;
}

absl::StatusOr<sla::v1::ListUnitDeadlinesResponse> SlaTimer::ListUnitDeadlines(
    const sla::v1::ListUnitDeadlinesRequest& request) {
  constexpr int kDefaultPage = 100;
  constexpr int kMaxPage = 1000;
  if (request.unit().empty()) return grpcutil::FieldError("unit", "is required");
  const absl::Duration within = request.has_due_within()
                                    ? common::FromProtoDuration(request.due_within())
                                    : absl::ZeroDuration();
  if (within < absl::ZeroDuration() || within > absl::Hours(90 * 24)) {
    return grpcutil::FieldError("due_within", "must be between 0 and 90 days");
  }
  if (request.page_size() < 0) return grpcutil::FieldError("page_size", "must not be negative");
  WorklistQuery query;
  query.unit = request.unit();
  query.now = absl::FromUnixMillis(absl::ToUnixMillis(clock_->Now()));
  query.until = query.now + (within == absl::ZeroDuration() ? absl::Hours(24) : within);
  query.limit = request.page_size() == 0 ? kDefaultPage : std::min(request.page_size(), kMaxPage);
  if (!request.page_token().empty()) {
    query.after = ParsePageToken(request.page_token());
    if (!query.after) {
      return grpcutil::FieldError("page_token", "is not a token this service returned");
    }
  }
  auto page = store_->Worklist(query);
  if (!page.ok()) return page.status();

  std::vector<std::string> ids;
  for (const WorklistEntry& entry : page->entries) ids.push_back(entry.complaint_id);
  std::vector<absl::StatusOr<StoredCase>> stored = store_->LoadCases(ids);
  sla::v1::ListUnitDeadlinesResponse response;
  response.set_overdue_count(page->overdue);
  response.set_due_soon_count(page->due_soon);
  *response.mutable_as_of() = common::ToProtoTime(query.now);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!stored[i].ok()) return stored[i].status();
    auto state = ParseState(ids[i], stored[i]->policy_state);
    if (!state.ok()) return state.status();
    if (state->clocks().empty()) continue;  // its clocks ended since the list was read
    sla::v1::UnitDeadline* item = response.add_items();
    item->set_complaint_id(ids[i]);
    item->set_level(state->level());
    item->set_urgency(state->urgency());
    item->set_category(state->category());
    for (const auto& clock : state->clocks()) {
      *item->add_deadlines() = ToDeadline(*engine_, clock, query.now);
    }
    const std::optional<WorklistSlot> first = WorklistSlotOf(stored[i]->clocks.clocks);
    for (const sla::v1::Deadline& deadline : item->deadlines()) {
      if (first && deadline.clock() == first->clock) *item->mutable_first() = deadline;
    }
  }
  if (static_cast<int>(page->entries.size()) == query.limit) {
    response.set_next_page_token(PageToken(page->entries.back()));
  }
  return response;
}

absl::StatusOr<sla::v1::SlaCaseState> SlaTimer::KnownState(const std::string& complaint_id) {
  if (complaint_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  auto state = State(complaint_id);
  if (!state.ok()) return state.status();
  if (state->clocks().empty()) {
    return absl::NotFoundError("complaint_id: no SLA clocks for " + complaint_id);
  }
  return state;
}

absl::Status SlaTimer::PublishCaseEvent(const sla::v1::SlaCaseState& state,
                                        events::v1::CaseEvent event, const std::string& what) {
  const absl::Time now = clock_->Now();
  event.set_unit(state.unit());
  *event.mutable_occurred_at() = common::ToProtoTime(now);
  const std::string& id = event.complaint_id();
  return publisher_->Publish(
      events::ToRecord(events::kCaseTopic, id, event,
                       common::DeterministicId({id, what, std::to_string(absl::ToUnixNanos(now))}),
                       kEventSource, id, now));
}

absl::Status SlaTimer::Pause(const sla::v1::PauseClocksRequest& request) {
  if (request.reason() == events::v1::PAUSE_REASON_UNSPECIFIED ||
      !events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "must be WAITING_ON_CUSTOMER or EXTERNAL_APPRAISAL");
  }
  auto state = KnownState(request.complaint_id());
  if (!state.ok()) return state.status();
  events::v1::CaseEvent event;
  event.set_complaint_id(request.complaint_id());
  event.set_actor(request.actor());
  event.mutable_paused()->set_reason(request.reason());
  event.mutable_paused()->set_note(request.note());
  event.mutable_paused()->set_customer_notified(request.customer_notified());
  return PublishCaseEvent(*state, std::move(event), "sla-paused");
}

absl::Status SlaTimer::Resume(const sla::v1::ResumeClocksRequest& request) {
  if (!events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "unknown value");
  }
  auto state = KnownState(request.complaint_id());
  if (!state.ok()) return state.status();
  events::v1::CaseEvent event;
  event.set_complaint_id(request.complaint_id());
  event.set_actor(request.actor());
  event.mutable_resumed()->set_reason(request.reason());
  return PublishCaseEvent(*state, std::move(event), "sla-resumed");
}

absl::Status SlaTimer::Extend(const sla::v1::ExtendDeadlineRequest& request) {
  if (!request.has_extension()) return grpcutil::FieldError("extension", "is required");
  if (request.extension().reason().empty()) {
    return grpcutil::FieldError("extension.reason", "is required");
  }
  auto state = KnownState(request.complaint_id());
  if (!state.ok()) return state.status();
  if (auto s = engine_->CheckExtension(*state, request.extension(), clock_->Now()); !s.ok()) {
    return s;
  }
  events::v1::CaseEvent event;
  event.set_complaint_id(request.complaint_id());
  event.set_actor(request.actor());
  *event.mutable_extension_approved() = request.extension();
  return PublishCaseEvent(*state, std::move(event), "sla-extended");
}

}  // namespace complaints::sla_timer
