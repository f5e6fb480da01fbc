#include "tests/support/case_client.h"

#include <random>

#include "complaints/events/v1/followup.pb.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"
#include "tests/support/process.h"

namespace complaints::testsupport {

std::unique_ptr<kafka::TopicReader> OpenTopic(const std::string& topic) {
  auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), topic);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? *std::move(reader) : nullptr;
}

bool About(const kafka::IncomingRecord& record, const std::string& id) {
  return kafka::FindHeader(record.headers, "ce_subject") == id;
}

CaseClient::CaseClient(const Platform& platform)
    : intake_(intake::v1::IntakeService::NewStub(platform.Channel("intake"))),
      cases_(routing::v1::CaseService::NewStub(platform.Channel("routing"))),
      followup_(followup::v1::FollowUpService::NewStub(platform.Channel("followup"))) {}

std::string CaseClient::Submit(const std::string& category, const std::string& branch) {
  std::random_device random;
  intake::v1::SubmitComplaintRequest submit;
  submit.set_source("ivr-95533");
  submit.set_external_id("e2e-" + std::to_string(random()) + std::to_string(random()));
  submit.mutable_customer()->set_phone(UniqueMobile());
  submit.set_category(category);
  submit.set_description("客户投诉");
  submit.set_branch_code(branch);
  intake::v1::SubmitComplaintResponse submitted;
  grpc::ClientContext context;
  const grpc::Status status = intake_->SubmitComplaint(&context, submit, &submitted);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return status.ok() ? submitted.complaint_id() : "";
}

std::optional<routing::v1::Case> CaseClient::WaitCase(
    const std::string& id, const std::function<bool(const routing::v1::Case&)>& done,
    absl::Duration timeout) {
  routing::v1::GetCaseRequest request;
  request.set_complaint_id(id);
  routing::v1::GetCaseResponse response;
  Until(
      [&] {
        grpc::ClientContext context;
        return cases_->GetCase(&context, request, &response);
      },
      [&] { return done(response.case_()); }, timeout);
  if (!done(response.case_())) {
    ADD_FAILURE() << "case " << id << " is not as expected: " << response.case_().ShortDebugString();
    return std::nullopt;
  }
  return response.case_();
}

grpc::Status CaseClient::Accept(const std::string& id, const std::string& unit,
                                routing::v1::Case* after) {
  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id(id);
  accept.set_unit(unit);
  accept.set_responsible("网点主任 王");
  accept.set_request_id("accept-" + unit);
  routing::v1::AcceptCaseResponse accepted;
  const grpc::Status status = Eventually([&] {
    grpc::ClientContext context;
    return cases_->AcceptCase(&context, accept, &accepted);
  });
  EXPECT_TRUE(status.ok()) << status.error_message();
  if (after != nullptr) *after = accepted.case_();
  return status;
}

grpc::Status CaseClient::Resolve(const std::string& id, const std::string& unit, bool fixed) {
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_complaint_id(id);
  resolve.set_unit(unit);
  resolve.set_resolution("explained and apologised");
  resolve.set_fault(events::v1::FAULT_PARTY_STAFF);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_VENTING);
  resolve.set_business_problem_fixed(fixed);
  resolve.set_request_id("resolve-" + unit);
  routing::v1::ResolveCaseResponse resolved;
  grpc::ClientContext context;
  const grpc::Status status = cases_->ResolveCase(&context, resolve, &resolved);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return status;
}

std::string CaseClient::AnswerSurvey(const std::string& id, followup::v1::Outcome outcome) {
  if (tasks_ == nullptr) tasks_ = OpenTopic("followup.tasks.v1");
  if (tasks_ == nullptr) return "";
  events::v1::FollowUpTask task;
  const auto record = tasks_->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        return r.key == id && task.ParseFromString(r.value) &&
               task.kind() == events::v1::FOLLOW_UP_TASK_KIND_SURVEY &&
               !answered_.contains(task.task_id());
      },
      absl::Seconds(90));
  EXPECT_TRUE(record.has_value()) << "no new follow-up task for " << id;
  if (!record.has_value()) return "";
  answered_.insert(task.task_id());
  followup::v1::RecordOutcomeRequest request;
  request.set_complaint_id(id);
  request.set_task_id(task.task_id());
  request.set_outcome(outcome);
  request.set_comment("问题没有解决");
  request.set_actor("回访 李");
  followup::v1::RecordOutcomeResponse response;
  const grpc::Status status = Eventually([&] {
    grpc::ClientContext context;
    return followup_->RecordOutcome(&context, request, &response);
  });
  EXPECT_TRUE(status.ok()) << status.error_message();
  return status.ok() ? response.effect() : "";
}

}  // namespace complaints::testsupport
