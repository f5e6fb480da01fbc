#include "services/followup/followup.h"

#include <set>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::followup {
namespace {

using events::v1::CaseEvent;
using events::v1::FollowUpTask;
using followup::v1::RecordOutcomeRequest;

class MemoryStore final : public FollowUpStore {
 public:
  absl::StatusOr<CaseState> Get(const std::string& id) override {
    if (before_get) std::exchange(before_get, nullptr)();
    if (!fail_.ok()) return fail_;
    return cases_[id];
  }
  absl::StatusOr<bool> Seen(const std::string& id, const std::string& event_id) override {
    if (!fail_.ok()) return fail_;
    return seen_[id].contains(event_id);
  }
  absl::StatusOr<bool> Apply(const std::string& id, const std::string& event_id,
                             const CaseChange& change) override {
    if (!fail_.ok()) return fail_;
    return ApplyChange(event_id, change, &cases_[id], &seen_[id]);
  }
  absl::StatusOr<RecordedOutcome> ClaimOutcome(const std::string& id, const std::string& task_id,
                                               const RecordedOutcome& outcome) override {
    if (!fail_.ok()) return fail_;
    return cases_[id].outcomes.emplace(task_id, outcome).first->second;
  }
  absl::Status AdvanceOpenTask(const std::string& id, const std::string& expected,
                               const std::optional<FollowUpTask>& next) override {
    if (!fail_.ok()) return fail_;
    CaseState& state = cases_[id];
    if (state.open_task && state.open_task->task_id() == expected) {
      state.past_tasks.insert(expected);
      state.open_task = next;
    }
    return absl::OkStatus();
  }

  absl::Status fail_;
  std::function<void()> before_get;  // one-shot
  std::map<std::string, CaseState> cases_;
  std::map<std::string, std::set<std::string>> seen_;
};

constexpr char kComplaint[] = "CMP42";
const absl::Time kResolvedAt = absl::FromUnixSeconds(1764115200);

kafka::IncomingRecord CaseRecord(const CaseEvent& event, const std::string& ce_id) {
  return testing::AsIncoming(events::ToRecord(events::kCaseTopic, event.complaint_id(), event,
                                              ce_id, "/complaints/routing", event.complaint_id(),
                                              kResolvedAt));
}

CaseEvent Event(const std::string& complaint_id = kComplaint) {
  CaseEvent event;
  event.set_complaint_id(complaint_id);
  event.set_unit("BJ-0101");
  event.set_actor("u123");
  *event.mutable_occurred_at() = common::ToProtoTime(kResolvedAt);
  return event;
}

kafka::IncomingRecord Resolved(const std::string& ce_id = "resolved-1", bool fixed = true) {
  CaseEvent event = Event();
  event.mutable_resolved()->set_resolution("refunded the fee");
  event.mutable_resolved()->set_business_problem_fixed(fixed);
  return CaseRecord(event, ce_id);
}

kafka::IncomingRecord Assigned(events::v1::Level level) {
  CaseEvent event = Event();
  event.mutable_assigned()->set_level(level);
  event.mutable_assigned()->set_rule_id("atm");
  return CaseRecord(event, "assigned-1");
}

RecordOutcomeRequest Outcome(const std::string& task_id, followup::v1::Outcome outcome,
                             const std::string& comment = "") {
  RecordOutcomeRequest request;
  request.set_complaint_id(kComplaint);
  request.set_task_id(task_id);
  request.set_outcome(outcome);
  request.set_comment(comment);
  request.set_actor("agent-7");
  return request;
}

class FollowUpTest : public ::testing::Test {
 protected:
  FollowUpTask OnlyTask() {
    auto tasks = publisher_.PublishedTo(events::kFollowUpTasksTopic);
    EXPECT_EQ(tasks.size(), 1u);
    return LastTask();
  }
  FollowUpTask LastTask() {
    auto tasks = publisher_.PublishedTo(events::kFollowUpTasksTopic);
    if (tasks.empty()) return {};
    auto task = events::ParseRecordAs<FollowUpTask>(testing::AsIncoming(tasks.back()));
    EXPECT_TRUE(task.ok()) << task.status();
    return task.ok() ? *task : FollowUpTask();
  }
  CaseEvent LastCaseEvent() {
    auto records = publisher_.PublishedTo(events::kCaseTopic);
    if (records.empty()) return {};
    auto event = events::ParseRecordAs<CaseEvent>(testing::AsIncoming(records.back()));
    EXPECT_TRUE(event.ok()) << event.status();
    return event.ok() ? *event : CaseEvent();
  }
  std::string ResolveAndGetTaskId() {
    EXPECT_TRUE(followup_.HandleCaseEvent(Resolved()).ok());
    return OnlyTask().task_id();
  }

  FollowUpTest() {
    // Routing's side: the case is resolved by its unit, as the resolution events say.
    routing::v1::CaseRecord resolved;
    resolved.mutable_case_()->set_complaint_id(kComplaint);
    resolved.mutable_case_()->set_unit("BJ-0101");
    resolved.mutable_case_()->set_state(routing::v1::CASE_STATE_RESOLVED);
    resolved.mutable_case_()->set_assignment_sequence(1);
    EXPECT_TRUE(*ledger_store_.CompareAndSet(kComplaint, 0, resolved, absl::ZeroDuration()));
  }

  routing::v1::CaseState CaseStateNow() {
    return ledger_store_.Load(kComplaint)->record.case_().state();
  }

  testing::FakePublisher publisher_;
  MemoryStore store_;
  common::ManualClock clock_{kResolvedAt + absl::Hours(3)};
  cases::MemoryCaseLedgerStore ledger_store_;
  cases::CaseLedger ledger_{&ledger_store_, &publisher_, &clock_,
                            {.event_source = "/complaints/followup",
                             .pending_grace = absl::ZeroDuration()}};
  FollowUp followup_{&publisher_, &ledger_, &store_, &clock_};
};

TEST_F(FollowUpTest, ResolutionPublishesAnSmsTaskDueFourHoursLater) {
  ASSERT_TRUE(followup_.HandleCaseEvent(Resolved()).ok());
  const auto records = publisher_.published();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].topic, events::kFollowUpTasksTopic);
  EXPECT_EQ(records[0].key, kComplaint);
  EXPECT_EQ(records[0].event.subject, kComplaint);
  EXPECT_EQ(records[0].event.source, "/complaints/followup");

  const FollowUpTask task = OnlyTask();
  EXPECT_EQ(task.task_id(), common::DeterministicId({kComplaint, "followup-task", "resolved-1"}));
  EXPECT_EQ(records[0].event.id, task.task_id());
  EXPECT_EQ(task.complaint_id(), kComplaint);
  EXPECT_EQ(task.channel(), events::v1::FOLLOW_UP_CHANNEL_SMS);
  EXPECT_EQ(task.attempt(), 1);
  EXPECT_EQ(task.unit(), "BJ-0101");
  EXPECT_EQ(common::FromProtoTime(task.due_at()), kResolvedAt + absl::Hours(4));
  ASSERT_TRUE(store_.cases_[kComplaint].open_task.has_value());
  EXPECT_EQ(store_.cases_[kComplaint].open_task->task_id(), task.task_id());
}

TEST_F(FollowUpTest, MajorAndEscalatedComplaintsGetACallback) {
  for (auto level : {events::v1::LEVEL_MAJOR, events::v1::LEVEL_ESCALATED}) {
    MemoryStore store;
    testing::FakePublisher publisher;
    FollowUp followup(&publisher, &ledger_, &store, &clock_);
    ASSERT_TRUE(followup.HandleCaseEvent(Assigned(level)).ok());
    ASSERT_TRUE(followup.HandleCaseEvent(Resolved()).ok());
    auto task = events::ParseRecordAs<FollowUpTask>(testing::AsIncoming(publisher.published()[0]));
    EXPECT_EQ(task->channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  }
}

// Redis restarts empty between the readiness check and the read (the fault suite saw it under
// load): the markers go with the data, so the answer is UNAVAILABLE (retry), never "no open task".
// 跟回访 on the business calendar: a very urgent complaint is called back; resolved at 08:00 on a
// Wednesday in Shanghai, before opening, the call is due two working hours after 09:00.
TEST_F(FollowUpTest, OnTheCalendarTheFirstCallIsDueWithinTwoBusinessHours) {
  auto calendar = calendar::BusinessCalendar::Create({});
  ASSERT_TRUE(calendar.ok());
  FollowUpOptions options;
  options.calendar = &*calendar;
  FollowUp followup(&publisher_, &ledger_, &store_, &clock_, options);
  CaseEvent assigned = Event();
  assigned.mutable_assigned()->set_level(events::v1::LEVEL_ORDINARY);
  assigned.mutable_assigned()->set_urgency(events::v1::URGENCY_VERY_URGENT);
  ASSERT_TRUE(followup.HandleCaseEvent(CaseRecord(assigned, "assigned-1")).ok());
  ASSERT_TRUE(followup.HandleCaseEvent(Resolved()).ok());
  const FollowUpTask task = OnlyTask();
  EXPECT_EQ(task.channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  EXPECT_EQ(common::FromProtoTime(task.due_at()),
            absl::FromCivil(absl::CivilSecond(2025, 11, 26, 11, 0, 0), calendar->zone()));
}

// 跟回访 from the customer's side: the assignment carries their contact preference (intake's
// risk tags, their consent to holiday calls). Resolved on a Friday at 20:30 in Shanghai: a
// customer with a history of phone complaints who agreed to weekend calls is called back on the
// Saturday at 08:00; one whose only complaint this is gets the case's channel (an SMS for an
// ordinary complaint) on the Monday.
TEST_F(FollowUpTest, TheCustomersPreferenceAndHolidayConsentComeWithTheAssignment) {
  auto calendar = calendar::BusinessCalendar::Create({});
  ASSERT_TRUE(calendar.ok());
  FollowUpOptions options;
  options.calendar = &*calendar;
  const absl::Time friday_evening =
      absl::FromCivil(absl::CivilSecond(2025, 11, 28, 20, 30, 0), calendar->zone());
  const auto first_task = [&](int complaints_in_window, bool holidays_ok) {
    MemoryStore store;
    testing::FakePublisher publisher;
    FollowUp followup(&publisher, &ledger_, &store, &clock_, options);
    CaseEvent assigned = Event();
    assigned.mutable_assigned()->set_level(events::v1::LEVEL_ORDINARY);
    auto* preference = assigned.mutable_assigned()->mutable_contact_preference();
    preference->set_preferred_channel(events::v1::CHANNEL_PHONE);
    preference->set_complaints_in_window(complaints_in_window);
    preference->set_holidays_ok(holidays_ok);
    EXPECT_TRUE(followup.HandleCaseEvent(CaseRecord(assigned, "assigned-1")).ok());
    CaseEvent resolved = Event();
    resolved.mutable_resolved()->set_resolution("refunded the fee");
    *resolved.mutable_occurred_at() = common::ToProtoTime(friday_evening);
    EXPECT_TRUE(followup.HandleCaseEvent(CaseRecord(resolved, "resolved-1")).ok());
    auto task = events::ParseRecordAs<FollowUpTask>(testing::AsIncoming(publisher.published()[0]));
    EXPECT_TRUE(task.ok()) << task.status();
    return task.ok() ? *task : FollowUpTask();
  };

  const FollowUpTask regular = first_task(3, true);
  EXPECT_EQ(regular.channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  EXPECT_TRUE(regular.holidays_ok());
  EXPECT_EQ(common::FromProtoTime(regular.due_at()),
            absl::FromCivil(absl::CivilSecond(2025, 11, 29, 8, 0, 0), calendar->zone()));

  const FollowUpTask first_time = first_task(1, false);
  EXPECT_EQ(first_time.channel(), events::v1::FOLLOW_UP_CHANNEL_SMS);
  EXPECT_FALSE(first_time.holidays_ok());
  EXPECT_EQ(common::FromProtoTime(first_time.due_at()),
            absl::FromCivil(absl::CivilSecond(2025, 12, 1, 11, 0, 0), calendar->zone()));
}

TEST_F(FollowUpTest, StateLostJustBeforeTheReadIsUnavailableNotNoTask) {
  const std::string task_id = ResolveAndGetTaskId();
  bool ready = true;
  FollowUp followup(&publisher_, &ledger_, &store_, &clock_,
                    {.check_ready = [&](const std::string&) {
                      return ready ? absl::OkStatus() : absl::UnavailableError("rebuilding");
                    }});
  store_.before_get = [&] {
    store_.cases_.clear();
    store_.seen_.clear();
    ready = false;
  };
  EXPECT_EQ(followup.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED))
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(FollowUpTest, DuplicateResolutionPublishesNothingNew) {
  ASSERT_TRUE(followup_.HandleCaseEvent(Resolved()).ok());
  ASSERT_TRUE(followup_.HandleCaseEvent(Resolved()).ok());
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(FollowUpTest, ReplayedResolutionDoesNotReopenAClosedTask) {
  const std::string task_id = ResolveAndGetTaskId();
  CaseEvent closed = Event();
  closed.mutable_closed()->set_reason("closed by the unit");
  ASSERT_TRUE(followup_.HandleCaseEvent(CaseRecord(closed, "closed-1")).ok());
  ASSERT_TRUE(followup_.HandleCaseEvent(Resolved()).ok());  // redelivered after a crash
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());
  // A late answer about the closed case's task is kept, and changes nothing on the case.
  const size_t published = publisher_.published().size();
  auto late = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_UNSATISFIED));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->effect(), "recorded");
  EXPECT_EQ(publisher_.published().size(), published);
  EXPECT_EQ(store_.cases_[kComplaint].outcomes[task_id].outcome,
            followup::v1::OUTCOME_UNSATISFIED);
  EXPECT_EQ(followup_.RecordOutcome(Outcome("never-a-task", followup::v1::OUTCOME_SATISFIED))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FollowUpTest, ReopenClearsTheOpenTaskAndANewResolutionStartsAgain) {
  const std::string first = ResolveAndGetTaskId();
  CaseEvent reopened = Event();
  reopened.mutable_reopened()->set_reason("customer called back");
  ASSERT_TRUE(followup_.HandleCaseEvent(CaseRecord(reopened, "reopened-1")).ok());
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());

  ASSERT_TRUE(followup_.HandleCaseEvent(Resolved("resolved-2")).ok());
  const FollowUpTask second = LastTask();
  EXPECT_NE(second.task_id(), first);
  EXPECT_EQ(second.attempt(), 1);
}

TEST_F(FollowUpTest, ARetriedOutcomeAfterTheStateWasLostAnswersTheSameEffect) {
  const std::string task_id = ResolveAndGetTaskId();
  RecordOutcomeRequest request = Outcome(task_id, followup::v1::OUTCOME_SATISFIED, "ok now");
  request.set_score(4);
  ASSERT_EQ(followup_.RecordOutcome(request)->effect(), "closed");
  const CaseEvent closed = LastCaseEvent();
  EXPECT_EQ(closed.closed().disposition(), events::v1::CLOSE_DISPOSITION_ARCHIVED);
  EXPECT_EQ(closed.closed().follow_up().score(), 4);
  EXPECT_EQ(closed.closed().follow_up().comment(), "ok now");
  EXPECT_EQ(closed.closed().follow_up().task_id(), task_id);

  // Redis lost follow-up's state; the replay of complaints.case.v1 brings it back, outcome too.
  store_.cases_.clear();
  store_.seen_.clear();
  ASSERT_TRUE(followup_.HandleCaseEvent(Resolved()).ok());
  ASSERT_TRUE(followup_.HandleCaseEvent(testing::AsIncoming(
                                            publisher_.PublishedTo(events::kCaseTopic).back()))
                  .ok());
  const size_t published = publisher_.published().size();
  auto again = followup_.RecordOutcome(request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->effect(), "closed");
  EXPECT_EQ(publisher_.published().size(), published);
}

TEST_F(FollowUpTest, SatisfiedButNotFixedWaitsForTheFix) {
  ASSERT_TRUE(followup_.HandleCaseEvent(Resolved("resolved-1", /*fixed=*/false)).ok());
  const std::string task_id = OnlyTask().task_id();
  EXPECT_FALSE(OnlyTask().business_problem_fixed());
  auto response = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->effect(), "awaiting_fix");
  EXPECT_EQ(CaseStateNow(), routing::v1::CASE_STATE_AWAITING_FIX);
  const CaseEvent waiting = LastCaseEvent();
  ASSERT_TRUE(waiting.has_awaiting_fix());
  EXPECT_EQ(waiting.awaiting_fix().follow_up().task_id(), task_id);
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());
  // Retried: the same effect, nothing appended twice.
  const size_t published = publisher_.published().size();
  EXPECT_EQ(followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED))->effect(),
            "awaiting_fix");
  EXPECT_EQ(publisher_.published().size(), published);
}

TEST_F(FollowUpTest, SatisfiedClosesTheCase) {
  const std::string task_id = ResolveAndGetTaskId();
  auto response = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->effect(), "closed");
  EXPECT_TRUE(response->next_task_id().empty());

  const auto records = publisher_.PublishedTo(events::kCaseTopic);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, kComplaint);
  EXPECT_EQ(records[0].event.source, "/complaints/followup");
  EXPECT_EQ(CaseStateNow(), routing::v1::CASE_STATE_CLOSED);
  const CaseEvent closed = LastCaseEvent();
  ASSERT_TRUE(closed.has_closed());
  EXPECT_EQ(closed.closed().reason(), "customer satisfied at follow-up");
  EXPECT_EQ(closed.actor(), "agent-7");
  EXPECT_EQ(closed.unit(), "BJ-0101");
  EXPECT_EQ(common::FromProtoTime(closed.occurred_at()), clock_.Now());
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());
}

TEST_F(FollowUpTest, WithoutAnActorFollowUpIsTheActor) {
  const std::string task_id = ResolveAndGetTaskId();
  auto request = Outcome(task_id, followup::v1::OUTCOME_SATISFIED);
  request.clear_actor();
  ASSERT_TRUE(followup_.RecordOutcome(request).ok());
  EXPECT_EQ(LastCaseEvent().actor(), "followup");
}

TEST_F(FollowUpTest, RepeatingAnOutcomeIsSafeAndAnotherOutcomeIsRefused) {
  const std::string task_id = ResolveAndGetTaskId();
  ASSERT_TRUE(followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED)).ok());
  auto again = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->effect(), "closed");
  EXPECT_EQ(publisher_.PublishedTo(events::kCaseTopic).size(), 1u);

  auto other = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_UNSATISFIED));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FollowUpTest, UnsatisfiedReopensTheCaseWithTheComment) {
  const std::string task_id = ResolveAndGetTaskId();
  auto response =
      followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_UNSATISFIED, "还没退款"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->effect(), "reopened");
  const CaseEvent reopened = LastCaseEvent();
  ASSERT_TRUE(reopened.has_reopened());
  EXPECT_EQ(reopened.reopened().reason(), "customer unsatisfied at follow-up: 还没退款");
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());
}

TEST_F(FollowUpTest, UnreachableRetriesByCallbackThenClosesAfterTheLastAttempt) {
  std::string task_id = ResolveAndGetTaskId();
  absl::Time due = common::FromProtoTime(LastTask().due_at());
  for (int attempt = 2; attempt <= 3; ++attempt) {
    auto response = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_UNREACHABLE));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->effect(), "retry_scheduled");
    const FollowUpTask next = LastTask();
    EXPECT_EQ(response->next_task_id(), next.task_id());
    EXPECT_NE(next.task_id(), task_id);
    EXPECT_EQ(next.attempt(), attempt);
    EXPECT_EQ(next.channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
    EXPECT_EQ(next.unit(), "BJ-0101");
    // A day after the attempt that failed, whenever it was reported.
    EXPECT_EQ(common::FromProtoTime(next.due_at()), due + absl::Hours(24));
    due = common::FromProtoTime(next.due_at());
    EXPECT_EQ(store_.cases_[kComplaint].open_task->task_id(), next.task_id());
    // The previous task is done: a repeat answers the same, another outcome is refused.
    EXPECT_EQ(followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_UNREACHABLE))
                  ->next_task_id(),
              next.task_id());
    EXPECT_EQ(followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED))
                  .status()
                  .code(),
              absl::StatusCode::kFailedPrecondition);
    task_id = next.task_id();
    clock_.Advance(absl::Hours(24));
  }
  EXPECT_EQ(publisher_.PublishedTo(events::kFollowUpTasksTopic).size(), 3u);

  auto last = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_UNREACHABLE));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->effect(), "closed");
  EXPECT_EQ(LastCaseEvent().closed().reason(), "customer unreachable after 3 attempts");
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());
}

TEST_F(FollowUpTest, MaxAttemptsOfOneClosesAtOnce) {
  FollowUp followup(&publisher_, &ledger_, &store_, &clock_, FollowUpOptions{.max_attempts = 1});
  ASSERT_TRUE(followup.HandleCaseEvent(Resolved()).ok());
  auto response =
      followup.RecordOutcome(Outcome(OnlyTask().task_id(), followup::v1::OUTCOME_UNREACHABLE));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->effect(), "closed");
  EXPECT_EQ(LastCaseEvent().closed().reason(), "customer unreachable after 1 attempts");
}

TEST_F(FollowUpTest, ARetryTaskIsFoundAfterTheStoreWasRebuiltFromTheCaseTopic) {
  const std::string first = ResolveAndGetTaskId();
  ASSERT_TRUE(followup_.RecordOutcome(Outcome(first, followup::v1::OUTCOME_UNREACHABLE)).ok());
  const std::string second = LastTask().task_id();

  // Redis lost: replaying complaints.case.v1 knows only the first task of the resolution.
  MemoryStore rebuilt;
  FollowUp followup(&publisher_, &ledger_, &rebuilt, &clock_);
  ASSERT_TRUE(followup.HandleCaseEvent(Resolved()).ok());
  auto response = followup.RecordOutcome(Outcome(second, followup::v1::OUTCOME_SATISFIED));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->effect(), "closed");
  EXPECT_FALSE(rebuilt.cases_[kComplaint].open_task.has_value());
}

// Redis lost follow-up's state; the resolution is replayed and the contact system reports the
// same outcome again, hours later: the tasks published again are the same bytes, same times.
TEST_F(FollowUpTest, TasksDecidedAgainAfterARebuildAreTheSameRecords) {
  const std::string first = ResolveAndGetTaskId();
  ASSERT_TRUE(followup_.RecordOutcome(Outcome(first, followup::v1::OUTCOME_UNREACHABLE)).ok());
  const auto before = publisher_.PublishedTo(events::kFollowUpTasksTopic);
  ASSERT_EQ(before.size(), 2u);

  MemoryStore rebuilt;
  FollowUp followup(&publisher_, &ledger_, &rebuilt, &clock_);
  clock_.Advance(absl::Hours(5));
  ASSERT_TRUE(followup.HandleCaseEvent(Resolved()).ok());
  ASSERT_TRUE(followup.RecordOutcome(Outcome(first, followup::v1::OUTCOME_UNREACHABLE)).ok());
  const auto after = publisher_.PublishedTo(events::kFollowUpTasksTopic);
  ASSERT_EQ(after.size(), 4u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(after[2 + i].event.id, before[i].event.id);
    EXPECT_EQ(after[2 + i].value, before[i].value);
    EXPECT_EQ(after[2 + i].event.time, before[i].event.time);
  }
}

TEST_F(FollowUpTest, OutcomeForAnotherTaskOrNoTask) {
  EXPECT_EQ(followup_.RecordOutcome(Outcome("t-1", followup::v1::OUTCOME_SATISFIED)).status().code(),
            absl::StatusCode::kNotFound);
  ResolveAndGetTaskId();
  EXPECT_EQ(followup_.RecordOutcome(Outcome("t-1", followup::v1::OUTCOME_SATISFIED)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(publisher_.PublishedTo(events::kCaseTopic).empty());
}

TEST_F(FollowUpTest, InvalidRequestsNameTheField) {
  const std::string task_id = ResolveAndGetTaskId();
  auto expect_field = [&](RecordOutcomeRequest request, const std::string& field) {
    auto status = followup_.RecordOutcome(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_TRUE(absl::StartsWith(status.message(), field + ":")) << status;
  };
  auto request = Outcome(task_id, followup::v1::OUTCOME_SATISFIED);
  request.clear_complaint_id();
  expect_field(request, "complaint_id");
  request = Outcome("", followup::v1::OUTCOME_SATISFIED);
  expect_field(request, "task_id");
  request = Outcome(task_id, followup::v1::OUTCOME_UNSPECIFIED);
  expect_field(request, "outcome");
  request = Outcome(task_id, static_cast<followup::v1::Outcome>(42));
  expect_field(request, "outcome");
  request = Outcome(task_id, followup::v1::OUTCOME_UNSATISFIED, std::string(2001, 'x'));
  expect_field(request, "comment");
  EXPECT_TRUE(publisher_.PublishedTo(events::kCaseTopic).empty());
}

TEST_F(FollowUpTest, KafkaDownFailsTheCallAndARetrySucceeds) {
  const std::string task_id = ResolveAndGetTaskId();
  publisher_.FailWith(absl::UnavailableError("broker down"));
  auto failed = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_.cases_[kComplaint].open_task.has_value());

  publisher_.FailWith(absl::OkStatus());
  auto retried = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(publisher_.PublishedTo(events::kCaseTopic).size(), 1u);
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());
}

TEST_F(FollowUpTest, KafkaDownOnAResolutionIsTransientAndRemembersNothing) {
  publisher_.FailWith(absl::UnavailableError("broker down"));
  EXPECT_EQ(followup_.HandleCaseEvent(Resolved()).code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store_.cases_[kComplaint].open_task.has_value());
  publisher_.FailWith(absl::OkStatus());
  EXPECT_TRUE(followup_.HandleCaseEvent(Resolved()).ok());
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(FollowUpTest, StoreOutageIsTransient) {
  store_.fail_ = absl::UnavailableError("redis down");
  EXPECT_EQ(followup_.HandleCaseEvent(Resolved()).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(FollowUpTest, BadRecordsAreInvalid) {
  kafka::IncomingRecord garbage = Resolved();
  garbage.value = "\xff\xfe garbage";
  EXPECT_EQ(followup_.HandleCaseEvent(garbage).code(), absl::StatusCode::kInvalidArgument);
  kafka::IncomingRecord headless = Resolved();
  headless.headers.clear();
  EXPECT_EQ(followup_.HandleCaseEvent(headless).code(), absl::StatusCode::kInvalidArgument);
  CaseEvent anonymous = Event("");
  anonymous.mutable_resolved();
  EXPECT_EQ(followup_.HandleCaseEvent(CaseRecord(anonymous, "x")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(FollowUpTest, OtherCaseEventsAreIgnored) {
  CaseEvent accepted = Event();
  accepted.mutable_accepted();
  EXPECT_TRUE(followup_.HandleCaseEvent(CaseRecord(accepted, "accepted-1")).ok());
  EXPECT_TRUE(publisher_.published().empty());
}

// The case moved on (here: another reopening already) before the outcome came: the close is
// checked against the case like every other change, and refused.
TEST_F(FollowUpTest, AnOutcomeForACaseThatIsNoLongerResolvedIsRefused) {
  const std::string task_id = ResolveAndGetTaskId();
  auto record = ledger_store_.Load(kComplaint)->record;
  record.mutable_case_()->set_state(routing::v1::CASE_STATE_REOPENED);
  ASSERT_TRUE(*ledger_store_.CompareAndSet(kComplaint, 1, record, absl::ZeroDuration()));
  auto response = followup_.RecordOutcome(Outcome(task_id, followup::v1::OUTCOME_SATISFIED));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition) << response.status();
  EXPECT_TRUE(publisher_.PublishedTo(events::kCaseTopic).empty());
  EXPECT_EQ(CaseStateNow(), routing::v1::CASE_STATE_REOPENED);
}

// The batched consumer (HandleCaseEvents) leaves the same state and publishes the same tasks
// as the one-by-one one, in one publish: levels, resolutions, reopenings, closes, duplicates,
// events follow-up ignores and bad records, two complaints interleaved.
TEST_F(FollowUpTest, TheBatchDoesWhatOneByOneDoes) {
  std::vector<kafka::IncomingRecord> records;
  for (const std::string id : {"CMP42", "CMP43"}) {
    CaseEvent assigned = Event(id);
    assigned.mutable_assigned()->set_level(id == "CMP42" ? events::v1::LEVEL_MAJOR
                                                          : events::v1::LEVEL_ORDINARY);
    records.push_back(CaseRecord(assigned, id + "-assigned"));
  }
  for (const std::string id : {"CMP42", "CMP43"}) {
    CaseEvent accepted = Event(id);
    accepted.mutable_accepted();
    records.push_back(CaseRecord(accepted, id + "-accepted"));
    CaseEvent resolved = Event(id);
    resolved.mutable_resolved()->set_resolution("refunded");
    records.push_back(CaseRecord(resolved, id + "-resolved-1"));
    records.push_back(CaseRecord(resolved, id + "-resolved-1"));  // a duplicate
  }
  CaseEvent reopened = Event("CMP42");
  reopened.mutable_reopened()->set_reason("unsatisfied");
  records.push_back(CaseRecord(reopened, "CMP42-reopened"));
  CaseEvent resolved = Event("CMP42");
  resolved.mutable_resolved()->set_resolution("refunded twice");
  records.push_back(CaseRecord(resolved, "CMP42-resolved-2"));
  CaseEvent closed = Event("CMP43");
  closed.mutable_closed()->set_reason("satisfied");
  records.push_back(CaseRecord(closed, "CMP43-closed"));
  records.push_back(CaseRecord(closed, "CMP43-closed"));  // a duplicate: one 跟维护 task
  kafka::IncomingRecord bad = records.back();
  bad.value = "\xff\xff not a case event";
  records.push_back(bad);

  testing::FakePublisher one_publisher;
  MemoryStore one_store;
  FollowUp one(&one_publisher, &ledger_, &one_store, &clock_);
  std::vector<absl::Status> one_statuses;
  for (const auto& r : records) one_statuses.push_back(one.HandleCaseEvent(r));

  const std::vector<absl::Status> statuses = followup_.HandleCaseEvents(records);
  ASSERT_EQ(statuses.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(statuses[i], one_statuses[i]) << i;
  EXPECT_EQ(statuses.back().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(publisher_.calls(), 1);
  const auto tasks = publisher_.PublishedTo(events::kFollowUpTasksTopic);
  const auto one_tasks = one_publisher.PublishedTo(events::kFollowUpTasksTopic);
  ASSERT_EQ(tasks.size(), 4u);  // 3 surveys + CMP43's maintenance task
  // The same records (the order of different complaints' tasks is free).
  auto by_id = [](const std::vector<kafka::OutgoingRecord>& records) {
    std::map<std::string, std::string> out;
    for (const auto& r : records) out.emplace(r.event.id, r.value);
    return out;
  };
  EXPECT_EQ(by_id(tasks), by_id(one_tasks));
  EXPECT_EQ(store_.seen_, one_store.seen_);
  for (const std::string id : {"CMP42", "CMP43"}) {
    const CaseState& state = store_.cases_[id];
    const CaseState& expected = one_store.cases_[id];
    EXPECT_EQ(state.level, expected.level) << id;
    ASSERT_EQ(state.open_task.has_value(), expected.open_task.has_value()) << id;
    if (state.open_task) {
      EXPECT_EQ(state.open_task->DebugString(), expected.open_task->DebugString());
    }
  }
  EXPECT_TRUE(store_.cases_["CMP42"].open_task.has_value());  // the second resolution's task
  EXPECT_EQ(store_.cases_["CMP42"].open_task->channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  EXPECT_FALSE(store_.cases_["CMP43"].open_task.has_value());  // closed
}

// Kafka down when a batch's tasks are published: the complaints with a task remember nothing
// of the batch (all their records are retried, in order); the others go on.
TEST_F(FollowUpTest, ABatchWhosePublishFailsRemembersNothingOfItsTasksComplaints) {
  CaseEvent assigned = Event("CMP43");
  assigned.mutable_assigned()->set_level(events::v1::LEVEL_MAJOR);
  CaseEvent assigned42 = Event("CMP42");
  assigned42.mutable_assigned()->set_level(events::v1::LEVEL_MAJOR);
  publisher_.FailWith(absl::UnavailableError("broker down"));
  const auto statuses = followup_.HandleCaseEvents(
      {CaseRecord(assigned42, "a-42"), Resolved(), CaseRecord(assigned, "a-43")});
  EXPECT_TRUE(absl::IsUnavailable(statuses[0]));
  EXPECT_TRUE(absl::IsUnavailable(statuses[1]));
  EXPECT_TRUE(statuses[2].ok());
  EXPECT_TRUE(store_.seen_["CMP42"].empty());
  EXPECT_EQ(store_.cases_["CMP42"].level, events::v1::LEVEL_UNSPECIFIED);
  EXPECT_EQ(store_.cases_["CMP43"].level, events::v1::LEVEL_MAJOR);

  publisher_.FailWith(absl::OkStatus());
  const auto retried = followup_.HandleCaseEvents({CaseRecord(assigned42, "a-42"), Resolved()});
  EXPECT_TRUE(retried[0].ok() && retried[1].ok());
  EXPECT_EQ(OnlyTask().channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
}

TEST(FollowUpOptionsTest, FromConfig) {
  auto defaults = FollowUpOptions::FromConfig(common::Config());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->due_after, absl::Hours(4));
  EXPECT_EQ(defaults->retry_after, absl::Hours(24));
  EXPECT_EQ(defaults->max_attempts, 3);

  auto set = FollowUpOptions::FromConfig(common::Config(
      {{"followup.due_hours", "1.5"}, {"followup.retry_hours", "8"}, {"followup.max_attempts", "5"}}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->due_after, absl::Minutes(90));
  EXPECT_EQ(set->retry_after, absl::Hours(8));
  EXPECT_EQ(set->max_attempts, 5);

  EXPECT_FALSE(FollowUpOptions::FromConfig(common::Config({{"followup.due_hours", "0"}})).ok());
  EXPECT_FALSE(FollowUpOptions::FromConfig(common::Config({{"followup.max_attempts", "0"}})).ok());
  EXPECT_FALSE(FollowUpOptions::FromConfig(common::Config({{"followup.retry_hours", "x"}})).ok());

  // 跟维护
  EXPECT_EQ(defaults->maintenance_channel, events::v1::FOLLOW_UP_CHANNEL_SMS);
  EXPECT_EQ(defaults->maintenance_delay, absl::Hours(7 * 24));
  auto manager = FollowUpOptions::FromConfig(common::Config(
      {{"followup.maintenance_channel", "account_manager"},
       {"followup.maintenance_delay_days", "0.5"}}));
  ASSERT_TRUE(manager.ok()) << manager.status();
  EXPECT_EQ(manager->maintenance_channel, events::v1::FOLLOW_UP_CHANNEL_ACCOUNT_MANAGER);
  EXPECT_EQ(manager->maintenance_delay, absl::Hours(12));
  const auto bad_channel =
      FollowUpOptions::FromConfig(common::Config({{"followup.maintenance_channel", "fax"}}));
  EXPECT_TRUE(absl::StrContains(bad_channel.status().message(), "followup.maintenance_channel"));
  EXPECT_FALSE(FollowUpOptions::FromConfig(
                   common::Config({{"followup.maintenance_delay_days", "-1"}}))
                   .ok());
}

// 跟维护: a close opens exactly one task, whatever redelivery (one by one or in a batch): a
// maintenance task a week later after a satisfied close, an intervention at once for the
// complaint specialist after an unreachable or dissatisfied one.
TEST_F(FollowUpTest, EachCloseOpensExactlyOneMaintenanceOrInterventionTask) {
  const absl::Time closed_at = kResolvedAt + absl::Hours(5);
  const auto close = [&](const std::string& id, events::v1::CloseDisposition disposition) {
    CaseEvent event = Event(id);
    *event.mutable_occurred_at() = common::ToProtoTime(closed_at);
    event.mutable_closed()->set_disposition(disposition);
    return CaseRecord(event, id + "-closed");
  };
  const auto tasks_of = [&](const std::string& id) {
    std::vector<FollowUpTask> out;
    for (const auto& r : publisher_.PublishedTo(events::kFollowUpTasksTopic)) {
      auto task = events::ParseRecordAs<FollowUpTask>(testing::AsIncoming(r));
      if (task.ok() && task->complaint_id() == id) out.push_back(*task);
    }
    return out;
  };
  for (int i = 0; i < 3; ++i) {  // redelivered
    ASSERT_TRUE(followup_.HandleCaseEvent(close("A", events::v1::CLOSE_DISPOSITION_ARCHIVED)).ok());
    ASSERT_TRUE(
        followup_.HandleCaseEvent(close("U", events::v1::CLOSE_DISPOSITION_UNREACHABLE)).ok());
    ASSERT_TRUE(followup_
                    .HandleCaseEvents({close("P", events::v1::CLOSE_DISPOSITION_PARTLY_SATISFIED),
                                       close("P", events::v1::CLOSE_DISPOSITION_PARTLY_SATISFIED)})
                    .front()
                    .ok());
  }
  const auto archived = tasks_of("A");
  ASSERT_EQ(archived.size(), 1u);
  EXPECT_EQ(archived[0].kind(), events::v1::FOLLOW_UP_TASK_KIND_MAINTENANCE);
  EXPECT_EQ(archived[0].channel(), events::v1::FOLLOW_UP_CHANNEL_SMS);
  EXPECT_EQ(archived[0].attempt(), 0);
  EXPECT_EQ(archived[0].close_id(), "A-closed");
  EXPECT_EQ(archived[0].task_id(),
            common::DeterministicId({"A", "followup-maintenance", "A-closed"}));
  EXPECT_EQ(common::FromProtoTime(archived[0].due_at()), closed_at + absl::Hours(7 * 24));
  for (const std::string id : {"U", "P"}) {
    const auto tasks = tasks_of(id);
    ASSERT_EQ(tasks.size(), 1u) << id;
    EXPECT_EQ(tasks[0].kind(), events::v1::FOLLOW_UP_TASK_KIND_INTERVENTION) << id;
    EXPECT_EQ(tasks[0].channel(), events::v1::FOLLOW_UP_CHANNEL_SPECIALIST) << id;
    EXPECT_EQ(tasks[0].task_id(),
              common::DeterministicId({id, "followup-intervention", id + "-closed"}));
    EXPECT_EQ(common::FromProtoTime(tasks[0].due_at()), closed_at) << id;
  }
}

}  // namespace
}  // namespace complaints::followup
