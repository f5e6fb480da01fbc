#include "services/routing/router.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "libs/cases/case_batch.h"
#include "libs/cases/case_machine.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/common/utf8.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"
#include "services/routing/escalation.h"
#include "services/routing/reopen.h"
#include "services/routing/rules.h"
#include "services/routing/worklist.h"

namespace complaints::routing {
namespace {

using cases::Decision;
using grpcutil::FieldViolations;
using routing::v1::Case;

// Limits of the free text a unit types, in characters (code points): the events carry it to
// every consumer and to the regulator's reports.
constexpr size_t kMaxPerson = 64;
constexpr size_t kMaxReason = 500;
constexpr size_t kMaxSummary = 1000;
constexpr size_t kMaxResolution = 2000;
// The furthest ahead a unit may promise the customer its next contact (LogContact).
constexpr absl::Duration kMaxPromiseAhead = absl::Hours(24 * 60);

// The regulatory clock's extension ladder (15 -> 30 -> 60 calendar days): two stages.
constexpr int kRegulatoryStages = 2;
constexpr const char* kRegulatoryDays[] = {"15", "30", "60"};

void CheckText(FieldViolations& v, std::string_view field, const std::string& text,
               size_t max_characters, bool required) {
  if (text.empty()) {
    if (required) v.Add(field, "is required");
    return;
  }
  if (!common::IsValidUtf8(text)) {
    v.Add(field, "is not valid UTF-8");
  } else if (common::CodePointCount(text) > max_characters) {
    v.Add(field, "is longer than " + std::to_string(max_characters) + " characters");
  }
}

// An ISO 4217 alphabetic code's shape: three capital letters.
bool IsCurrencyCode(const std::string& code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) {
           return c >= 'A' && c <= 'Z';
         });
}

// How often case `c` has gone between units `a` and `b`, either way.
int TransfersBetween(const Case& c, const std::string& a, const std::string& b) {
  return static_cast<int>(std::count_if(
      c.transfers().begin(), c.transfers().end(), [&](const routing::v1::TransferHop& hop) {
        return (hop.from_unit() == a && hop.to_unit() == b) ||
               (hop.from_unit() == b && hop.to_unit() == a);
      }));
}

// One event of the kind `fill` makes.
Decision One(const std::function<void(events::v1::CaseEvent&)>& fill) {
  Decision decision;
  fill(decision.events.emplace_back());
  return decision;
}

// What follow-up will need of the customer, from the complaint as intake accepted it.
events::v1::ContactPreference ContactPreferenceOf(const events::v1::ComplaintReceived& complaint) {
  events::v1::ContactPreference preference;
  preference.set_preferred_channel(complaint.risk_tags().preferred_channel());
  preference.set_usual_demanded_reply_minutes(
      complaint.risk_tags().usual_demanded_reply_minutes());
  preference.set_complaints_in_window(complaint.risk_tags().complaints_in_window());
  preference.set_holidays_ok(complaint.customer().contact_on_holidays());
  return preference;
}

// Why an assignment that no rule made was made, for the unit that receives the case.
struct Because {
  std::string reason;
  std::string alert_id;
};

// The next assignment of case `c` to `unit`: the Assigned case event and the Assignment for the
// unit's consumers, with the case's history (the units it was with, its reopenings). `at` (when
// set) is its time, for assignments that a replay may decide again and that must come out the
// same.
void AddAssignment(Decision& decision, const Case& c, const std::string& unit,
                   const std::string& rule_id, const google::protobuf::Timestamp* at = nullptr,
                   int64_t rules_version = 0, const Because& because = {}) {
  const int sequence = c.assignment_sequence() + 1;
  events::v1::CaseEvent& event = decision.events.emplace_back();
  event.set_unit(unit);
  event.set_actor("routing");
  if (at != nullptr) *event.mutable_occurred_at() = *at;
  auto* assigned = event.mutable_assigned();
  assigned->set_rule_id(rule_id);
  assigned->set_level(c.level());
  assigned->set_urgency(c.urgency());
  assigned->set_category(c.category());
  assigned->set_sequence(sequence);
  assigned->set_rules_version(rules_version);
  *assigned->mutable_received_at() = c.received_at();
  assigned->set_reason(because.reason);
  assigned->set_alert_id(because.alert_id);
  assigned->set_reopen_count(c.reopen_count());
  if (c.has_contact_preference()) {
    *assigned->mutable_contact_preference() = c.contact_preference();
  }

  events::v1::Assignment& assignment = decision.assignments.emplace_back();
  assignment.set_unit(unit);
  assignment.set_rule_id(rule_id);
  assignment.set_level(c.level());
  assignment.set_urgency(c.urgency());
  assignment.set_category(c.category());
  assignment.set_sequence(sequence);
  assignment.set_rules_version(rules_version);
  assignment.set_reason(because.reason);
  assignment.set_alert_id(because.alert_id);
  assignment.set_reopen_count(c.reopen_count());
  *assignment.mutable_previous_units() = c.previous_units();
  if (!c.unit().empty() && c.unit() != unit) assignment.add_previous_units(c.unit());
}

}  // namespace

std::string Router::SupervisorOf(const std::string& unit) const {
  std::string supervisor = settings_.supervisor_of ? settings_.supervisor_of(unit) : "";
  return supervisor.empty() ? settings_.default_supervisor_unit : supervisor;
}

absl::Status Router::CheckSupervisor(const Case& c, const std::string& unit) const {
  if (unit.empty()) return grpcutil::FieldError("unit", "is required");
  const std::string supervisor = SupervisorOf(c.unit());
  if (unit != supervisor) {
    return absl::PermissionDeniedError("unit: the extension requests of unit " + c.unit() +
                                       " are decided by its supervisor " + supervisor + ", not " +
                                       unit);
  }
  return absl::OkStatus();
}

absl::Status Router::HandleReceived(const kafka::IncomingRecord& record) {
  auto complaint = events::ParseRecordAs<events::v1::ComplaintReceived>(record);
  if (!complaint.ok()) return complaint.status();
  if (complaint->complaint_id().empty()) return absl::InvalidArgumentError("complaint_id is empty");
  return Admit(*complaint);
}

absl::Status Router::Admit(const events::v1::ComplaintReceived& complaint) {
  if (!complaint.merged_into().empty()) {
    auto merged = MergeIntoOpenCase(complaint);
    if (absl::IsNotFound(merged.status()) && parking_ != nullptr) return Park(complaint);
    if (absl::IsNotFound(merged.status())) {
      return absl::UnavailableError("complaint " + complaint.complaint_id() + " merges into " +
                                    complaint.merged_into() + ", which is not routed yet");
    }
    if (!merged.ok() || *merged) return merged.status();
    // The case was closed after intake looked: this complaint gets a case of its own.
  }
  if (absl::Status routed = RouteOwnCase(complaint); !routed.ok()) return routed;
  return AdmitParked(complaint.complaint_id());
}

absl::Status Router::Park(const events::v1::ComplaintReceived& complaint) {
  if (absl::Status parked = parking_->Park(complaint); !parked.ok()) return parked;
  // The target may have been routed between the look and the parking: look again, so that
  // nothing stays parked for a target that will not come again.
  auto merged = MergeIntoOpenCase(complaint);
  if (absl::IsNotFound(merged.status())) {
    spdlog::info("complaint {} waits for {} to be routed, to merge into it",
                 complaint.complaint_id(), complaint.merged_into());
    return absl::OkStatus();
  }
  if (!merged.ok()) return merged.status();
  return AdmitParked(complaint.merged_into());
}

absl::Status Router::AdmitParked(const std::string& target) {
  if (parking_ == nullptr) return absl::OkStatus();
  auto parked = parking_->Parked(target);
  if (!parked.ok()) return parked.status();
  for (const events::v1::ComplaintReceived& complaint : *parked) {
    if (absl::Status admitted = Admit(complaint); !admitted.ok()) return admitted;
    if (absl::Status s = parking_->Unpark(target, complaint.complaint_id()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

cases::Command Router::RouteCommand(const events::v1::ComplaintReceived& complaint,
                                   const RouteDecision& route) {
  cases::Command command;
  command.complaint_id = complaint.complaint_id();
  command.what = "routed";
  // One routing per complaint, however often its record is delivered or replayed.
  command.request_id = "received";
  command.creates_case = true;
  command.during_replay = true;
  command.actor = "routing";
  // The command outlives neither `complaint` nor `route`: both are the caller's.
  command.decide = [&complaint, &route](const Case& current) -> absl::StatusOr<Decision> {
    Decision decision;
    if (current.state() != routing::v1::CASE_STATE_UNSPECIFIED) return decision;  // routed before
    Case to;
    to.set_level(complaint.level());
    to.set_urgency(complaint.urgency());
    to.set_category(complaint.category());
    *to.mutable_received_at() = complaint.received_at();
    *to.mutable_contact_preference() = ContactPreferenceOf(complaint);
    // Timed at receipt: decided again after Redis lost it, the assignment is the same bytes.
    AddAssignment(decision, to, route.unit, route.rule_id, &complaint.received_at(),
                  route.rules_version);
    return decision;
  };
  return command;
}

cases::Command Router::ReassignCommand(const events::v1::CaseEvent& reopened,
                                       const std::string& event_id) const {
  // A case reopened after follow-up goes one level up for a second handling (二次处理), or to a
  // specialist unit a rule names, at a raised level; once per reopening: the command's key is
  // the reopening's id, its time the reopening's.
  cases::Command reassign;
  reassign.complaint_id = reopened.complaint_id();
  reassign.what = "reassigned";
  reassign.request_id = event_id;
  reassign.during_replay = true;
  reassign.actor = "routing";
  reassign.decide = [this, &reopened](const Case& current) -> absl::StatusOr<Decision> {
    Decision decision;
    if (current.state() != routing::v1::CASE_STATE_REOPENED) return decision;
    const std::shared_ptr<const RuleSet> rules = settings_.rules->Current();
    const ReopenPlan plan =
        PlanReopen(current, rules->reopen(), rules->units(), settings_.default_supervisor_unit);
    Case raised = current;
    raised.set_level(plan.level);
    Because because;
    because.reason = "reopened at follow-up (reopening " + std::to_string(current.reopen_count()) +
                     ", was with " + current.unit() + ")" +
                     (current.reopen_reason().empty() ? "" : ": " + current.reopen_reason());
    AddAssignment(decision, raised, plan.unit, plan.rule_id, &reopened.occurred_at(), 0, because);
    return decision;
  };
  return reassign;
}

cases::Command Router::EscalateCommand(const events::v1::SlaAlert& alert,
                                       const std::string& alert_id) const {
  cases::Command command;
  command.complaint_id = alert.complaint_id();
  command.what = "escalated";
  // Once per alert, whatever the redelivery: the event ids derive from the alert's id.
  command.request_id = alert_id;
  command.actor = "routing";
  command.decide = [this, &alert, &alert_id](const Case& current) -> absl::StatusOr<Decision> {
    Decision decision;
    const std::shared_ptr<const RuleSet> rules = settings_.rules->Current();
    auto plan = PlanEscalation(alert, alert_id, current, rules->units(),
                               settings_.default_supervisor_unit);
    if (!plan) return decision;
    events::v1::CaseEvent& event = decision.events.emplace_back();
    event.set_actor("routing");
    // Timed by the alert's schedule: decided again, the same bytes under the same ids.
    *event.mutable_occurred_at() = alert.fired_at();
    *event.mutable_escalated() = *plan;
    if (!plan->to_unit().empty()) {
      AddAssignment(decision, current, plan->to_unit(), kEscalationRuleId, &alert.fired_at(), 0,
                    Because{EscalationReason(alert, current.unit()), alert_id});
    }
    return decision;
  };
  return command;
}

absl::Status Router::HandleAlert(const kafka::IncomingRecord& record) {
  auto alert = events::ParseRecordAs<events::v1::SlaAlert>(record);
  if (!alert.ok()) return alert.status();
  if (absl::Status checked = CheckAlert(*alert); !checked.ok()) return checked;
  if (alert->kind() != events::v1::ALERT_KIND_ESCALATION) return absl::OkStatus();
  auto cloud_event = kafka::FromHeaders(record.headers);
  if (!cloud_event.ok()) return cloud_event.status();
  if (cloud_event->id.empty()) return grpcutil::FieldError("ce_id", "is empty");
  const std::string alert_id = cloud_event->id;
  auto escalated = ledger_->Execute(EscalateCommand(*alert, alert_id));
  if (absl::IsNotFound(escalated.status())) {
    // The timer armed its clock from the case's assignment, so routing had the case; it is gone
    // only once closed long ago (expired): nothing left to escalate.
    spdlog::warn("escalation alert {} about complaint {}: no case, nothing to do", alert_id,
                 alert->complaint_id());
    return absl::OkStatus();
  }
  if (!escalated.ok()) return escalated.status();
  if (!escalated->escalations().empty() &&
      escalated->escalations().rbegin()->alert_id() == alert_id) {
    const auto& last = *escalated->escalations().rbegin();
    spdlog::info("complaint {}: escalation step {} of {} ({}), {}", alert->complaint_id(),
                 last.step(), events::v1::Clock_Name(last.clock()),
                 events::v1::EscalationAction_Name(last.action()),
                 last.to_unit().empty() ? "notified " + last.notified_unit()
                                        : "reassigned to " + last.to_unit());
  }
  return absl::OkStatus();
}

absl::Status Router::RouteOwnCase(const events::v1::ComplaintReceived& complaint) {
  const RouteDecision route = settings_.rules->Route(complaint);
  auto routed = ledger_->Execute(RouteCommand(complaint, route));
  if (!routed.ok()) return routed.status();
  spdlog::info("complaint {} is with {}", complaint.complaint_id(), routed->unit());
  return absl::OkStatus();
}

absl::StatusOr<bool> Router::MergeIntoOpenCase(const events::v1::ComplaintReceived& complaint) {
  bool target_closed = false;
  cases::Command command;
  command.complaint_id = complaint.merged_into();
  command.what = "merged";
  // Once per merged complaint, however often its record is delivered or replayed.
  command.request_id = "merged:" + complaint.complaint_id();
  command.during_replay = true;
  command.actor = "routing";
  command.decide = [&](const Case& current) -> absl::StatusOr<Decision> {
    if (!cases::CheckOpen(current).ok()) {
      target_closed = true;
      return Decision{};
    }
    return One([&](events::v1::CaseEvent& e) {
      // The same issue raised again is new facts for the open case (its clocks restart per the
      // policy's restart_on_new_facts); the summary names the complaint, never its text.
      e.mutable_new_facts_recorded()->set_summary("complaint " + complaint.complaint_id() +
                                                  " merged: the customer raised the same issue");
      *e.mutable_occurred_at() = complaint.received_at();
    });
  };
  auto merged = ledger_->Execute(command);
  if (!merged.ok()) return merged.status();  // NotFound: not routed yet
  if (!target_closed) {
    spdlog::info("complaint {} merged into open case {}", complaint.complaint_id(),
                 complaint.merged_into());
  }
  return !target_closed;
}

absl::Status Router::HandleCaseEvent(const kafka::IncomingRecord& record) {
  auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
  if (!event.ok()) return event.status();
  if (event->complaint_id().empty()) return absl::InvalidArgumentError("complaint_id is empty");
  auto cloud_event = kafka::FromHeaders(record.headers);
  if (!cloud_event.ok()) return cloud_event.status();

  auto observed = ledger_->Observe(*event, cloud_event->id);
  if (!observed.ok()) return observed.status();
  if (!event->has_reopened() || *observed == cases::Observation::kRefused) return absl::OkStatus();

  return ledger_->Execute(ReassignCommand(*event, cloud_event->id)).status();
}

// A record of a batch, parsed.
struct Router::Step {
  size_t index = 0;  // in the batch
  bool received = false;
  events::v1::ComplaintReceived complaint;  // received
  events::v1::CaseEvent event;              // otherwise
  std::string event_id;
  const std::string& complaint_id() const {
    return received ? complaint.complaint_id() : event.complaint_id();
  }
};

std::vector<absl::Status> Router::HandleBatch(const std::vector<kafka::IncomingRecord>& records) {
  std::vector<absl::Status> out(records.size());
  // Each received complaint parsed once: Awaited looks at them all, then the runs take them.
  ParsedReceived received(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].topic == events::kReceivedTopic) {
      received[i] = events::ParseRecordAs<events::v1::ComplaintReceived>(records[i]);
    }
  }
  // Lanes by record key (the complaint id on both topics): a complaint's records stay in one
  // lane, in order, and the lanes' round trips and decisions overlap (RouterSettings::lanes).
  const size_t lanes = std::clamp<size_t>(
      std::min<size_t>(settings_.lanes, records.size() / kMinLaneRecords), 1, kMaxLanes);
  std::vector<std::vector<size_t>> lane(lanes);
  for (size_t i = 0; i < records.size(); ++i) {
    lane[lanes == 1 ? 0 : std::hash<std::string>{}(records[i].key) % lanes].push_back(i);
  }
  std::vector<std::thread> others;
  for (size_t l = 1; l < lanes; ++l) {
    others.emplace_back([&, l] { HandleLane(records, received, lane[l], out); });
  }
  HandleLane(records, received, lane[0], out);
  for (std::thread& t : others) t.join();
  return out;
}

void Router::HandleLane(const std::vector<kafka::IncomingRecord>& records,
                        ParsedReceived& received, const std::vector<size_t>& lane,
                        std::vector<absl::Status>& out) {
  // Partitions with a record that failed transiently: their later records in the lane wait (as
  // the one-by-one consumer would), so a complaint's records are never applied out of order.
  std::map<std::pair<std::string, int32_t>, absl::Status> held;
  auto hold_failures = [&](size_t from, size_t to) {
    for (size_t p = from; p < to; ++p) {
      const size_t i = lane[p];
      if (kafka::IsTransient(out[i])) held.try_emplace({records[i].topic, records[i].partition}, out[i]);
    }
  };
  size_t p = 0;  // position in the lane
  while (p < lane.size()) {
    // Complaints received from here on that others wait for (parked): routed one by one, so
    // that what waits for them merges right after their routing, before their later events,
    // as the one-by-one consumer does it.
    auto awaited = Awaited(received, lane, p);
    if (!awaited.ok()) {
      for (; p < lane.size(); ++p) {
        if (out[lane[p]].ok()) out[lane[p]] = awaited.status();
      }
      break;
    }
    const size_t run_start = p;
    std::vector<Step> run;
    bool one_by_one = false;  // lane[p] ends the run and goes the one-by-one way
    for (; p < lane.size(); ++p) {
      const size_t i = lane[p];
      const kafka::IncomingRecord& record = records[i];
      if (auto h = held.find({record.topic, record.partition}); h != held.end()) {
        out[i] = h->second;
        continue;
      }
      Step step;
      step.index = i;
      if (record.topic == events::kReceivedTopic) {
        absl::StatusOr<events::v1::ComplaintReceived>& complaint = *received[i];
        if (!complaint.ok()) {
          out[i] = complaint.status();
          continue;
        }
        if (complaint->complaint_id().empty()) {
          out[i] = absl::InvalidArgumentError("complaint_id is empty");
          continue;
        }
        // It changes another case and may park, or others wait for it: one by one, after the
        // run before it.
        if (!complaint->merged_into().empty() || awaited->contains(complaint->complaint_id())) {
          one_by_one = true;
          break;
        }
        step.received = true;
        step.complaint = *std::move(complaint);
      } else {
        if (WroteItself(record)) continue;  // done: out[i] stays OK
        auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
        if (!event.ok()) {
          out[i] = event.status();
          continue;
        }
        if (event->complaint_id().empty()) {
          out[i] = absl::InvalidArgumentError("complaint_id is empty");
          continue;
        }
        auto cloud_event = kafka::FromHeaders(record.headers);
        if (!cloud_event.ok()) {
          out[i] = cloud_event.status();
          continue;
        }
        step.event = *std::move(event);
        step.event_id = cloud_event->id;
      }
      run.push_back(std::move(step));
    }
    if (!run.empty()) HandleRun(records, run, out);
    hold_failures(run_start, p);
    if (one_by_one) {
      const size_t i = lane[p];
      auto h = held.find({records[i].topic, records[i].partition});
      out[i] = h != held.end() ? h->second : HandleReceived(records[i]);
      hold_failures(p, p + 1);
      ++p;
    }
  }
}

bool Router::WroteItself(const kafka::IncomingRecord& record) const {
  if (settings_.own_writes == nullptr) return false;
  const std::optional<std::string> id = kafka::FindHeader(record.headers, "ce_id");
  return id.has_value() && settings_.own_writes->Take(*id, StateEpoch());
}

uint64_t Router::StateEpoch() const {
  return settings_.state_epoch ? settings_.state_epoch() : 0;
}

absl::StatusOr<std::set<std::string>> Router::Awaited(const ParsedReceived& received,
                                                      const std::vector<size_t>& lane,
                                                      size_t from) {
  std::set<std::string> awaited;
  if (parking_ == nullptr) return awaited;
  std::vector<std::string> ids;
  for (size_t p = from; p < lane.size(); ++p) {
    const size_t i = lane[p];
    if (!received[i].has_value() || !received[i]->ok()) continue;
    const events::v1::ComplaintReceived& complaint = **received[i];
    if (complaint.complaint_id().empty() || !complaint.merged_into().empty()) continue;
    ids.push_back(complaint.complaint_id());
  }
  if (ids.empty()) return awaited;
  auto waiting = parking_->WithParked(ids);
  if (!waiting.ok()) return waiting.status();
  awaited.insert(waiting->begin(), waiting->end());
  return awaited;
}

void Router::HandleRun(const std::vector<kafka::IncomingRecord>& records, std::vector<Step>& run,
                       std::vector<absl::Status>& out) {
  std::vector<std::string> ids;
  ids.reserve(run.size());
  for (const Step& step : run) ids.push_back(step.complaint_id());
  // Before the batch reads Redis: a replay asked for after this may have lost what it writes.
  const uint64_t epoch = StateEpoch();
  cases::CaseBatch batch(ledger_, settings_.outbox_flusher);
  if (absl::Status loaded = batch.Load(ids); !loaded.ok()) {
    for (const Step& step : run) out[step.index] = loaded;
    return;
  }
  // Complaints routed (now or before), with their rule: their parked ones wait for them.
  std::vector<std::pair<const Step*, std::string>> routed;  // with the case's unit
  for (const Step& step : run) {
    if (!batch.Takes(step.complaint_id())) continue;
    absl::Status& status = out[step.index];
    if (step.received) {
      const RouteDecision route = settings_.rules->Route(step.complaint);
      auto executed = batch.Execute(RouteCommand(step.complaint, route));
      status = executed.status();
      // Logged with the case's unit: a complaint routed before (a replay) stays where it was.
      if (status.ok()) routed.emplace_back(&step, executed->unit());
      continue;
    }
    auto observed = batch.Observe(step.event, step.event_id);
    if (!observed.ok()) {
      status = observed.status();
    } else if (step.event.has_reopened() && *observed != cases::Observation::kRefused) {
      status = batch.Execute(ReassignCommand(step.event, step.event_id)).status();
    }
  }
  const cases::CaseBatch::Result committed = batch.Commit(events::kCaseTopic);
  if (settings_.own_writes != nullptr) settings_.own_writes->Add(committed.appended_ids, epoch);

  // Cases the batch could not take, or whose write lost to another writer: their records one
  // by one, in order; after a transient failure, a case's later records wait for it.
  std::map<std::string, absl::Status> failed;
  std::set<size_t> redone;
  for (const Step& step : run) {
    const std::string& id = step.complaint_id();
    auto outcome = committed.outcomes.find(id);
    const bool one_by_one = !batch.Takes(id) || (outcome != committed.outcomes.end() &&
                                                 outcome->second == cases::CaseBatch::Outcome::kConflict);
    absl::Status& status = out[step.index];
    if (outcome != committed.outcomes.end() &&
        outcome->second == cases::CaseBatch::Outcome::kFailed) {
      status = committed.failures.at(id);
    } else if (one_by_one) {
      if (auto f = failed.find(id); f != failed.end()) {
        status = f->second;
      } else {
        status = step.received ? Admit(step.complaint) : HandleCaseEvent(records[step.index]);
        redone.insert(step.index);
        if (kafka::IsTransient(status)) failed.emplace(id, status);
      }
    }
  }

  // Complaints parked for these meanwhile (by another instance, after Awaited looked):
  // admitted now, one by one.
  std::erase_if(routed, [&](const auto& r) {
    return !out[r.first->index].ok() || redone.contains(r.first->index);
  });
  std::vector<std::string> targets;
  for (const auto& [step, unit] : routed) {
    spdlog::info("complaint {} is with {}", step->complaint_id(), unit);
    targets.push_back(step->complaint_id());
  }
  if (parking_ == nullptr || targets.empty()) return;
  auto waiting = parking_->WithParked(targets);
  if (!waiting.ok()) {
    for (const auto& r : routed) out[r.first->index] = waiting.status();
    return;
  }
  const std::set<std::string> with_parked(waiting->begin(), waiting->end());
  for (const auto& r : routed) {
    if (with_parked.contains(r.first->complaint_id())) {
      out[r.first->index] = AdmitParked(r.first->complaint_id());
    }
  }
}

absl::StatusOr<Case> Router::Get(const std::string& complaint_id) {
  if (complaint_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  auto stored = ledger_->Get(complaint_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError("complaint_id: no case " + complaint_id +
                               " (unknown, or not routed yet)");
  }
  return (*stored)->case_();
}

template <typename Request>
absl::StatusOr<Case> Router::Run(
    const Request& request, const std::string& what,
    std::function<absl::StatusOr<Decision>(const Case&)> decide) {
  if (request.complaint_id().empty()) return grpcutil::FieldError("complaint_id", "is required");
  if (request.expected_version() < 0) {
    return grpcutil::FieldError("expected_version", "must not be negative");
  }
  if (request.request_id().size() > 128) {
    return grpcutil::FieldError("request_id", "is longer than 128 characters");
  }
  cases::Command command;
  command.complaint_id = request.complaint_id();
  command.what = what;
  command.request_id = request.request_id();
  command.expected_version = request.expected_version();
  command.actor = request.actor();
  command.decide = std::move(decide);
  return ledger_->Execute(command);
}

absl::StatusOr<Case> Router::Accept(const routing::v1::AcceptCaseRequest& request) {
  FieldViolations v;
  CheckText(v, "responsible", request.responsible(), kMaxPerson, /*required=*/true);
  if (!v.empty()) return v.ToStatus();
  return Run(request, "accepted", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckAccept(c, request.unit()); !s.ok()) return s;
    return One([&](events::v1::CaseEvent& e) {
      e.mutable_accepted()->set_responsible(request.responsible());
    });
  });
}

absl::StatusOr<Case> Router::LogContact(const routing::v1::LogContactRequest& request) {
  if (request.channel().empty()) {
    return grpcutil::FieldError("channel", "is required (phone, sms, visit)");
  }
  FieldViolations v;
  CheckText(v, "channel", request.channel(), 16, true);
  CheckText(v, "summary", request.summary(), kMaxSummary, false);
  const bool promises = request.has_next_contact_promised_at();
  const auto& promised = request.next_contact_promised_at();
  if (promises && (promised.nanos() < 0 || promised.nanos() > 999999999)) {
    v.Add("next_contact_promised_at", "is not a valid timestamp");
  }
  if (!v.empty()) return v.ToStatus();
  // 跟回复: the promised next contact is judged against the command's own time, which the event
  // then carries, so the SLA timer arms exactly what was checked here. Judged in the decision: a
  // retry of a command that took effect is answered with the case, however late it comes.
  const absl::Time now = absl::FromUnixMillis(
      absl::ToUnixMillis(settings_.clock != nullptr ? settings_.clock->Now() : absl::Now()));
  return Run(request, "contact", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (promises && common::FromProtoTime(promised) <= now) {
      return grpcutil::FieldError("next_contact_promised_at", "must be in the future");
    }
    if (promises && common::FromProtoTime(promised) > now + kMaxPromiseAhead) {
      return grpcutil::FieldError("next_contact_promised_at", "must be at most 60 days ahead");
    }
    if (auto s = cases::CheckWork(c, request.unit()); !s.ok()) return s;
    return One([&](events::v1::CaseEvent& e) {
      e.mutable_contact_logged()->set_channel(request.channel());
      e.mutable_contact_logged()->set_summary(request.summary());
      if (promises) {
        *e.mutable_contact_logged()->mutable_next_contact_promised_at() = promised;
        *e.mutable_occurred_at() = common::ToProtoTime(now);
      }
    });
  });
}

absl::StatusOr<Case> Router::Transfer(const routing::v1::TransferCaseRequest& request) {
  FieldViolations v;
  CheckText(v, "reason", request.reason(), kMaxReason, true);
  if (!v.empty()) return v.ToStatus();
  return Run(request, "transferred", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckTransfer(c, request.unit(), request.to_unit()); !s.ok()) return s;
    // Ping-pong: a case the two units have already passed between them as often as allowed goes
    // up to the supervisor of the unit passing it, who decides who handles it.
    std::string to_unit = request.to_unit();
    std::string rule_id = "transfer";
    const int bounces = TransfersBetween(c, c.unit(), request.to_unit());
    if (bounces >= settings_.max_transfer_bounces) {
      const std::string supervisor = SupervisorOf(c.unit());
      if (supervisor == c.unit()) {
        return absl::FailedPreconditionError(
            "case " + c.complaint_id() + " has already gone between " + c.unit() + " and " +
            request.to_unit() + " " + std::to_string(bounces) + " times, the most allowed; " +
            c.unit() + " supervises " + request.to_unit() + " and must handle the case itself");
      }
      to_unit = supervisor;
      rule_id = "transfer-bounce-limit";
    }
    Decision decision = One([&](events::v1::CaseEvent& e) {
      auto* transferred = e.mutable_transferred();
      transferred->set_from_unit(c.unit());
      transferred->set_to_unit(to_unit);
      transferred->set_reason(request.reason());
      if (to_unit != request.to_unit()) transferred->set_requested_to_unit(request.to_unit());
    });
    // Appended with the transfer, in one write: the case is never left transferred but not
    // assigned, whatever fails after.
    AddAssignment(decision, c, to_unit, rule_id);
    return decision;
  });
}

absl::StatusOr<Case> Router::RequestExtension(const routing::v1::RequestExtensionRequest& request) {
  FieldViolations v;
  if (request.days() <= 0 || request.days() > 45) v.Add("days", "must be between 1 and 45");
  CheckText(v, "reason", request.reason(), kMaxReason, true);
  CheckText(v, "approved_by", request.approved_by(), kMaxPerson, false);
  if (!v.empty()) return v.ToStatus();
  return Run(request, "extension", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckExtensionRequest(c, request.unit()); !s.ok()) return s;
    if (c.regulatory_extension_stage() >= kRegulatoryStages) {
      return absl::FailedPreconditionError(
          "case " + c.complaint_id() + ": the regulatory period is already extended to " +
          kRegulatoryDays[kRegulatoryStages] +
          " days, the longest allowed; no further extension can be requested");
    }
    return One([&](events::v1::CaseEvent& e) {
      auto* extension = e.mutable_extension_requested();
      extension->set_days(request.days());
      extension->set_reason(request.reason());
      extension->set_approved_by(request.approved_by());
      // Unique in the case and the same on every replay: the event that makes it is the
      // case's next version.
      extension->set_request_ref("EXT-" + std::to_string(c.version() + 1));
    });
  });
}

absl::StatusOr<Case> Router::ApproveExtension(const routing::v1::ApproveExtensionRequest& request) {
  FieldViolations v;
  CheckText(v, "actor", request.actor(), kMaxPerson, true);
  CheckText(v, "note", request.note(), kMaxReason, false);
  if (!request.customer_notified()) {
    v.Add("customer_notified", "must be true: the complainant is told of every extension");
  }
  if (!v.empty()) return v.ToStatus();
  return Run(request, "extension-approved", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckExtensionDecision(c, request.request_ref(), "approve an extension");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckSupervisor(c, request.unit()); !s.ok()) return s;
    const int stage = c.regulatory_extension_stage() + 1;
    if (stage > kRegulatoryStages) {
      return absl::FailedPreconditionError(
          "case " + c.complaint_id() + ": the regulatory period is already extended to " +
          kRegulatoryDays[kRegulatoryStages] + " days, the longest allowed; refuse the request");
    }
    return One([&](events::v1::CaseEvent& e) {
      // The next stage of the regulatory ladder, which the SLA timer applies to the clock.
      auto* approved = e.mutable_extension_approved();
      approved->set_clock(events::v1::CLOCK_REGULATORY);
      approved->set_stage(stage);
      approved->set_reason(request.note().empty() ? c.pending_extension().reason()
                                                  : request.note());
      approved->set_approved_by(request.actor());
      approved->set_customer_notified(request.customer_notified());
      approved->set_request_ref(c.pending_extension().request_ref());
    });
  });
}

absl::StatusOr<Case> Router::RefuseExtension(const routing::v1::RefuseExtensionRequest& request) {
  FieldViolations v;
  CheckText(v, "actor", request.actor(), kMaxPerson, true);
  CheckText(v, "reason", request.reason(), kMaxReason, true);
  if (!v.empty()) return v.ToStatus();
  return Run(request, "extension-refused", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckExtensionDecision(c, request.request_ref(), "refuse an extension");
        !s.ok()) {
      return s;
    }
    if (auto s = CheckSupervisor(c, request.unit()); !s.ok()) return s;
    return One([&](events::v1::CaseEvent& e) {
      auto* refused = e.mutable_extension_refused();
      refused->set_request_ref(c.pending_extension().request_ref());
      refused->set_reason(request.reason());
      refused->set_refused_by(request.actor());
    });
  });
}

absl::StatusOr<Case> Router::ReportFix(const routing::v1::ReportFixRequest& request) {
  FieldViolations v;
  CheckText(v, "note", request.note(), kMaxReason, true);
  if (!v.empty()) return v.ToStatus();
  return Run(request, "fix-reported", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (request.unit().empty()) return grpcutil::FieldError("unit", "is required");
    if (auto s = cases::CheckReportFix(c); !s.ok()) return s;
    if (request.unit() != c.unit() && request.unit() != SupervisorOf(c.unit())) {
      return absl::PermissionDeniedError("unit: case " + c.complaint_id() + " is with unit " +
                                         c.unit() + ": only it or its supervisor " +
                                         SupervisorOf(c.unit()) + " can report the fix, not " +
                                         request.unit());
    }
    Decision decision;
    auto& fixed = decision.events.emplace_back();
    fixed.mutable_fix_reported()->set_note(request.note());
    fixed.mutable_fix_reported()->set_reported_by(request.unit());
    auto& closed = decision.events.emplace_back();
    closed.mutable_closed()->set_reason("business problem fixed: archived");
    closed.mutable_closed()->set_disposition(events::v1::CLOSE_DISPOSITION_ARCHIVED);
    return decision;
  });
}

absl::StatusOr<Case> Router::Resolve(const routing::v1::ResolveCaseRequest& request) {
  FieldViolations v;
  CheckText(v, "resolution", request.resolution(), kMaxResolution, true);
  if (request.fault() == events::v1::FAULT_PARTY_UNSPECIFIED ||
      !events::v1::FaultParty_IsValid(request.fault())) {
    v.Add("fault", "must be NONE, STAFF, SYSTEM, PROCESS or THIRD_PARTY");
  } else if (request.bank_at_fault() && request.fault() == events::v1::FAULT_PARTY_NONE) {
    v.Add("bank_at_fault", "is true but fault is NONE");
  }
  if (request.motive() == events::v1::CUSTOMER_MOTIVE_UNSPECIFIED ||
      !events::v1::CustomerMotive_IsValid(request.motive())) {
    v.Add("motive", "must be one of the customer motive types (VENTING ... EXCESSIVE_CLAIMS)");
  }
  CheckText(v, "remedy", request.remedy(), kMaxReason, false);
  const events::v1::Money& money = request.compensation();
  if (money.amount_minor() < 0) {
    v.Add("compensation.amount_minor", "must not be negative");
  } else if (money.amount_minor() > 0 && money.currency().empty()) {
    v.Add("compensation.currency", "is required with an amount");
  }
  if (!money.currency().empty() && !IsCurrencyCode(money.currency())) {
    v.Add("compensation.currency", "must be an ISO 4217 code such as CNY");
  }
  if (!v.empty()) return v.ToStatus();
  return Run(request, "resolved", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckResolve(c, request.unit()); !s.ok()) return s;
    return One([&](events::v1::CaseEvent& e) {
      auto* resolved = e.mutable_resolved();
      resolved->set_resolution(request.resolution());
      resolved->set_bank_at_fault(request.fault() != events::v1::FAULT_PARTY_NONE);
      resolved->set_fault(request.fault());
      resolved->set_motive(request.motive());
      resolved->set_remedy(request.remedy());
      if (money.amount_minor() > 0 || !money.currency().empty()) {
        *resolved->mutable_compensation() = money;
      }
      resolved->set_business_problem_fixed(request.business_problem_fixed());
    });
  });
}

absl::StatusOr<Case> Router::Pause(const routing::v1::PauseCaseRequest& request) {
  if (request.reason() == events::v1::PAUSE_REASON_UNSPECIFIED ||
      !events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "must be WAITING_ON_CUSTOMER or EXTERNAL_APPRAISAL");
  }
  FieldViolations v;
  CheckText(v, "note", request.note(), kMaxReason, false);
  if (!v.empty()) return v.ToStatus();
  return Run(request, "paused", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckWork(c, request.unit(), "pause its clocks"); !s.ok()) return s;
    return One([&](events::v1::CaseEvent& e) {
      auto* paused = e.mutable_paused();
      paused->set_reason(request.reason());
      paused->set_note(request.note());
      paused->set_customer_notified(request.customer_notified());
    });
  });
}

absl::StatusOr<Case> Router::Resume(const routing::v1::ResumeCaseRequest& request) {
  if (!events::v1::PauseReason_IsValid(request.reason())) {
    return grpcutil::FieldError("reason", "unknown value");
  }
  return Run(request, "resumed", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckWork(c, request.unit(), "resume its clocks"); !s.ok()) return s;
    return One([&](events::v1::CaseEvent& e) { e.mutable_resumed()->set_reason(request.reason()); });
  });
}

absl::StatusOr<Case> Router::RecordNewFacts(const routing::v1::RecordNewFactsRequest& request) {
  FieldViolations v;
  CheckText(v, "summary", request.summary(), kMaxSummary, true);
  if (!v.empty()) return v.ToStatus();
  return Run(request, "new-facts", [&](const Case& c) -> absl::StatusOr<Decision> {
    if (auto s = cases::CheckOpen(c); !s.ok()) return s;
    return One([&](events::v1::CaseEvent& e) {
      e.mutable_new_facts_recorded()->set_summary(request.summary());
    });
  });
}

absl::StatusOr<routing::v1::ListCasesResponse> Router::ListCases(
    const routing::v1::ListCasesRequest& request) {
  auto query = ParseWorklistQuery(request);
  if (!query.ok()) return query.status();
  if (settings_.check_all_ready) {
    if (absl::Status ready = settings_.check_all_ready(); !ready.ok()) return ready;
  }
  auto cases = ledger_->UnitCases(request.unit(), query->states);
  if (!cases.ok()) return cases.status();
  const absl::Time now = settings_.clock != nullptr ? settings_.clock->Now() : absl::Now();
  std::map<std::string, absl::Time> deadlines;
  if (settings_.unit_deadlines) {
    auto read = settings_.unit_deadlines(request.unit(), now);
    if (!read.ok()) return read.status();
    deadlines = *std::move(read);
  }
  return PageWorklist(*std::move(cases), deadlines, *query, now);
}

}  // namespace complaints::routing
