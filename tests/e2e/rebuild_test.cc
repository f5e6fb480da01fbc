// End-to-end: Redis loses everything in the middle of a run (FLUSHALL on a Redis of the test's
// own), and every service rebuilds its state from Kafka. The answers after the rebuild are the
// answers before it: intake's complaints (and a re-submission is still a duplicate), routing's
// cases, follow-up's outcomes, analytics' timelines and counts, the SLA timer's deadlines.
#include <fstream>
#include <random>
#include <sstream>

#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/followup/v1/followup.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "libs/kafka/topic_reader.h"
#include "libs/redis/redis_client.h"
#include "libs/testing/scratch_redis.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using google::protobuf::util::MessageDifferencer;
using testsupport::Platform;

constexpr absl::Duration kTimeout = absl::Seconds(90);

using testsupport::Eventually;
using testsupport::Until;

// How often a service's log says it started replaying a partition.
int Replays(const std::string& log_file) {
  std::ifstream in(log_file);
  std::stringstream text;
  text << in.rdbuf();
  const std::string log = text.str();
  int count = 0;
  for (size_t at = log.find("replaying it from its beginning"); at != std::string::npos;
       at = log.find("replaying it from its beginning", at + 1)) {
    ++count;
  }
  return count;
}

// What every service answers about the complaints of the run.
struct Answers {
  std::map<std::string, events::v1::ComplaintReceived> complaints;
  std::map<std::string, routing::v1::Case> cases;
  std::map<std::string, std::vector<std::string>> timelines;  // entries, sorted
  analytics::v1::GetCountsResponse counts;
  followup::v1::RecordOutcomeResponse repeated_outcome;
  sla::v1::GetDeadlinesResponse deadlines;
};

class RebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<testsupport::RedisServer>(
        testsupport::EnvOr("TEST_LOG_DIR", "/tmp") + "/rebuild-redis.log");
    ASSERT_TRUE(redis_->WaitUntilReady());
    Platform::Options options;
    options.env = {{"COMPLAINTS_REDIS_PORT", std::to_string(redis_->port())}};
    platform_ = std::make_unique<Platform>(options);
    ASSERT_TRUE(platform_->WaitUntilServing(absl::Seconds(60)));
    cases_ = routing::v1::CaseService::NewStub(platform_->Channel("routing"));
    analytics_ = analytics::v1::AnalyticsService::NewStub(platform_->Channel("analytics"));
    followup_ = followup::v1::FollowUpService::NewStub(platform_->Channel("followup"));
    sla_ = sla::v1::SlaService::NewStub(platform_->Channel("sla_timer"));
  }

  std::string Submit() {
    std::random_device random;
    intake::v1::SubmitComplaintRequest submit;
    submit.set_source("ivr-95533");
    submit.set_external_id("rebuild-" + std::to_string(random()) + std::to_string(random()));
    submit.mutable_customer()->set_phone(testsupport::UniqueMobile());
    submit.set_category("atm.card_retained");
    submit.set_description("ATM吞卡");
    submit.set_branch_code("BJ-0101");
    intake::v1::SubmitComplaintResponse submitted = SubmitRequest(submit);
    submitted_[submitted.complaint_id()] = submit;
    return submitted.complaint_id();
  }

  intake::v1::SubmitComplaintResponse SubmitRequest(const intake::v1::SubmitComplaintRequest& r) {
    auto intake = intake::v1::IntakeService::NewStub(platform_->Channel("intake"));
    intake::v1::SubmitComplaintResponse submitted;
    EXPECT_TRUE(Eventually([&] {
                  grpc::ClientContext context;
                  return intake->SubmitComplaint(&context, r, &submitted);
                }).ok());
    return submitted;
  }

  events::v1::ComplaintReceived GetComplaint(const std::string& id) {
    auto intake = intake::v1::IntakeService::NewStub(platform_->Channel("intake"));
    intake::v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    intake::v1::GetComplaintResponse response;
    EXPECT_TRUE(Eventually([&] {
                  grpc::ClientContext context;
                  return intake->GetComplaint(&context, request, &response);
                }).ok());
    return response.complaint();
  }

  void Accept(const std::string& id) {
    routing::v1::AcceptCaseRequest accept;
    accept.set_complaint_id(id);
    accept.set_unit("BJ-0101");
    accept.set_responsible("王经理");
    accept.set_request_id("accept");
    routing::v1::AcceptCaseResponse response;
    ASSERT_TRUE(Eventually([&] {
                  grpc::ClientContext c;
                  return cases_->AcceptCase(&c, accept, &response);
                }).ok())
        << platform_->LogTail("routing");
  }

  void Resolve(const std::string& id) {
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_complaint_id(id);
    resolve.set_unit("BJ-0101");
    resolve.set_resolution("card returned");
    resolve.set_fault(events::v1::FAULT_PARTY_SYSTEM);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_VENTING);
    resolve.set_business_problem_fixed(true);  // a satisfied customer archives it
    resolve.set_request_id("resolve");
    routing::v1::ResolveCaseResponse response;
    ASSERT_TRUE(Eventually([&] {
                  grpc::ClientContext c;
                  return cases_->ResolveCase(&c, resolve, &response);
                }).ok());
  }

  std::string TaskOf(const std::string& id) {
    auto tasks = kafka::TopicReader::Open(Platform::KafkaBootstrap(), "followup.tasks.v1");
    EXPECT_TRUE(tasks.ok());
    auto record = (*tasks)->WaitFor(kafka::AboutComplaint(id), kTimeout);
    EXPECT_TRUE(record.has_value()) << platform_->LogTail("followup");
    events::v1::FollowUpTask task;
    if (record) task.ParseFromString(record->value);
    return task.task_id();
  }

  followup::v1::RecordOutcomeResponse Outcome(const std::string& id, const std::string& task,
                                              followup::v1::Outcome outcome) {
    followup::v1::RecordOutcomeRequest request;
    request.set_complaint_id(id);
    request.set_task_id(task);
    request.set_outcome(outcome);
    followup::v1::RecordOutcomeResponse response;
    EXPECT_TRUE(Eventually([&] {
                  grpc::ClientContext c;
                  return followup_->RecordOutcome(&c, request, &response);
                }).ok())
        << platform_->LogTail("followup");
    return response;
  }

  routing::v1::Case GetCase(const std::string& id, routing::v1::CaseState state) {
    routing::v1::GetCaseRequest request;
    request.set_complaint_id(id);
    routing::v1::GetCaseResponse response;
    EXPECT_TRUE(Until(
                    [&] {
                      grpc::ClientContext c;
                      return cases_->GetCase(&c, request, &response);
                    },
                    [&] { return response.case_().state() == state; })
                    .ok());
    return response.case_();
  }

  std::vector<std::string> Timeline(const std::string& id, size_t at_least) {
    analytics::v1::GetTimelineRequest request;
    request.set_complaint_id(id);
    analytics::v1::GetTimelineResponse response;
    EXPECT_TRUE(Until(
                    [&] {
                      grpc::ClientContext c;
                      return analytics_->GetTimeline(&c, request, &response);
                    },
                    [&] { return static_cast<size_t>(response.entries_size()) >= at_least; })
                    .ok())
        << platform_->LogTail("analytics");
    // Entries of equal time may be appended in another order by a replay: compared as a set.
    std::vector<std::string> entries;
    for (const auto& e : response.entries()) entries.push_back(e.SerializeAsString());
    std::sort(entries.begin(), entries.end());
    return entries;
  }

  // The counts once two reads a moment apart agree (analytics has caught up with the topics).
  analytics::v1::GetCountsResponse SettledCounts() {
    analytics::v1::GetCountsResponse previous, current;
    const absl::Time deadline = absl::Now() + kTimeout;
    while (absl::Now() < deadline) {
      grpc::ClientContext c;
      if (analytics_->GetCounts(&c, {}, &current).ok() &&
          MessageDifferencer::Equals(previous, current) &&
          current.by_event_type().contains("followup.task")) {
        return current;
      }
      previous = current;
      absl::SleepFor(absl::Milliseconds(500));
    }
    ADD_FAILURE() << "analytics counts never settled";
    return current;
  }

  sla::v1::GetDeadlinesResponse Deadlines(const std::string& id) {
    sla::v1::GetDeadlinesRequest request;
    request.set_complaint_id(id);
    sla::v1::GetDeadlinesResponse response;
    EXPECT_TRUE(Eventually([&] {
                  grpc::ClientContext c;
                  return sla_->GetDeadlines(&c, request, &response);
                }).ok());
    return response;
  }

  std::map<std::string, intake::v1::SubmitComplaintRequest> submitted_;
  std::unique_ptr<testsupport::RedisServer> redis_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<routing::v1::CaseService::Stub> cases_;
  std::unique_ptr<analytics::v1::AnalyticsService::Stub> analytics_;
  std::unique_ptr<followup::v1::FollowUpService::Stub> followup_;
  std::unique_ptr<sla::v1::SlaService::Stub> sla_;
};

TEST_F(RebuildTest, AnswersAfterRedisLostEverythingEqualTheAnswersBefore) {
  // Three complaints at three points of the loop: closed after a satisfied follow-up, waiting
  // on a second follow-up attempt, accepted and being worked.
  const std::string closed = Submit(), retried = Submit(), open = Submit();
  for (const auto& id : {closed, retried, open}) Accept(id);
  Resolve(closed);
  Resolve(retried);
  const std::string closed_task = TaskOf(closed), retried_task = TaskOf(retried);
  EXPECT_EQ(Outcome(closed, closed_task, followup::v1::OUTCOME_SATISFIED).effect(), "closed");
  const auto unreachable = Outcome(retried, retried_task, followup::v1::OUTCOME_UNREACHABLE);
  EXPECT_EQ(unreachable.effect(), "retry_scheduled");

  Answers before;
  for (const auto& id : {closed, retried, open}) before.complaints[id] = GetComplaint(id);
  before.cases[closed] = GetCase(closed, routing::v1::CASE_STATE_CLOSED);
  before.cases[retried] = GetCase(retried, routing::v1::CASE_STATE_RESOLVED);
  before.cases[open] = GetCase(open, routing::v1::CASE_STATE_ACCEPTED);
  // received, assignment, assigned, accepted, resolved, task, closed (at least)
  before.timelines[closed] = Timeline(closed, 7);
  before.timelines[open] = Timeline(open, 4);
  before.counts = SettledCounts();
  before.deadlines = Deadlines(open);

  std::map<std::string, int> replays_before;
  for (const std::string service : {"intake", "routing", "followup", "analytics"}) {
    replays_before[service] = Replays(platform_->LogFile(service));
  }
  auto redis = redis::RedisClient::Connect(complaints::testing::TestRedisOptions(redis_->port()));
  ASSERT_TRUE(redis.ok());
  ASSERT_GT((*redis)->Command({"DBSIZE"})->integer, 0) << "there was state to lose";
  ASSERT_TRUE((*redis)->Command({"FLUSHALL"}).ok());

  Answers after;
  for (const auto& id : {closed, retried, open}) after.complaints[id] = GetComplaint(id);
  // A re-submission after the loss is still the same complaint: nothing new is published.
  const auto resubmitted = SubmitRequest(submitted_[open]);
  EXPECT_TRUE(resubmitted.duplicate());
  after.cases[closed] = GetCase(closed, routing::v1::CASE_STATE_CLOSED);
  after.cases[retried] = GetCase(retried, routing::v1::CASE_STATE_RESOLVED);
  after.cases[open] = GetCase(open, routing::v1::CASE_STATE_ACCEPTED);
  after.timelines[closed] = Timeline(closed, before.timelines[closed].size());
  after.timelines[open] = Timeline(open, before.timelines[open].size());
  after.counts = SettledCounts();
  after.deadlines = Deadlines(open);
  // The contact system reports the same outcome again: the same answer as the first time.
  after.repeated_outcome = Outcome(retried, retried_task, followup::v1::OUTCOME_UNREACHABLE);

  for (const auto& id : {closed, retried, open}) {
    EXPECT_TRUE(MessageDifferencer::Equals(before.complaints[id], after.complaints[id])) << id;
    EXPECT_TRUE(MessageDifferencer::Equals(before.cases[id], after.cases[id]))
        << before.cases[id].DebugString() << "\nvs\n" << after.cases[id].DebugString();
  }
  EXPECT_EQ(before.timelines, after.timelines);
  EXPECT_TRUE(MessageDifferencer::Equals(before.counts, after.counts))
      << before.counts.DebugString() << "\nvs\n" << after.counts.DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(before.deadlines, after.deadlines))
      << before.deadlines.DebugString() << "\nvs\n" << after.deadlines.DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(unreachable, after.repeated_outcome))
      << unreachable.DebugString() << "\nvs\n" << after.repeated_outcome.DebugString();

  // And it was a rebuild, not a cache that survived: each service replayed again.
  for (const std::string service : {"intake", "routing", "followup", "analytics"}) {
    EXPECT_GT(Replays(platform_->LogFile(service)), replays_before[service]) << service;
  }
}

}  // namespace
}  // namespace complaints
