#include "services/sla_timer/sla_timer.h"

#include "libs/cases/case_machine.h"

#include <algorithm>
#include <deque>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "complaints/events/v1/case.pb.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"
#include "services/sla_timer/store/alerts.h"

namespace complaints::sla_timer {
namespace {

// Complaints written per store call in a batch (the first call smaller, so Redis starts early),
// and such calls under way at once besides the one being prepared (each holds a Redis
// connection and a thread, which encodes its writes). Measured with bench/sla_consume_bench:
// chunks of 100 with 2 under way left Redis idle a third of the time.
constexpr size_t kFirstWriteChunk = 25;
constexpr size_t kWriteChunk = 50;
constexpr size_t kWritesInFlight = 4;

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

// What the store does for each clock update of the engine.
void AddChanges(const sla_policy::PolicyEngine& engine,
                const std::vector<sla_policy::ClockUpdate>& updates, CaseUpdate& update) {
  for (const sla_policy::ClockUpdate& change : updates) {
    const ClockEntry entry = ToClockEntry(engine, change.clock);
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
      .stopped_at = clock.status() == sla::v1::CLOCK_STATUS_STOPPED && clock.has_stopped_at()
                        ? absl::FromUnixMillis(
                              absl::ToUnixMillis(common::FromProtoTime(clock.stopped_at())))
                        : absl::InfinitePast(),
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
  return HandleCaseEvents(std::span(&record, 1)).front();
}

std::vector<absl::Status> SlaTimer::HandleCaseEvents(
    std::span<const kafka::IncomingRecord> records) {
  std::vector<absl::Status> out(records.size());

  // The records of each complaint (and partition: the schedule it lands in), in offset order.
  struct CaseRecords {
    int32_t partition = 0;
    std::string id;
    std::vector<size_t> records;  // indexes in `records`
  };
  std::vector<CaseRecords> cases;
  std::map<std::pair<int32_t, std::string>, size_t> case_index;
  std::vector<events::v1::CaseEvent> parsed(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const kafka::IncomingRecord& record = records[i];
    auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
    if (!event.ok()) {
      out[i] = event.status();
      continue;
    }
    const std::string& id = event->complaint_id();
    if (!record.key.empty() && record.key != id) {
      // Its deadlines would land in another partition's schedule than the complaint's.
      out[i] = absl::InvalidArgumentError("record key is not the complaint id " + id);
      continue;
    }
    auto [it, added] = case_index.try_emplace({record.partition, id}, cases.size());
    if (added) cases.push_back({record.partition, id, {}});
    cases[it->second].records.push_back(i);
    parsed[i] = *std::move(event);
  }
  std::vector<std::string> ids;
  ids.reserve(cases.size());
  for (CaseRecords& c : cases) {
    std::stable_sort(c.records.begin(), c.records.end(),
                     [&](size_t a, size_t b) { return records[a].offset < records[b].offset; });
    ids.push_back(c.id);
  }
  std::vector<absl::StatusOr<StoredCase>> loaded = store_->LoadCases(ids);

  // One write per complaint with anything to write, and the records whose status it decides.
  // Writes go in chunks: while the store encodes and Redis runs one chunk (on a helper thread),
  // this thread applies the next one's records; complaints are independent, so the order of
  // their writes does not matter. The last chunk (a small batch's only one) is written here.
  std::vector<CaseWrite> writes;
  std::vector<size_t> write_case;  // the complaint (index in `cases`) of each write
  std::vector<std::vector<size_t>> decided;
  std::vector<std::vector<sla_policy::ClockUpdate>> changed;  // for the log, once written
  std::deque<std::pair<size_t, std::future<std::vector<absl::Status>>>> in_flight;  // first write
  size_t chunk_start = 0;  // first write not sent yet
  // A write's status is each of its records' (Aborted when another instance updated the
  // complaint meanwhile, a rebalance overlap: the consumer retries the records, which reload
  // and find them applied or apply them anew). Logged as soon as known, while later writes run.
  auto finish = [&](size_t first, const std::vector<absl::Status>& results) {
    for (size_t j = 0; j < results.size(); ++j) {
      const size_t w = first + j;
      for (size_t i : decided[w]) out[i] = results[j];
      // A line per clock is debug: at 50,000 deadlines a second, info would be that many lines.
      if (!results[j].ok() || !spdlog::should_log(spdlog::level::debug)) continue;
      for (const sla_policy::ClockUpdate& change : changed[w]) {
        spdlog::debug("complaint {}: {} {} v{} due {} (unit {})", cases[write_case[w]].id,
                      events::v1::Clock_Name(change.clock.clock()), UpdateName(change.kind),
                      change.clock.version(), absl::FormatTime(engine_->DueOf(change.clock)),
                      change.clock.unit());
      }
    }
  };
  auto collect_oldest = [&] {
    auto [first, statuses] = std::move(in_flight.front());
    in_flight.pop_front();
    finish(first, statuses.get());
  };
  auto send_chunk = [&](bool last) {
    if (chunk_start == writes.size()) return;
    if (last) {
      std::vector<CaseWrite> chunk(std::make_move_iterator(writes.begin() + chunk_start),
                                   std::make_move_iterator(writes.end()));
      finish(chunk_start, store_->UpdateCases(chunk));
    } else {
      if (in_flight.size() >= kWritesInFlight) collect_oldest();
      auto chunk = std::make_shared<std::vector<CaseWrite>>(
          std::make_move_iterator(writes.begin() + chunk_start),
          std::make_move_iterator(writes.end()));
      try {
        in_flight.emplace_back(chunk_start, std::async(std::launch::async, [this, chunk] {
                                 return store_->UpdateCases(*chunk);
                               }));
      } catch (const std::system_error& e) {
        // No thread to be had (resource limits): write it here; slower, nothing lost.
        spdlog::warn("sla writes: no helper thread ({}); writing in line", e.what());
        finish(chunk_start, store_->UpdateCases(*chunk));
      }
    }
    chunk_start = writes.size();
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    const CaseRecords& complaint = cases[c];
    if (!loaded[c].ok()) {
      for (size_t i : complaint.records) out[i] = loaded[c].status();
      continue;
    }
    const StoredCase& stored = *loaded[c];
    // Parsed when the first record that is not a redelivery needs it.
    std::optional<absl::StatusOr<sla::v1::SlaCaseState>> state;
    int64_t seen_offset = stored.clocks.last_offset;
    CaseUpdate update;
    std::vector<size_t> chained;
    std::vector<sla_policy::ClockUpdate> updates;
    for (size_t i : complaint.records) {
      const kafka::IncomingRecord& record = records[i];
      if (record.offset <= seen_offset) continue;  // redelivered
      seen_offset = record.offset;
      if (!state) state = ParseState(complaint.id, stored.policy_state);
      if (!state->ok()) {
        out[i] = state->status();
        continue;
      }
      auto outcome = engine_->Apply(**state, parsed[i], record.offset);
      if (!outcome.ok()) {
        out[i] = outcome.status();  // not a usable case event: dead-lettered, the chain goes on
        continue;
      }
      // Whatever it did, it was computed from the state the earlier records made: it stands or
      // falls with them.
      chained.push_back(i);
      if (!outcome->refused.ok()) {
        spdlog::warn("complaint {}: {} refused by the policy: {}", complaint.id, record.offset,
                     outcome->refused.ToString());
      }
      if (outcome->duplicate ||
          (outcome->updates.empty() && SameApartFromVersion(**state, outcome->state))) {
        continue;  // nothing to write: a redelivery would change nothing either
      }
      update.last_offset = record.offset;
      AddChanges(*engine_, outcome->updates, update);
      std::move(outcome->updates.begin(), outcome->updates.end(), std::back_inserter(updates));
      **state = std::move(outcome->state);
    }
    if (update.last_offset < 0) continue;  // nothing to write: every record is done as it is

    // The changes of all its records in order (the store applies them in order: a clock armed
    // twice ends with the second schedule); the clocks and engine state as the last left them.
    const sla::v1::SlaCaseState& final_state = **state;
    update.expected_last_offset = stored.clocks.last_offset;
    update.assignment_sequence = final_state.assignment_sequence();
    std::map<ClockKind, ClockEntry> clocks;
    for (const auto& clock : final_state.clocks()) {
      clocks[clock.clock()] = ToClockEntry(*engine_, clock);
    }
    update.clocks = std::move(clocks);
    update.policy_state = final_state.SerializeAsString();
    if (sla_policy::AllStopped(final_state)) update.expire_after = stopped_ttl_;
    writes.push_back({complaint.partition, complaint.id, std::move(update)});
    write_case.push_back(c);
    decided.push_back(std::move(chained));
    changed.push_back(std::move(updates));
    if (writes.size() - chunk_start >= (chunk_start == 0 ? kFirstWriteChunk : kWriteChunk)) {
      send_chunk(/*last=*/false);
    }
  }
  send_chunk(/*last=*/true);
  while (!in_flight.empty()) collect_oldest();
  return out;
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

absl::Status SlaTimer::AppendCaseEvent(const std::string& complaint_id,
                                       const std::string& request_id, int64_t expected_version,
                                       const std::string& actor, const std::string& what,
                                       events::v1::CaseEvent event) {
  if (ledger_ == nullptr) return absl::UnimplementedError("clock operations are not served here");
  if (request_id.size() > 128) {
    return grpcutil::FieldError("request_id", "is longer than 128 characters");
  }
  if (expected_version < 0) return grpcutil::FieldError("expected_version", "must not be negative");
  // Through the case ledger, as every change to a case: only an open case's clocks change, and
  // a retried request (same request id) changes nothing twice.
  cases::Command command;
  command.complaint_id = complaint_id;
  command.what = what;
  command.request_id = request_id;
  command.expected_version = expected_version;
  command.actor = actor;
  command.decide = [&](const routing::v1::Case& c) -> absl::StatusOr<cases::Decision> {
    if (auto s = cases::CheckOpen(c); !s.ok()) return s;
    cases::Decision decision;
    decision.events.push_back(event);
    return decision;
  };
  return ledger_->Execute(command).status();
}

absl::Status SlaTimer::Pause(const sla::v1::PauseClocksRequest& request) {
  if (request.complaint_id().empty()) return grpcutil::FieldError("complaint_id", "is required");
  if (request.reason() == events::v1::PAUSE_REASON_UNSPECIFIED ||
      !events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "must be WAITING_ON_CUSTOMER or EXTERNAL_APPRAISAL");
  }
  events::v1::CaseEvent event;
  event.mutable_paused()->set_reason(request.reason());
  event.mutable_paused()->set_note(request.note());
  event.mutable_paused()->set_customer_notified(request.customer_notified());
  return AppendCaseEvent(request.complaint_id(), request.request_id(), request.expected_version(),
                         request.actor(), "sla-paused", std::move(event));
}

absl::Status SlaTimer::Resume(const sla::v1::ResumeClocksRequest& request) {
  if (request.complaint_id().empty()) return grpcutil::FieldError("complaint_id", "is required");
  if (!events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "unknown value");
  }
  events::v1::CaseEvent event;
  event.mutable_resumed()->set_reason(request.reason());
  return AppendCaseEvent(request.complaint_id(), request.request_id(), request.expected_version(),
                         request.actor(), "sla-resumed", std::move(event));
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
  *event.mutable_extension_approved() = request.extension();
  return AppendCaseEvent(request.complaint_id(), request.request_id(), request.expected_version(),
                         request.actor(), "sla-extended", std::move(event));
}

}  // namespace complaints::sla_timer
