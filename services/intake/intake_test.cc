#include "services/intake/intake.h"

#include <map>

#include "gtest/gtest.h"
#include "complaints/events/v1/ivr.pb.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::intake {
namespace {

class MemoryStore final : public ComplaintStore {
 public:
  absl::StatusOr<std::optional<events::v1::ComplaintReceived>> Get(const std::string& id) override {
    if (!fail_.ok()) return fail_;
    auto it = complaints_.find(id);
    if (it == complaints_.end()) return std::nullopt;
    return it->second;
  }
  absl::Status Put(const events::v1::ComplaintReceived& c) override {
    complaints_[c.complaint_id()] = c;
    return absl::OkStatus();
  }
  absl::Status fail_;
  std::map<std::string, events::v1::ComplaintReceived> complaints_;
};

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
  MemoryStore store_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  Intake intake_{&publisher_, &store_, &clock_};
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
  EXPECT_TRUE(store_.complaints_.empty());
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
  store_.fail_ = absl::UnavailableError("redis down");
  kafka::IncomingRecord json;
  json.value = R"({"callId":"c","source":"s","customer":{"phone":"13900000000"},"category":"x","description":"y"})";
  EXPECT_EQ(intake_.HandleCall(json).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace complaints::intake
