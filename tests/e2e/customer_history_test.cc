// End-to-end, through the real broker: the rules intake draws from a customer's history —
// merge into the open complaint, repeat_3plus, prior escalation — each holding again after
// Redis lost everything (FLUSHALL on a Redis of the test's own) and the history was rebuilt
// from complaints.received.v1 and complaints.case.v1.
#include <random>

#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/redis/redis_client.h"
#include "libs/testing/scratch_redis.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using testsupport::Eventually;
using testsupport::Platform;
using testsupport::Until;

class CustomerHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<testsupport::RedisServer>(
        testsupport::EnvOr("TEST_LOG_DIR", "/tmp") + "/history-redis.log");
    ASSERT_TRUE(redis_->WaitUntilReady());
    Platform::Options options;
    options.env = {{"COMPLAINTS_REDIS_PORT", std::to_string(redis_->port())}};
    platform_ = std::make_unique<Platform>(options);
    ASSERT_TRUE(platform_->WaitUntilServing(absl::Seconds(60)));
    intake_ = intake::v1::IntakeService::NewStub(platform_->Channel("intake"));
    cases_ = routing::v1::CaseService::NewStub(platform_->Channel("routing"));
  }

  intake::v1::SubmitComplaintRequest Complaint(const std::string& phone, const std::string& category,
                                               const std::string& description) {
    std::random_device random;
    intake::v1::SubmitComplaintRequest r;
    r.set_source("ivr-95533");
    r.set_external_id("history-" + std::to_string(random()) + std::to_string(random()));
    r.mutable_customer()->set_phone(phone);
    r.set_category(category);
    r.set_description(description);
    r.set_branch_code("BJ-0101");
    return r;
  }

  intake::v1::SubmitComplaintResponse Submit(const intake::v1::SubmitComplaintRequest& r) {
    intake::v1::SubmitComplaintResponse response;
    const grpc::Status status = Eventually([&] {
      grpc::ClientContext context;
      return intake_->SubmitComplaint(&context, r, &response);
    });
    EXPECT_TRUE(status.ok()) << status.error_message() << "\n" << platform_->LogTail("intake");
    return response;
  }

  // The case once `done` holds for it.
  template <typename Done>
  routing::v1::Case CaseWhen(const std::string& id, Done done) {
    routing::v1::GetCaseRequest request;
    request.set_complaint_id(id);
    routing::v1::GetCaseResponse response;
    EXPECT_TRUE(Until(
                    [&] {
                      grpc::ClientContext c;
                      return cases_->GetCase(&c, request, &response);
                    },
                    [&] { return done(response.case_()); })
                    .ok())
        << platform_->LogTail("routing");
    return response.case_();
  }

  // GetCase's answer for `id` once routing stops answering UNAVAILABLE: after a Redis loss it
  // does so while the complaint's partition replays, which may outlast the replay of the
  // partition a test waited for.
  grpc::StatusCode CaseStatus(const std::string& id) {
    routing::v1::GetCaseRequest request;
    request.set_complaint_id(id);
    grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
    testsupport::WaitFor(
        [&] {
          routing::v1::GetCaseResponse response;
          grpc::ClientContext c;
          code = cases_->GetCase(&c, request, &response).error_code();
          return code != grpc::StatusCode::UNAVAILABLE;
        },
        absl::Seconds(60), absl::Milliseconds(200));
    return code;
  }

  // Everything in Redis gone; the services rebuild from Kafka behind their guards.
  void LoseRedis() {
    auto client =
        redis::RedisClient::Connect(complaints::testing::TestRedisOptions(redis_->port()));
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE((*client)->Command({"FLUSHALL"}).ok());
  }

  std::unique_ptr<testsupport::RedisServer> redis_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<intake::v1::IntakeService::Stub> intake_;
  std::unique_ptr<routing::v1::CaseService::Stub> cases_;
};

// The same customer raising the same issue while it is open: merged, no second case, the open
// case records the new facts; after the rebuild, a third call merges into the same case.
TEST_F(CustomerHistoryTest, TheSameIssueWhileOpenIsMergedBeforeAndAfterARebuild) {
  const std::string phone = testsupport::UniqueMobile();
  const auto first = Submit(Complaint(phone, "atm.card_retained", "ATM吞卡了，卡还没拿回来"));
  ASSERT_EQ(first.merged_into(), "");
  const int64_t routed_version =
      CaseWhen(first.complaint_id(), [](const routing::v1::Case& c) { return c.version() > 0; })
          .version();

  const auto second = Submit(Complaint(phone, "atm.card_retained", "还是ATM吞卡的事，怎么还没处理"));
  EXPECT_EQ(second.merged_into(), first.complaint_id());
  const routing::v1::Case merged = CaseWhen(
      first.complaint_id(), [&](const routing::v1::Case& c) { return c.version() > routed_version; });
  EXPECT_EQ(merged.state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(CaseStatus(second.complaint_id()), grpc::StatusCode::NOT_FOUND);

  LoseRedis();
  const auto third = Submit(Complaint(phone, "atm.card_retained", "第三次打电话了，ATM吞卡"));
  EXPECT_EQ(third.merged_into(), first.complaint_id());
  EXPECT_EQ(third.risk_tags().repeat_count(), 3);
  EXPECT_EQ(third.risk_tags().open_complaints(), 1);
  CaseWhen(first.complaint_id(),
           [&](const routing::v1::Case& c) { return c.version() > merged.version(); });
  EXPECT_EQ(CaseStatus(third.complaint_id()), grpc::StatusCode::NOT_FOUND);
}

// The third complaint of one category in the window is very urgent, counted from the history
// (nothing in its text says so), and still after the history was rebuilt.
TEST_F(CustomerHistoryTest, TheThirdComplaintOfACategoryIsVeryUrgentBeforeAndAfterARebuild) {
  const std::string phone = testsupport::UniqueMobile();
  auto reason_codes = [](const intake::v1::SubmitComplaintResponse& r) {
    std::vector<std::string> codes;
    for (const auto& reason : r.classification().urgency_reasons()) codes.push_back(reason.code());
    return codes;
  };
  const auto first = Submit(Complaint(phone, "fees.annual_fee", "年费怎么又扣了"));
  EXPECT_EQ(first.urgency(), events::v1::URGENCY_NORMAL);
  const auto second = Submit(Complaint(phone, "fees.annual_fee", "年费的问题"));
  EXPECT_EQ(second.urgency(), events::v1::URGENCY_NORMAL);
  const auto third = Submit(Complaint(phone, "fees.annual_fee", "年费"));
  EXPECT_EQ(third.urgency(), events::v1::URGENCY_VERY_URGENT);
  EXPECT_THAT(reason_codes(third), ::testing::Contains("repeat_3plus"));
  EXPECT_EQ(third.risk_tags().repeat_count(), 3);

  LoseRedis();
  const auto fourth = Submit(Complaint(phone, "fees.annual_fee", "年费"));
  EXPECT_EQ(fourth.urgency(), events::v1::URGENCY_VERY_URGENT);
  EXPECT_THAT(reason_codes(fourth), ::testing::Contains("repeat_3plus"));
  EXPECT_EQ(fourth.risk_tags().repeat_count(), 4);
  // Another customer with the same complaint is not a repeat.
  const auto other = Submit(Complaint(testsupport::UniqueMobile(), "fees.annual_fee", "年费"));
  EXPECT_EQ(other.urgency(), events::v1::URGENCY_NORMAL);
}

// A customer who escalated before and now demands a short reply is very urgent
// (prior_escalation_and_urgent): the escalation is in the history, not in the new text; and
// still after the history was rebuilt.
TEST_F(CustomerHistoryTest, APriorEscalationWithAnUrgentDemandIsVeryUrgentBeforeAndAfterARebuild) {
  const std::string phone = testsupport::UniqueMobile();
  auto reason_codes = [](const intake::v1::SubmitComplaintResponse& r) {
    std::vector<std::string> codes;
    for (const auto& reason : r.classification().urgency_reasons()) codes.push_back(reason.code());
    return codes;
  };
  const auto escalated =
      Submit(Complaint(phone, "loans.rate", "房贷利率的问题我已经向人民银行反映过了，到现在也没人管"));
  EXPECT_EQ(escalated.level(), events::v1::LEVEL_ESCALATED);
  // The same demand from a customer with no escalation behind them is not very urgent.
  const auto calm = Submit(Complaint(testsupport::UniqueMobile(), "fees.annual_fee",
                                     "年费扣错了，今天之内必须给我答复"));
  EXPECT_THAT(reason_codes(calm), ::testing::Not(::testing::Contains("prior_escalation_and_urgent")));

  const auto again = Submit(Complaint(phone, "fees.annual_fee", "年费扣错了，今天之内必须给我答复"));
  EXPECT_EQ(again.urgency(), events::v1::URGENCY_VERY_URGENT);
  EXPECT_THAT(reason_codes(again), ::testing::Contains("prior_escalation_and_urgent"));
  EXPECT_EQ(again.risk_tags().prior_escalations(), 1);

  LoseRedis();
  const auto after = Submit(Complaint(phone, "fees.charges", "手续费乱收，马上给我回电话"));
  EXPECT_EQ(after.urgency(), events::v1::URGENCY_VERY_URGENT);
  EXPECT_THAT(reason_codes(after), ::testing::Contains("prior_escalation_and_urgent"));
  EXPECT_EQ(after.risk_tags().prior_escalations(), 1);
}

}  // namespace
}  // namespace complaints
