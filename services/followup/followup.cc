#include "services/followup/followup.h"

#include <map>
#include <set>

#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"

namespace complaints::followup {
namespace {

using events::v1::FollowUpTask;
using followup::v1::Outcome;

constexpr char kEventSource[] = "/complaints/followup";
absl::StatusOr<absl::Duration> Hours(const common::Config& config, std::string_view key,
                                     absl::Duration fallback) {
  auto hours = config.GetDouble(key, absl::ToDoubleHours(fallback));
  if (!hours.ok()) return hours.status();
  if (*hours <= 0) return absl::InvalidArgumentError(std::string(key) + ": must be positive");
  return absl::Hours(*hours);
}

// `created` is when the task came to be, derived from what caused it (the resolution, or the
// attempt before), never the clock: a task published again after a crash or a Redis rebuild is
// the same bytes under the same id.
kafka::OutgoingRecord TaskRecord(const FollowUpTask& task, absl::Time created) {
  // The task is the event: its id is the record's ce_id.
  return events::ToRecord(events::kFollowUpTasksTopic, task.complaint_id(), task, task.task_id(),
                          kEventSource, task.complaint_id(), created);
}

}  // namespace

absl::StatusOr<FollowUpOptions> FollowUpOptions::FromConfig(const common::Config& config) {
  FollowUpOptions options;
  auto due = Hours(config, "followup.due_hours", options.due_after);
  if (!due.ok()) return due.status();
  auto retry = Hours(config, "followup.retry_hours", options.retry_after);
  if (!retry.ok()) return retry.status();
  auto attempts = config.GetInt("followup.max_attempts", options.max_attempts);
  if (!attempts.ok()) return attempts.status();
  if (*attempts < 1 || *attempts > 100) {
    return absl::InvalidArgumentError("followup.max_attempts: must be 1 to 100");
  }
  options.due_after = *due;
  options.retry_after = *retry;
  options.max_attempts = static_cast<int>(*attempts);
  auto partly = config.GetBool("followup.partly_satisfied_reopens", options.partly_satisfied_reopens);
  if (!partly.ok()) return partly.status();
  options.partly_satisfied_reopens = *partly;
  auto contact = ContactPolicy::FromConfig(config);
  if (!contact.ok()) return contact.status();
  options.contact = *contact;
  const std::string channel = config.GetString("followup.maintenance_channel", "sms");
  if (channel == "sms") {
    options.maintenance_channel = events::v1::FOLLOW_UP_CHANNEL_SMS;
  } else if (channel == "account_manager") {
    options.maintenance_channel = events::v1::FOLLOW_UP_CHANNEL_ACCOUNT_MANAGER;
  } else {
    return absl::InvalidArgumentError(
        "followup.maintenance_channel: must be sms or account_manager");
  }
  auto delay = config.GetDouble("followup.maintenance_delay_days",
                                absl::ToDoubleHours(options.maintenance_delay) / 24);
  if (!delay.ok()) return delay.status();
  if (*delay < 0) {
    return absl::InvalidArgumentError("followup.maintenance_delay_days: must not be negative");
  }
  options.maintenance_delay = absl::Hours(*delay * 24);
  return options;
}

absl::StatusOr<FollowUp::Parsed> FollowUp::Parse(const kafka::IncomingRecord& record) {
  auto header = kafka::FromHeaders(record.headers);
  if (!header.ok()) return header.status();
  auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
  if (!event.ok()) return event.status();
  if (event->complaint_id().empty()) return absl::InvalidArgumentError("CaseEvent without complaint_id");
  return Parsed{*std::move(event), header->id};
}

absl::Status FollowUp::HandleCaseEvent(const kafka::IncomingRecord& record) {
  auto parsed = Parse(record);
  if (!parsed.ok()) return parsed.status();
  const events::v1::CaseEvent& event = parsed->event;
  if (event.has_resolved()) return OnResolved(event, parsed->event_id);
  std::optional<CaseChange> change = ChangeOf(event);
  if (!change) return absl::OkStatus();
  if (event.has_closed()) return OnClosed(event, parsed->event_id, *change);
  return store_->Apply(event.complaint_id(), parsed->event_id, *change).status();
}

FollowUpTask FollowUp::FirstTask(const events::v1::CaseEvent& resolved,
                                 const std::string& event_id, const CaseState& state) const {
  const std::string& complaint_id = resolved.complaint_id();
  FollowUpTask task;
  task.set_task_id(common::DeterministicId({complaint_id, "followup-task", event_id}));
  task.set_complaint_id(complaint_id);
  ContactFacts facts;
  facts.level = state.level;
  facts.urgency = state.urgency;
  facts.reopen_count = state.reopen_count;
  facts.preference = state.contact;
  facts.holidays_ok = state.contact && state.contact->holidays_ok();
  task.set_channel(ChooseChannel(facts));
  task.set_holidays_ok(facts.holidays_ok);
  task.set_attempt(1);
  const absl::Time resolved_at = ResolvedAt(resolved);
  *task.mutable_due_at() = common::ToProtoTime(
      options_.calendar != nullptr
          ? FirstAttemptDue(*options_.calendar, options_.contact, resolved_at, facts.holidays_ok)
          : resolved_at + options_.due_after);
  task.set_unit(resolved.unit());
  task.set_resolution_id(event_id);
  task.set_business_problem_fixed(resolved.resolved().business_problem_fixed());
  return task;
}

absl::Time FollowUp::ResolvedAt(const events::v1::CaseEvent& resolved) const {
  return resolved.has_occurred_at() ? common::FromProtoTime(resolved.occurred_at()) : clock_->Now();
}

void FollowUp::LogTask(const FollowUpTask& task) {
  spdlog::info("complaint {}: {} task {} by {} due {}", task.complaint_id(),
               events::v1::FollowUpTaskKind_Name(task.kind()), task.task_id(),
               events::v1::FollowUpChannel_Name(task.channel()),
               kafka::FormatEventTime(common::FromProtoTime(task.due_at())));
}

absl::Status FollowUp::OnClosed(const events::v1::CaseEvent& event, const std::string& event_id,
                                const CaseChange& change) {
  const std::string& complaint_id = event.complaint_id();
  auto seen = store_->Seen(complaint_id, event_id);
  if (!seen.ok()) return seen.status();
  if (*seen) return absl::OkStatus();
  const absl::Time closed_at = ResolvedAt(event);
  const FollowUpTask task = AfterCloseTask(event, event_id, closed_at, options_.Machine());
  // Publish first, remember after: a crash in between re-publishes the same task id.
  if (auto s = publisher_->Publish(TaskRecord(task, closed_at)); !s.ok()) return s;
  if (auto applied = store_->Apply(complaint_id, event_id, change); !applied.ok()) {
    return applied.status();
  }
  LogTask(task);
  return absl::OkStatus();
}

absl::Status FollowUp::OnResolved(const events::v1::CaseEvent& event,
                                  const std::string& event_id) {
  const std::string& complaint_id = event.complaint_id();
  auto seen = store_->Seen(complaint_id, event_id);
  if (!seen.ok()) return seen.status();
  if (*seen) return absl::OkStatus();
  auto state = store_->Get(complaint_id);
  if (!state.ok()) return state.status();
  const FollowUpTask task = FirstTask(event, event_id, *state);

  // Publish first, remember after: a crash in between re-publishes the same task id.
  if (auto s = publisher_->Publish(TaskRecord(task, ResolvedAt(event))); !s.ok()) return s;
  CaseChange change;
  change.task = CaseChange::Task::kOpen;
  change.open = task;
  if (auto applied = store_->Apply(complaint_id, event_id, change); !applied.ok()) {
    return applied.status();
  }
  LogTask(task);
  return absl::OkStatus();
}

std::vector<absl::Status> FollowUp::HandleCaseEvents(
    const std::vector<kafka::IncomingRecord>& records) {
  std::vector<absl::Status> out(records.size());
  // The records follow-up acts on, by complaint (in order of first appearance), in order.
  struct Item {
    size_t index;
    Parsed parsed;
    CaseChange change;
  };
  std::vector<FollowUpStore::Ask> asks;
  std::vector<std::vector<Item>> items;
  std::map<std::string, size_t> complaint_index;
  for (size_t i = 0; i < records.size(); ++i) {
    auto parsed = Parse(records[i]);
    if (!parsed.ok()) {
      out[i] = parsed.status();
      continue;
    }
    std::optional<CaseChange> change = ChangeOf(parsed->event);
    if (!change) continue;
    const std::string id = parsed->event.complaint_id();
    auto [it, added] = complaint_index.try_emplace(id, asks.size());
    if (added) {
      asks.push_back({id, {}});
      items.emplace_back();
    }
    asks[it->second].event_ids.push_back(parsed->event_id);
    items[it->second].push_back({i, *std::move(parsed), *std::move(change)});
  }
  if (asks.empty()) return out;

  // 1. Every complaint's state and seen events, in one round trip.
  std::vector<absl::StatusOr<FollowUpStore::Known>> known = store_->GetMany(asks);
  // 2. Each complaint's events on its state in memory, in order, as HandleCaseEvent would.
  std::vector<FollowUpStore::Changes> changes;
  std::vector<size_t> changes_of;  // the complaint (index in `asks`) of each entry of `changes`
  std::vector<std::vector<size_t>> decided;  // per entry of `changes`: its records' indexes
  std::vector<kafka::OutgoingRecord> tasks;
  std::vector<FollowUpTask> opened;
  std::vector<bool> has_task(asks.size(), false);
  for (size_t c = 0; c < asks.size(); ++c) {
    if (!known[c].ok()) {
      for (const Item& item : items[c]) out[item.index] = known[c].status();
      continue;
    }
    CaseState facts = known[c]->state;
    std::set<std::string> seen;
    FollowUpStore::Changes mine{asks[c].complaint_id, {}};
    std::vector<size_t> mine_records;
    for (size_t k = 0; k < items[c].size(); ++k) {
      Item& item = items[c][k];
      if (known[c]->seen[k] || !seen.insert(item.parsed.event_id).second) continue;  // applied
      const events::v1::CaseEvent& event = item.parsed.event;
      if (event.has_resolved()) {
        item.change.open = FirstTask(event, item.parsed.event_id, facts);
        tasks.push_back(TaskRecord(item.change.open, ResolvedAt(event)));
        opened.push_back(item.change.open);
        has_task[c] = true;
      } else if (event.has_closed()) {
        const absl::Time closed_at = ResolvedAt(event);
        FollowUpTask after =
            AfterCloseTask(event, item.parsed.event_id, closed_at, options_.Machine());
        tasks.push_back(TaskRecord(after, closed_at));
        opened.push_back(std::move(after));
        has_task[c] = true;
      }
      if (item.change.level) facts.level = *item.change.level;
      if (item.change.urgency) facts.urgency = *item.change.urgency;
      if (item.change.reopen_count) facts.reopen_count = *item.change.reopen_count;
      mine.events.push_back({item.parsed.event_id, item.change});
      mine_records.push_back(item.index);
    }
    if (mine.events.empty()) continue;
    changes.push_back(std::move(mine));
    changes_of.push_back(c);
    decided.push_back(std::move(mine_records));
  }
  // 3. The tasks, in one publish: before they are remembered (a crash in between publishes the
  // same tasks again). If it fails, the complaints with a task wait whole: their records are
  // retried, in order, and nothing of them is remembered meanwhile.
  if (!tasks.empty()) {
    if (absl::Status published = publisher_->Publish(tasks); !published.ok()) {
      for (size_t c = 0; c < asks.size(); ++c) {
        if (!has_task[c]) continue;
        for (const Item& item : items[c]) out[item.index] = published;
      }
      std::vector<FollowUpStore::Changes> kept;
      std::vector<std::vector<size_t>> kept_decided;
      for (size_t w = 0; w < changes.size(); ++w) {
        if (has_task[changes_of[w]]) continue;
        kept.push_back(std::move(changes[w]));
        kept_decided.push_back(std::move(decided[w]));
      }
      changes = std::move(kept);
      decided = std::move(kept_decided);
      opened.clear();
    }
  }
  // 4. Every complaint's changes, in one round trip (each complaint's atomically, in order).
  std::vector<absl::StatusOr<std::vector<bool>>> applied = store_->ApplyMany(changes);
  for (size_t w = 0; w < changes.size(); ++w) {
    if (applied[w].ok()) continue;
    for (size_t i : decided[w]) out[i] = applied[w].status();
    // A task published for it is published again, the same record, when it is retried.
    std::erase_if(opened, [&](const FollowUpTask& t) {
      return t.complaint_id() == changes[w].complaint_id;
    });
  }
  for (const FollowUpTask& task : opened) LogTask(task);
  return out;
}

absl::StatusOr<followup::v1::RecordOutcomeResponse> FollowUp::RecordOutcome(
    const followup::v1::RecordOutcomeRequest& request) {
  const std::string& complaint_id = request.complaint_id();
  const std::string& task_id = request.task_id();
  const Outcome outcome = request.outcome();
  if (complaint_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  auto state = store_->Get(complaint_id);
  if (!state.ok()) return state.status();
  if (options_.check_ready) {
    // Redis lost follow-up's state and it is being replayed: an answer now could be wrong.
    // Checked after the read (the loss wipes the markers too), so that a restart between the
    // check and the read cannot answer "no open task" from an empty Redis.
    if (auto s = options_.check_ready(complaint_id); !s.ok()) return s;
  }
  auto decided = DecideOutcome(*state, request, options_.Machine());
  if (!decided.ok()) return decided.status();
  const OutcomeDecision& decision = *decided;
  const std::string effect = EffectName(decision.effect);

  followup::v1::RecordOutcomeResponse response;
  response.set_effect(effect);
  if (decision.effect == Effect::kRetryScheduled) {
    response.set_next_task_id(
        NextAttempt(decision.task, options_.Machine()).task_id());
  }
  if (decision.repeated && !decision.advances) return response;  // already done

  // Claim the outcome before acting on it, so that two different outcomes for one task cannot
  // both take effect; a crash after the claim is repaired by the caller's retry, which finds the
  // same outcome recorded and publishes the same (deterministic) records again.
  if (!decision.repeated) {
    auto claimed = store_->ClaimOutcome(complaint_id, task_id, {outcome, effect});
    if (!claimed.ok()) return claimed.status();
    if (claimed->outcome != outcome) {
      return absl::FailedPreconditionError("task_id: outcome " + Outcome_Name(claimed->outcome) +
                                           " is already recorded for task " + task_id);
    }
  }
  if (decision.case_event) {
    // Checked against the case like every other change: a case that is no longer RESOLVED (a
    // transfer, another reopening) refuses the close or reopen with FailedPrecondition.
    cases::Command command;
    command.complaint_id = complaint_id;
    command.what = "followup-outcome";
    command.request_id = task_id + "/" + Outcome_Name(outcome);
    command.actor = decision.case_event->actor();
    command.decide = [&](const routing::v1::Case&) -> absl::StatusOr<cases::Decision> {
      cases::Decision change;
      events::v1::CaseEvent event = *decision.case_event;
      event.clear_unit();  // the ledger names the case's unit
      change.events.push_back(std::move(event));
      return change;
    };
    if (auto changed = ledger_->Execute(command); !changed.ok()) return changed.status();
  } else if (decision.next) {
    if (auto s = publisher_->Publish(
            TaskRecord(*decision.next, common::FromProtoTime(decision.task.due_at())));
        !s.ok()) {
      return s;
    }
  }
  if (decision.advances) {
    if (auto s = store_->AdvanceOpenTask(complaint_id, state->open_task->task_id(), decision.next);
        !s.ok()) {
      return s;
    }
  }
  // The comment is free text from an agent and may quote the customer: never logged.
  spdlog::info("complaint {} follow-up task {} (attempt {}, score {}): {} -> {}", complaint_id,
               task_id, decision.task.attempt(), request.score(), Outcome_Name(outcome), effect);
  return response;
}

}  // namespace complaints::followup
