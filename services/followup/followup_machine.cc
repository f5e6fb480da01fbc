#include "services/followup/followup_machine.h"

#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/grpcutil/status.h"

namespace complaints::followup {
namespace {

using events::v1::FollowUpTask;
using followup::v1::Outcome;

constexpr size_t kMaxCommentBytes = 2000;
constexpr char kSystemActor[] = "followup";  // when the contact system names no one

absl::Status Validate(const followup::v1::RecordOutcomeRequest& request) {
  if (request.complaint_id().empty()) return grpcutil::FieldError("complaint_id", "is required");
  if (request.task_id().empty()) return grpcutil::FieldError("task_id", "is required");
  if (request.outcome() == followup::v1::OUTCOME_UNSPECIFIED ||
      !followup::v1::Outcome_IsValid(request.outcome())) {
    return grpcutil::FieldError(
        "outcome", "must be SATISFIED, PARTLY_SATISFIED, UNSATISFIED or UNREACHABLE");
  }
  if (request.score() < 0 || request.score() > 5) {
    return grpcutil::FieldError("score", "must be 1 to 5, or 0 when not given");
  }
  if (request.comment().size() > kMaxCommentBytes) {
    return grpcutil::FieldError("comment", "must be at most 2000 bytes");
  }
  return absl::OkStatus();
}

std::optional<Effect> ParseEffect(const std::string& name) {
  for (Effect e : {Effect::kClosed, Effect::kReopened, Effect::kRetryScheduled,
                   Effect::kAwaitingFix, Effect::kRecorded}) {
    if (EffectName(e) == name) return e;
  }
  return std::nullopt;
}

// `task_id` among `first` and the retries that may follow it; nullopt if it is none of them.
std::optional<FollowUpTask> FindInChain(const FollowUpTask& first, const std::string& task_id,
                                        const MachineOptions& options) {
  FollowUpTask task = first;
  while (task.task_id() != task_id) {
    if (task.attempt() >= options.max_attempts) return std::nullopt;
    task = NextAttempt(task, options);
  }
  return task;
}

events::v1::FollowUpResult ResultOf(const FollowUpTask& task,
                                    const followup::v1::RecordOutcomeRequest& request) {
  events::v1::FollowUpResult result;
  result.set_task_id(task.task_id());
  result.set_channel(task.channel());
  result.set_attempt(task.attempt());
  result.set_outcome(static_cast<events::v1::FollowUpOutcome>(request.outcome()));
  result.set_score(request.score());
  result.set_comment(request.comment());
  return result;
}

std::string WithComment(const std::string& reason, const std::string& comment) {
  return comment.empty() ? reason : reason + ": " + comment;
}

}  // namespace

std::string EffectName(Effect effect) {
  switch (effect) {
    case Effect::kClosed:
      return "closed";
    case Effect::kReopened:
      return "reopened";
    case Effect::kRetryScheduled:
      return "retry_scheduled";
    case Effect::kAwaitingFix:
      return "awaiting_fix";
    case Effect::kRecorded:
      return "recorded";
  }
  return "recorded";
}

FollowUpTask NextAttempt(const FollowUpTask& task, const MachineOptions& options) {
  FollowUpTask next = task;
  next.set_task_id(
      common::DeterministicId({task.complaint_id(), "followup-retry", task.task_id()}));
  next.set_channel(events::v1::FOLLOW_UP_CHANNEL_CALLBACK);  // SMS went unanswered: call
  next.set_attempt(task.attempt() + 1);
  const absl::Time failed = common::FromProtoTime(task.due_at());
  std::optional<absl::Time> due;
  if (options.calendar != nullptr) {
    // The schedule's own cap is max_attempts too; past it (only for ids, FindInChain) the
    // spacing still applies.
    ContactPolicy contact = options.contact;
    contact.max_attempts = task.attempt() + 1;
    due = NextAttemptDue(*options.calendar, contact, failed, task.channel(), task.attempt(),
                         task.holidays_ok());
  }
  *next.mutable_due_at() = common::ToProtoTime(due.value_or(failed + options.retry_after));
  return next;
}

events::v1::FollowUpTask AfterCloseTask(const events::v1::CaseEvent& closed,
                                        const std::string& close_id, absl::Time closed_at,
                                        const MachineOptions& options) {
  const events::v1::Closed& close = closed.closed();
  const auto outcome = close.follow_up().outcome();
  const bool dissatisfied = close.disposition() == events::v1::CLOSE_DISPOSITION_PARTLY_SATISFIED ||
                            outcome == events::v1::FOLLOW_UP_OUTCOME_UNSATISFIED ||
                            outcome == events::v1::FOLLOW_UP_OUTCOME_PARTLY_SATISFIED;
  const bool unreachable = close.disposition() == events::v1::CLOSE_DISPOSITION_UNREACHABLE;
  const bool intervene = dissatisfied || unreachable;
  events::v1::FollowUpTask task;
  task.set_task_id(common::DeterministicId(
      {closed.complaint_id(), intervene ? "followup-intervention" : "followup-maintenance",
       close_id}));
  task.set_complaint_id(closed.complaint_id());
  task.set_kind(intervene ? events::v1::FOLLOW_UP_TASK_KIND_INTERVENTION
                          : events::v1::FOLLOW_UP_TASK_KIND_MAINTENANCE);
  task.set_channel(intervene ? events::v1::FOLLOW_UP_CHANNEL_SPECIALIST
                             : options.maintenance_channel);
  task.set_attempt(0);
  *task.mutable_due_at() =
      common::ToProtoTime(intervene ? closed_at : closed_at + options.maintenance_delay);
  task.set_unit(closed.unit());
  task.set_close_id(close_id);
  return task;
}

std::optional<CaseChange> ChangeOf(const events::v1::CaseEvent& event) {
  CaseChange change;
  const auto record = [&](const events::v1::FollowUpResult& result, Effect effect) {
    if (result.task_id().empty()) return;
    change.outcome_task = result.task_id();
    change.outcome = {static_cast<Outcome>(result.outcome()), EffectName(effect)};
  };
  switch (event.event_case()) {
    case events::v1::CaseEvent::kAssigned:
      change.level = event.assigned().level();
      change.urgency = event.assigned().urgency();
      change.reopen_count = event.assigned().reopen_count();
      if (event.assigned().has_contact_preference()) {
        change.contact = event.assigned().contact_preference();
      }
      return change;
    case events::v1::CaseEvent::kResolved:
      change.task = CaseChange::Task::kOpen;  // the caller makes the task
      return change;
    case events::v1::CaseEvent::kReopened:
      change.task = CaseChange::Task::kClear;
      record(event.reopened().follow_up(), Effect::kReopened);
      return change;
    case events::v1::CaseEvent::kClosed:
      change.task = CaseChange::Task::kClear;
      change.closed = true;
      record(event.closed().follow_up(), Effect::kClosed);
      return change;
    case events::v1::CaseEvent::kAwaitingFix:
      change.task = CaseChange::Task::kClear;
      record(event.awaiting_fix().follow_up(), Effect::kAwaitingFix);
      return change;
    default:
      return std::nullopt;  // nothing follow-up needs
  }
}

bool ApplyChange(const std::string& event_id, const CaseChange& change, CaseState* state,
                 std::set<std::string>* seen) {
  if (!seen->insert(event_id).second) return false;
  if (change.level) state->level = *change.level;
  if (change.urgency) state->urgency = *change.urgency;
  if (change.reopen_count) state->reopen_count = *change.reopen_count;
  if (change.contact) state->contact = *change.contact;
  if (change.task != CaseChange::Task::kKeep && state->open_task) {
    state->past_tasks.insert(state->open_task->task_id());
  }
  if (change.task == CaseChange::Task::kOpen) state->open_task = change.open;
  if (change.task == CaseChange::Task::kClear) state->open_task.reset();
  if (!change.outcome_task.empty()) state->outcomes.emplace(change.outcome_task, change.outcome);
  return true;
}

absl::StatusOr<OutcomeDecision> DecideOutcome(const CaseState& state,
                                              const followup::v1::RecordOutcomeRequest& request,
                                              const MachineOptions& options) {
  if (auto s = Validate(request); !s.ok()) return s;
  const std::string& complaint_id = request.complaint_id();
  const std::string& task_id = request.task_id();
  const Outcome outcome = request.outcome();

  std::optional<RecordedOutcome> recorded;
  if (auto it = state.outcomes.find(task_id); it != state.outcomes.end()) {
    recorded = it->second;
    if (recorded->outcome != outcome) {
      return absl::FailedPreconditionError("task_id: outcome " + Outcome_Name(recorded->outcome) +
                                           " is already recorded for task " + task_id);
    }
  }
  OutcomeDecision decision;
  decision.repeated = recorded.has_value();
  std::optional<FollowUpTask> open;
  if (state.open_task) open = FindInChain(*state.open_task, task_id, options);
  if (!open) {
    if (recorded) {
      // A repeated call about a task that has moved on: what the first call did, nothing new.
      decision.effect = ParseEffect(recorded->effect).value_or(Effect::kRecorded);
      decision.task.set_task_id(task_id);
      decision.task.set_complaint_id(complaint_id);
      return decision;
    }
    // An older resolution's task (or an older attempt): kept, but the case has moved on and a
    // late answer must not reopen or close what came after it.
    for (const std::string& past : state.past_tasks) {
      FollowUpTask first;
      first.set_task_id(past);
      first.set_complaint_id(complaint_id);
      first.set_attempt(1);
      // A past task's attempt is unknown here; its chain is at most max_attempts long.
      if (std::optional<FollowUpTask> found = FindInChain(first, task_id, options)) {
        decision.effect = Effect::kRecorded;
        decision.task = *found;
        decision.task.clear_attempt();  // unknown: the past task's attempt is not kept
        return decision;
      }
    }
    if (!state.open_task) {
      return absl::NotFoundError("complaint_id: no open follow-up task for complaint " +
                                 complaint_id);
    }
    return absl::FailedPreconditionError("task_id: " + task_id +
                                         " is not the open follow-up task of complaint " +
                                         complaint_id);
  }

  decision.task = *open;
  decision.advances = true;
  events::v1::CaseEvent event;
  event.set_complaint_id(complaint_id);
  event.set_unit(open->unit());
  event.set_actor(request.actor().empty() ? kSystemActor : request.actor());
  const events::v1::FollowUpResult result = ResultOf(*open, request);
  const bool partly = outcome == followup::v1::OUTCOME_PARTLY_SATISFIED;
  const bool reopens = outcome == followup::v1::OUTCOME_UNSATISFIED ||
                       (partly && options.partly_satisfied_reopens);
  if (reopens) {
    // 二次处理: a dissatisfied customer reopens the case, whatever the unit thought of it.
    auto* reopened = event.mutable_reopened();
    reopened->set_reason(WithComment(partly ? "customer partly satisfied at follow-up"
                                            : "customer unsatisfied at follow-up",
                                     request.comment()));
    *reopened->mutable_follow_up() = result;
    decision.effect = Effect::kReopened;
    decision.case_event = std::move(event);
  } else if (outcome == followup::v1::OUTCOME_UNREACHABLE) {
    if (open->attempt() < options.max_attempts) {
      decision.effect = Effect::kRetryScheduled;
      decision.next = NextAttempt(*open, options);
    } else {
      auto* closed = event.mutable_closed();
      closed->set_reason("customer unreachable after " + std::to_string(open->attempt()) +
                         " attempts");
      closed->set_disposition(events::v1::CLOSE_DISPOSITION_UNREACHABLE);
      *closed->mutable_follow_up() = result;
      decision.effect = Effect::kClosed;
      decision.case_event = std::move(event);
    }
  } else if (!open->business_problem_fixed()) {
    // 跟归档: archived only once the business problem is really fixed; until the unit reports
    // the fix (CaseService.ReportFix) the case waits, on a FIX clock of its own.
    auto* waiting = event.mutable_awaiting_fix();
    waiting->set_reason(partly ? WithComment("customer partly satisfied at follow-up; the "
                                             "business problem is not fixed yet",
                                             request.comment())
                               : "customer satisfied at follow-up; the business problem is not "
                                 "fixed yet");
    *waiting->mutable_follow_up() = result;
    decision.effect = Effect::kAwaitingFix;
    decision.case_event = std::move(event);
  } else {
    auto* closed = event.mutable_closed();
    closed->set_reason(partly ? WithComment("customer partly satisfied at follow-up",
                                            request.comment())
                              : "customer satisfied at follow-up");
    closed->set_disposition(partly ? events::v1::CLOSE_DISPOSITION_PARTLY_SATISFIED
                                   : events::v1::CLOSE_DISPOSITION_ARCHIVED);
    *closed->mutable_follow_up() = result;
    decision.effect = Effect::kClosed;
    decision.case_event = std::move(event);
  }
  return decision;
}

}  // namespace complaints::followup
