// IntakeService through a real gRPC server and client in process, over its loopback port, with
// the logic's fakes (FakePublisher, MemoryComplaintStore).
#include "services/intake/intake_grpc.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/grpcutil/server.h"
#include "libs/testing/fake_publisher.h"
#include "services/intake/memory_complaint_store.h"

namespace complaints::intake {
namespace {

using intake::v1::SubmitComplaintRequest;

SubmitComplaintRequest Request(const std::string& external_id) {
  SubmitComplaintRequest r;
  r.set_source("ivr-95533");
  r.set_external_id(external_id);
  r.mutable_customer()->set_phone("13812345678");
  r.set_category("branch.waiting_time");
  r.set_description("排队一个小时");
  return r;
}

// The field violations a client finds in a status's binary details (google.rpc.Status holding a
// google.rpc.BadRequest), as grpcurl or grpcio-status read them.
std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return {"<details do not parse>"};
  EXPECT_EQ(details.code(), static_cast<int>(status.error_code()));
  EXPECT_EQ(details.message(), status.error_message());
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (!any.UnpackTo(&bad_request)) continue;
    for (const auto& v : bad_request.field_violations()) fields.push_back(v.field());
  }
  return fields;
}

class IntakeGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_.AddService(&service_);
    ASSERT_TRUE(runner_.Start().ok());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(runner_.port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = intake::v1::IntakeService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  // The request's wire bytes sent as they are, through a generic stub.
  grpc::Status SendRaw(const std::string& method, const std::string& bytes) {
    grpc::GenericStub generic(channel_);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    auto context = Context();
    std::promise<grpc::Status> done;
    generic.UnaryCall(context.get(), "/complaints.intake.v1.IntakeService/" + method,
                      grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  testing::FakePublisher publisher_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  MemoryComplaintStore store_{&clock_};
  Intake intake_{&publisher_, &store_, nullptr, &clock_};
  IntakeGrpcService service_{&intake_};
  grpcutil::ServerRunner runner_{grpcutil::ServerOptions{}};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<intake::v1::IntakeService::Stub> stub_;
};

TEST_F(IntakeGrpcTest, SubmitsAndFindsByIdAndShortId) {
  intake::v1::SubmitComplaintResponse response;
  ASSERT_TRUE(stub_->SubmitComplaint(Context().get(), Request("call-1"), &response).ok());
  EXPECT_FALSE(response.short_id().empty());
  for (const std::string& id : {response.complaint_id(), response.short_id()}) {
    intake::v1::GetComplaintRequest get;
    get.set_complaint_id(id);
    intake::v1::GetComplaintResponse found;
    const grpc::Status status = stub_->GetComplaint(Context().get(), get, &found);
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
    EXPECT_EQ(found.complaint().complaint_id(), response.complaint_id());
  }
}

TEST_F(IntakeGrpcTest, EveryBadFieldIsInTheStatusDetails) {
  auto request = Request("call-1");
  request.mutable_customer()->set_phone("12345");
  request.mutable_customer()->set_card_number("6222021234567890123");
  request.set_description("\u3000");
  intake::v1::SubmitComplaintResponse response;
  const grpc::Status status = stub_->SubmitComplaint(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("customer.phone: ", 0), 0u) << status.error_message();
  EXPECT_EQ(ViolatedFields(status),
            (std::vector<std::string>{"customer.phone", "customer.card_number", "description"}));
  EXPECT_EQ(status.error_message().find("12345"), std::string::npos);
  EXPECT_TRUE(publisher_.published().empty());
}

// Before: INTERNAL with an empty message, as the server could not parse the request.
TEST_F(IntakeGrpcTest, StringsThatAreNotUtf8AreInvalidArgumentNamingTheFields) {
  auto request = Request("call-1");
  request.mutable_customer()->set_name("\xe5\xbc");  // 张 cut in half
  request.set_description("ATM\xff\xfe");
  SubmitComplaintRequest strict;
  ASSERT_FALSE(strict.ParseFromString(request.SerializeAsString()));  // what the server got

  const grpc::Status status = SendRaw("SubmitComplaint", request.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(status.error_message(),
            "customer.name: is not valid UTF-8; description: is not valid UTF-8");
  EXPECT_EQ(ViolatedFields(status), (std::vector<std::string>{"customer.name", "description"}));

  // The generated C++ stub sends such strings too (protobuf only logs it).
  intake::v1::SubmitComplaintResponse response;
  const grpc::Status typed = stub_->SubmitComplaint(Context().get(), request, &response);
  EXPECT_EQ(typed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(typed), (std::vector<std::string>{"customer.name", "description"}));

  intake::v1::GetComplaintRequest get;
  get.set_complaint_id("CMP\xff");
  const grpc::Status got = SendRaw("GetComplaint", get.SerializeAsString());
  EXPECT_EQ(got.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(got), std::vector<std::string>{"complaint_id"});
  EXPECT_TRUE(publisher_.published().empty());
}

TEST_F(IntakeGrpcTest, BytesThatAreNoRequestAreInvalidArgument) {
  const grpc::Status status = SendRaw("SubmitComplaint", std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("not a complaints.intake.v1.SubmitComplaintRequest"),
            std::string::npos)
      << status.error_message();
}

TEST_F(IntakeGrpcTest, AStreamAnswersEverySubmissionInOrder) {
  intake::v1::SubmitComplaintsResponse response;
  auto context = Context();
  auto writer = stub_->SubmitComplaints(context.get(), &response);
  auto bad_phone = Request("call-2");
  bad_phone.mutable_customer()->set_phone("95533");
  auto not_utf8 = Request("call-3");
  not_utf8.set_description("\xff");
  auto differing = Request("call-1");
  differing.set_description("柜台态度差");
  for (const auto& request : {Request("call-1"), bad_phone, not_utf8, Request("call-4"), differing}) {
    ASSERT_TRUE(writer->Write(request));
  }
  ASSERT_TRUE(writer->WritesDone());
  const grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(response.results_size(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(response.results(i).index(), i);
  EXPECT_EQ(response.results(0).error_code(), 0);
  EXPECT_FALSE(response.results(0).response().complaint_id().empty());
  EXPECT_FALSE(response.results(0).response().short_id().empty());

  EXPECT_EQ(response.results(1).error_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_FALSE(response.results(1).has_response());
  ASSERT_EQ(response.results(1).field_violations_size(), 1);
  EXPECT_EQ(response.results(1).field_violations(0).field(), "customer.phone");
  EXPECT_EQ(response.results(1).error_message(),
            "customer.phone: is a 95xxx service number, not a customer's");

  EXPECT_EQ(response.results(2).error_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_EQ(response.results(2).field_violations_size(), 1);
  EXPECT_EQ(response.results(2).field_violations(0).field(), "description");

  EXPECT_EQ(response.results(3).error_code(), 0);
  EXPECT_EQ(response.results(4).error_code(), static_cast<int>(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_EQ(response.results(4).field_violations_size(), 0);
  EXPECT_EQ(publisher_.published().size(), 2u);
}

TEST_F(IntakeGrpcTest, AStreamLongerThanABatchKeepsItsOrder) {
  intake::v1::SubmitComplaintsResponse response;
  auto context = Context();
  auto writer = stub_->SubmitComplaints(context.get(), &response);
  const int count = static_cast<int>(IntakeGrpcService::kStreamBatch) * 2 + 3;
  for (int i = 0; i < count; ++i) {
    auto request = Request("call-" + std::to_string(i));
    if (i % 10 == 7) request.clear_description();
    ASSERT_TRUE(writer->Write(request));
  }
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  ASSERT_EQ(response.results_size(), count);
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(response.results(i).index(), i);
    EXPECT_EQ(response.results(i).error_code() != 0, i % 10 == 7) << i;
  }
}

// Holds each publish until another is in progress too, once: whether a stream's batches overlap.
class OverlapPublisher final : public kafka::Publisher {
 public:
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    {
      std::unique_lock lock(mu_);
      ++in_progress_;
      overlapped_ = overlapped_ || in_progress_ >= 2;
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(3), [this] { return overlapped_; });
    }
    auto delivered = inner_.PublishWithOffsets(records);
    std::lock_guard lock(mu_);
    --in_progress_;
    return delivered;
  }
  bool overlapped() {
    std::lock_guard lock(mu_);
    return overlapped_;
  }

 private:
  testing::FakePublisher inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  int in_progress_ = 0;
  bool overlapped_ = false;
};

// While a batch of a stream waits for its publish, the next is submitted; results stay in order.
TEST(IntakeGrpcStreamTest, TheNextBatchIsSubmittedWhileOneIsPublished) {
  OverlapPublisher publisher;
  common::ManualClock clock{absl::FromUnixSeconds(1764115200)};
  MemoryComplaintStore store{&clock};
  Intake intake{&publisher, &store, nullptr, &clock};
  IntakeGrpcService service{&intake};
  grpcutil::ServerRunner runner{grpcutil::ServerOptions{}};
  runner.AddService(&service);
  ASSERT_TRUE(runner.Start().ok());
  auto stub = intake::v1::IntakeService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(runner.port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  intake::v1::SubmitComplaintsResponse response;
  auto writer = stub->SubmitComplaints(&context, &response);
  const int count = static_cast<int>(IntakeGrpcService::kStreamBatch) * 3;
  for (int i = 0; i < count; ++i) ASSERT_TRUE(writer->Write(Request("call-" + std::to_string(i))));
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_TRUE(publisher.overlapped());
  ASSERT_EQ(response.results_size(), count);
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(response.results(i).index(), i);
    EXPECT_EQ(response.results(i).error_code(), 0) << i;
  }
}

TEST(ResultOfTest, CarriesTheStatusOfAUnaryCall) {
  const auto result = ResultOf(3, absl::UnavailableError("kafka down"));
  EXPECT_EQ(result.index(), 3);
  EXPECT_EQ(result.error_code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(result.error_message(), "kafka down");
  EXPECT_FALSE(result.has_response());
}

}  // namespace
}  // namespace complaints::intake
