// End-to-end: who may do what, through the five real binaries with mutual TLS on the test Kafka
// and Redis. A complaint is submitted by telephony and routed to its unit; another unit cannot
// read or act on it, even by guessing ids; its own unit works it with the unit taken from its
// credential; operations reads it with the customer's data masked; every access is on
// access.audit.v1; and no log holds the customer's data.
#include <random>

#include "complaints/events/v1/access.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "gtest/gtest.h"
#include "gmock/gmock.h"
#include "libs/common/pii.h"
#include "libs/events/envelope.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/eventually.h"
#include "tests/support/log_scan.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using testsupport::Eventually;
using testsupport::Platform;

// A resident ID number with a valid check character (GB 11643), as intake validates it.
std::string IdNumber(const std::string& first17) {
  static const int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return first17 + "10X98765432"[sum % 11];
}

template <typename Stub>
std::unique_ptr<typename Stub::Stub> StubAs(Platform& platform, const std::string& service,
                                            const std::string& principal) {
  return Stub::NewStub(platform.Channel(service, principal));
}

TEST(AccessE2eTest, UnitsSeeTheirOwnCasesOperationsSeesMaskedDataAndAccessIsAudited) {
  Platform platform(Platform::Options{});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("routing");

  // Telephony posts a complaint with the customer's data.
  std::random_device random;
  const std::string phone = testsupport::UniqueMobile();
  const std::string name = "欧阳" + std::to_string(random() % 10000);
  const std::string id_number = IdNumber("11010119900307" + std::to_string(100 + random() % 900));
  intake::v1::SubmitComplaintRequest submit;
  submit.set_source("ivr-95533");
  submit.set_external_id("access-" + std::to_string(random()) + std::to_string(random()));
  submit.mutable_customer()->set_phone(phone);
  submit.mutable_customer()->set_name(name);
  submit.mutable_customer()->set_id_number(id_number);
  submit.set_category("atm.card_retained");
  submit.set_description("ATM吞卡");
  submit.set_branch_code("BJ-0101");
  intake::v1::SubmitComplaintResponse submitted;
  {
    auto telephony = StubAs<intake::v1::IntakeService>(platform, "intake", "telephony:ivr-1");
    grpc::ClientContext context;
    const grpc::Status status = telephony->SubmitComplaint(&context, submit, &submitted);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // Telephony submits; it does not read.
    intake::v1::GetComplaintRequest get;
    get.set_complaint_id(submitted.complaint_id());
    intake::v1::GetComplaintResponse got;
    grpc::ClientContext read_context;
    EXPECT_EQ(telephony->GetComplaint(&read_context, get, &got).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  const std::string id = submitted.complaint_id();

  // Where routing put it (as the administrator, who sees everything).
  routing::v1::GetCaseRequest get_case;
  get_case.set_complaint_id(id);
  routing::v1::GetCaseResponse routed;
  {
    auto admin = routing::v1::CaseService::NewStub(platform.Channel("routing"));
    ASSERT_TRUE(Eventually([&] {
                  grpc::ClientContext c;
                  return admin->GetCase(&c, get_case, &routed);
                }).ok())
        << platform.LogTail("routing");
  }
  const std::string unit = routed.case_().unit();
  const std::string other = unit == "SH-0201" ? "BJ-0101" : "SH-0201";
  auto own = StubAs<routing::v1::CaseService>(platform, "routing", "branch:" + unit);
  auto stranger = StubAs<routing::v1::CaseService>(platform, "routing", "branch:" + other);

  // Another unit: refused on every door, the same way for a real id and a guessed one.
  for (const std::string& target : {id, std::string("0123456789abcdef0123456789abcdef")}) {
    routing::v1::GetCaseRequest get;
    get.set_complaint_id(target);
    routing::v1::GetCaseResponse response;
    grpc::ClientContext context;
    const grpc::Status status = stranger->GetCase(&context, get, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << target;
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr("role branch"));
    EXPECT_THAT(status.error_message(), ::testing::Not(::testing::HasSubstr(unit)));
  }
  {
    routing::v1::AcceptCaseRequest accept;
    accept.set_complaint_id(id);
    accept.set_unit(unit);  // claiming to be the case's unit does not help
    accept.set_responsible("冒名者");
    routing::v1::AcceptCaseResponse response;
    grpc::ClientContext context;
    EXPECT_EQ(stranger->AcceptCase(&context, accept, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    routing::v1::ListCasesRequest list;
    list.set_unit(unit);
    routing::v1::ListCasesResponse listed;
    grpc::ClientContext list_context;
    EXPECT_EQ(stranger->ListCases(&list_context, list, &listed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    auto intake = StubAs<intake::v1::IntakeService>(platform, "intake", "branch:" + other);
    intake::v1::GetComplaintRequest get;
    get.set_complaint_id(id);
    intake::v1::GetComplaintResponse got;
    grpc::ClientContext get_context;
    EXPECT_EQ(intake->GetComplaint(&get_context, get, &got).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    // A branch does not submit complaints (the stream, on the sync API, refused too).
    grpc::ClientContext stream_context;
    intake::v1::SubmitComplaintsResponse results;
    auto stream = intake->SubmitComplaints(&stream_context, &results);
    stream->Write(submit);
    stream->WritesDone();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }

  // Its own unit accepts it, naming no unit: the credential's is used.
  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id(id);
  accept.set_responsible("网点主任 王");
  accept.set_request_id("access-accept");
  routing::v1::AcceptCaseResponse accepted;
  ASSERT_TRUE(Eventually([&] {
                grpc::ClientContext c;
                return own->AcceptCase(&c, accept, &accepted);
              }).ok())
      << platform.LogTail("routing");
  EXPECT_EQ(accepted.case_().state(), routing::v1::CASE_STATE_ACCEPTED);

  // Operations reads the complaint with the customer masked; an agent reads it whole.
  intake::v1::GetComplaintRequest get;
  get.set_complaint_id(id);
  intake::v1::GetComplaintResponse masked, plain;
  {
    auto ops = StubAs<intake::v1::IntakeService>(platform, "intake", "operations:ops");
    grpc::ClientContext context;
    ASSERT_TRUE(ops->GetComplaint(&context, get, &masked).ok());
    auto agent = StubAs<intake::v1::IntakeService>(platform, "intake", "agent:alice");
    grpc::ClientContext agent_context;
    ASSERT_TRUE(agent->GetComplaint(&agent_context, get, &plain).ok());
  }
  EXPECT_EQ(masked.complaint().customer().phone(), common::MaskPhone(phone));
  EXPECT_EQ(masked.complaint().customer().name(), common::MaskName(name));
  EXPECT_EQ(masked.complaint().customer().id_number(), common::MaskIdNumber(id_number));
  EXPECT_EQ(plain.complaint().customer().phone(), phone);

  // The audit trail: the stranger's refusal and the unit's acceptance, by principal.
  auto audit = kafka::TopicReader::Open(Platform::KafkaBootstrap(), "access.audit.v1");
  ASSERT_TRUE(audit.ok()) << audit.status();
  const auto has = [&](const std::string& principal, const std::string& method, bool allowed) {
    return (*audit)->WaitFor(
               [&](const kafka::IncomingRecord& record) {
                 events::v1::AccessAudited event;
                 return kafka::AboutComplaint(id)(record) &&
                        events::ParseRecord(record, &event).ok() &&
                        event.principal() == principal && event.allowed() == allowed &&
                        event.method() == method;
               },
               absl::Seconds(30))
        .has_value();
  };
  EXPECT_TRUE(has("branch:" + other, "complaints.routing.v1.CaseService/GetCase", false));
  EXPECT_TRUE(has("branch:" + other, "complaints.routing.v1.CaseService/AcceptCase", false));
  EXPECT_TRUE(has("branch:" + unit, "complaints.routing.v1.CaseService/AcceptCase", true));
  EXPECT_TRUE(has("operations:ops", "complaints.intake.v1.IntakeService/GetComplaint", true));

  // No service logged the customer's data, refusals included.
  EXPECT_THAT(testsupport::ScanLogs(platform.LogFiles(), {{"phone", phone},
                                                           {"name", name},
                                                           {"id_number", id_number}}),
              ::testing::IsEmpty());
}

}  // namespace
}  // namespace complaints
