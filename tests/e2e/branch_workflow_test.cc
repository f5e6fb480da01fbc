// End-to-end: the branch workflow (处理) through CaseService's gRPC API against the real routing
// and SLA timer binaries on the test Kafka and Redis: a transfer ping-pong that ends at the
// supervisor, an extension approved (the SLA timer moves the regulatory deadline from 15 to 30
// days) and one refused (no clock moves), and the unit's worklist with the SLA timer's deadlines.
#include <map>
#include <optional>
#include <random>

#include "complaints/events/v1/case.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/case_client.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using testsupport::Eventually;
using testsupport::Platform;
using testsupport::Until;

constexpr absl::Duration kTimeout = absl::Seconds(90);

class BranchWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    platform_ = std::make_unique<Platform>(Platform::Options{});
    ASSERT_TRUE(platform_->WaitUntilServing(absl::Seconds(60))) << platform_->LogTail("routing");
    cases_ = routing::v1::CaseService::NewStub(platform_->Channel("routing"));
    sla_ = sla::v1::SlaService::NewStub(platform_->Channel("sla_timer"));
    // Branches of this test's own, so that the worklists hold only its complaints.
    std::random_device random;
    const std::string tag = std::to_string(random() % 1000000);
    branch_ = "WF" + tag + "-A";
    other_ = "WF" + tag + "-B";
  }

  // A new ATM complaint about `branch_`, assigned there and accepted.
  std::string AcceptedComplaint() {
    testsupport::CaseClient client(*platform_);
    const std::string id = client.Submit("atm.card_retained", branch_);
    if (id.empty() || !client.Accept(id, branch_).ok()) ADD_FAILURE() << platform_->LogTail("routing");
    return id;
  }

  grpc::Status Transfer(const std::string& id, const std::string& from, const std::string& to,
                        routing::v1::Case* after) {
    routing::v1::TransferCaseRequest transfer;
    transfer.set_complaint_id(id);
    transfer.set_unit(from);
    transfer.set_to_unit(to);
    transfer.set_reason("the card account is held at the other branch");
    routing::v1::TransferCaseResponse response;
    grpc::ClientContext context;
    grpc::Status status = cases_->TransferCase(&context, transfer, &response);
    *after = response.case_();
    return status;
  }

  // The complaint's regulatory deadline as the SLA timer has it (nullopt: none yet).
  std::optional<sla::v1::Deadline> Regulatory(const std::string& id) {
    sla::v1::GetDeadlinesRequest request;
    request.set_complaint_id(id);
    sla::v1::GetDeadlinesResponse response;
    grpc::ClientContext context;
    if (!sla_->GetDeadlines(&context, request, &response).ok()) return std::nullopt;
    for (const auto& d : response.deadlines()) {
      if (d.clock() == events::v1::CLOCK_REGULATORY) return d;
    }
    return std::nullopt;
  }

  // Waits until the regulatory deadline is `due` (nullopt: any) with `status`; returns it.
  std::optional<sla::v1::Deadline> RegulatoryAt(
      const std::string& id, std::optional<absl::Time> due,
      sla::v1::DeadlineStatus status = sla::v1::DEADLINE_STATUS_RUNNING) {
    std::optional<sla::v1::Deadline> last;
    const auto matches = [&] {
      return last && last->status() == status &&
             (!due || common::FromProtoTime(last->due_at()) == *due);
    };
    Until(
        [&] {
          last = Regulatory(id);
          return grpc::Status::OK;
        },
        matches, kTimeout);
    if (!matches()) {
      ADD_FAILURE() << "regulatory deadline of " << id << ": "
                    << (last ? last->ShortDebugString() : "none") << ", expected "
                    << (due ? absl::FormatTime(*due) : "any") << " "
                    << sla::v1::DeadlineStatus_Name(status);
      return std::nullopt;
    }
    return last;
  }

  std::unique_ptr<Platform> platform_;
  std::unique_ptr<routing::v1::CaseService::Stub> cases_;
  std::unique_ptr<sla::v1::SlaService::Stub> sla_;
  std::string branch_, other_;
};

// Two branches pass a case back and forth: the third transfer between them goes to the
// supervisor (routing.default_supervisor_unit until the hierarchy is wired in), on the
// assignments topic too.
TEST_F(BranchWorkflowTest, ATransferPingPongEndsAtTheSupervisor) {
  const std::string id = AcceptedComplaint();
  ASSERT_FALSE(id.empty());
  routing::v1::Case after;
  ASSERT_TRUE(Transfer(id, branch_, other_, &after).ok());
  EXPECT_EQ(after.unit(), other_);
  ASSERT_TRUE(Transfer(id, other_, branch_, &after).ok());
  EXPECT_EQ(after.unit(), branch_);
  const grpc::Status third = Transfer(id, branch_, other_, &after);
  ASSERT_TRUE(third.ok()) << third.error_message();
  EXPECT_EQ(after.unit(), "HO-COMPLAINTS");
  EXPECT_EQ(after.assignment_sequence(), 4);
  EXPECT_EQ(after.transfers_size(), 3);

  auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), "complaints.assignments.v1");
  ASSERT_TRUE(reader.ok());
  const auto assignment = (*reader)->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        if (kafka::FindHeader(r.headers, "ce_subject") != id) return false;
        events::v1::Assignment a;
        return a.ParseFromString(r.value) && a.sequence() == 4;
      },
      kTimeout);
  ASSERT_TRUE(assignment.has_value()) << platform_->LogTail("routing");
  EXPECT_EQ(assignment->key, "HO-COMPLAINTS");
  events::v1::Assignment a;
  ASSERT_TRUE(a.ParseFromString(assignment->value));
  EXPECT_EQ(a.rule_id(), "transfer-bounce-limit");

  // The SLA timer follows: the case's running clocks are now the supervisor's.
  std::optional<sla::v1::Deadline> regulatory;
  EXPECT_TRUE(Until(
                  [&] {
                    regulatory = Regulatory(id);
                    return grpc::Status::OK;
                  },
                  [&] { return regulatory && regulatory->unit() == "HO-COMPLAINTS"; }, kTimeout)
                  .ok());
  EXPECT_EQ(regulatory ? regulatory->unit() : "", "HO-COMPLAINTS");
}

// The unit asks, the supervisor approves: only then does the regulatory deadline move, 15 -> 30
// days. A second request refused moves nothing.
TEST_F(BranchWorkflowTest, AnExtensionApprovedMovesTheClockAndOneRefusedDoesNot) {
  const std::string id = AcceptedComplaint();
  ASSERT_FALSE(id.empty());
  routing::v1::RequestExtensionRequest request;
  request.set_complaint_id(id);
  request.set_unit(branch_);
  request.set_days(15);
  request.set_reason("waiting for the ATM vendor's journal");
  request.set_request_id("ext-1");
  routing::v1::RequestExtensionResponse requested;
  {
    grpc::ClientContext context;
    const grpc::Status s = cases_->RequestExtension(&context, request, &requested);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(requested.case_().has_pending_extension());
  const routing::v1::Case c = requested.case_();
  // The 15-day deadline (to the end of its last calendar day in the policy's region).
  const auto initial = RegulatoryAt(id, std::nullopt);
  ASSERT_TRUE(initial.has_value()) << platform_->LogTail("sla_timer");
  const absl::Time day15 = common::FromProtoTime(initial->due_at());
  EXPECT_GE(day15, common::FromProtoTime(c.received_at()) + absl::Hours(24 * 15));
  EXPECT_LT(day15, common::FromProtoTime(c.received_at()) + absl::Hours(24 * 16));

  routing::v1::ApproveExtensionRequest approve;
  approve.set_complaint_id(id);
  approve.set_unit(branch_);  // not the supervisor
  approve.set_actor("分行 赵");
  approve.set_customer_notified(true);
  approve.set_request_ref(c.pending_extension().request_ref());
  approve.set_request_id("approve-1");
  routing::v1::ApproveExtensionResponse approved;
  {
    grpc::ClientContext context;
    EXPECT_EQ(cases_->ApproveExtension(&context, approve, &approved).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  approve.set_unit("HO-COMPLAINTS");
  {
    grpc::ClientContext context;
    const grpc::Status s = cases_->ApproveExtension(&context, approve, &approved);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(approved.case_().regulatory_extension_stage(), 1);
  EXPECT_FALSE(approved.case_().has_pending_extension());
  // Stage 1 of the ladder: 30 days, 15 more; the request itself moved nothing (else 45).
  ASSERT_TRUE(RegulatoryAt(id, day15 + absl::Hours(24 * 15)).has_value())
      << platform_->LogTail("sla_timer");

  // A second request, refused.
  request.set_request_id("ext-2");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases_->RequestExtension(&context, request, &requested).ok());
  }
  routing::v1::RefuseExtensionRequest refuse;
  refuse.set_complaint_id(id);
  refuse.set_unit("HO-COMPLAINTS");
  refuse.set_actor("分行 赵");
  refuse.set_reason("30 days are enough for the vendor's journal");
  routing::v1::RefuseExtensionResponse refused;
  {
    grpc::ClientContext context;
    const grpc::Status s = cases_->RefuseExtension(&context, refuse, &refused);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(refused.case_().regulatory_extension_stage(), 1);
  EXPECT_FALSE(refused.case_().has_pending_extension());
  // The timer has applied the refusal once it applies the pause after it (same partition, in
  // order): the regulatory clock is then paused, still at 30 days.
  routing::v1::PauseCaseRequest pause;
  pause.set_complaint_id(id);
  pause.set_unit(branch_);
  pause.set_reason(events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL);
  pause.set_customer_notified(true);
  routing::v1::PauseCaseResponse paused;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases_->PauseCase(&context, pause, &paused).ok());
  }
  EXPECT_TRUE(
      RegulatoryAt(id, day15 + absl::Hours(24 * 15), sla::v1::DEADLINE_STATUS_PAUSED).has_value())
      << platform_->LogTail("sla_timer");

  // The refusal is on the topic, after the approval.
  auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), "complaints.case.v1");
  ASSERT_TRUE(reader.ok());
  int approvals = 0;
  const auto refusal = (*reader)->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        if (kafka::FindHeader(r.headers, "ce_subject") != id) return false;
        events::v1::CaseEvent e;
        if (!e.ParseFromString(r.value)) return false;
        approvals += e.has_extension_approved();
        return e.has_extension_refused();
      },
      kTimeout);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(approvals, 1);
}

// The unit's worklist: its cases with the deadline the SLA timer lists them by, very urgent
// first; a case transferred away leaves it.
TEST_F(BranchWorkflowTest, ListCasesShowsTheUnitsCasesWithTheTimersDeadlines) {
  const std::string first = AcceptedComplaint();
  const std::string second = AcceptedComplaint();
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());

  // The SLA timer's own view of the unit's worklist.
  sla::v1::ListUnitDeadlinesRequest sla_request;
  sla_request.set_unit(branch_);
  sla_request.mutable_due_within()->set_seconds(90 * 24 * 3600);
  sla::v1::ListUnitDeadlinesResponse sla_list;
  ASSERT_TRUE(Until(
                  [&] {
                    grpc::ClientContext context;
                    return sla_->ListUnitDeadlines(&context, sla_request, &sla_list);
                  },
                  [&] { return sla_list.items_size() == 2; }, kTimeout)
                  .ok());
  ASSERT_EQ(sla_list.items_size(), 2) << platform_->LogTail("sla_timer");

  routing::v1::ListCasesRequest request;
  request.set_unit(branch_);
  routing::v1::ListCasesResponse listed;
  // The timer applies each acceptance after the command answered: the two views agree once it
  // has (each read again until then).
  std::map<std::string, std::string> sla_due;
  const auto agree = [&] {
    sla_due.clear();
    for (const auto& item : sla_list.items()) {
      sla_due[item.complaint_id()] = item.first().due_at().SerializeAsString();
    }
    if (listed.cases_size() != 2) return false;
    for (const auto& item : listed.cases()) {
      if (sla_due[item.case_().complaint_id()] != item.due_at().SerializeAsString()) return false;
    }
    return true;
  };
  Until(
      [&] {
        grpc::ClientContext sla_context;
        grpc::Status s = sla_->ListUnitDeadlines(&sla_context, sla_request, &sla_list);
        if (!s.ok()) return s;
        grpc::ClientContext context;
        return cases_->ListCases(&context, request, &listed);
      },
      agree, kTimeout);
  ASSERT_TRUE(agree()) << listed.ShortDebugString() << "\n" << sla_list.ShortDebugString();
  // Both normal urgency: nearest deadline first, each with the due time the timer lists it by.
  for (int i = 0; i < 2; ++i) {
    const auto& item = listed.cases(i);
    ASSERT_TRUE(sla_due.contains(item.case_().complaint_id()));
    EXPECT_EQ(item.due_at().SerializeAsString(), sla_due[item.case_().complaint_id()]);
    EXPECT_FALSE(item.overdue());
    EXPECT_EQ(item.case_().state(), routing::v1::CASE_STATE_ACCEPTED);
    EXPECT_EQ(item.case_().responsible(), "网点主任 王");
  }
  EXPECT_LE(common::FromProtoTime(listed.cases(0).due_at()),
            common::FromProtoTime(listed.cases(1).due_at()));

  // Paged one at a time.
  request.set_page_size(1);
  routing::v1::ListCasesResponse page;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases_->ListCases(&context, request, &page).ok());
  }
  ASSERT_EQ(page.cases_size(), 1);
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases_->ListCases(&context, request, &page).ok());
  }
  ASSERT_EQ(page.cases_size(), 1);
  EXPECT_EQ(page.cases(0).case_().complaint_id(), listed.cases(1).case_().complaint_id());
  EXPECT_TRUE(page.next_page_token().empty());

  // Transferred away: off this unit's list, on the other's.
  routing::v1::Case after;
  ASSERT_TRUE(Transfer(first, branch_, other_, &after).ok());
  request.clear_page_token();
  request.set_page_size(0);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases_->ListCases(&context, request, &listed).ok());
  }
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_().complaint_id(), second);
  request.set_unit(other_);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases_->ListCases(&context, request, &listed).ok());
  }
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).case_().complaint_id(), first);

  // A bad request names its field.
  routing::v1::ListCasesRequest bad;
  grpc::ClientContext context;
  const grpc::Status s = cases_->ListCases(&context, bad, &listed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("unit"), std::string::npos);
}

}  // namespace
}  // namespace complaints
