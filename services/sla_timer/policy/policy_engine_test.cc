#include "services/sla_timer/policy/policy_engine.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "services/sla_timer/policy/policy_test_util.h"

namespace complaints::sla_policy {
namespace {

using namespace testing;  // NOLINT: the fixtures of policy_test_util.h
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using events::v1::ALERT_KIND_BREACH;
using events::v1::ALERT_KIND_ESCALATION;
using events::v1::ALERT_KIND_WARNING;
using events::v1::CaseEvent;
using events::v1::CLOCK_ACCEPT;
using events::v1::CLOCK_FIRST_CONTACT;
using events::v1::CLOCK_PROGRESS_UPDATE;
using events::v1::CLOCK_REGULATORY;
using events::v1::CLOCK_RESOLUTION;
using events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL;
using events::v1::PAUSE_REASON_WAITING_ON_CUSTOMER;
using sla::v1::ClockState;
using sla::v1::SlaCaseState;
using Kind = ClockUpdate::Kind;

// The numbers of the Chinese default, written out here so that tuning the shipped file does not
// move these tests (policy_files_test.cc checks the shipped files).
constexpr char kPolicy[] = R"pb(
  name: "test"
  default_alerts {
    warn_at: 0.5
    warn_at: 0.8
    escalation { after { working_hours: 2 } role: "unit head" }
    escalation { after { working_hours: 4 } role: "branch head" }
    escalation { after { working_days: 1 } role: "head office" }
  }
  rule {
    name: "base"
    accept { span { working_hours: 2 } }
    first_contact { span { working_days: 1 } rearm_on_reopen: true }
    fix { span { working_days: 5 } }
    progress_update { span { working_days: 1 } paused_by: PAUSE_REASON_WAITING_ON_CUSTOMER }
    resolution {
      span { working_days: 5 }
      paused_by: PAUSE_REASON_WAITING_ON_CUSTOMER
      paused_by: PAUSE_REASON_EXTERNAL_APPRAISAL
      agreed_extension { max_delay { working_days: 5 } requires_customer_notice: true }
      restart_on_new_facts: true
      rearm_on_reopen: true
    }
    regulatory {
      span { calendar_days: 15 }
      statutory: true
      extension { to { calendar_days: 30 } requires_customer_notice: true }
      extension { to { calendar_days: 60 } requires_approval: true requires_customer_notice: true }
      paused_by: PAUSE_REASON_EXTERNAL_APPRAISAL
      restart_on_new_facts: true
    }
  }
  rule {
    name: "very urgent"
    when { urgency: URGENCY_VERY_URGENT }
    accept { span { working_hours: 1 } }
  }
)pb";

class PolicyEngineTest : public ::testing::Test {
 protected:
  PolicyEngineTest() : policies_(Parse(kPolicy)), engine_(&policies_, &FakeCalendar()) {}

  static PolicySet Parse(const std::string& text) {
    auto set = ParsePolicyText(text);
    EXPECT_TRUE(set.ok()) << set.status();
    return *std::move(set);
  }

  // Applies `event` as the next offset and keeps the state.
  Outcome Step(const CaseEvent& event) { return StepAt(event, ++offset_); }
  Outcome StepAt(const CaseEvent& event, int64_t version) {
    auto outcome = engine_.Apply(state_, event, version);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    state_ = outcome->state;
    return *std::move(outcome);
  }

  // Received Monday 3rd 09:30, assigned at 10:00 (offset 1).
  Outcome AssignOrdinary() {
    CaseEvent assigned = Assigned(T(3, 10));
    *assigned.mutable_assigned()->mutable_received_at() = common::ToProtoTime(T(3, 9, 30));
    return Step(assigned);
  }

  const ClockState& Clock(events::v1::Clock kind) const {
    const ClockState* clock = FindClock(state_, kind);
    EXPECT_NE(clock, nullptr) << events::v1::Clock_Name(kind);
    static const ClockState kNone;
    return clock == nullptr ? kNone : *clock;
  }
  absl::Time Due(events::v1::Clock kind) const {
    return common::FromProtoTime(Clock(kind).due_at());
  }
  static const ClockUpdate* UpdateOf(const Outcome& outcome, events::v1::Clock kind) {
    for (const auto& update : outcome.updates) {
      if (update.clock.clock() == kind) return &update;
    }
    return nullptr;
  }

  PolicySet policies_;
  PolicyEngine engine_;
  SlaCaseState state_;
  int64_t offset_ = 0;
};

// --- arming ---------------------------------------------------------------------------------

TEST_F(PolicyEngineTest, FirstAssignmentArmsTheClocks) {
  const Outcome outcome = AssignOrdinary();
  EXPECT_FALSE(outcome.duplicate);
  EXPECT_TRUE(outcome.refused.ok());
  ASSERT_EQ(outcome.updates.size(), 4u);
  for (const auto& update : outcome.updates) {
    EXPECT_EQ(update.kind, Kind::kArmed);
    EXPECT_EQ(update.clock.version(), 1);
    EXPECT_EQ(update.clock.unit(), "BJ-0101");
    EXPECT_EQ(update.clock.status(), sla::v1::CLOCK_STATUS_RUNNING);
    ASSERT_TRUE(update.first.has_value());
    EXPECT_EQ(update.first->kind, ALERT_KIND_WARNING);
    EXPECT_EQ(update.first->step, 1);
  }
  EXPECT_EQ(Due(CLOCK_ACCEPT), T(3, 12));           // 2 working hours
  EXPECT_EQ(Due(CLOCK_FIRST_CONTACT), T(4, 17));    // the close of the next working day
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(11, 17));      // 5 working days, Monday 10th a holiday
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(19, 0));       // end of day 15 after receipt (the 18th)
  EXPECT_EQ(FindClock(state_, CLOCK_PROGRESS_UPDATE), nullptr);  // from the first contact
  EXPECT_EQ(state_.phase(), sla::v1::CASE_PHASE_OPEN);
  EXPECT_EQ(state_.applied_version(), 1);
  EXPECT_EQ(Clock(CLOCK_ACCEPT).rule(), "base");
  EXPECT_EQ(outcome.running.size(), 4u);
}

TEST_F(PolicyEngineTest, RegulatoryCountsFromTheAssignmentWhenReceiptIsUnknown) {
  Step(Assigned(T(5, 10)));
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(21, 0));
}

TEST_F(PolicyEngineTest, VeryUrgentTightensAccept) {
  Step(Assigned(T(3, 10), 1, "BJ-0101", events::v1::LEVEL_ORDINARY,
                events::v1::URGENCY_VERY_URGENT));
  EXPECT_EQ(Due(CLOCK_ACCEPT), T(3, 11));
  EXPECT_EQ(Clock(CLOCK_ACCEPT).rule(), "very urgent");
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(11, 17));
}

TEST_F(PolicyEngineTest, AssignmentOverAWeekendAndHoliday) {
  Step(Assigned(T(7, 16)));  // Friday 16:00
  EXPECT_EQ(Due(CLOCK_ACCEPT), T(11, 10));       // 1 h Friday, then Tuesday (Monday a holiday)
  EXPECT_EQ(Due(CLOCK_FIRST_CONTACT), T(11, 17));
}

// --- stopping -------------------------------------------------------------------------------

TEST_F(PolicyEngineTest, AcceptStopsTheAcceptClock) {
  AssignOrdinary();
  const Outcome outcome = Step(Accepted(T(3, 11)));
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kStopped);
  EXPECT_EQ(outcome.updates[0].clock.clock(), CLOCK_ACCEPT);
  EXPECT_EQ(Clock(CLOCK_ACCEPT).status(), sla::v1::CLOCK_STATUS_STOPPED);
  EXPECT_EQ(Clock(CLOCK_ACCEPT).version(), 1);  // the deadline met keeps its version
  EXPECT_EQ(common::FromProtoTime(Clock(CLOCK_ACCEPT).stopped_at()), T(3, 11));
  EXPECT_EQ(outcome.running.size(), 3u);
  // Met: its schedule (the deadline it had) has nothing before the stop, so nothing fires.
  for (const auto& firing : engine_.Schedule(Clock(CLOCK_ACCEPT))) EXPECT_GE(firing.at, T(3, 11));
}

TEST_F(PolicyEngineTest, ContactStopsFirstContactAndArmsProgressUpdates) {
  AssignOrdinary();
  Outcome outcome = Step(Contact(T(4, 15)));  // offset 2, Tuesday 15:00
  EXPECT_EQ(UpdateOf(outcome, CLOCK_ACCEPT)->kind, Kind::kStopped);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_FIRST_CONTACT)->kind, Kind::kStopped);
  const ClockUpdate* progress = UpdateOf(outcome, CLOCK_PROGRESS_UPDATE);
  ASSERT_NE(progress, nullptr);
  EXPECT_EQ(progress->kind, Kind::kArmed);
  EXPECT_EQ(Due(CLOCK_PROGRESS_UPDATE), T(5, 17));  // never more than one business day

  // 跟回复: each contact re-arms it, with a new version.
  outcome = Step(Contact(T(5, 16)));  // offset 3
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kArmed);
  EXPECT_EQ(Clock(CLOCK_PROGRESS_UPDATE).version(), 3);
  EXPECT_EQ(Due(CLOCK_PROGRESS_UPDATE), T(6, 17));
  outcome = Step(Contact(T(6, 10)));  // Thursday: next working day is Friday
  EXPECT_EQ(Due(CLOCK_PROGRESS_UPDATE), T(7, 17));
  outcome = Step(Contact(T(7, 10)));  // Friday: next is Tuesday (weekend, holiday)
  EXPECT_EQ(Due(CLOCK_PROGRESS_UPDATE), T(11, 17));
}

TEST_F(PolicyEngineTest, ResolvedAndClosedStopEverything) {
  AssignOrdinary();
  Step(Contact(T(4, 15)));
  Outcome outcome = Step(Resolved(T(6, 12)));
  EXPECT_TRUE(AllStopped(state_));
  EXPECT_EQ(state_.phase(), sla::v1::CASE_PHASE_RESOLVED);
  EXPECT_TRUE(outcome.running.empty());
  for (const auto& update : outcome.updates) EXPECT_EQ(update.kind, Kind::kStopped);
  EXPECT_EQ(outcome.updates.size(), 3u);  // progress, resolution, regulatory were running

  // A contact after the resolution (the follow-up call) arms nothing.
  outcome = Step(Contact(T(7, 10)));
  EXPECT_TRUE(outcome.updates.empty());
  EXPECT_TRUE(AllStopped(state_));

  outcome = Step(Closed(T(7, 11)));
  EXPECT_TRUE(outcome.updates.empty());
  EXPECT_EQ(state_.phase(), sla::v1::CASE_PHASE_CLOSED);
}

// 跟归档: a satisfied customer whose problem is not fixed: the FIX clock runs until the unit
// reports the fix (FixReported), or the close.
TEST_F(PolicyEngineTest, AwaitingFixArmsTheFixClockUntilTheFixIsReported) {
  AssignOrdinary();
  Step(Resolved(T(6, 12)));
  CaseEvent waiting = Closed(T(6, 15));
  waiting.mutable_awaiting_fix()->set_reason("satisfied, not fixed");
  Outcome outcome = Step(waiting);
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].clock.clock(), events::v1::CLOCK_FIX);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kArmed);
  EXPECT_EQ(Clock(events::v1::CLOCK_FIX).status(), sla::v1::CLOCK_STATUS_RUNNING);
  EXPECT_EQ(Due(events::v1::CLOCK_FIX), T(14, 17));  // 5 working days on, at the close

  CaseEvent fixed = Closed(T(7, 10));
  fixed.mutable_fix_reported()->set_note("fee rule corrected");
  outcome = Step(fixed);
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kStopped);
  EXPECT_TRUE(AllStopped(state_));
  Step(Closed(T(7, 10)));
  EXPECT_EQ(state_.phase(), sla::v1::CASE_PHASE_CLOSED);
}

// --- 跟回复: promised contacts (CLOCK_PROMISE) ------------------------------------------

CaseEvent Promise(absl::Time at, absl::Time promised) {
  CaseEvent e = Contact(at);
  *e.mutable_contact_logged()->mutable_next_contact_promised_at() = common::ToProtoTime(promised);
  return e;
}

// The promise is due at the promised time itself (not a span of working time), with its reminder
// 2 hours before it (the default) and the file's escalation ladder after it.
TEST_F(PolicyEngineTest, APromiseIsDueAtThePromisedTimeWithAReminderBefore) {
  AssignOrdinary();
  Step(Accepted(T(3, 11)));
  const Outcome outcome = Step(Promise(T(3, 14), T(5, 10, 30)));
  const ClockUpdate* update = UpdateOf(outcome, events::v1::CLOCK_PROMISE);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->kind, Kind::kArmed);
  ASSERT_TRUE(update->first.has_value());
  EXPECT_EQ(update->first->kind, ALERT_KIND_WARNING);
  EXPECT_EQ(update->first->at, T(5, 8, 30));  // 2 calendar hours before, outside working hours too
  const ClockState& promise = Clock(events::v1::CLOCK_PROMISE);
  EXPECT_EQ(promise.status(), sla::v1::CLOCK_STATUS_RUNNING);
  EXPECT_EQ(promise.version(), 3);
  EXPECT_EQ(promise.unit(), "BJ-0101");
  EXPECT_EQ(Due(events::v1::CLOCK_PROMISE), T(5, 10, 30));
  EXPECT_THAT(engine_.Schedule(promise),
              ElementsAre(Firing{ALERT_KIND_WARNING, 1, T(5, 8, 30)},
                          Firing{ALERT_KIND_BREACH, 0, T(5, 10, 30)},
                          Firing{ALERT_KIND_ESCALATION, 1, T(5, 12, 30)},
                          Firing{ALERT_KIND_ESCALATION, 2, T(5, 16, 30)},
                          Firing{ALERT_KIND_ESCALATION, 3, T(6, 17)}));
  // A contact without a promise arms none.
  Step(Contact(T(3, 15)));
  EXPECT_EQ(Clock(events::v1::CLOCK_PROMISE).status(), sla::v1::CLOCK_STATUS_STOPPED);
}

TEST_F(PolicyEngineTest, APromiseIsKeptByTheNextContact) {
  AssignOrdinary();
  Step(Promise(T(3, 14), T(5, 10)));
  const Outcome outcome = Step(Contact(T(4, 16)));
  const ClockUpdate* update = UpdateOf(outcome, events::v1::CLOCK_PROMISE);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->kind, Kind::kStopped);
  const ClockState& promise = Clock(events::v1::CLOCK_PROMISE);
  EXPECT_EQ(promise.status(), sla::v1::CLOCK_STATUS_STOPPED);
  // Met: stopped before it was due.
  EXPECT_LT(common::FromProtoTime(promise.stopped_at()), Due(events::v1::CLOCK_PROMISE));
  for (const auto& firing : engine_.Schedule(promise)) {
    EXPECT_GE(firing.at, common::FromProtoTime(promise.stopped_at()));
  }
}

TEST_F(PolicyEngineTest, ANewPromiseKeepsTheOldOneAndArmsAgain) {
  AssignOrdinary();
  Step(Promise(T(3, 14), T(5, 10)));
  const Outcome outcome = Step(Promise(T(4, 16), T(7, 15)));
  const ClockUpdate* update = UpdateOf(outcome, events::v1::CLOCK_PROMISE);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->kind, Kind::kArmed);  // a new version: the old pending alert is replaced
  EXPECT_EQ(update->clock.version(), 3);
  EXPECT_EQ(Due(events::v1::CLOCK_PROMISE), T(7, 15));
  ASSERT_TRUE(update->first.has_value());
  EXPECT_EQ(update->first->at, T(7, 13));
  // The contact that made it, re-emitted under a new offset, changes nothing.
  const Outcome again = Step(Promise(T(4, 16), T(7, 15)));
  EXPECT_EQ(UpdateOf(again, events::v1::CLOCK_PROMISE), nullptr);
  EXPECT_EQ(Clock(events::v1::CLOCK_PROMISE).version(), 3);
}

// A promise made less than the reminder's lead before its time: no reminder, the breach first.
TEST_F(PolicyEngineTest, APromiseTooCloseForItsReminderHasNone) {
  AssignOrdinary();
  const Outcome outcome = Step(Promise(T(3, 14), T(3, 15)));
  const ClockUpdate* update = UpdateOf(outcome, events::v1::CLOCK_PROMISE);
  ASSERT_NE(update, nullptr);
  ASSERT_TRUE(update->first.has_value());
  EXPECT_EQ(update->first->kind, ALERT_KIND_BREACH);
  EXPECT_EQ(update->first->at, T(3, 15));
  // A promised time that is not after the contact arms nothing.
  Step(Promise(T(3, 16), T(3, 16)));
  EXPECT_EQ(Clock(events::v1::CLOCK_PROMISE).status(), sla::v1::CLOCK_STATUS_STOPPED);
}

TEST_F(PolicyEngineTest, ResolveAndCloseStopThePromise) {
  AssignOrdinary();
  Step(Promise(T(3, 14), T(5, 10)));
  Outcome outcome = Step(Resolved(T(4, 12)));
  const ClockUpdate* update = UpdateOf(outcome, events::v1::CLOCK_PROMISE);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->kind, Kind::kStopped);
  EXPECT_TRUE(AllStopped(state_));

  // Reopened: the promise stays kept; a close stops a new one.
  Step(Reopened(T(6, 10)));
  EXPECT_EQ(Clock(events::v1::CLOCK_PROMISE).status(), sla::v1::CLOCK_STATUS_STOPPED);
  Step(Promise(T(6, 11), T(7, 11)));
  EXPECT_EQ(Clock(events::v1::CLOCK_PROMISE).status(), sla::v1::CLOCK_STATUS_RUNNING);
  outcome = Step(Closed(T(6, 12)));
  ASSERT_NE(UpdateOf(outcome, events::v1::CLOCK_PROMISE), nullptr);
  EXPECT_TRUE(AllStopped(state_));
}

// A promise is kept in real time: no pause stops it, no sensitive period moves it, no
// extension stretches it.
TEST_F(PolicyEngineTest, APromiseIgnoresPausesSensitivePeriodsAndExtensions) {
  AssignOrdinary();
  Step(Promise(T(13, 16), T(14, 16)));  // promised into the 3·15 period
  EXPECT_EQ(Due(events::v1::CLOCK_PROMISE), T(14, 16));
  Step(Paused(T(13, 17), PAUSE_REASON_WAITING_ON_CUSTOMER));
  EXPECT_EQ(Clock(events::v1::CLOCK_PROMISE).status(), sla::v1::CLOCK_STATUS_RUNNING);
  const Outcome outcome =
      Step(AgreedDeadline(T(13, 17), T(15, 10), true, events::v1::CLOCK_PROMISE));
  EXPECT_FALSE(outcome.refused.ok());
  EXPECT_EQ(Due(events::v1::CLOCK_PROMISE), T(14, 16));
}

TEST(PolicyEnginePromiseTest, ThePolicySetsTheReminderAndTheLadder) {
  auto policies = ParsePolicyText(R"pb(
    name: "promise"
    default_alerts { warn_at: 0.5 escalation { after { working_hours: 2 } } }
    rule {
      name: "base"
      accept { span { working_hours: 2 } }
      promise { warn_before { calendar_minutes: 30 } alerts {} }
    }
    rule {
      name: "no promises for suggestions"
      when { category_prefix: "suggestion." }
      promise { disabled: true }
    }
  )pb");
  ASSERT_TRUE(policies.ok()) << policies.status();
  const PolicyEngine engine(&*policies, &FakeCalendar());
  auto assigned = engine.Apply({}, Assigned(T(3, 10)), 1);
  ASSERT_TRUE(assigned.ok());
  auto promised = engine.Apply(assigned->state, Promise(T(3, 11), T(4, 11)), 2);
  ASSERT_TRUE(promised.ok());
  const ClockState* promise = FindClock(promised->state, events::v1::CLOCK_PROMISE);
  ASSERT_NE(promise, nullptr);
  EXPECT_THAT(engine.Schedule(*promise), ElementsAre(Firing{ALERT_KIND_WARNING, 1, T(4, 10, 30)},
                                                     Firing{ALERT_KIND_BREACH, 0, T(4, 11)}));

  auto suggestion = engine.Apply({}, Assigned(T(3, 10), 1, "BJ-0101", events::v1::LEVEL_ORDINARY,
                                              events::v1::URGENCY_NORMAL, "suggestion.app"),
                                 1);
  ASSERT_TRUE(suggestion.ok());
  auto none = engine.Apply(suggestion->state, Promise(T(3, 11), T(4, 11)), 2);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(FindClock(none->state, events::v1::CLOCK_PROMISE), nullptr);
}

TEST_F(PolicyEngineTest, CloseStopsRunningClocksToo) {
  AssignOrdinary();
  const Outcome outcome = Step(Closed(T(3, 11)));
  EXPECT_EQ(outcome.updates.size(), 4u);
  EXPECT_TRUE(AllStopped(state_));
}

// --- duplicates -----------------------------------------------------------------------------

TEST_F(PolicyEngineTest, RedeliveredEventChangesNothing) {
  AssignOrdinary();
  Step(Accepted(T(3, 11)));  // offset 2
  const SlaCaseState before = state_;
  for (int64_t version : {0, 1, 2}) {
    const Outcome outcome = StepAt(Contact(T(4, 9)), version);
    EXPECT_TRUE(outcome.duplicate);
    EXPECT_TRUE(outcome.updates.empty());
    EXPECT_EQ(outcome.state.SerializeAsString(), before.SerializeAsString());
  }
}

TEST_F(PolicyEngineTest, ReEmittedEventsUnderNewOffsetsChangeNoClock) {
  CaseEvent assigned = Assigned(T(3, 10));
  StepAt(assigned, 10);
  EXPECT_TRUE(StepAt(assigned, 11).updates.empty());  // sequence 1 seen
  StepAt(Accepted(T(3, 11)), 12);
  EXPECT_TRUE(StepAt(Accepted(T(3, 11)), 13).updates.empty());
  StepAt(Contact(T(4, 15)), 14);
  EXPECT_TRUE(StepAt(Contact(T(4, 15)), 15).updates.empty());  // same instant: same arm
  EXPECT_EQ(Clock(CLOCK_PROGRESS_UPDATE).version(), 14);
  StepAt(Paused(T(4, 16), PAUSE_REASON_WAITING_ON_CUSTOMER), 16);
  EXPECT_TRUE(StepAt(Paused(T(4, 16), PAUSE_REASON_WAITING_ON_CUSTOMER), 17).updates.empty());
  StepAt(Resumed(T(5, 10), PAUSE_REASON_WAITING_ON_CUSTOMER), 18);
  EXPECT_TRUE(StepAt(Resumed(T(5, 10), PAUSE_REASON_WAITING_ON_CUSTOMER), 19).updates.empty());
  StepAt(Extension(T(5, 11), 1, "", true), 20);
  EXPECT_TRUE(StepAt(Extension(T(5, 11), 1, "", true), 21).updates.empty());
  StepAt(NewFacts(T(6, 10)), 22);
  EXPECT_TRUE(StepAt(NewFacts(T(6, 10)), 23).updates.empty());
  StepAt(Resolved(T(6, 12)), 24);
  StepAt(Reopened(T(7, 10)), 25);
  EXPECT_TRUE(StepAt(Reopened(T(7, 10)), 26).updates.empty());
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).version(), 25);
}

TEST_F(PolicyEngineTest, InvalidEvents) {
  CaseEvent event = Accepted(T(3, 10));
  event.clear_complaint_id();
  EXPECT_EQ(engine_.Apply(state_, event, 1).status().code(), absl::StatusCode::kInvalidArgument);
  event = Accepted(T(3, 10));
  event.clear_occurred_at();
  EXPECT_EQ(engine_.Apply(state_, event, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_.Apply(state_, Accepted(T(3, 10)), -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PolicyEngineTest, EventsWithoutClockEffect) {
  AssignOrdinary();
  CaseEvent requested = Event(T(3, 12));
  requested.mutable_extension_requested()->set_days(15);
  Outcome outcome = Step(requested);
  EXPECT_TRUE(outcome.updates.empty());
  EXPECT_THAT(outcome.notes, ElementsAre(HasSubstr("approved")));
  outcome = Step(Event(T(3, 12)));  // a kind newer than this build
  EXPECT_TRUE(outcome.updates.empty());
  EXPECT_EQ(state_.applied_version(), 3);
}

// --- pause / resume -------------------------------------------------------------------------

TEST_F(PolicyEngineTest, PauseAcrossAWeekendExcludesOnlyWorkingTime) {
  AssignOrdinary();
  Step(Contact(T(4, 15)));
  // Friday 15:00: waiting on the customer's documents.
  Outcome outcome = Step(Paused(T(7, 15), PAUSE_REASON_WAITING_ON_CUSTOMER));
  EXPECT_EQ(UpdateOf(outcome, CLOCK_RESOLUTION)->kind, Kind::kPaused);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_PROGRESS_UPDATE)->kind, Kind::kPaused);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_REGULATORY), nullptr);  // not paused by waiting on customer
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).status(), sla::v1::CLOCK_STATUS_PAUSED);
  EXPECT_TRUE(engine_.Schedule(Clock(CLOCK_RESOLUTION)).empty());
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).version(), 1);

  // Tuesday 11:00: 2 h Friday + 0 (weekend, Monday's holiday) + 2 h Tuesday = 4 working hours.
  outcome = Step(Resumed(T(11, 11), PAUSE_REASON_WAITING_ON_CUSTOMER));
  const ClockUpdate* resolution = UpdateOf(outcome, CLOCK_RESOLUTION);
  ASSERT_NE(resolution, nullptr);
  EXPECT_EQ(resolution->kind, Kind::kArmed);
  EXPECT_EQ(resolution->clock.version(), 4);
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).excluded_ms(), 4 * 3600 * 1000);
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(12, 13));  // Tuesday 17:00 + 4 working hours
  EXPECT_EQ(UpdateOf(outcome, CLOCK_REGULATORY), nullptr);
}

TEST_F(PolicyEngineTest, AppraisalPauseExcludesCalendarTimeFromTheRegulatoryClock) {
  AssignOrdinary();
  Step(Paused(T(6, 12), PAUSE_REASON_EXTERNAL_APPRAISAL));
  EXPECT_EQ(Clock(CLOCK_REGULATORY).status(), sla::v1::CLOCK_STATUS_PAUSED);
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).status(), sla::v1::CLOCK_STATUS_PAUSED);
  EXPECT_EQ(Clock(CLOCK_ACCEPT).status(), sla::v1::CLOCK_STATUS_RUNNING);
  Step(Resumed(T(8, 18), PAUSE_REASON_EXTERNAL_APPRAISAL));  // 2 days 6 hours later
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(19, 0) + absl::Hours(54));
  // Resolution: Thursday 12:00-17:00 and Friday = 13 working hours.
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(13, 14));
}

TEST_F(PolicyEngineTest, OverlappingPausesEndWithTheLastReason) {
  AssignOrdinary();
  Step(Contact(T(4, 10)));
  Step(Paused(T(4, 12), PAUSE_REASON_WAITING_ON_CUSTOMER));
  Step(Paused(T(4, 14), PAUSE_REASON_EXTERNAL_APPRAISAL));
  EXPECT_THAT(state_.active_pauses(),
              ElementsAre(PAUSE_REASON_WAITING_ON_CUSTOMER, PAUSE_REASON_EXTERNAL_APPRAISAL));
  EXPECT_EQ(common::FromProtoTime(Clock(CLOCK_RESOLUTION).paused_at()), T(4, 12));

  Outcome outcome = Step(Resumed(T(5, 12), PAUSE_REASON_WAITING_ON_CUSTOMER));
  EXPECT_EQ(UpdateOf(outcome, CLOCK_PROGRESS_UPDATE)->kind, Kind::kArmed);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_RESOLUTION), nullptr);  // still waiting for the appraisal
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).status(), sla::v1::CLOCK_STATUS_PAUSED);

  outcome = Step(Resumed(T(6, 12), PAUSE_REASON_EXTERNAL_APPRAISAL));
  EXPECT_EQ(UpdateOf(outcome, CLOCK_RESOLUTION)->kind, Kind::kArmed);
  // Paused from Tuesday 12:00 to Thursday 12:00: 16 working hours.
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).excluded_ms(), 16 * 3600 * 1000);
  // Regulatory was paused by the appraisal only: Tuesday 14:00 to Thursday 12:00.
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(19, 0) + absl::Hours(46));
  EXPECT_TRUE(state_.active_pauses().empty());
}

TEST_F(PolicyEngineTest, ResumeWithoutReasonEndsEveryPause) {
  AssignOrdinary();
  Step(Paused(T(4, 12), PAUSE_REASON_WAITING_ON_CUSTOMER));
  Step(Paused(T(4, 14), PAUSE_REASON_EXTERNAL_APPRAISAL));
  Step(Resumed(T(5, 12)));
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).status(), sla::v1::CLOCK_STATUS_RUNNING);
  EXPECT_EQ(Clock(CLOCK_REGULATORY).status(), sla::v1::CLOCK_STATUS_RUNNING);
  EXPECT_TRUE(Step(Resumed(T(5, 13))).notes.size() == 1);  // nothing left to end
}

TEST_F(PolicyEngineTest, PauseWithoutReasonIsRefused) {
  AssignOrdinary();
  const Outcome outcome = Step(Paused(T(4, 12), events::v1::PAUSE_REASON_UNSPECIFIED));
  EXPECT_EQ(outcome.refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(outcome.updates.empty());
  EXPECT_EQ(state_.applied_version(), 2);
}

TEST_F(PolicyEngineTest, ClockArmedDuringAPauseStartsPaused) {
  Step(Paused(T(3, 9), PAUSE_REASON_WAITING_ON_CUSTOMER));  // before the assignment
  const Outcome outcome = AssignOrdinary();
  EXPECT_EQ(UpdateOf(outcome, CLOCK_RESOLUTION)->kind, Kind::kPaused);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_ACCEPT)->kind, Kind::kArmed);
  Step(Resumed(T(4, 10)));
  // Paused from its start (Monday 10:00) to Tuesday 10:00: 8 working hours.
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(12, 17));
}

TEST_F(PolicyEngineTest, ResumeSkipsTheAlertsReachedBeforeThePause) {
  AssignOrdinary();
  // Resolution runs Monday 10:00 - Tuesday 11th 17:00: 47 working hours; the 50% warning is at
  // 23.5 h (Thursday 09:30), 80% at 37.6 h (Friday 15:36).
  const auto before = engine_.Schedule(Clock(CLOCK_RESOLUTION));
  ASSERT_EQ(before.size(), 6u);
  EXPECT_EQ(before[0].at, T(6, 9, 30));
  EXPECT_EQ(before[1].at, T(7, 15, 36));
  // Paused Thursday 12:00 (after the first warning) to Friday 12:00: 8 working hours.
  Step(Paused(T(6, 12), PAUSE_REASON_WAITING_ON_CUSTOMER));
  const Outcome outcome = Step(Resumed(T(7, 12), PAUSE_REASON_WAITING_ON_CUSTOMER));
  const ClockUpdate* resolution = UpdateOf(outcome, CLOCK_RESOLUTION);
  ASSERT_TRUE(resolution->first.has_value());
  EXPECT_EQ(resolution->first->kind, ALERT_KIND_WARNING);
  EXPECT_EQ(resolution->first->step, 2);  // the first warning fired before the pause
  EXPECT_EQ(resolution->first->at, T(11, 15, 36));  // moved by the 8 paused working hours
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(12, 17));
}

// --- extensions -----------------------------------------------------------------------------

TEST_F(PolicyEngineTest, RegulatoryExtensionChain15To30To60) {
  AssignOrdinary();  // received Monday 3rd: day 15 is the 18th
  // Stage 1 (30 days) needs the customer told.
  Outcome outcome = Step(Extension(T(12, 10), 1, "", false));
  EXPECT_EQ(outcome.refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(outcome.refused.message()), HasSubstr("customer"));
  EXPECT_TRUE(outcome.updates.empty());
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(19, 0));

  outcome = Step(Extension(T(12, 10), 1, "", true));
  EXPECT_TRUE(outcome.refused.ok());
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kArmed);
  EXPECT_EQ(Clock(CLOCK_REGULATORY).extension_stage(), 1);
  EXPECT_EQ(Clock(CLOCK_REGULATORY).version(), 3);
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(3, 0, 0, 4));  // end of day 30: 2 April

  // Stage 2 (60 days) beyond 30 needs approval by a superior body or head-office senior manager.
  outcome = Step(Extension(T(30, 10), 2, "", true));
  EXPECT_EQ(outcome.refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(outcome.refused.message()), HasSubstr("approved_by"));
  EXPECT_EQ(Clock(CLOCK_REGULATORY).extension_stage(), 1);
  outcome = Step(Extension(T(30, 10), 2, "head-office senior manager", false));
  EXPECT_EQ(outcome.refused.code(), absl::StatusCode::kFailedPrecondition);
  outcome = Step(Extension(T(30, 10), 2, "head-office senior manager", true));
  EXPECT_TRUE(outcome.refused.ok());
  EXPECT_EQ(Clock(CLOCK_REGULATORY).extension_stage(), 2);
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(3, 0, 0, 5));  // end of day 60: 2 May

  // There is no stage 3; stage 1 again is a no-op.
  EXPECT_EQ(Step(Extension(T(31, 10), 3, "x", true)).refused.code(),
            absl::StatusCode::kInvalidArgument);
  outcome = Step(Extension(T(31, 10), 1, "", true));
  EXPECT_TRUE(outcome.refused.ok());
  EXPECT_TRUE(outcome.updates.empty());
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(3, 0, 0, 5));
}

TEST_F(PolicyEngineTest, ExtensionMayJumpToAnApprovedStage) {
  AssignOrdinary();
  Step(Extension(T(12, 10), 2, "branch president", true));
  EXPECT_EQ(Clock(CLOCK_REGULATORY).extension_stage(), 2);
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(3, 0, 0, 5));
}

TEST_F(PolicyEngineTest, ExtensionKeepsExcludedAppraisalTime) {
  AssignOrdinary();
  Step(Paused(T(4, 0), PAUSE_REASON_EXTERNAL_APPRAISAL));
  Step(Resumed(T(6, 0), PAUSE_REASON_EXTERNAL_APPRAISAL));  // 48 h excluded
  Step(Extension(T(12, 10), 1, "", true));
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(5, 0, 0, 4));  // 2 April 24:00 + 2 days
}

TEST_F(PolicyEngineTest, ExtensionRefusals) {
  AssignOrdinary();
  CaseEvent no_reason = Extension(T(4, 10), 1, "", true);
  no_reason.mutable_extension_approved()->clear_reason();
  EXPECT_EQ(Step(no_reason).refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Step(Extension(T(4, 10), 0, "", true)).refused.code(),
            absl::StatusCode::kInvalidArgument);
  // Accept has no chain.
  EXPECT_EQ(Step(Extension(T(4, 10), 1, "x", true, CLOCK_ACCEPT)).refused.code(),
            absl::StatusCode::kFailedPrecondition);
  // Stopped clocks are not extended.
  Step(Resolved(T(5, 10)));
  EXPECT_EQ(Step(Extension(T(5, 11), 1, "", true)).refused.code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(PolicyEngineTest, CheckExtensionAnswersWithoutChangingAnything) {
  AssignOrdinary();
  events::v1::ExtensionApproved request;
  request.set_stage(2);
  request.set_reason("especially complex");
  request.set_customer_notified(true);
  EXPECT_EQ(engine_.CheckExtension(state_, request, T(12, 10)).code(),
            absl::StatusCode::kFailedPrecondition);
  request.set_approved_by("head office");
  EXPECT_TRUE(engine_.CheckExtension(state_, request, T(12, 10)).ok());
  EXPECT_EQ(Clock(CLOCK_REGULATORY).extension_stage(), 0);
}

TEST_F(PolicyEngineTest, AgreedDeadlineForTheResolution) {
  AssignOrdinary();  // resolution due Tuesday 11th 17:00
  // The customer must have agreed.
  EXPECT_EQ(Step(AgreedDeadline(T(11, 10), T(13, 17), false)).refused.code(),
            absl::StatusCode::kFailedPrecondition);
  // At most 5 working days past the current deadline (Tuesday 18th 17:00).
  EXPECT_EQ(Step(AgreedDeadline(T(11, 10), T(19, 9), true)).refused.code(),
            absl::StatusCode::kFailedPrecondition);
  // Not earlier than the current deadline.
  EXPECT_EQ(Step(AgreedDeadline(T(11, 10), T(11, 12), true)).refused.code(),
            absl::StatusCode::kFailedPrecondition);
  const Outcome outcome = Step(AgreedDeadline(T(11, 10), T(13, 15), true));
  EXPECT_TRUE(outcome.refused.ok());
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kArmed);
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(13, 15));
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).extended_ms(), 14 * 3600 * 1000);
  // The same agreement again changes nothing.
  EXPECT_TRUE(Step(AgreedDeadline(T(11, 10), T(13, 15), true)).updates.empty());
  // The regulatory clock has no agreed deadlines: only its chain.
  EXPECT_EQ(Step(AgreedDeadline(T(11, 10), T(25, 0), true, CLOCK_REGULATORY)).refused.code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(PolicyEngineTest, LateExtensionIsNoted) {
  AssignOrdinary();
  const Outcome outcome = Step(Extension(T(20, 10), 1, "", true));
  EXPECT_TRUE(outcome.refused.ok());
  EXPECT_THAT(outcome.notes, ::testing::Contains(HasSubstr("after its deadline")));
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(3, 0, 0, 4));
}

// --- new facts, reopen, transfer ------------------------------------------------------------

TEST_F(PolicyEngineTest, NewFactsRestartTheRegulatoryAndResolutionClocks) {
  AssignOrdinary();
  Step(Accepted(T(3, 11)));
  Step(Paused(T(4, 0), PAUSE_REASON_EXTERNAL_APPRAISAL));
  Step(Resumed(T(5, 0), PAUSE_REASON_EXTERNAL_APPRAISAL));
  Step(Extension(T(6, 10), 1, "", true));
  const Outcome outcome = Step(NewFacts(T(12, 10)));  // offset 6
  EXPECT_EQ(UpdateOf(outcome, CLOCK_REGULATORY)->kind, Kind::kArmed);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_RESOLUTION)->kind, Kind::kArmed);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_FIRST_CONTACT), nullptr);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_ACCEPT), nullptr);  // stopped: not restarted
  const ClockState& regulatory = Clock(CLOCK_REGULATORY);
  EXPECT_EQ(regulatory.version(), 6);
  EXPECT_EQ(regulatory.extension_stage(), 0);  // back to the 15-day period
  EXPECT_EQ(regulatory.excluded_ms(), 0);
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(28, 0));  // from Wednesday 12th: day 15 is the 27th
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(19, 17));  // 5 working days from Wednesday 12th
}

TEST_F(PolicyEngineTest, ReopenReArmsResolutionAndFirstContact) {
  AssignOrdinary();
  Step(Contact(T(4, 10)));
  Step(Resolved(T(6, 10)));  // offset 3
  Outcome outcome = Step(Reopened(T(13, 10)));  // offset 4: dissatisfied at follow-up
  EXPECT_EQ(state_.phase(), sla::v1::CASE_PHASE_OPEN);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_RESOLUTION)->kind, Kind::kArmed);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_FIRST_CONTACT)->kind, Kind::kArmed);
  EXPECT_EQ(UpdateOf(outcome, CLOCK_REGULATORY), nullptr);  // the decision was given
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).version(), 4);
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(20, 17));
  EXPECT_EQ(Due(CLOCK_FIRST_CONTACT), T(14, 17));
  // Routing assigns it again to its unit: ACCEPT re-armed, the rest keep their deadlines.
  outcome = Step(Assigned(T(13, 10, 5), 2));
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].clock.clock(), CLOCK_ACCEPT);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kArmed);
  EXPECT_EQ(Due(CLOCK_ACCEPT), T(13, 12, 5));
}

TEST_F(PolicyEngineTest, TransferMovesTheClocksToTheNewUnit) {
  AssignOrdinary();
  Step(Accepted(T(3, 11)));
  Outcome outcome = Step(Transferred(T(3, 14), "BJ-0101", "SH-0202"));
  EXPECT_EQ(state_.unit(), "SH-0202");
  for (const auto& update : outcome.updates) {
    EXPECT_EQ(update.kind, Kind::kRetargeted);
    EXPECT_EQ(update.clock.version(), 1);
  }
  EXPECT_EQ(outcome.updates.size(), 3u);       // first contact, resolution, regulatory
  EXPECT_EQ(Clock(CLOCK_ACCEPT).unit(), "BJ-0101");  // met by the first unit
  EXPECT_EQ(Clock(CLOCK_RESOLUTION).unit(), "SH-0202");
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(11, 17));

  outcome = Step(Assigned(T(3, 14), 2, "SH-0202"));
  ASSERT_EQ(outcome.updates.size(), 1u);
  EXPECT_EQ(outcome.updates[0].kind, Kind::kArmed);
  EXPECT_EQ(Clock(CLOCK_ACCEPT).unit(), "SH-0202");
  EXPECT_EQ(Due(CLOCK_ACCEPT), T(3, 16));
  // An older assignment arriving late changes nothing.
  EXPECT_TRUE(Step(Assigned(T(3, 10), 1, "BJ-0101")).updates.empty());
  EXPECT_EQ(state_.unit(), "SH-0202");
}

TEST_F(PolicyEngineTest, LaterAssignmentWithoutHistoryArmsEverything) {
  const Outcome outcome = Step(Assigned(T(3, 10), 3, "SH-0202"));
  EXPECT_EQ(outcome.updates.size(), 4u);
  EXPECT_EQ(state_.assignment_sequence(), 3);
}

// --- alerts ---------------------------------------------------------------------------------

TEST_F(PolicyEngineTest, ScheduleWarnsBreachesAndEscalates) {
  AssignOrdinary();
  const ClockState& accept = Clock(CLOCK_ACCEPT);  // Monday 10:00 - 12:00
  const std::vector<Firing> schedule = engine_.Schedule(accept);
  EXPECT_THAT(schedule,
              ElementsAre(Firing{ALERT_KIND_WARNING, 1, T(3, 11)},
                          Firing{ALERT_KIND_WARNING, 2, T(3, 11, 36)},
                          Firing{ALERT_KIND_BREACH, 0, T(3, 12)},
                          Firing{ALERT_KIND_ESCALATION, 1, T(3, 14)},   // + 2 working hours
                          Firing{ALERT_KIND_ESCALATION, 2, T(4, 10)},   // + 4 working hours
                          Firing{ALERT_KIND_ESCALATION, 3, T(5, 17)}));  // + 1 working day
  // Each alert leads to the next, whatever the time; nothing after head office.
  EXPECT_EQ(engine_.NextFiring(accept, ALERT_KIND_WARNING, 1), schedule[1]);
  EXPECT_EQ(engine_.NextFiring(accept, ALERT_KIND_WARNING, 2), schedule[2]);
  EXPECT_EQ(engine_.NextFiring(accept, ALERT_KIND_BREACH, 0), schedule[3]);
  EXPECT_EQ(engine_.NextFiring(accept, ALERT_KIND_ESCALATION, 1), schedule[4]);
  EXPECT_EQ(engine_.NextFiring(accept, ALERT_KIND_ESCALATION, 2), schedule[5]);
  EXPECT_EQ(engine_.NextFiring(accept, ALERT_KIND_ESCALATION, 3), std::nullopt);
  EXPECT_EQ(engine_.FirstFiringFrom(accept, T(3, 11, 30)), schedule[1]);
  EXPECT_EQ(engine_.FirstFiringFrom(accept, T(3, 12)), schedule[2]);
  EXPECT_EQ(engine_.FirstFiringFrom(accept, T(9, 0)), std::nullopt);
}

TEST_F(PolicyEngineTest, RegulatoryWarningsAreInElapsedTime) {
  AssignOrdinary();  // received Monday 09:30, due the 19th 00:00: 374.5 h
  const auto schedule = engine_.Schedule(Clock(CLOCK_REGULATORY));
  ASSERT_GE(schedule.size(), 3u);
  EXPECT_EQ(schedule[0].at, T(3, 9, 30) + absl::Minutes(11235));  // 187.25 h
  EXPECT_EQ(schedule[1].at, T(3, 9, 30) + absl::Minutes(17976));  // 299.6 h
  EXPECT_EQ(schedule[2], (Firing{ALERT_KIND_BREACH, 0, T(19, 0)}));
}

TEST_F(PolicyEngineTest, PausedOrStoppedClocksHaveNoAlerts) {
  AssignOrdinary();
  Step(Paused(T(3, 11), PAUSE_REASON_WAITING_ON_CUSTOMER));
  EXPECT_EQ(engine_.NextFiring(Clock(CLOCK_RESOLUTION), ALERT_KIND_WARNING, 1), std::nullopt);
  EXPECT_EQ(engine_.FirstFiringFrom(Clock(CLOCK_RESOLUTION), T(3, 0)), std::nullopt);
}

TEST_F(PolicyEngineTest, OutcomeListsThePendingAlertsOfRunningClocks) {
  AssignOrdinary();
  const Outcome outcome = Step(Accepted(T(3, 11)));
  ASSERT_EQ(outcome.running.size(), 3u);
  EXPECT_EQ(outcome.running[0].clock, CLOCK_FIRST_CONTACT);
  EXPECT_EQ(outcome.running[0].due, T(4, 17));
  EXPECT_EQ(outcome.running[0].version, 1);
  for (const auto& plan : outcome.running) {
    ASSERT_FALSE(plan.pending.empty());
    for (const auto& firing : plan.pending) EXPECT_GE(firing.at, T(3, 11));
  }
}

TEST(AlertIdTest, DeterministicAndDistinct) {
  const std::string id = AlertId("CMP1", CLOCK_REGULATORY, 42, ALERT_KIND_ESCALATION, 2);
  EXPECT_EQ(id, AlertId("CMP1", CLOCK_REGULATORY, 42, ALERT_KIND_ESCALATION, 2));
  EXPECT_EQ(id, common::DeterministicId({"CMP1", "sla-alert", "5", "42", "3", "2"}));
  std::set<std::string> ids = {
      id,
      AlertId("CMP2", CLOCK_REGULATORY, 42, ALERT_KIND_ESCALATION, 2),
      AlertId("CMP1", CLOCK_RESOLUTION, 42, ALERT_KIND_ESCALATION, 2),
      AlertId("CMP1", CLOCK_REGULATORY, 43, ALERT_KIND_ESCALATION, 2),
      AlertId("CMP1", CLOCK_REGULATORY, 42, ALERT_KIND_BREACH, 2),
      AlertId("CMP1", CLOCK_REGULATORY, 42, ALERT_KIND_ESCALATION, 3),
  };
  EXPECT_EQ(ids.size(), 6u);
}

// --- sensitive periods ----------------------------------------------------------------------

TEST_F(PolicyEngineTest, SensitivePeriodTightensDeadlinesAndWarnsEarlier) {
  // Friday 14th, inside "3·15": deadlines x0.5, warnings x0.8.
  CaseEvent assigned = Assigned(T(14, 10));
  Step(assigned);
  const ClockState& accept = Clock(CLOCK_ACCEPT);
  EXPECT_EQ(accept.sensitive_period(), "3·15");
  EXPECT_DOUBLE_EQ(accept.deadline_factor(), 0.5);
  EXPECT_EQ(Due(CLOCK_ACCEPT), T(14, 11));  // 1 working hour instead of 2
  EXPECT_THAT(accept.warn_at(), ElementsAre(DoubleEq(0.4), DoubleEq(0.64)));
  const auto schedule = engine_.Schedule(accept);
  EXPECT_EQ(schedule[0].at, T(14, 10, 24));
  // Resolution: 5 working days (Fri 10:00 .. Fri 21st 17:00 = 47 h) halved: 23.5 h.
  EXPECT_EQ(Due(CLOCK_RESOLUTION), T(19, 9, 30));
  // The regulatory period is statutory: not tightened, but it warns earlier.
  EXPECT_EQ(Clock(CLOCK_REGULATORY).deadline_factor(), 0);
  EXPECT_EQ(Due(CLOCK_REGULATORY), T(30, 0));
  EXPECT_THAT(Clock(CLOCK_REGULATORY).warn_at(), ElementsAre(DoubleEq(0.4), DoubleEq(0.64)));
}

TEST_F(PolicyEngineTest, SensitivePeriodsCanBeIgnoredByThePolicy) {
  PolicySet quiet = Parse(std::string(kPolicy) + "\nignore_sensitive_periods: true\n");
  PolicyEngine engine(&quiet, &FakeCalendar());
  auto outcome = engine.Apply(SlaCaseState(), Assigned(T(14, 10)), 1);
  ASSERT_TRUE(outcome.ok());
  const ClockState* accept = FindClock(outcome->state, CLOCK_ACCEPT);
  EXPECT_EQ(common::FromProtoTime(accept->due_at()), T(14, 12));
  EXPECT_EQ(accept->sensitive_period(), "");
  EXPECT_THAT(accept->warn_at(), ElementsAre(DoubleEq(0.5), DoubleEq(0.8)));
}

// --- determinism ----------------------------------------------------------------------------

TEST_F(PolicyEngineTest, ReplayGivesTheSameStateAndAlertIds) {
  const std::vector<CaseEvent> history = {
      Assigned(T(3, 10)),  Accepted(T(3, 11)),
      Contact(T(4, 10)),   Paused(T(4, 12), PAUSE_REASON_EXTERNAL_APPRAISAL),
      Resumed(T(6, 12)),   Extension(T(12, 10), 1, "", true),
      NewFacts(T(13, 10)), Contact(T(14, 10)),
  };
  auto run = [&] {
    SlaCaseState state;
    std::vector<std::string> ids;
    int64_t offset = 100;
    for (const CaseEvent& event : history) {
      auto outcome = engine_.Apply(state, event, offset++);
      EXPECT_TRUE(outcome.ok());
      state = outcome->state;
      for (const auto& update : outcome->updates) {
        if (!update.first.has_value()) continue;
        ids.push_back(AlertId("CMP1", update.clock.clock(), update.clock.version(),
                              update.first->kind, update.first->step));
      }
    }
    // Stored as opaque bytes and read back.
    SlaCaseState copy;
    EXPECT_TRUE(copy.ParseFromString(state.SerializeAsString()));
    return std::make_pair(copy.SerializeAsString(), ids);
  };
  const auto first = run();
  const auto second = run();
  EXPECT_EQ(first.first, second.first);
  EXPECT_EQ(first.second, second.second);
  EXPECT_FALSE(first.second.empty());
}

TEST_F(PolicyEngineTest, DueOfMatchesTheStoredDeadline) {
  AssignOrdinary();
  Step(Paused(T(4, 12), PAUSE_REASON_EXTERNAL_APPRAISAL));
  Step(Resumed(T(6, 12)));
  Step(Extension(T(12, 10), 1, "", true));
  for (const ClockState& clock : state_.clocks()) {
    EXPECT_EQ(engine_.DueOf(clock), common::FromProtoTime(clock.due_at()))
        << events::v1::Clock_Name(clock.clock());
  }
}

}  // namespace
}  // namespace complaints::sla_policy
