#include "services/followup/followup_machine.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"

namespace complaints::followup {
namespace {

using events::v1::CaseEvent;
using events::v1::FollowUpTask;
using followup::v1::Outcome;
using followup::v1::RecordOutcomeRequest;

constexpr char kComplaint[] = "CMP7";
constexpr char kSecret[] = "customer said: call me on 13800138000";
const absl::Time kDue = absl::FromUnixSeconds(1764115200);

FollowUpTask Task(const std::string& resolution_id, bool fixed, int attempt = 1) {
  FollowUpTask task;
  task.set_task_id(common::DeterministicId({kComplaint, "followup-task", resolution_id}));
  task.set_complaint_id(kComplaint);
  task.set_channel(events::v1::FOLLOW_UP_CHANNEL_SMS);
  task.set_attempt(1);
  task.set_unit("BJ-0101");
  task.set_resolution_id(resolution_id);
  task.set_business_problem_fixed(fixed);
  *task.mutable_due_at() = common::ToProtoTime(kDue);
  while (task.attempt() < attempt) task = NextAttempt(task, MachineOptions{});
  return task;
}

CaseChange Open(const FollowUpTask& task) {
  CaseChange change;
  change.task = CaseChange::Task::kOpen;
  change.open = task;
  return change;
}

CaseChange Clear() {
  CaseChange change;
  change.task = CaseChange::Task::kClear;
  return change;
}

// The states an outcome can meet, each built through ApplyChange as the stores build them.
enum class Kind {
  kNothing,      // no resolution yet
  kOpenFirst,    // resolution r1's first attempt is open
  kOpenLast,     // r1's last attempt is open (the earlier ones failed)
  kNewerOpen,    // r1's task is past: the case was reopened and resolved again (r2 open)
  kCleared,      // r1's task is past and nothing is open (reopened or closed)
};
constexpr Kind kKinds[] = {Kind::kNothing, Kind::kOpenFirst, Kind::kOpenLast, Kind::kNewerOpen,
                           Kind::kCleared};

// Which task the outcome names.
enum class Target { kOpen, kOlder, kUnknown };
constexpr Target kTargets[] = {Target::kOpen, Target::kOlder, Target::kUnknown};

constexpr Outcome kOutcomes[] = {followup::v1::OUTCOME_SATISFIED,
                                 followup::v1::OUTCOME_PARTLY_SATISFIED,
                                 followup::v1::OUTCOME_UNSATISFIED,
                                 followup::v1::OUTCOME_UNREACHABLE};

struct Built {
  CaseState state;
  std::set<std::string> seen;
};

Built Build(Kind kind, bool fixed, const MachineOptions& options) {
  Built b;
  const FollowUpTask r1 = Task("r1", fixed);
  switch (kind) {
    case Kind::kNothing:
      break;
    case Kind::kOpenFirst:
      ApplyChange("r1", Open(r1), &b.state, &b.seen);
      break;
    case Kind::kOpenLast: {
      ApplyChange("r1", Open(r1), &b.state, &b.seen);
      FollowUpTask task = r1;
      while (task.attempt() < options.max_attempts) {
        b.state.past_tasks.insert(task.task_id());  // AdvanceOpenTask
        b.state.outcomes[task.task_id()] = {followup::v1::OUTCOME_UNREACHABLE, "retry_scheduled"};
        task = NextAttempt(task, options);
      }
      b.state.open_task = task;
      break;
    }
    case Kind::kNewerOpen:
      ApplyChange("r1", Open(r1), &b.state, &b.seen);
      ApplyChange("reopen-1", Clear(), &b.state, &b.seen);
      ApplyChange("r2", Open(Task("r2", fixed)), &b.state, &b.seen);
      break;
    case Kind::kCleared:
      ApplyChange("r1", Open(r1), &b.state, &b.seen);
      ApplyChange("reopen-1", Clear(), &b.state, &b.seen);
      break;
  }
  return b;
}

std::string TargetId(Kind kind, Target target, bool fixed, const MachineOptions& options) {
  switch (target) {
    case Target::kOpen:
      if (kind == Kind::kOpenLast) return Task("r1", fixed, options.max_attempts).task_id();
      if (kind == Kind::kNewerOpen) return Task("r2", fixed).task_id();
      if (kind == Kind::kOpenFirst) return Task("r1", fixed).task_id();
      return Task("r3", fixed).task_id();  // no task is open: a task nobody opened
    case Target::kOlder:
      // An older resolution's task; for kOpenFirst none exists, so an unrelated id.
      if (kind == Kind::kNewerOpen || kind == Kind::kCleared) return Task("r1", fixed).task_id();
      return "older-task";
    case Target::kUnknown:
      return "unknown-task";
  }
  return "";
}

RecordOutcomeRequest Request(const std::string& task_id, Outcome outcome) {
  RecordOutcomeRequest request;
  request.set_complaint_id(kComplaint);
  request.set_task_id(task_id);
  request.set_outcome(outcome);
  request.set_score(outcome == followup::v1::OUTCOME_UNREACHABLE ? 0 : 2);
  request.set_comment(kSecret);
  request.set_actor("agent-7");
  return request;
}

// The expected answer, written as the issue states the rules, independently of the machine.
struct Expected {
  absl::StatusCode code = absl::StatusCode::kOk;
  Effect effect = Effect::kRecorded;
  events::v1::CloseDisposition disposition = events::v1::CLOSE_DISPOSITION_UNSPECIFIED;
};

Expected Expect(Kind kind, Target target, Outcome outcome, bool partly_reopens, bool fixed) {
  const bool has_open = kind == Kind::kOpenFirst || kind == Kind::kOpenLast ||
                        kind == Kind::kNewerOpen;
  const bool has_past = kind == Kind::kNewerOpen || kind == Kind::kCleared;
  if (target == Target::kOlder && has_past) return {};  // recorded, the case untouched
  if (target != Target::kOpen || !has_open) {
    return {has_open ? absl::StatusCode::kFailedPrecondition : absl::StatusCode::kNotFound};
  }
  switch (outcome) {
    case followup::v1::OUTCOME_SATISFIED:
      if (!fixed) return {absl::StatusCode::kOk, Effect::kAwaitingFix};
      return {absl::StatusCode::kOk, Effect::kClosed, events::v1::CLOSE_DISPOSITION_ARCHIVED};
    case followup::v1::OUTCOME_PARTLY_SATISFIED:
      if (partly_reopens) return {absl::StatusCode::kOk, Effect::kReopened};
      if (!fixed) return {absl::StatusCode::kOk, Effect::kAwaitingFix};
      return {absl::StatusCode::kOk, Effect::kClosed,
              events::v1::CLOSE_DISPOSITION_PARTLY_SATISFIED};
    case followup::v1::OUTCOME_UNSATISFIED:
      return {absl::StatusCode::kOk, Effect::kReopened};
    default:
      if (kind == Kind::kOpenLast) {
        return {absl::StatusCode::kOk, Effect::kClosed, events::v1::CLOSE_DISPOSITION_UNREACHABLE};
      }
      return {absl::StatusCode::kOk, Effect::kRetryScheduled};
  }
}

std::string Describe(Kind kind, Target target, Outcome outcome, bool fixed, bool partly) {
  return "state " + std::to_string(static_cast<int>(kind)) + ", target " +
         std::to_string(static_cast<int>(target)) + ", " + Outcome_Name(outcome) +
         (fixed ? ", fixed" : ", not fixed") + (partly ? ", partly reopens" : "");
}

TEST(FollowUpMachineTest, EveryStateTargetOutcomeAndPolicy) {
  int combinations = 0;
  for (bool partly_reopens : {true, false}) {
    const MachineOptions options{.partly_satisfied_reopens = partly_reopens};
    for (Kind kind : kKinds) {
      for (Target target : kTargets) {
        for (Outcome outcome : kOutcomes) {
          for (bool fixed : {true, false}) {
            ++combinations;
            SCOPED_TRACE(Describe(kind, target, outcome, fixed, partly_reopens));
            Built built = Build(kind, fixed, options);
            const RecordOutcomeRequest request =
                Request(TargetId(kind, target, fixed, options), outcome);
            const Expected expected = Expect(kind, target, outcome, partly_reopens, fixed);
            auto decision = DecideOutcome(built.state, request, options);
            ASSERT_EQ(decision.status().code(), expected.code) << decision.status();
            if (!decision.ok()) continue;
            EXPECT_EQ(decision->effect, expected.effect);
            EXPECT_FALSE(decision->repeated);
            EXPECT_EQ(decision->advances, target == Target::kOpen);
            EXPECT_EQ(decision->next.has_value(), expected.effect == Effect::kRetryScheduled);
            const bool changes_case = expected.effect == Effect::kClosed ||
                                      expected.effect == Effect::kReopened ||
                                      expected.effect == Effect::kAwaitingFix;
            ASSERT_EQ(decision->case_event.has_value(), changes_case);
            if (changes_case) {
              const CaseEvent& event = *decision->case_event;
              EXPECT_EQ(event.complaint_id(), kComplaint);
              EXPECT_EQ(event.actor(), "agent-7");
              const events::v1::FollowUpResult& result =
                  event.has_closed()   ? event.closed().follow_up()
                  : event.has_reopened() ? event.reopened().follow_up()
                                         : event.awaiting_fix().follow_up();
              EXPECT_EQ(event.has_awaiting_fix(), expected.effect == Effect::kAwaitingFix);
              EXPECT_EQ(static_cast<int>(result.outcome()), static_cast<int>(outcome));
              EXPECT_EQ(result.score(), request.score());
              EXPECT_EQ(result.comment(), kSecret);  // kept on the case, never logged
              EXPECT_EQ(result.task_id(), request.task_id());
              EXPECT_EQ(event.has_closed(), expected.effect == Effect::kClosed);
              if (event.has_closed()) {
                EXPECT_EQ(event.closed().disposition(), expected.disposition);
              }
            }
            if (decision->next) {
              EXPECT_EQ(decision->next->channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
              EXPECT_EQ(decision->next->attempt(), decision->task.attempt() + 1);
              EXPECT_EQ(common::FromProtoTime(decision->next->due_at()),
                        common::FromProtoTime(decision->task.due_at()) + options.retry_after);
              EXPECT_EQ(decision->next->business_problem_fixed(), fixed);
            }

            // The same call again, after the first took effect as the shell applies it: the
            // same effect, nothing new to do but what the first did.
            CaseState after = built.state;
            after.outcomes[request.task_id()] = {outcome, EffectName(decision->effect)};
            if (decision->advances) {
              after.past_tasks.insert(after.open_task->task_id());
              after.open_task = decision->next;
            }
            auto again = DecideOutcome(after, request, options);
            ASSERT_TRUE(again.ok()) << again.status();
            EXPECT_EQ(again->effect, decision->effect);
            EXPECT_TRUE(again->repeated);
            EXPECT_FALSE(again->advances);
            EXPECT_FALSE(again->case_event.has_value());
            // ... and another outcome for the same task is refused.
            for (Outcome other : kOutcomes) {
              if (other == outcome) continue;
              EXPECT_EQ(DecideOutcome(after, Request(request.task_id(), other), options)
                            .status()
                            .code(),
                        absl::StatusCode::kFailedPrecondition);
            }
            // A retry whose first call was recorded but crashed before its effect: the task is
            // still open, so the effect is decided again (the same records).
            if (decision->advances) {
              CaseState crashed = built.state;
              crashed.outcomes[request.task_id()] = {outcome, EffectName(decision->effect)};
              auto redo = DecideOutcome(crashed, request, options);
              ASSERT_TRUE(redo.ok());
              EXPECT_TRUE(redo->repeated);
              EXPECT_TRUE(redo->advances);
              EXPECT_EQ(redo->effect, decision->effect);
              EXPECT_EQ(redo->case_event.has_value(), decision->case_event.has_value());
              if (redo->case_event) {
                EXPECT_EQ(redo->case_event->SerializeAsString(),
                          decision->case_event->SerializeAsString());
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(combinations, 2 * 5 * 3 * 4 * 2);
}

// Case events × states: what each does to the open and past tasks.
TEST(FollowUpMachineTest, EveryCaseEventOnEveryState) {
  const MachineOptions options;
  const std::vector<std::pair<std::string, CaseEvent>> events = [] {
    std::vector<std::pair<std::string, CaseEvent>> out;
    CaseEvent e;
    e.set_complaint_id(kComplaint);
    e.mutable_assigned()->set_level(events::v1::LEVEL_MAJOR);
    out.emplace_back("assigned", e);
    e.mutable_accepted();
    out.emplace_back("accepted", e);
    e.mutable_contact_logged();
    out.emplace_back("contact", e);
    e.mutable_resolved();
    out.emplace_back("resolved", e);
    e.mutable_reopened();
    out.emplace_back("reopened", e);
    e.mutable_closed();
    out.emplace_back("closed", e);
    e.mutable_awaiting_fix();
    out.emplace_back("awaiting_fix", e);
    e.mutable_fix_reported();
    out.emplace_back("fix_reported", e);
    e.mutable_escalated();
    out.emplace_back("escalated", e);
    return out;
  }();
  for (Kind kind : kKinds) {
    for (const auto& [name, event] : events) {
      SCOPED_TRACE(name + " on state " + std::to_string(static_cast<int>(kind)));
      Built built = Build(kind, true, options);
      const std::optional<FollowUpTask> before = built.state.open_task;
      std::optional<CaseChange> change = ChangeOf(event);
      const bool matters = name == "assigned" || name == "resolved" || name == "reopened" ||
                           name == "closed" || name == "awaiting_fix";
      ASSERT_EQ(change.has_value(), matters);
      if (!change) continue;
      if (change->task == CaseChange::Task::kOpen) change->open = Task("r9", true);
      ASSERT_TRUE(ApplyChange(name + "-id", *change, &built.state, &built.seen));
      if (name == "assigned") {
        EXPECT_EQ(built.state.level, events::v1::LEVEL_MAJOR);
        EXPECT_EQ(built.state.open_task.has_value(), before.has_value());
      } else if (name == "resolved") {
        ASSERT_TRUE(built.state.open_task);
        EXPECT_EQ(built.state.open_task->resolution_id(), "r9");
      } else {
        EXPECT_FALSE(built.state.open_task);
        EXPECT_EQ(change->closed, name == "closed");
      }
      if (before && name != "assigned") {
        EXPECT_TRUE(built.state.past_tasks.contains(before->task_id()));
      }
      // The same event again (a duplicate or a replay) changes nothing.
      const CaseState once = built.state;
      EXPECT_FALSE(ApplyChange(name + "-id", *change, &built.state, &built.seen));
      EXPECT_EQ(built.state.open_task.has_value(), once.open_task.has_value());
      EXPECT_EQ(built.state.past_tasks, once.past_tasks);
    }
  }
}

// Exactly one follow-up per resolution, in every order the duplicates and replays can come.
TEST(FollowUpMachineTest, OneTaskPerResolutionWhateverDuplicatesAndReplays) {
  std::vector<std::string> arrivals = {"r1", "r1", "reopen", "r2", "r2", "r1"};
  std::sort(arrivals.begin(), arrivals.end());
  int orders = 0;
  do {
    ++orders;
    CaseState state;
    std::set<std::string> seen;
    std::set<std::string> opened;
    for (const std::string& id : arrivals) {
      const CaseChange change = id == "reopen" ? Clear() : Open(Task(id, true));
      if (ApplyChange(id, change, &state, &seen) && change.task == CaseChange::Task::kOpen) {
        EXPECT_TRUE(opened.insert(id).second) << "a second task for " << id;
      }
    }
    EXPECT_EQ(opened, (std::set<std::string>{"r1", "r2"}));
  } while (std::next_permutation(arrivals.begin(), arrivals.end()));
  EXPECT_GT(orders, 50);
}

// With the business calendar an unanswered SMS becomes a callback after the SMS window, inside
// contact hours; without one, retry_after later.
TEST(FollowUpMachineTest, RetriesFollowTheContactSchedule) {
  auto calendar = calendar::BusinessCalendar::Create({});
  ASSERT_TRUE(calendar.ok());
  MachineOptions options;
  options.calendar = &*calendar;
  FollowUpTask sms = Task("r1", true);
  // Tuesday 25 Nov 2025, 19:00 in Shanghai: four hours is 23:00, so the call is at 08:00.
  *sms.mutable_due_at() = common::ToProtoTime(
      absl::FromCivil(absl::CivilSecond(2025, 11, 25, 19, 0, 0), calendar->zone()));
  const FollowUpTask call = NextAttempt(sms, options);
  EXPECT_EQ(call.channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  EXPECT_EQ(common::FromProtoTime(call.due_at()),
            absl::FromCivil(absl::CivilSecond(2025, 11, 26, 8, 0, 0), calendar->zone()));
  EXPECT_EQ(common::FromProtoTime(NextAttempt(sms, MachineOptions{}).due_at()),
            common::FromProtoTime(sms.due_at()) + absl::Hours(24));
}

TEST(FollowUpMachineTest, InvalidRequestsNameTheField) {
  const MachineOptions options;
  Built built = Build(Kind::kOpenFirst, true, options);
  const std::string task = Task("r1", true).task_id();
  auto field_of = [&](RecordOutcomeRequest r) {
    auto d = DecideOutcome(built.state, r, options);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(d.status().message());
  };
  RecordOutcomeRequest r = Request(task, followup::v1::OUTCOME_SATISFIED);
  r.set_score(6);
  EXPECT_NE(field_of(r).find("score"), std::string::npos);
  r.set_score(-1);
  EXPECT_NE(field_of(r).find("score"), std::string::npos);
  r = Request(task, followup::v1::OUTCOME_UNSPECIFIED);
  EXPECT_NE(field_of(r).find("outcome"), std::string::npos);
  r = Request("", followup::v1::OUTCOME_SATISFIED);
  EXPECT_NE(field_of(r).find("task_id"), std::string::npos);
  r = Request(task, followup::v1::OUTCOME_SATISFIED);
  r.set_comment(std::string(2001, 'x'));
  EXPECT_NE(field_of(r).find("comment"), std::string::npos);
  for (int score = 0; score <= 5; ++score) {
    r = Request(task, followup::v1::OUTCOME_SATISFIED);
    r.set_score(score);
    EXPECT_TRUE(DecideOutcome(built.state, r, options).ok()) << "score " << score;
  }
}

// 跟维护: which task a close opens, by disposition and the close's follow-up outcome.
TEST(AfterCloseTaskTest, DissatisfiedOrUnreachableClosesAreInterventionsOthersMaintenance) {
  using events::v1::CloseDisposition;
  using events::v1::FollowUpOutcome;
  struct Row {
    CloseDisposition disposition;
    FollowUpOutcome outcome;
    bool intervention;
  };
  const Row rows[] = {
      {events::v1::CLOSE_DISPOSITION_ARCHIVED, events::v1::FOLLOW_UP_OUTCOME_SATISFIED, false},
      {events::v1::CLOSE_DISPOSITION_ARCHIVED, events::v1::FOLLOW_UP_OUTCOME_UNSPECIFIED, false},
      {events::v1::CLOSE_DISPOSITION_UNSPECIFIED, events::v1::FOLLOW_UP_OUTCOME_UNSPECIFIED, false},
      {events::v1::CLOSE_DISPOSITION_UNREACHABLE, events::v1::FOLLOW_UP_OUTCOME_UNREACHABLE, true},
      {events::v1::CLOSE_DISPOSITION_PARTLY_SATISFIED,
       events::v1::FOLLOW_UP_OUTCOME_PARTLY_SATISFIED, true},
      // reopened, then closed with the customer still unsatisfied
      {events::v1::CLOSE_DISPOSITION_UNSPECIFIED, events::v1::FOLLOW_UP_OUTCOME_UNSATISFIED, true},
  };
  MachineOptions options;
  options.maintenance_channel = events::v1::FOLLOW_UP_CHANNEL_ACCOUNT_MANAGER;
  options.maintenance_delay = absl::Hours(48);
  for (const Row& row : rows) {
    SCOPED_TRACE(events::v1::CloseDisposition_Name(row.disposition) + " " +
                 events::v1::FollowUpOutcome_Name(row.outcome));
    CaseEvent closed;
    closed.set_complaint_id(kComplaint);
    closed.set_unit("BJ-0101");
    closed.mutable_closed()->set_disposition(row.disposition);
    closed.mutable_closed()->mutable_follow_up()->set_outcome(row.outcome);
    closed.mutable_closed()->mutable_follow_up()->set_comment(kSecret);
    const FollowUpTask task = AfterCloseTask(closed, "close-1", kDue, options);
    EXPECT_EQ(task.complaint_id(), kComplaint);
    EXPECT_EQ(task.unit(), "BJ-0101");
    EXPECT_EQ(task.close_id(), "close-1");
    EXPECT_EQ(task.attempt(), 0);
    EXPECT_TRUE(task.resolution_id().empty());
    EXPECT_EQ(task.DebugString(), AfterCloseTask(closed, "close-1", kDue, options).DebugString());
    if (row.intervention) {
      EXPECT_EQ(task.kind(), events::v1::FOLLOW_UP_TASK_KIND_INTERVENTION);
      EXPECT_EQ(task.channel(), events::v1::FOLLOW_UP_CHANNEL_SPECIALIST);
      EXPECT_EQ(common::FromProtoTime(task.due_at()), kDue);
      EXPECT_EQ(task.task_id(),
                common::DeterministicId({kComplaint, "followup-intervention", "close-1"}));
    } else {
      EXPECT_EQ(task.kind(), events::v1::FOLLOW_UP_TASK_KIND_MAINTENANCE);
      EXPECT_EQ(task.channel(), events::v1::FOLLOW_UP_CHANNEL_ACCOUNT_MANAGER);
      EXPECT_EQ(common::FromProtoTime(task.due_at()), kDue + absl::Hours(48));
      EXPECT_EQ(task.task_id(),
                common::DeterministicId({kComplaint, "followup-maintenance", "close-1"}));
    }
  }
}

}  // namespace
}  // namespace complaints::followup
