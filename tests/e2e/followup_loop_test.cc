// End-to-end: follow-up closes the loop (四跟, issue 11) through the real binaries on the test
// Kafka and Redis. One platform for these scenarios (one process, one test): every scenario is a
// complaint of its own, so they do not see each other.
//  - resolved, problem fixed -> survey task -> SATISFIED -> closed as ARCHIVED;
//  - resolved, problem not fixed -> SATISFIED -> AWAITING_FIX -> ReportFix -> closed as ARCHIVED;
//  - UNSATISFIED -> reopened one level up -> resolved there -> SATISFIED -> ARCHIVED;
//  - UNREACHABLE by SMS -> a callback -> ... -> closed as UNREACHABLE after the last attempt ->
//    one 跟维护 intervention task for the complaint specialist.
// A second test runs its own platform on a clock set to the eve of a public holiday.
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "gtest/gtest.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/case_client.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using testsupport::About;
using testsupport::CaseClient;
using testsupport::OpenTopic;
using testsupport::Platform;

constexpr absl::Duration kTimeout = absl::Seconds(60);

class FollowUpLoop {
 public:
  explicit FollowUpLoop(const Platform& platform)
      : client_(platform),
        followup_(followup::v1::FollowUpService::NewStub(platform.Channel("followup"))),
        tasks_(OpenTopic("followup.tasks.v1")),
        cases_(OpenTopic("complaints.case.v1")) {}

  CaseClient& client() { return client_; }

  // The complaint's follow-up task of `attempt` once follow-up has published it.
  std::optional<events::v1::FollowUpTask> Task(const std::string& id, int attempt,
                                               const std::string& after_task = "") {
    events::v1::FollowUpTask task;
    const auto record = tasks_->WaitFor(
        [&](const kafka::IncomingRecord& r) {
          return r.key == id && task.ParseFromString(r.value) && task.attempt() == attempt &&
                 task.task_id() != after_task;
        },
        kTimeout);
    if (!record) return std::nullopt;
    return task;
  }

  followup::v1::RecordOutcomeResponse Answer(const std::string& id, const std::string& task_id,
                                             followup::v1::Outcome outcome, int score = 0) {
    followup::v1::RecordOutcomeRequest request;
    request.set_complaint_id(id);
    request.set_task_id(task_id);
    request.set_outcome(outcome);
    request.set_score(score);
    request.set_comment("客户表示满意");
    request.set_actor("回访 李");
    followup::v1::RecordOutcomeResponse response;
    const grpc::Status status = testsupport::Eventually([&] {
      grpc::ClientContext context;
      return followup_->RecordOutcome(&context, request, &response);
    });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The complaint's last Closed event on complaints.case.v1.
  std::optional<events::v1::CaseEvent> Closed(const std::string& id) {
    events::v1::CaseEvent event;
    const auto record = cases_->WaitFor(
        [&](const kafka::IncomingRecord& r) {
          return About(r, id) && event.ParseFromString(r.value) && event.has_closed();
        },
        kTimeout);
    if (!record) return std::nullopt;
    return event;
  }

  // The complaint's 跟维护 task of `kind` (published after a close).
  std::optional<events::v1::FollowUpTask> AfterClose(const std::string& id,
                                                     events::v1::FollowUpTaskKind kind) {
    events::v1::FollowUpTask task;
    const auto record = tasks_->WaitFor(
        [&](const kafka::IncomingRecord& r) {
          return r.key == id && task.ParseFromString(r.value) && task.kind() == kind;
        },
        kTimeout);
    if (!record) return std::nullopt;
    return task;
  }

  std::optional<routing::v1::Case> WaitState(const std::string& id, routing::v1::CaseState state) {
    return client_.WaitCase(
        id, [&](const routing::v1::Case& c) { return c.state() == state; }, kTimeout);
  }

 private:
  CaseClient client_;
  std::unique_ptr<followup::v1::FollowUpService::Stub> followup_;
  std::unique_ptr<kafka::TopicReader> tasks_;
  std::unique_ptr<kafka::TopicReader> cases_;
};

TEST(FollowUpLoopTest, ResolvedSurveyedArchivedAwaitingFixReopenedAndUnreachable) {
  Platform platform(Platform::Options{});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("followup");
  FollowUpLoop loop(platform);
  CaseClient& client = loop.client();

  {
    SCOPED_TRACE("resolve -> task -> satisfied + fixed -> archived");
    const std::string id = client.Submit("queueing.long_wait", "SH-0203");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(client.Accept(id, "SH-0203").ok());
    ASSERT_TRUE(loop.client().Resolve(id, "SH-0203", /*fixed=*/true).ok());
    const auto task = loop.Task(id, 1);
    ASSERT_TRUE(task.has_value()) << platform.LogTail("followup");
    EXPECT_TRUE(task->business_problem_fixed());
    EXPECT_EQ(loop.Answer(id, task->task_id(), followup::v1::OUTCOME_SATISFIED, 5).effect(),
              "closed");
    ASSERT_TRUE(loop.WaitState(id, routing::v1::CASE_STATE_CLOSED).has_value());
    const auto closed = loop.Closed(id);
    ASSERT_TRUE(closed.has_value());
    EXPECT_EQ(closed->closed().disposition(), events::v1::CLOSE_DISPOSITION_ARCHIVED);
    EXPECT_EQ(closed->closed().follow_up().score(), 5);
    // A retried report: the same effect, nothing new.
    EXPECT_EQ(loop.Answer(id, task->task_id(), followup::v1::OUTCOME_SATISFIED, 5).effect(),
              "closed");
  }
  {
    SCOPED_TRACE("satisfied but not fixed -> awaiting_fix -> ReportFix -> archived");
    const std::string id = client.Submit("queueing.long_wait", "SH-0203");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(client.Accept(id, "SH-0203").ok());
    ASSERT_TRUE(loop.client().Resolve(id, "SH-0203", /*fixed=*/false).ok());
    const auto task = loop.Task(id, 1);
    ASSERT_TRUE(task.has_value()) << platform.LogTail("followup");
    EXPECT_EQ(loop.Answer(id, task->task_id(), followup::v1::OUTCOME_SATISFIED, 4).effect(),
              "awaiting_fix");
    ASSERT_TRUE(loop.WaitState(id, routing::v1::CASE_STATE_AWAITING_FIX).has_value());

    routing::v1::ReportFixRequest fix;
    fix.set_complaint_id(id);
    fix.set_unit("SH-0203");
    fix.set_note("annual fee rule corrected for the card product");
    fix.set_request_id("fix-1");
    routing::v1::ReportFixResponse fixed;
    grpc::ClientContext context;
    const grpc::Status status = client.cases().ReportFix(&context, fix, &fixed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(fixed.case_().state(), routing::v1::CASE_STATE_CLOSED);
    const auto closed = loop.Closed(id);
    ASSERT_TRUE(closed.has_value());
    EXPECT_EQ(closed->closed().disposition(), events::v1::CLOSE_DISPOSITION_ARCHIVED);
  }
  {
    SCOPED_TRACE("unsatisfied -> reopened one level up -> resolved -> satisfied -> archived");
    const std::string id = client.Submit("queueing.long_wait", "SH-0203");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(client.Accept(id, "SH-0203").ok());
    ASSERT_TRUE(loop.client().Resolve(id, "SH-0203", /*fixed=*/true).ok());
    const auto first = loop.Task(id, 1);
    ASSERT_TRUE(first.has_value()) << platform.LogTail("followup");
    EXPECT_EQ(loop.Answer(id, first->task_id(), followup::v1::OUTCOME_UNSATISFIED, 1).effect(),
              "reopened");
    const auto up = client.WaitCase(
        id,
        [](const routing::v1::Case& c) {
          return c.state() == routing::v1::CASE_STATE_ASSIGNED && c.assignment_sequence() == 2;
        },
        kTimeout);
    ASSERT_TRUE(up.has_value()) << platform.LogTail("routing");
    EXPECT_EQ(up->unit(), "SH-0220");  // the 支行 above the outlet
    ASSERT_TRUE(client.Accept(id, "SH-0220").ok());
    ASSERT_TRUE(loop.client().Resolve(id, "SH-0220", /*fixed=*/true).ok());
    const auto second = loop.Task(id, 1, first->task_id());
    ASSERT_TRUE(second.has_value()) << platform.LogTail("followup");
    // A reopened complaint is followed up by a call.
    EXPECT_EQ(second->channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
    // The first survey reported again, late: what it did then; the new task is untouched.
    EXPECT_EQ(loop.Answer(id, first->task_id(), followup::v1::OUTCOME_UNSATISFIED, 1).effect(),
              "reopened");
    EXPECT_EQ(loop.Answer(id, second->task_id(), followup::v1::OUTCOME_SATISFIED, 4).effect(),
              "closed");
    ASSERT_TRUE(loop.WaitState(id, routing::v1::CASE_STATE_CLOSED).has_value());
  }
  {
    SCOPED_TRACE("unreachable -> SMS -> callback -> closed as unreachable");
    const std::string id = client.Submit("queueing.long_wait", "SH-0203");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(client.Accept(id, "SH-0203").ok());
    ASSERT_TRUE(loop.client().Resolve(id, "SH-0203", /*fixed=*/true).ok());
    auto task = loop.Task(id, 1);
    ASSERT_TRUE(task.has_value()) << platform.LogTail("followup");
    EXPECT_EQ(task->channel(), events::v1::FOLLOW_UP_CHANNEL_SMS);
    for (int attempt = 1; attempt < 3; ++attempt) {
      const auto retry = loop.Answer(id, task->task_id(), followup::v1::OUTCOME_UNREACHABLE);
      ASSERT_EQ(retry.effect(), "retry_scheduled");
      task = loop.Task(id, attempt + 1);
      ASSERT_TRUE(task.has_value()) << platform.LogTail("followup");
      EXPECT_EQ(task->task_id(), retry.next_task_id());
      EXPECT_EQ(task->channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
    }
    EXPECT_EQ(loop.Answer(id, task->task_id(), followup::v1::OUTCOME_UNREACHABLE).effect(),
              "closed");
    const auto closed = loop.Closed(id);
    ASSERT_TRUE(closed.has_value());
    EXPECT_EQ(closed->closed().disposition(), events::v1::CLOSE_DISPOSITION_UNREACHABLE);
    // 跟维护: the unreachable close opens an intervention for the complaint specialist, due at
    // the close, its id derived from the close event.
    const auto intervention = loop.AfterClose(id, events::v1::FOLLOW_UP_TASK_KIND_INTERVENTION);
    ASSERT_TRUE(intervention.has_value()) << platform.LogTail("followup");
    EXPECT_EQ(intervention->channel(), events::v1::FOLLOW_UP_CHANNEL_SPECIALIST);
    EXPECT_EQ(intervention->due_at().seconds(), closed->occurred_at().seconds());
    EXPECT_FALSE(intervention->close_id().empty());
  }
}

// 跟回访 on the business calendar, through the real services: a complaint resolved at 22:40 on
// the eve of National Day (2026-10-01..07, Asia/Shanghai) is surveyed after the holiday, inside
// contact hours, and so is the callback that follows an unanswered SMS. The services run on a
// clock that reads 2026-09-30 22:40 at the start, going twice as fast as real time.
TEST(FollowUpLoopTest, AResolutionOnTheEveOfAHolidayIsFollowedUpAfterItInsideContactHours) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  const absl::Time eve = absl::FromCivil(absl::CivilMinute(2026, 9, 30, 22, 40), shanghai);
  // AcceleratedClock reads origin + (now - origin) * factor: with factor 2 it reads `eve` now
  // when the origin is 2 * now - eve.
  const absl::Time real_now = absl::Now();
  const absl::Time origin = real_now + (real_now - eve);
  Platform platform({.env = {{"COMPLAINTS_CLOCK_FACTOR", "2"},
                             {"COMPLAINTS_CLOCK_ORIGIN_UNIX_MS",
                              std::to_string(absl::ToUnixMillis(origin))}}});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("followup");
  FollowUpLoop loop(platform);
  CaseClient& client = loop.client();

  const std::string id = client.Submit("queueing.long_wait", "SH-0203");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(client.Accept(id, "SH-0203").ok());
  ASSERT_TRUE(client.Resolve(id, "SH-0203", /*fixed=*/true).ok());
  const auto local_due = [&](const events::v1::FollowUpTask& task) {
    return absl::ToCivilSecond(absl::FromUnixSeconds(task.due_at().seconds()), shanghai);
  };
  const auto inside_contact_hours_after_the_holiday = [&](const events::v1::FollowUpTask& task) {
    const absl::CivilSecond local = local_due(task);
    EXPECT_GE(local.hour(), 8) << absl::FormatCivilTime(local);
    EXPECT_LT(local.hour(), 21) << absl::FormatCivilTime(local);
    EXPECT_GE(absl::CivilDay(local), absl::CivilDay(2026, 10, 8)) << absl::FormatCivilTime(local);
  };
  const auto first = loop.Task(id, 1);
  ASSERT_TRUE(first.has_value()) << platform.LogTail("followup");
  EXPECT_EQ(first->channel(), events::v1::FOLLOW_UP_CHANNEL_SMS);
  inside_contact_hours_after_the_holiday(*first);
  // The first attempt is due within 2 business hours: the morning of the first working day.
  EXPECT_EQ(absl::CivilDay(local_due(*first)), absl::CivilDay(2026, 10, 8));

  const auto retry = loop.Answer(id, first->task_id(), followup::v1::OUTCOME_UNREACHABLE);
  ASSERT_EQ(retry.effect(), "retry_scheduled");
  const auto callback = loop.Task(id, 2);
  ASSERT_TRUE(callback.has_value()) << platform.LogTail("followup");
  EXPECT_EQ(callback->channel(), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  inside_contact_hours_after_the_holiday(*callback);
  EXPECT_GT(callback->due_at().seconds(), first->due_at().seconds());
}

}  // namespace
}  // namespace complaints
