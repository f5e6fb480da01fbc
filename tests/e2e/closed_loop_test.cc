// End-to-end: the five service binaries against the real Kafka and Redis that the test command
// started. Each test starts its own platform (fresh consumer groups) and follows one complaint.
#include <algorithm>
#include <barrier>
#include <fstream>
#include <sstream>
#include <random>
#include <thread>

#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/followup/v1/followup.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/utf8.h"
#include "libs/kafka/producer.h"
#include "tests/support/log_scan.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"
#include "libs/kafka/topic_reader.h"

namespace complaints {
namespace {

using kafka::AboutComplaint;
using kafka::TopicReader;
using testsupport::Platform;

std::string Header(const kafka::IncomingRecord& record, const std::string& name) {
  return kafka::FindHeader(record.headers, name).value_or("");
}

constexpr absl::Duration kEventTimeout = absl::Seconds(60);

std::unique_ptr<TopicReader> OpenReader(const std::string& bootstrap, const std::string& topic) {
  auto reader = TopicReader::Open(bootstrap, topic);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? *std::move(reader) : nullptr;
}

std::string UniqueCallId() {
  std::random_device random;
  return "call-" + std::to_string(random()) + "-" + std::to_string(random());
}

intake::v1::SubmitComplaintRequest Complaint(const std::string& call_id) {
  intake::v1::SubmitComplaintRequest r;
  r.set_source("ivr-95533");
  r.set_external_id(call_id);
  r.mutable_customer()->set_name("张三");
  r.mutable_customer()->set_phone(testsupport::UniqueMobile());
  r.set_category("atm.card_retained");
  r.set_description("ATM吞卡, 已等待两天");
  r.set_branch_code("BJ-0101");
  return r;
}

using testsupport::Eventually;

class ClosedLoopTest : public ::testing::Test {
 protected:
  void StartPlatform(Platform::Options options = {}) {
    platform_ = std::make_unique<Platform>(options);
    ASSERT_TRUE(platform_->WaitUntilServing(absl::Seconds(60)))
        << "intake:\n" << platform_->LogTail("intake") << "\nrouting:\n"
        << platform_->LogTail("routing") << "\nsla_timer:\n" << platform_->LogTail("sla_timer");
  }

  std::string Submit(const intake::v1::SubmitComplaintRequest& request) {
    auto stub = intake::v1::IntakeService::NewStub(platform_->Channel("intake"));
    grpc::ClientContext context;
    intake::v1::SubmitComplaintResponse response;
    const grpc::Status status = stub->SubmitComplaint(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message() << "\n" << platform_->LogTail("intake");
    return response.complaint_id();
  }

  std::unique_ptr<Platform> platform_;
};

TEST_F(ClosedLoopTest, SubmitAssignAcceptResolveFollowUpSatisfiedClosed) {
  StartPlatform();
  const std::string bootstrap = Platform::KafkaBootstrap();
  const auto complaint = Complaint(UniqueCallId());
  const std::string id = Submit(complaint);
  ASSERT_FALSE(id.empty());

  // Intake: durable on complaints.received.v1, readable through the API.
  auto received = OpenReader(bootstrap, "complaints.received.v1");
  auto received_record = received->WaitFor(AboutComplaint(id), kEventTimeout);
  ASSERT_TRUE(received_record.has_value());
  EXPECT_EQ(Header(*received_record, "ce_type"), "complaints.events.v1.ComplaintReceived");
  EXPECT_EQ(Header(*received_record, "ce_specversion"), "1.0");
  EXPECT_EQ(received_record->key, id);

  // Routing: an atm complaint about a branch goes to that branch, keyed by unit.
  auto assignments = OpenReader(bootstrap, "complaints.assignments.v1");
  auto assignment_record = assignments->WaitFor(AboutComplaint(id), kEventTimeout);
  ASSERT_TRUE(assignment_record.has_value()) << platform_->LogTail("routing");
  EXPECT_EQ(assignment_record->key, "BJ-0101");

  auto cases = routing::v1::CaseService::NewStub(platform_->Channel("routing"));
  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id(id);
  accept.set_unit("BJ-0101");
  accept.set_responsible("王经理");
  accept.set_actor("branch-system");
  routing::v1::AcceptCaseResponse accepted;
  ASSERT_TRUE(Eventually([&] {
                grpc::ClientContext context;
                return cases->AcceptCase(&context, accept, &accepted);
              }).ok())
      << platform_->LogTail("routing");
  EXPECT_EQ(accepted.case_().state(), routing::v1::CASE_STATE_ACCEPTED);

  routing::v1::ResolveCaseRequest resolve;
  resolve.set_complaint_id(id);
  resolve.set_unit("BJ-0101");
  resolve.set_resolution("card returned to the customer at the branch");
  resolve.set_fault(events::v1::FAULT_PARTY_SYSTEM);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_VENTING);
  resolve.set_business_problem_fixed(true);  // a satisfied customer archives it (跟归档)
  routing::v1::ResolveCaseResponse resolved;
  {
    grpc::ClientContext context;
    const grpc::Status status = cases->ResolveCase(&context, resolve, &resolved);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(resolved.case_().state(), routing::v1::CASE_STATE_RESOLVED);

  // Follow-up: a survey task for the contact systems.
  auto tasks = OpenReader(bootstrap, "followup.tasks.v1");
  auto task_record = tasks->WaitFor(AboutComplaint(id), kEventTimeout);
  ASSERT_TRUE(task_record.has_value()) << platform_->LogTail("followup");
  events::v1::FollowUpTask task;
  ASSERT_TRUE(task.ParseFromString(task_record->value));
  EXPECT_EQ(task.complaint_id(), id);

  auto followup = followup::v1::FollowUpService::NewStub(platform_->Channel("followup"));
  followup::v1::RecordOutcomeRequest outcome;
  outcome.set_complaint_id(id);
  outcome.set_task_id(task.task_id());
  outcome.set_outcome(followup::v1::OUTCOME_SATISFIED);
  followup::v1::RecordOutcomeResponse effect;
  ASSERT_TRUE(Eventually([&] {
                grpc::ClientContext context;
                return followup->RecordOutcome(&context, outcome, &effect);
              }).ok())
      << platform_->LogTail("followup");
  EXPECT_EQ(effect.effect(), "closed");

  // Closed: on the case topic and through the API.
  auto case_events = OpenReader(bootstrap, "complaints.case.v1");
  auto closed = case_events->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        events::v1::CaseEvent e;
        return Header(r, "ce_subject") == id && e.ParseFromString(r.value) && e.has_closed();
      },
      kEventTimeout);
  ASSERT_TRUE(closed.has_value());
  routing::v1::GetCaseRequest get;
  get.set_complaint_id(id);
  routing::v1::GetCaseResponse got;
  ASSERT_TRUE(Eventually([&] {
                grpc::ClientContext context;
                grpc::Status s = cases->GetCase(&context, get, &got);
                if (s.ok() && got.case_().state() != routing::v1::CASE_STATE_CLOSED) {
                  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not closed yet");
                }
                return s;
              }).ok());

  // Analytics: the whole story in one timeline.
  auto analytics = analytics::v1::AnalyticsService::NewStub(platform_->Channel("analytics"));
  analytics::v1::GetTimelineRequest timeline_request;
  timeline_request.set_complaint_id(id);
  analytics::v1::GetTimelineResponse timeline;
  ASSERT_TRUE(Eventually([&] {
                grpc::ClientContext context;
                grpc::Status s = analytics->GetTimeline(&context, timeline_request, &timeline);
                bool has_closed = false;
                for (const auto& entry : timeline.entries()) {
                  has_closed |= entry.summary().find("closed") != std::string::npos;
                }
                if (s.ok() && !has_closed) return grpc::Status(grpc::StatusCode::NOT_FOUND, "");
                return s;
              }).ok())
      << platform_->LogTail("analytics");
  std::vector<std::string> types;
  for (const auto& entry : timeline.entries()) types.push_back(entry.event_type());
  EXPECT_GE(timeline.entries_size(), 6) << ::testing::PrintToString(types);

  // Every service's /metrics is valid for Prometheus and shows the loop's work: the RPCs by
  // method and code, the consumers' lag per partition, Redis round trips.
  for (const std::string& service : testsupport::kServices) {
    const std::string metrics = platform_->ScrapeMetrics(service);
    EXPECT_EQ(testsupport::PromtoolProblems(metrics), "") << service;
    EXPECT_GT(testsupport::MetricValue(metrics, "redis_round_trips_total"), 0) << service;
    EXPECT_NE(metrics.find("kafka_consumer_lag{"), std::string::npos) << service;
    EXPECT_GT(testsupport::MetricValue(metrics, "grpc_server_handling_seconds_count"), 0)
        << service;
  }
  EXPECT_EQ(testsupport::MetricValue(platform_->ScrapeMetrics("intake"),
                                     "grpc_server_handled_total",
                                     {"grpc_method=\"SubmitComplaint\"", "grpc_code=\"OK\""}),
            1);
  EXPECT_EQ(testsupport::MetricValue(platform_->ScrapeMetrics("routing"),
                                     "grpc_server_handled_total",
                                     {"grpc_method=\"ResolveCase\"", "grpc_code=\"OK\""}),
            1);

  // Nothing of the customer leaks into the logs, which stay valid UTF-8.
  EXPECT_THAT(testsupport::ScanLogs(platform_->LogFiles(),
                                    {{"phone", complaint.customer().phone()}, {"name", "张三"}}),
              ::testing::IsEmpty());
}

TEST_F(ClosedLoopTest, ResubmissionIsIdempotent) {
  StartPlatform();
  const auto request = Complaint(UniqueCallId());
  const std::string first = Submit(request);
  auto stub = intake::v1::IntakeService::NewStub(platform_->Channel("intake"));
  grpc::ClientContext context;
  intake::v1::SubmitComplaintResponse again;
  ASSERT_TRUE(stub->SubmitComplaint(&context, request, &again).ok());
  EXPECT_EQ(again.complaint_id(), first);
  EXPECT_TRUE(again.duplicate());

  auto received = OpenReader(Platform::KafkaBootstrap(), "complaints.received.v1");
  ASSERT_TRUE(received->ReadToEnd(kEventTimeout));
  EXPECT_EQ(received->Seen(AboutComplaint(first)).size(), 1u);
}

// Sends `request` from `kCallers` threads released at the same instant, round robin over the
// given intake instances; checks that exactly one call created the complaint, that all got its
// id, and that complaints.received.v1 holds one record for it. Returns the id.
std::string RaceIdenticalSubmissions(Platform& platform, const std::vector<std::string>& intakes,
                                     const intake::v1::SubmitComplaintRequest& request) {
  constexpr int kCallers = 8;
  std::vector<std::unique_ptr<intake::v1::IntakeService::Stub>> stubs;
  for (const auto& name : intakes) {
    stubs.push_back(intake::v1::IntakeService::NewStub(platform.Channel(name)));
  }
  std::barrier start(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  std::vector<intake::v1::SubmitComplaintResponse> responses(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      start.arrive_and_wait();
      statuses[i] = stubs[i % stubs.size()]->SubmitComplaint(&context, request, &responses[i]);
    });
  }
  for (auto& caller : callers) caller.join();

  int created = 0;
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << i << ": " << statuses[i].error_message();
    EXPECT_EQ(responses[i].complaint_id(), responses[0].complaint_id()) << i;
    if (statuses[i].ok() && !responses[i].duplicate()) ++created;
  }
  EXPECT_EQ(created, 1);
  const std::string id = responses[0].complaint_id();

  // Every call has returned, so whatever any of them published is durable: read to the end.
  auto received = OpenReader(Platform::KafkaBootstrap(), "complaints.received.v1");
  EXPECT_TRUE(received->ReadToEnd(kEventTimeout));
  EXPECT_EQ(received->Seen(AboutComplaint(id)).size(), 1u);
  return id;
}

// A re-submission of `request` differing in phone and description: ALREADY_EXISTS naming them.
void ExpectDifferingResubmissionRefused(Platform& platform, const std::string& intake_name,
                                        intake::v1::SubmitComplaintRequest request) {
  request.mutable_customer()->set_phone("13900000000");
  request.set_description("另一件事");
  auto stub = intake::v1::IntakeService::NewStub(platform.Channel(intake_name));
  grpc::ClientContext context;
  intake::v1::SubmitComplaintResponse response;
  const grpc::Status status = stub->SubmitComplaint(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  EXPECT_NE(status.error_message().find("customer.phone"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("description"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(status.error_message().find("13900000000"), std::string::npos);
  EXPECT_EQ(status.error_message().find("另一件事"), std::string::npos);
}

TEST_F(ClosedLoopTest, ConcurrentIdenticalSubmissionsMakeOneComplaint) {
  StartPlatform();
  const auto request = Complaint(UniqueCallId());
  const std::string id = RaceIdenticalSubmissions(*platform_, {"intake"}, request);
  ExpectDifferingResubmissionRefused(*platform_, "intake", request);
  auto received = OpenReader(Platform::KafkaBootstrap(), "complaints.received.v1");
  ASSERT_TRUE(received->ReadToEnd(kEventTimeout));
  EXPECT_EQ(received->Seen(AboutComplaint(id)).size(), 1u);
}

TEST_F(ClosedLoopTest, ConcurrentIdenticalSubmissionsToTwoIntakeInstancesMakeOneComplaint) {
  Platform::Options options;
  options.extra_intakes = 1;
  StartPlatform(options);
  const auto request = Complaint(UniqueCallId());
  RaceIdenticalSubmissions(*platform_, {"intake", "intake-2"}, request);
  ExpectDifferingResubmissionRefused(*platform_, "intake-2", request);
}

TEST_F(ClosedLoopTest, InvalidSubmissionNamesTheField) {
  StartPlatform();
  auto request = Complaint(UniqueCallId());
  request.mutable_customer()->set_phone("not-a-phone");
  auto stub = intake::v1::IntakeService::NewStub(platform_->Channel("intake"));
  grpc::ClientContext context;
  intake::v1::SubmitComplaintResponse response;
  const grpc::Status status = stub->SubmitComplaint(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("customer.phone:", 0), 0u) << status.error_message();
}

TEST_F(ClosedLoopTest, GarbageCallGoesToTheDeadLetterTopicAndTheNextCallIsProcessed) {
  StartPlatform();
  kafka::KafkaConfig kafka_config;
  kafka_config.bootstrap_servers = Platform::KafkaBootstrap();
  auto producer = kafka::Producer::Create(kafka_config);
  ASSERT_TRUE(producer.ok());
  const std::string garbage_key = UniqueCallId();
  kafka::OutgoingRecord garbage;
  garbage.topic = "ivr.calls.v1";
  garbage.key = garbage_key;
  garbage.value = std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01garbage\x00\x01", 20);
  garbage.verbatim_headers = true;  // telephony sends no CloudEvents headers
  const std::string call_id = UniqueCallId();
  kafka::OutgoingRecord good;
  good.topic = "ivr.calls.v1";
  good.key = call_id;
  good.value = R"({"callId":")" + call_id +
               R"(","source":"ivr-95533","customer":{"phone":"13900000000"},"category":"fees.annual","description":"年费乱收"})";
  good.extra_headers = {{"content-type", "application/json"}};
  good.verbatim_headers = true;
  ASSERT_TRUE((*producer)->Publish(garbage).ok());
  ASSERT_TRUE((*producer)->Publish(good).ok());

  auto dlq = OpenReader(Platform::KafkaBootstrap(), "ivr.calls.v1.dlq");
  auto dead = dlq->WaitFor([&](const kafka::IncomingRecord& r) { return r.key == garbage_key; },
                          kEventTimeout);
  ASSERT_TRUE(dead.has_value()) << platform_->LogTail("intake");
  EXPECT_FALSE(Header(*dead, "dlq_reason").empty());
  EXPECT_EQ(dead->value, garbage.value);
  // Counted where operations look: intake's /metrics (at least this one: a new consumer group
  // reads the topic from its start, so earlier tests' bad calls are dead-lettered again). The
  // counter moves once the dead letter is durable, so a reader can see the record first.
  EXPECT_TRUE(testsupport::WaitFor(
      [&] {
        return testsupport::MetricValue(platform_->ScrapeMetrics("intake"),
                                        "kafka_dead_letters_total",
                                        {"topic=\"ivr.calls.v1\"", "code=\"INVALID_ARGUMENT\""}) >= 1;
      },
      absl::Seconds(10)))
      << "intake's kafka_dead_letters_total{topic=\"ivr.calls.v1\",code=\"INVALID_ARGUMENT\"} stayed 0";

  auto received = OpenReader(Platform::KafkaBootstrap(), "complaints.received.v1");
  auto accepted = received->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        events::v1::ComplaintReceived c;
        return c.ParseFromString(r.value) && c.external_id() == call_id;
      },
      kEventTimeout);
  EXPECT_TRUE(accepted.has_value()) << platform_->LogTail("intake");
}

// Protobuf's JSON parser quotes the input around a syntax error: a phone number ended up in the
// dead letter's reason and in the log, cut in the middle of a character. The reason gives the
// position and kind only.
TEST_F(ClosedLoopTest, MalformedJsonCallIsDeadLetteredWithoutCustomerData) {
  StartPlatform();
  kafka::KafkaConfig kafka_config;
  kafka_config.bootstrap_servers = Platform::KafkaBootstrap();
  auto producer = kafka::Producer::Create(kafka_config);
  ASSERT_TRUE(producer.ok());
  const std::vector<testsupport::CustomerValue> customer = {{"name", "欧阳娜娜"},
                                                            {"phone", "13987654321"},
                                                            {"id_number", "11010519491231002X"},
                                                            {"card_number", "6222021234567890123"}};
  const std::string call_id = UniqueCallId();
  kafka::OutgoingRecord malformed;
  malformed.topic = "ivr.calls.v1";
  malformed.key = call_id;
  // The comma after the phone is missing: the error is right after the phone number, with the
  // name (three-byte characters) close enough to be quoted and cut.
  malformed.value = R"({"callId":")" + call_id +
                    R"(","source":"ivr-95533","customer":{"name":"欧阳娜娜","phone":"13987654321" "idNumber":"11010519491231002X","cardNumber":"6222021234567890123"},"category":"fees.annual","description":"年费乱收"})";
  malformed.extra_headers = {{"content-type", "application/json"}};
  malformed.verbatim_headers = true;
  ASSERT_TRUE((*producer)->Publish(malformed).ok());

  auto dlq = OpenReader(Platform::KafkaBootstrap(), "ivr.calls.v1.dlq");
  auto dead = dlq->WaitFor([&](const kafka::IncomingRecord& r) { return r.key == call_id; },
                           kEventTimeout);
  ASSERT_TRUE(dead.has_value()) << platform_->LogTail("intake");
  const std::string reason = Header(*dead, "dlq_reason");
  EXPECT_EQ(reason, "value is not an IvrCall in JSON: syntax error at byte " +
                        std::to_string(malformed.value.find(R"( "idNumber")") + 1) +
                        ": expected ',' or '}' after a value");
  EXPECT_TRUE(common::IsValidUtf8(reason));
  EXPECT_EQ(dead->value, malformed.value);  // the record itself is kept whole for a replay

  // The intake logs the dead letter with its reason just after publishing it.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  auto logged = [&] {
    std::ifstream in(platform_->LogFile("intake"));
    std::stringstream log;
    log << in.rdbuf();
    return log.str().find("dead-lettered") != std::string::npos;
  };
  while (!logged() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_TRUE(logged()) << platform_->LogTail("intake");
  EXPECT_THAT(testsupport::ScanLogs(platform_->LogFiles(), customer), ::testing::IsEmpty());
}

TEST_F(ClosedLoopTest, ACallReSentWithDifferentContentGoesToTheDeadLetterTopic) {
  StartPlatform();
  kafka::KafkaConfig kafka_config;
  kafka_config.bootstrap_servers = Platform::KafkaBootstrap();
  auto producer = kafka::Producer::Create(kafka_config);
  ASSERT_TRUE(producer.ok());
  const std::string call_id = UniqueCallId();
  auto call = [&](const std::string& description) {
    kafka::OutgoingRecord r;
    r.topic = "ivr.calls.v1";
    r.key = call_id;
    r.value = R"({"callId":")" + call_id +
              R"(","source":"ivr-95533","customer":{"phone":"13900000000"},"category":"fees.annual","description":")" +
              description + R"("})";
    r.extra_headers = {{"content-type", "application/json"}};
    r.verbatim_headers = true;
    return r;
  };
  // The same call twice (a duplicate, fine), then re-sent with another description.
  ASSERT_TRUE((*producer)->Publish(std::vector{call("年费乱收"), call("年费乱收"), call("别的事")}).ok());

  auto dlq = OpenReader(Platform::KafkaBootstrap(), "ivr.calls.v1.dlq");
  auto dead = dlq->WaitFor([&](const kafka::IncomingRecord& r) { return r.key == call_id; },
                          kEventTimeout);
  ASSERT_TRUE(dead.has_value()) << platform_->LogTail("intake");
  EXPECT_EQ(Header(*dead, "dlq_code"), "ALREADY_EXISTS");
  EXPECT_NE(Header(*dead, "dlq_reason").find("description"), std::string::npos)
      << Header(*dead, "dlq_reason");
  EXPECT_EQ(Header(*dead, "dlq_reason").find("别的事"), std::string::npos);
  EXPECT_NE(dead->value.find("别的事"), std::string::npos);  // the dead letter is the re-sent call

  // One complaint, with the first call's content; only the differing call was dead-lettered.
  const std::string id = common::ComplaintIdFor("ivr-95533", call_id);
  auto received = OpenReader(Platform::KafkaBootstrap(), "complaints.received.v1");
  ASSERT_TRUE(received->ReadToEnd(kEventTimeout));
  const auto records = received->Seen(AboutComplaint(id));
  ASSERT_EQ(records.size(), 1u);
  events::v1::ComplaintReceived complaint;
  ASSERT_TRUE(complaint.ParseFromString(records[0].value));
  EXPECT_EQ(complaint.description(), "年费乱收");
  ASSERT_TRUE(dlq->ReadToEnd(kEventTimeout));
  EXPECT_EQ(dlq->Seen([&](const kafka::IncomingRecord& r) { return r.key == call_id; }).size(), 1u);
}

TEST_F(ClosedLoopTest, DeadlinePassesOnTheAcceleratedClockAndTheBreachIsAlerted) {
  // One real second is an hour, and the test policy gives an hour to accept, in calendar time:
  // the accept deadline passes a second after routing, whatever the day and hour.
  Platform::Options options;
  options.env = {{"COMPLAINTS_SLA_POLICY_FILE",
                  std::string(COMPLAINTS_SOURCE_DIR) + "/tests/e2e/fast-policy.textproto"},
                 {"COMPLAINTS_CLOCK_FACTOR", "3600"},
                 {"COMPLAINTS_CLOCK_ORIGIN_UNIX_MS",
                  std::to_string(absl::ToUnixMillis(absl::Now()))}};
  StartPlatform(options);

  auto sla = sla::v1::SlaService::NewStub(platform_->Channel("sla_timer"));
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(90));
  sla::v1::WatchAlertsRequest watch;
  watch.set_unit("BJ-0101");
  auto stream = sla->WatchAlerts(&watch_context, watch);

  const std::string id = Submit(Complaint(UniqueCallId()));
  auto alerts = OpenReader(Platform::KafkaBootstrap(), "sla.alerts.v1");
  auto breach = alerts->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        events::v1::SlaAlert alert;
        return Header(r, "ce_subject") == id && alert.ParseFromString(r.value) &&
               alert.kind() == events::v1::ALERT_KIND_BREACH &&
               alert.clock() == events::v1::CLOCK_ACCEPT;
      },
      kEventTimeout);
  ASSERT_TRUE(breach.has_value()) << platform_->LogTail("sla_timer");
  events::v1::SlaAlert alert;
  ASSERT_TRUE(alert.ParseFromString(breach->value));
  EXPECT_EQ(alert.unit(), "BJ-0101");
  EXPECT_GE(alert.fired_at().seconds(), alert.due_at().seconds());

  // Operations watching the unit saw the same alert live.
  events::v1::SlaAlert watched;
  bool seen = false;
  while (!seen && stream->Read(&watched)) {
    seen = watched.complaint_id() == id && watched.kind() == events::v1::ALERT_KIND_BREACH;
  }
  EXPECT_TRUE(seen);
  watch_context.TryCancel();

  // The unit's supervisor finds it on the unit's worklist, overdue.
  grpc::ClientContext list_context;
  sla::v1::ListUnitDeadlinesRequest list_request;
  list_request.set_unit("BJ-0101");
  list_request.set_page_size(1000);
  sla::v1::ListUnitDeadlinesResponse worklist;
  ASSERT_TRUE(sla->ListUnitDeadlines(&list_context, list_request, &worklist).ok());
  EXPECT_GE(worklist.overdue_count(), 1);
  const auto listed = std::find_if(worklist.items().begin(), worklist.items().end(),
                                   [&](const auto& item) { return item.complaint_id() == id; });
  ASSERT_NE(listed, worklist.items().end());
  EXPECT_EQ(listed->first().clock(), events::v1::CLOCK_ACCEPT);
  EXPECT_EQ(listed->first().status(), sla::v1::DEADLINE_STATUS_BREACHED);
}

}  // namespace
}  // namespace complaints
