// Every role × every RPC through a real gRPC server with mutual TLS and the deployed access policy
// (deploy/authz/policy.textproto): allowed calls reach the handler (the generated services'
// default handlers answer UNIMPLEMENTED), refused ones are PERMISSION_DENIED and never reach it.
// Needs the credentials of deploy/certs.sh in <repo>/.certs (deploy/setup.sh makes them).
#include "libs/grpcutil/authorization.h"

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/followup/v1/followup.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "libs/grpcutil/client_credentials.h"
#include "libs/grpcutil/server.h"

namespace complaints::grpcutil {
namespace {

const std::string kSource = COMPLAINTS_SOURCE_DIR;
const std::string kCerts = kSource + "/.certs";

// Cases: which unit each complaint is with.
class FakeResolver final : public CaseUnitResolver {
 public:
  absl::StatusOr<std::string> UnitOf(const std::string& complaint_id) override {
    if (complaint_id == "c-bj0101") return std::string("BJ-0101");
    if (complaint_id == "c-sh0201") return std::string("SH-0201");
    return absl::NotFoundError("no case");
  }
};

std::atomic<int> accept_calls{0};
std::atomic<int> submit_calls{0};
std::mutex seen_mu;
std::string seen_accept_unit;

// Intake on the callback API (as the real one's SubmitComplaint is): a refusal must not come
// back as the callback API's UNIMPLEMENTED, nor reach the handler.
class FakeIntake final : public intake::v1::IntakeService::CallbackService {
  grpc::ServerUnaryReactor* SubmitComplaint(grpc::CallbackServerContext* context,
                                            const intake::v1::SubmitComplaintRequest*,
                                            intake::v1::SubmitComplaintResponse*) override {
    ++submit_calls;
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "fake"));
    return reactor;
  }
  grpc::ServerUnaryReactor* GetComplaint(grpc::CallbackServerContext* context,
                                         const intake::v1::GetComplaintRequest* request,
                                         intake::v1::GetComplaintResponse* response) override {
    auto* reactor = context->DefaultReactor();
    if (request->complaint_id() != "c-with-customer") {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "fake"));
      return reactor;
    }
    auto* customer = response->mutable_complaint()->mutable_customer();
    customer->set_name("张三丰");
    customer->set_phone("13812345678");
    customer->set_id_number("110101199003071234");
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class FakeCases final : public routing::v1::CaseService::Service {
  grpc::Status AcceptCase(grpc::ServerContext*, const routing::v1::AcceptCaseRequest* request,
                          routing::v1::AcceptCaseResponse*) override {
    ++accept_calls;
    std::lock_guard lock(seen_mu);
    seen_accept_unit = request->unit();
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "fake");
  }
};

class AuthorizationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(std::ifstream(kCerts + "/server.crt").good())
        << "no credentials in " << kCerts << ": run deploy/certs.sh";
    auto policy = authz::AccessPolicy::FromFile(kSource + "/deploy/authz/policy.textproto");
    ASSERT_TRUE(policy.ok()) << policy.status();
    auto units = authz::UnitTree::FromFile(kSource + "/deploy/routing/units.textproto");
    ASSERT_TRUE(units.ok()) << units.status();
    resolver_ = new FakeResolver();
    audit_ = new std::vector<AccessRecord>();
    authorization_ = std::make_shared<Authorization>(AuthorizationOptions{
        .policy = std::make_shared<const authz::AccessPolicy>(*policy),
        .units = std::make_shared<const authz::UnitTree>(*units),
        .resolver = resolver_,
        .audit = [](const AccessRecord& record) {
          std::lock_guard lock(seen_mu);
          audit_->push_back(record);
        }});
    ServerOptions options;
    options.tls = {kCerts + "/server.crt", kCerts + "/server.key", kCerts + "/ca.crt"};
    server_ = new ServerRunner(options);
    server_->SetAuthorization(authorization_);
    services_ = {new FakeIntake(), new FakeCases(), new routing::v1::RoutingAdminService::Service(),
                 new sla::v1::SlaService::Service(), new followup::v1::FollowUpService::Service(),
                 new analytics::v1::AnalyticsService::Service()};
    for (grpc::Service* service : services_) server_->AddService(service);
    ASSERT_TRUE(server_->Start().ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    for (grpc::Service* service : services_) delete service;
  }

  static std::string Address() { return "127.0.0.1:" + std::to_string(server_->port()); }

  // Calls `method` as `principal` with `request` (any method kind: one message, then half-close)
  // and returns the status; the first response, if any, into `response`.
  static grpc::Status Call(const std::string& principal,
                           const google::protobuf::MethodDescriptor* method,
                           const google::protobuf::Message& request,
                           std::string* response = nullptr) {
    static std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
    auto& channel = channels[principal];
    if (channel == nullptr) channel = ClientChannel(Address(), principal);
    grpc::GenericStub stub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::CompletionQueue cq;
    auto call = stub.PrepareCall(&context,
                                 "/" + method->service()->full_name() + "/" + method->name(), &cq);
    void* tag;
    bool ok;
    call->StartCall(reinterpret_cast<void*>(1));
    cq.Next(&tag, &ok);
    const std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
    call->WritesDone(reinterpret_cast<void*>(3));
    cq.Next(&tag, &ok);
    grpc::ByteBuffer reply;
    call->Read(&reply, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    if (ok && response != nullptr) {
      std::vector<grpc::Slice> slices;
      (void)reply.Dump(&slices);
      response->clear();
      for (const auto& s : slices) response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    cq.Next(&tag, &ok);
    return status;
  }

  // A request for `method` about the complaint `complaint_id` (when it names one) or about
  // `unit` (when it names a unit and no complaint).
  static std::unique_ptr<google::protobuf::Message> Request(
      const google::protobuf::MethodDescriptor* method, const std::string& complaint_id,
      const std::string& unit) {
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(method->input_type())
            ->New());
    const auto* reflection = request->GetReflection();
    const auto* id = method->input_type()->FindFieldByName("complaint_id");
    const auto* unit_field = method->input_type()->FindFieldByName("unit");
    if (id != nullptr) {
      reflection->SetString(request.get(), id, complaint_id);
    } else if (unit_field != nullptr) {
      reflection->SetString(request.get(), unit_field, unit);
    }
    return request;
  }

  static inline ServerRunner* server_ = nullptr;
  static inline std::vector<grpc::Service*> services_;
  static inline FakeResolver* resolver_ = nullptr;
  static inline std::vector<AccessRecord>* audit_ = nullptr;
  static inline std::shared_ptr<Authorization> authorization_;
};

// By name from the generated pool; the messages named here link each API's descriptors in.
const google::protobuf::ServiceDescriptor* Service(const char* name) {
  for (const auto* linked :
       {intake::v1::GetComplaintRequest::descriptor(), routing::v1::GetCaseRequest::descriptor(),
        sla::v1::GetDeadlinesRequest::descriptor(), followup::v1::RecordOutcomeRequest::descriptor(),
        analytics::v1::GetTimelineRequest::descriptor()}) {
    (void)linked;
  }
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
  EXPECT_NE(service, nullptr) << name;
  return service;
}

std::vector<const google::protobuf::MethodDescriptor*> AllMethods() {
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (const char* name :
       {"complaints.intake.v1.IntakeService", "complaints.routing.v1.CaseService",
        "complaints.routing.v1.RoutingAdminService", "complaints.sla.v1.SlaService",
        "complaints.followup.v1.FollowUpService", "complaints.analytics.v1.AnalyticsService"}) {
    const auto* service = Service(name);
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  return methods;
}

std::string ShortName(const google::protobuf::MethodDescriptor* method) {
  return method->service()->name() + "/" + method->name();
}

// The same table as libs/authz/access_policy_test.cc, here through the wire.
const std::map<std::string, std::set<std::string>> kAllowed = {
    {"telephony:ivr-1",
     {"IntakeService/SubmitComplaint", "IntakeService/SubmitComplaints",
      "FollowUpService/RecordOutcome"}},
    {"agent:alice",
     {"IntakeService/SubmitComplaint", "IntakeService/SubmitComplaints",
      "IntakeService/GetComplaint", "CaseService/GetCase", "SlaService/GetDeadlines",
      "AnalyticsService/GetTimeline", "FollowUpService/RecordOutcome"}},
    {"branch:BJ-0101",
     {"IntakeService/GetComplaint", "CaseService/AcceptCase", "CaseService/LogContact",
      "CaseService/TransferCase", "CaseService/RequestExtension", "CaseService/ResolveCase",
      "CaseService/ReportFix", "CaseService/PauseCase", "CaseService/ResumeCase", "CaseService/RecordNewFacts",
      "CaseService/GetCase", "CaseService/ListCases", "SlaService/GetDeadlines",
      "SlaService/ListUnitDeadlines", "SlaService/WatchAlerts", "AnalyticsService/GetTimeline"}},
    {"supervisor:BJ-0110",
     {"IntakeService/GetComplaint", "CaseService/AcceptCase", "CaseService/LogContact",
      "CaseService/TransferCase", "CaseService/RequestExtension",
      "CaseService/ApproveExtension", "CaseService/RefuseExtension", "CaseService/ResolveCase",
      "CaseService/ReportFix", "CaseService/PauseCase", "CaseService/ResumeCase", "CaseService/RecordNewFacts",
      "CaseService/GetCase", "CaseService/ListCases", "SlaService/GetDeadlines",
      "SlaService/ListUnitDeadlines", "SlaService/WatchAlerts", "SlaService/PauseClocks",
      "SlaService/ResumeClocks", "SlaService/ExtendDeadline", "AnalyticsService/GetTimeline",
      "AnalyticsService/GetAggregates", "AnalyticsService/GetBacklog"}},
    {"operations:ops",
     {"IntakeService/GetComplaint", "CaseService/GetCase", "CaseService/ListCases",
      "RoutingAdminService/ListRules", "RoutingAdminService/ExplainRoute",
      "SlaService/GetDeadlines", "SlaService/ListUnitDeadlines", "SlaService/WatchAlerts",
      "AnalyticsService/GetTimeline", "AnalyticsService/GetCounts",
      "AnalyticsService/GetAggregates", "AnalyticsService/GetBacklog",
      "AnalyticsService/ListHotSpots", "AnalyticsService/ExportMonthlyReport"}},
};

TEST_F(AuthorizationTest, EveryRoleTimesEveryRpcOverMutualTls) {
  std::map<std::string, std::set<std::string>> expected = kAllowed;
  for (const auto* method : AllMethods()) expected["admin:root"].insert(ShortName(method));
  const int submits_before = submit_calls.load();
  int submits_allowed = 0;
  for (const auto& [principal, allowed] : expected) {
    const std::string role = principal.substr(0, principal.find(':'));
    // In scope: BJ-0101's case for the branch and for the supervisor of BJ-0110 above it.
    const bool bj = role == "branch" || role == "supervisor";
    for (const auto* method : AllMethods()) {
      auto request = Request(method, bj ? "c-bj0101" : "c-sh0201", bj ? "BJ-0101" : "SH-0201");
      const grpc::Status status = Call(principal, method, *request);
      if (allowed.contains(ShortName(method))) {
        // Reached the handler: the fakes answer UNIMPLEMENTED.
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
            << principal << " " << ShortName(method) << ": " << status.error_message();
        if (ShortName(method) == "IntakeService/SubmitComplaint") ++submits_allowed;
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << principal << " " << ShortName(method) << ": " << status.error_message();
        EXPECT_NE(status.error_message().find("role " + role), std::string::npos)
            << status.error_message();
      }
    }
  }
  // Refused callback-API calls never reached the handler.
  EXPECT_EQ(submit_calls.load() - submits_before, submits_allowed);
}

TEST_F(AuthorizationTest, ABranchCannotReachAnotherUnitsComplaintEvenByGuessing) {
  for (const std::string principal : {"branch:BJ-0101", "supervisor:BJ-0110"}) {
    for (const auto* method : AllMethods()) {
      for (const std::string complaint : {"c-sh0201", "c-guessed-id"}) {
        auto request = Request(method, complaint, "SH-0201");
        const grpc::Status status = Call(principal, method, *request);
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << principal << " " << ShortName(method) << " " << complaint;
        // The refusal does not say where the complaint is, or whether it exists.
        if (method->input_type()->FindFieldByName("complaint_id") != nullptr) {
          EXPECT_EQ(status.error_message().find("SH-0201"), std::string::npos)
              << status.error_message();
        }
      }
    }
  }
}

TEST_F(AuthorizationTest, TheUnitOfACommandComesFromTheCredential) {
  const auto* accept = Service("complaints.routing.v1.CaseService")->FindMethodByName("AcceptCase");
  routing::v1::AcceptCaseRequest request;
  request.set_complaint_id("c-bj0101");  // no unit: the credential's is filled in
  const int before = accept_calls.load();
  EXPECT_EQ(Call("branch:BJ-0101", accept, request).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(accept_calls.load(), before + 1);
  {
    std::lock_guard lock(seen_mu);
    EXPECT_EQ(seen_accept_unit, "BJ-0101");
  }
  request.set_unit("SH-0201");  // acting for another unit, on its own case
  const grpc::Status refused = Call("branch:BJ-0101", accept, request);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(accept_calls.load(), before + 1);  // the handler never saw it
}

TEST_F(AuthorizationTest, OperationsSeesCustomerDataMasked) {
  const auto* get = Service("complaints.intake.v1.IntakeService")->FindMethodByName("GetComplaint");
  intake::v1::GetComplaintRequest request;
  request.set_complaint_id("c-with-customer");
  std::string bytes;
  ASSERT_TRUE(Call("operations:ops", get, request, &bytes).ok());
  intake::v1::GetComplaintResponse masked;
  ASSERT_TRUE(masked.ParseFromString(bytes));
  EXPECT_EQ(masked.complaint().customer().phone(), "138****5678");
  EXPECT_EQ(masked.complaint().customer().id_number(), "1101**********1234");
  EXPECT_EQ(masked.complaint().customer().name().find("三丰"), std::string::npos);
  ASSERT_TRUE(Call("agent:alice", get, request, &bytes).ok());
  intake::v1::GetComplaintResponse plain;
  ASSERT_TRUE(plain.ParseFromString(bytes));
  EXPECT_EQ(plain.complaint().customer().phone(), "13812345678");
}

TEST_F(AuthorizationTest, AccessToComplaintsIsAudited) {
  const auto* get = Service("complaints.routing.v1.CaseService")->FindMethodByName("GetCase");
  routing::v1::GetCaseRequest request;
  request.set_complaint_id("c-sh0201");
  {
    std::lock_guard lock(seen_mu);
    audit_->clear();
  }
  (void)Call("branch:BJ-0101", get, request);
  (void)Call("operations:ops", get, request);
  std::lock_guard lock(seen_mu);
  ASSERT_EQ(audit_->size(), 2u);
  EXPECT_EQ((*audit_)[0].principal, "branch:BJ-0101");
  EXPECT_FALSE((*audit_)[0].allowed);
  EXPECT_EQ((*audit_)[0].unit, "SH-0201");
  EXPECT_EQ((*audit_)[0].complaint_id, "c-sh0201");
  EXPECT_FALSE((*audit_)[0].change);
  EXPECT_EQ((*audit_)[1].principal, "operations:ops");
  EXPECT_TRUE((*audit_)[1].allowed);
}

TEST_F(AuthorizationTest, CallersWithoutACertificateOfTheCaAreRejected) {
  intake::v1::IntakeService::Stub stub(
      grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  intake::v1::GetComplaintResponse response;
  EXPECT_FALSE(stub.GetComplaint(&context, {}, &response).ok());
}

}  // namespace
}  // namespace complaints::grpcutil
