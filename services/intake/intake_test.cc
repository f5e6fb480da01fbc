#include "services/intake/intake.h"

#include <algorithm>
#include <barrier>
#include <thread>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"
#include "complaints/events/v1/ivr.pb.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/common/short_id.h"
#include "libs/testing/fake_publisher.h"
#include "services/intake/complaint_store_contract.h"
#include "services/intake/memory_complaint_store.h"
#include "services/intake/submission.h"

namespace complaints::intake {
namespace {

struct MemoryHarness {
  ComplaintStore& store() { return store_; }
  MemoryComplaintStore store_;
};
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, ComplaintStoreContract, MemoryHarness);

intake::v1::SubmitComplaintRequest Request(const std::string& external_id) {
  intake::v1::SubmitComplaintRequest r;
  r.set_source("ivr-95533");
  r.set_external_id(external_id);
  r.mutable_customer()->set_phone("13812345678");
  r.set_category("branch.waiting_time");
  r.set_description("排队一个小时");
  return r;
}

class IntakeTest : public ::testing::Test {
 protected:
  testing::FakePublisher publisher_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  MemoryComplaintStore store_{&clock_};
  Intake intake_{&publisher_, &store_, nullptr, &clock_};
};

TEST_F(IntakeTest, PublishesAReceivedEventKeyedByComplaintId) {
  auto response = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->duplicate());
  const auto records = publisher_.published();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].topic, events::kReceivedTopic);
  EXPECT_EQ(records[0].key, response->complaint_id());
  EXPECT_EQ(records[0].event.subject, response->complaint_id());
  EXPECT_EQ(records[0].event.type, "complaints.events.v1.ComplaintReceived");

  auto parsed = events::ParseRecordAs<events::v1::ComplaintReceived>(testing::AsIncoming(records[0]));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->external_id(), "call-1");
  EXPECT_EQ(intake_.Get(response->complaint_id())->external_id(), "call-1");
}

TEST_F(IntakeTest, ResubmissionReturnsTheSameIdAndPublishesNothing) {
  auto first = intake_.Submit(Request("call-1"));
  auto second = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->complaint_id(), second->complaint_id());
  EXPECT_TRUE(second->duplicate());
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(IntakeTest, NothingIsAcknowledgedWhenKafkaFails) {
  publisher_.FailWith(absl::UnavailableError("broker down"));
  auto response = intake_.Submit(Request("call-1"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_.published_count(), 0u);
}

TEST_F(IntakeTest, InvalidSubmissionIsRejectedBeforePublishing) {
  auto request = Request("call-1");
  request.mutable_customer()->set_phone("");
  EXPECT_EQ(intake_.Submit(request).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(IntakeTest, GetUnknownIsNotFound) {
  EXPECT_EQ(intake_.Get("CMP0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(intake_.Get("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IntakeTest, HandlesCallsInJsonAndProtobuf) {
  kafka::IncomingRecord json;
  json.topic = events::kIvrCallsTopic;
  json.value = R"({"callId":"c-json","source":"ivr-95533","customer":{"phone":"13900000000"},
                   "category":"fees","description":"乱收费","unknownField":1})";
  ASSERT_TRUE(intake_.HandleCall(json).ok());

  events::v1::IvrCall call;
  call.set_call_id("c-proto");
  call.set_source("ivr-95533");
  call.mutable_customer()->set_phone("13900000001");
  call.set_category("fees");
  call.set_description("乱收费");
  kafka::IncomingRecord proto;
  proto.value = call.SerializeAsString();
  ASSERT_TRUE(intake_.HandleCall(proto).ok());
  EXPECT_EQ(publisher_.published().size(), 2u);
}

TEST_F(IntakeTest, ACallWithAStringThatIsNotUtf8NamesTheField) {
  events::v1::IvrCall call;
  call.set_call_id("c-1");
  call.set_source("ivr-95533");
  call.mutable_customer()->set_phone("13900000001");
  call.mutable_customer()->set_name("\xe5\xbc");
  call.set_description("乱收费");
  kafka::IncomingRecord record;
  record.value = call.SerializeAsString();
  const absl::Status status = intake_.HandleCall(record);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "customer.name: is not valid UTF-8");
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(IntakeTest, GarbageCallIsABadRecord) {
  kafka::IncomingRecord garbage;
  garbage.value = std::string("\xff\xfe\x00\x01garbage", 11);
  EXPECT_EQ(intake_.HandleCall(garbage).code(), absl::StatusCode::kInvalidArgument);
  kafka::IncomingRecord bad_json;
  bad_json.value = "{not json";
  EXPECT_EQ(intake_.HandleCall(bad_json).code(), absl::StatusCode::kInvalidArgument);
}

// Protobuf's JSON parser quotes the input around an error; the error goes to the DLQ reason
// header and the log, so it must give the position and kind only.
TEST_F(IntakeTest, MalformedJsonErrorCarriesNoInputBytes) {
  kafka::IncomingRecord call;
  call.value = R"({"callId":"c-1","customer":{"name":"欧阳娜娜","phone":"13987654321" )"
               R"("idNumber":"11010519491231002X"}})";
  const absl::Status status = intake_.HandleCall(call);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const size_t at = call.value.find(R"("idNumber")");
  EXPECT_EQ(status.message(), "value is not an IvrCall in JSON: syntax error at byte " +
                                  std::to_string(at) + ": expected ',' or '}' after a value");
  for (const char* input : {"1398", "4321", "欧", "娜", "1101", "002X", "c-1", "idNumber"}) {
    EXPECT_EQ(status.message().find(input), std::string::npos) << input << " in " << status;
  }
}

TEST_F(IntakeTest, JsonOfTheWrongTypeNamesTheFieldNotTheValue) {
  kafka::IncomingRecord call;
  call.value = R"({"callId":"c-1","customer":{"phone":13987654321}})";
  const absl::Status status = intake_.HandleCall(call);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "value is not an IvrCall in JSON: field customer.phone has a value of the wrong type "
            "or out of range");

  // A path that is not our schema's (here the input's own key) is not repeated either.
  call.value = R"({"startedAt":"13987654321"})";
  const absl::Status time = intake_.HandleCall(call);
  EXPECT_EQ(time.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(time.message().find("1398"), std::string::npos) << time;
}

TEST_F(IntakeTest, StoreOutageIsTransient) {
  store_.FailWith(absl::UnavailableError("redis down"));
  kafka::IncomingRecord json;
  json.value = R"({"callId":"c","source":"s","customer":{"phone":"13900000000"},"category":"x","description":"y"})";
  EXPECT_EQ(intake_.HandleCall(json).code(), absl::StatusCode::kUnavailable);
}

TEST_F(IntakeTest, ConcurrentIdenticalSubmissionsPublishOneRecord) {
  constexpr int kCallers = 8;
  std::barrier start(kCallers);
  std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> responses(
      kCallers, absl::UnknownError("not run"));
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      start.arrive_and_wait();
      responses[i] = intake_.Submit(Request("call-1"));
    });
  }
  for (auto& caller : callers) caller.join();
  int first = 0;
  for (const auto& response : responses) {
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->complaint_id(), responses[0]->complaint_id());
    if (!response->duplicate()) ++first;
  }
  EXPECT_EQ(first, 1);
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(IntakeTest, ACallFindingTheComplaintBeingPublishedWaitsForItAndPublishesNothing) {
  const std::string id = common::ComplaintIdFor("ivr-95533", "call-1");
  const auto theirs = ToReceivedEvent(Request("call-1"), id, clock_.Now());
  ASSERT_EQ(store_.Claim(theirs, "another-instance", absl::Seconds(30))->outcome,
            ComplaintClaim::Outcome::kWon);

  absl::StatusOr<intake::v1::SubmitComplaintResponse> response = absl::UnknownError("not run");
  std::thread caller([&] { response = intake_.Submit(Request("call-1")); });
  // Once the caller has looked at the claim twice it is waiting; then the other instance is done.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (store_.claim_calls() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_GE(store_.claim_calls(), 3);
  ASSERT_TRUE(store_.MarkPublished(theirs).ok());
  caller.join();

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->complaint_id(), id);
  EXPECT_TRUE(response->duplicate());
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(IntakeTest, ACallKeptWaitingTooLongIsUnavailable) {
  Intake impatient(&publisher_, &store_, nullptr, &clock_,
                   {.claim_lease = absl::Seconds(35), .busy_wait = absl::Milliseconds(20)});
  const std::string id = common::ComplaintIdFor("ivr-95533", "call-1");
  ASSERT_TRUE(store_.Claim(ToReceivedEvent(Request("call-1"), id, clock_.Now()), "another",
                           absl::Seconds(30)).ok());
  EXPECT_EQ(impatient.Submit(Request("call-1")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(IntakeTest, AClaimWhoseHolderDiedIsPublishedWithTheHoldersContent) {
  const std::string id = common::ComplaintIdFor("ivr-95533", "call-1");
  const absl::Time claimed_at = clock_.Now();
  // A call claimed the id and died before publishing (or after, unacknowledged).
  ASSERT_TRUE(store_.Claim(ToReceivedEvent(Request("call-1"), id, claimed_at), "dead",
                           absl::Seconds(35)).ok());
  clock_.Advance(absl::Minutes(1));  // its lease is over

  auto response = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->duplicate());  // nobody was acknowledged before
  const auto records = publisher_.published();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].event.time, claimed_at);
  auto parsed =
      events::ParseRecordAs<events::v1::ComplaintReceived>(testing::AsIncoming(records[0]));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(common::FromProtoTime(parsed->received_at()), claimed_at);
  EXPECT_EQ(records[0].value,
            ToReceivedEvent(Request("call-1"), id, claimed_at).SerializeAsString());
}

TEST_F(IntakeTest, ARetryAfterKafkaFailedCompletesTheClaimWithTheSameRecord) {
  publisher_.FailWith(absl::UnavailableError("broker down"));
  const absl::Time first_try = clock_.Now();
  ASSERT_EQ(intake_.Submit(Request("call-1")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(intake_.Get(common::ComplaintIdFor("ivr-95533", "call-1")).ok());

  publisher_.FailWith(absl::OkStatus());
  clock_.Advance(absl::Seconds(3));  // well within the failed call's lease: it was released
  auto retry = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_FALSE(retry->duplicate());  // the failed call acknowledged nothing
  const auto records = publisher_.published();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].event.time, first_try);
  EXPECT_TRUE(intake_.Submit(Request("call-1"))->duplicate());
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(IntakeTest, AResubmissionWithDifferentContentIsAlreadyExistsNamingTheFields) {
  ASSERT_TRUE(intake_.Submit(Request("call-1")).ok());
  auto changed = Request("call-1");
  changed.mutable_customer()->set_phone("13900000000");
  changed.set_description("柜台态度差");
  changed.set_branch_code("BJ-0101");
  auto response = intake_.Submit(changed);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kAlreadyExists) << response.status();
  const std::string message(response.status().message());
  EXPECT_NE(message.find("customer.phone"), std::string::npos) << message;
  EXPECT_NE(message.find("description"), std::string::npos) << message;
  EXPECT_NE(message.find("branch_code"), std::string::npos) << message;
  EXPECT_EQ(message.find("category"), std::string::npos) << message;
  // Names only: no customer data.
  EXPECT_EQ(message.find("13900000000"), std::string::npos) << message;
  EXPECT_EQ(message.find("13812345678"), std::string::npos) << message;
  EXPECT_EQ(message.find("柜台"), std::string::npos) << message;
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(IntakeTest, ADifferingSubmissionIsRefusedWhileTheFirstIsStillBeingPublished) {
  const std::string id = common::ComplaintIdFor("ivr-95533", "call-1");
  ASSERT_TRUE(store_.Claim(ToReceivedEvent(Request("call-1"), id, clock_.Now()), "another",
                           absl::Seconds(30)).ok());
  auto changed = Request("call-1");
  changed.set_category("fees");
  auto response = intake_.Submit(changed);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(response.status().message().find("category"), absl::string_view::npos);
}

TEST_F(IntakeTest, AReSentCallWithDifferentContentIsABadRecord) {
  kafka::IncomingRecord call;
  call.value = R"({"callId":"c","source":"s","customer":{"phone":"13900000000"},"category":"x","description":"y"})";
  ASSERT_TRUE(intake_.HandleCall(call).ok());
  ASSERT_TRUE(intake_.HandleCall(call).ok());  // the same call again is a duplicate
  call.value = R"({"callId":"c","source":"s","customer":{"phone":"13900000000"},"category":"x","description":"z"})";
  const auto status = intake_.HandleCall(call);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(kafka::IsTransient(status));  // so the consumer dead-letters it
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(IntakeTest, AComplaintHasAShortIdThatFindsIt) {
  auto response = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->short_id(), common::ShortId(response->complaint_id()));
  const auto records = publisher_.published();
  ASSERT_EQ(records.size(), 1u);
  auto event = events::ParseRecordAs<events::v1::ComplaintReceived>(testing::AsIncoming(records[0]));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->short_id(), response->short_id());

  std::string typed = absl::AsciiStrToLower(response->short_id());
  typed.erase(std::remove(typed.begin(), typed.end(), '-'), typed.end());
  for (const std::string& text : {response->short_id(), typed}) {
    auto found = intake_.Get(text);
    ASSERT_TRUE(found.ok()) << text << ": " << found.status();
    EXPECT_EQ(found->complaint_id(), response->complaint_id());
  }
  EXPECT_TRUE(intake_.Submit(Request("call-1"))->short_id() == response->short_id());
  EXPECT_EQ(intake_.Get("0000-0000-00").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(IntakeTest, AShortIdNotFoundIsUnavailableUntilEveryPartitionIsReplayed) {
  Intake rebuilding(&publisher_, &store_, nullptr, &clock_,
                    {.check_all_ready = [] { return absl::UnavailableError("replaying"); }});
  EXPECT_EQ(rebuilding.Get("0000-0000-00").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(IntakeTest, TheShortIdIndexIsRebuiltFromTheTopic) {
  auto response = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(response.ok()) << response.status();
  // Redis lost: a fresh store, rebuilt from complaints.received.v1.
  MemoryComplaintStore rebuilt(&clock_);
  Intake replayed(&publisher_, &rebuilt, nullptr, &clock_);
  for (const auto& record : publisher_.published()) {
    ASSERT_TRUE(replayed.HandleStateRecord(testing::AsIncoming(record)).ok());
  }
  auto found = replayed.Get(response->short_id());
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->complaint_id(), response->complaint_id());
}

TEST_F(IntakeTest, PublishesTheCanonicalPhone) {
  auto request = Request("call-1");
  request.mutable_customer()->set_phone("+86 138 1234 5678");
  ASSERT_TRUE(intake_.Submit(request).ok());
  // The same complaint typed differently is the same content.
  request.mutable_customer()->set_phone("138-1234-5678");
  auto again = intake_.Submit(request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  const auto records = publisher_.published();
  ASSERT_EQ(records.size(), 1u);
  auto event = events::ParseRecordAs<events::v1::ComplaintReceived>(testing::AsIncoming(records[0]));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->customer().phone(), "13812345678");
}

TEST_F(IntakeTest, AnUnknownCategoryIsRefusedWhenACatalogueIsGiven) {
  Intake strict(&publisher_, &store_, nullptr, &clock_,
                {.category_known = [](std::string_view code) { return code == "fees"; }});
  auto response = strict.Submit(Request("call-1"));  // branch.waiting_time: not in it
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response.status().message(), "category: is not a category of the catalogue");
  auto request = Request("call-2");
  request.clear_category();  // to be inferred
  EXPECT_TRUE(strict.Submit(request).ok());
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(IntakeTest, NothingIsWrittenForAnInvalidSubmission) {
  auto request = Request("call-1");
  request.mutable_customer()->set_phone("95533");
  request.set_description("😡");
  EXPECT_EQ(intake_.Submit(request).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.claim_calls(), 0);  // validation comes before any store or Kafka write
  EXPECT_TRUE(publisher_.published().empty());
}

}  // namespace
}  // namespace complaints::intake

namespace complaints::intake {
namespace {

// Counts the marks that reach the store.
class CountingStore final : public ComplaintStore {
 public:
  explicit CountingStore(ComplaintStore* inner) : inner_(inner) {}
  absl::StatusOr<std::optional<events::v1::ComplaintReceived>> Get(
      const std::string& complaint_id) override {
    return inner_->Get(complaint_id);
  }
  absl::StatusOr<ComplaintClaim> Claim(const events::v1::ComplaintReceived& candidate,
                                       const std::string& token, absl::Duration lease) override {
    return inner_->Claim(candidate, token, lease);
  }
  absl::Status MarkPublished(const events::v1::ComplaintReceived& complaint) override {
    ++marks;
    return inner_->MarkPublished(complaint);
  }
  absl::StatusOr<std::optional<std::string>> FindByShortId(const std::string& short_id) override {
    return inner_->FindByShortId(short_id);
  }
  absl::Status Release(const std::string& complaint_id, const std::string& token) override {
    return inner_->Release(complaint_id, token);
  }
  int marks = 0;

 private:
  ComplaintStore* inner_;
};

// The replay consumer meets every complaint this process submitted; it repeats nothing for them
// while Redis has kept what was written (the epoch unchanged), and everything once it may not.
TEST(IntakeReplayTest, AComplaintThisProcessAppliedIsMarkedAgainOnlyAfterAReplayWasAskedFor) {
  testing::FakePublisher publisher;
  common::ManualClock clock{absl::FromUnixSeconds(1764115200)};
  MemoryComplaintStore memory{&clock};
  CountingStore store(&memory);
  uint64_t epoch = 0;
  IntakeOptions options;
  options.state_epoch = [&epoch] { return epoch; };
  Intake intake(&publisher, &store, nullptr, &clock, options);
  ASSERT_TRUE(intake.Submit(Request("call-1")).ok());
  ASSERT_TRUE(intake.Submit(Request("call-2")).ok());
  const int marks = store.marks;
  const auto records = publisher.published();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(intake.HandleStateRecord(testing::AsIncoming(records[0])).ok());
  EXPECT_EQ(store.marks, marks);
  epoch = 1;  // Redis lost state since: the marks may be gone
  EXPECT_TRUE(intake.HandleStateRecord(testing::AsIncoming(records[1])).ok());
  EXPECT_EQ(store.marks, marks + 1);
}

}  // namespace
}  // namespace complaints::intake
