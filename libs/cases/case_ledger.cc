#include "libs/cases/case_ledger.h"

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "libs/cases/case_machine.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"

namespace complaints::cases {
namespace {

const std::shared_ptr<spdlog::logger>& Log() {
  static const auto logger = common::ModuleLogger("cases");
  return logger;
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string EventId(const Command& command, const std::string& key, size_t index) {
  return common::DeterministicId({command.complaint_id, command.what, key, std::to_string(index)});
}

std::string AssignmentId(const Command& command, const std::string& key, size_t index) {
  return common::DeterministicId(
      {command.complaint_id, command.what, key, "assignment", std::to_string(index)});
}

routing::v1::PendingRecord ToPending(const kafka::OutgoingRecord& record) {
  routing::v1::PendingRecord pending;
  pending.set_topic(record.topic);
  pending.set_key(record.key);
  pending.set_value(record.value);
  pending.set_ce_id(record.event.id);
  pending.set_ce_type(record.event.type);
  pending.set_ce_source(record.event.source);
  pending.set_ce_subject(record.event.subject);
  *pending.mutable_ce_time() = common::ToProtoTime(record.event.time);
  return pending;
}

std::string RandomKey() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrCat("n", absl::Hex(random(), absl::kZeroPad16));
}

}  // namespace

absl::StatusOr<LedgerOptions> LedgerOptions::FromConfig(const common::Config& config,
                                                        std::string event_source) {
  LedgerOptions options;
  options.event_source = std::move(event_source);
  auto days = config.GetInt("cases.closed_ttl_days", 90);
  if (!days.ok()) return days.status();
  if (*days <= 0) return absl::InvalidArgumentError("config cases.closed_ttl_days: must be positive");
  options.closed_case_ttl = absl::Hours(24 * *days);
  return options;
}

std::vector<kafka::OutgoingRecord> ToOutgoing(
    const google::protobuf::RepeatedPtrField<routing::v1::PendingRecord>& pending) {
  std::vector<kafka::OutgoingRecord> records;
  records.reserve(pending.size());
  for (const routing::v1::PendingRecord& p : pending) {
    kafka::OutgoingRecord record;
    record.topic = p.topic();
    record.key = p.key();
    record.value = p.value();
    record.event.id = p.ce_id();
    record.event.type = p.ce_type();
    record.event.source = p.ce_source();
    record.event.subject = p.ce_subject();
    record.event.time = common::FromProtoTime(p.ce_time());
    records.push_back(std::move(record));
  }
  return records;
}

absl::Duration CaseLedger::TtlOf(const routing::v1::CaseRecord& record) const {
  // Open cases stay as long as they are open: their clocks and branch work depend on them.
  return record.case_().state() == routing::v1::CASE_STATE_CLOSED ? options_.closed_case_ttl
                                                                   : absl::ZeroDuration();
}

void CaseLedger::Remember(routing::v1::CaseRecord& record, const std::string& event_id) const {
  auto* ids = record.mutable_applied_event_ids();
  ids->Add(std::string(event_id));
  if (ids->size() > options_.remembered_event_ids) {
    ids->DeleteSubrange(0, ids->size() - options_.remembered_event_ids);
  }
}

absl::StatusOr<bool> CaseLedger::Flush(const std::string& complaint_id, StoredCase& stored) {
  if (stored.record.pending().empty()) return true;
  std::vector<kafka::OutgoingRecord> records = ToOutgoing(stored.record.pending());
  std::erase_if(records, [](const kafka::OutgoingRecord& r) { return r.topic.empty(); });
  if (absl::Status s = records.empty() ? absl::OkStatus() : publisher_->Publish(records);
      !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("case ", complaint_id, ": earlier records not yet published: ", s.message()));
  }
  routing::v1::CaseRecord flushed = stored.record;
  flushed.clear_pending();
  absl::StatusOr<bool> written = std::move(store_->ClearPendingMany(
      {{complaint_id, stored.revision, flushed, TtlOf(flushed)}})[0]);
  if (!written.ok()) return written.status();
  if (!*written) return false;  // someone else flushed or appended: load again
  stored.record = std::move(flushed);
  ++stored.revision;
  return true;
}

absl::StatusOr<StoredCase> CaseLedger::LoadSettled(const std::string& complaint_id) {
  const absl::Time deadline = absl::Now() + options_.pending_grace;
  for (;;) {
    auto stored = store_->Load(complaint_id);
    if (!stored.ok() || stored->record.pending().empty() || absl::Now() >= deadline) return stored;
    absl::SleepFor(absl::Milliseconds(2));
  }
}

absl::Status CaseLedger::AppendDecision(const Command& command, const std::string& key,
                                        const Decision& decision,
                                        routing::v1::CaseRecord& record) const {
  routing::v1::Case& c = *record.mutable_case_();
  const absl::Time now = clock_->Now();
  std::map<int, absl::Time> assigned_at;  // by assignment sequence
  for (size_t i = 0; i < decision.events.size(); ++i) {
    events::v1::CaseEvent event = decision.events[i];
    event.set_complaint_id(command.complaint_id);
    if (!event.has_assigned() && event.unit().empty()) event.set_unit(c.unit());
    if (event.actor().empty()) event.set_actor(command.actor);
    if (!event.has_occurred_at()) *event.mutable_occurred_at() = common::ToProtoTime(now);
    if (absl::Status s = ApplyCaseEvent(event, &c); !s.ok()) return s;
    const absl::Time at = common::FromProtoTime(event.occurred_at());
    if (event.has_assigned()) assigned_at[event.assigned().sequence()] = at;
    const std::string id = EventId(command, key, i);
    Remember(record, id);
    *record.add_pending() = ToPending(events::ToRecord(events::kCaseTopic, command.complaint_id,
                                                       event, id, options_.event_source,
                                                       command.complaint_id, at));
  }
  for (size_t i = 0; i < decision.assignments.size(); ++i) {
    events::v1::Assignment assignment = decision.assignments[i];
    assignment.set_complaint_id(command.complaint_id);
    auto at = assigned_at.find(assignment.sequence());
    const absl::Time when = at != assigned_at.end() ? at->second : now;
    *assignment.mutable_assigned_at() = common::ToProtoTime(when);
    // Keyed by unit: a branch's consumer reads only its partitions.
    *record.add_pending() = ToPending(events::ToRecord(
        events::kAssignmentsTopic, assignment.unit(), assignment, AssignmentId(command, key, i),
        options_.event_source, command.complaint_id, when));
  }
  return absl::OkStatus();
}

std::string CaseLedger::KeyOf(const Command& command) {
  // Without the caller's key, one of this call's own: a write whose reply was lost (Redis's
  // blind retry, a conflict that was our own write) is then recognised on the next load, and
  // two concurrent commands never share ids.
  return command.request_id.empty() ? RandomKey() : command.request_id;
}

absl::StatusOr<bool> CaseLedger::DecideOn(const Command& command, const std::string& key,
                                          routing::v1::CaseRecord& record) const {
  const routing::v1::Case& current = record.case_();
  const bool exists = current.state() != routing::v1::CASE_STATE_UNSPECIFIED;
  if (!exists && !command.creates_case) {
    return absl::NotFoundError("complaint_id: no case " + command.complaint_id +
                               " (unknown, or not routed yet)");
  }
  if (Contains(record.applied_event_ids(), EventId(command, key, 0))) {
    return false;  // a retry of a command that took effect
  }
  if (command.expected_version > 0 && command.expected_version != current.version()) {
    return absl::AbortedError(absl::StrCat("expected_version: case ", command.complaint_id,
                                           " is at version ", current.version(), ", not ",
                                           command.expected_version));
  }
  auto decision = command.decide(current);
  if (!decision.ok()) return decision.status();
  if (decision->events.empty()) return false;
  routing::v1::CaseRecord next = record;
  // The state machine has the last word: a change the case's state does not allow is refused
  // (FailedPrecondition), whichever writer decided it.
  if (absl::Status s = AppendDecision(command, key, *decision, next); !s.ok()) return s;
  record = std::move(next);
  return true;
}

absl::StatusOr<routing::v1::Case> CaseLedger::Execute(const Command& command) {
  const std::string key = KeyOf(command);
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    auto stored = LoadSettled(command.complaint_id);
    if (!stored.ok()) return stored.status();
    // Read, then check: Redis losing its data wipes the markers with it, so markers still
    // ready after the read mean the read saw complete state. Checked before the read instead,
    // a restart in between would let a command decide on an empty case.
    if (options_.check_ready && !command.during_replay) {
      if (absl::Status ready = options_.check_ready(command.complaint_id); !ready.ok()) {
        return ready;
      }
    }
    auto flushed = Flush(command.complaint_id, *stored);
    if (!flushed.ok()) return flushed.status();
    if (!*flushed) continue;
    routing::v1::CaseRecord next = stored->record;
    auto changed = DecideOn(command, key, next);
    if (!changed.ok()) return changed.status();
    if (!*changed) return next.case_();
    auto written = store_->CompareAndSet(command.complaint_id, stored->revision, next, TtlOf(next));
    if (!written.ok()) return written.status();
    if (!*written) continue;  // another writer came first: decide again on its result

    StoredCase appended{std::move(next), stored->revision + 1};
    // Published after the write: a crash in between leaves the records pending, and the next
    // writer (or FlushPending) publishes them, the same bytes with the same ids.
    auto published = Flush(command.complaint_id, appended);
    if (!published.ok()) return published.status();
    return appended.record.case_();
  }
  return absl::AbortedError(absl::StrCat("case ", command.complaint_id, " changed ",
                                         options_.max_attempts,
                                         " times while the command was decided; retry"));
}

std::optional<Observation> CaseLedger::ObserveOn(routing::v1::CaseRecord& record,
                                                 const events::v1::CaseEvent& event,
                                                 const std::string& event_id) const {
  if (Contains(record.applied_event_ids(), event_id)) return std::nullopt;
  for (const auto& refusal : record.refusals()) {
    if (refusal.event_id() == event_id) return std::nullopt;
  }
  if (absl::Status s = ApplyCaseEvent(event, record.mutable_case_()); s.ok()) {
    Remember(record, event_id);
    return Observation::kApplied;
  } else {
    auto* refusal = record.add_refusals();
    refusal->set_event_id(event_id);
    refusal->set_event_kind(EventKind(event));
    refusal->set_reason(std::string(s.message()));
    auto* refusals = record.mutable_refusals();
    if (refusals->size() > options_.remembered_refusals) {
      refusals->DeleteSubrange(0, refusals->size() - options_.remembered_refusals);
    }
    Log()->warn("case {}: event {} refused: {}", event.complaint_id(), event_id,
                std::string(s.message()));
    return Observation::kRefused;
  }
}

Observation CaseLedger::KnownObservation(const routing::v1::CaseRecord& record,
                                         const std::string& event_id) {
  return Contains(record.applied_event_ids(), event_id) ? Observation::kAlreadyApplied
                                                        : Observation::kRefused;
}

absl::StatusOr<Observation> CaseLedger::Observe(const events::v1::CaseEvent& event,
                                                const std::string& event_id) {
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    auto stored = store_->Load(event.complaint_id());
    if (!stored.ok()) return stored.status();
    routing::v1::CaseRecord next = stored->record;
    std::optional<Observation> observation = ObserveOn(next, event, event_id);
    if (!observation) return KnownObservation(next, event_id);
    auto written = store_->CompareAndSet(event.complaint_id(), stored->revision, next, TtlOf(next));
    if (!written.ok()) return written.status();
    if (*written) return *observation;
  }
  return absl::UnavailableError("case " + event.complaint_id() +
                                ": too many concurrent changes to apply an event; retrying");
}

absl::StatusOr<std::optional<routing::v1::CaseRecord>> CaseLedger::Get(
    const std::string& complaint_id) {
  auto stored = store_->Load(complaint_id);
  if (!stored.ok()) return stored.status();
  if (options_.check_ready) {  // after the read, as in Execute
    if (absl::Status ready = options_.check_ready(complaint_id); !ready.ok()) return ready;
  }
  if (stored->revision == 0) return std::nullopt;
  return std::move(stored->record);
}

absl::StatusOr<int> CaseLedger::FlushPending(int limit) {
  auto ids = store_->PendingCases(limit);
  if (!ids.ok()) return ids.status();
  std::lock_guard lock(sweep_mu_);
  // Only records that were already pending, unchanged, at the previous sweep: those of a writer
  // that is publishing right now are left to it.
  std::map<std::string, int64_t> seen;
  int completed = 0;
  for (const std::string& id : *ids) {
    auto stored = store_->Load(id);
    if (!stored.ok()) return stored.status();
    if (stored->revision == 0) continue;  // expired: the store drops it from its list
    auto before = last_sweep_.find(id);
    if (!stored->record.pending().empty() &&
        (before == last_sweep_.end() || before->second != stored->revision)) {
      seen[id] = stored->revision;
      continue;
    }
    // Flushing a record without pending records rewrites it, which takes it off the list (a
    // writer whose list update failed leaves it there).
    if (stored->record.pending().empty()) stored->record.add_pending();
    auto flushed = Flush(id, *stored);
    if (!flushed.ok()) return flushed.status();
    if (*flushed) ++completed;
  }
  last_sweep_ = std::move(seen);
  return completed;
}

}  // namespace complaints::cases
