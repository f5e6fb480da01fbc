// End-to-end: racing CaseService commands against the real routing binary (and the rest of the
// platform) on the test Kafka and Redis. Whatever the interleaving, the case's events on
// complaints.case.v1 are a legal history, one content per ce_id, and a retried command with its
// request id appears once.
#include <barrier>
#include <map>
#include <random>
#include <thread>

#include "complaints/events/v1/case.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/cases/case_machine.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/case_client.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using testsupport::Platform;

constexpr absl::Duration kTimeout = absl::Seconds(60);

// Retries a unary call until it succeeds: routing applies the complaint asynchronously.
template <typename Call>
grpc::Status Eventually(Call call) {
  const absl::Time deadline = absl::Now() + kTimeout;
  for (;;) {
    grpc::Status status = call();
    if (status.ok() || absl::Now() >= deadline) return status;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

class CaseCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    platform_ = std::make_unique<Platform>(Platform::Options{});
    ASSERT_TRUE(platform_->WaitUntilServing(absl::Seconds(60))) << platform_->LogTail("routing");
    cases_ = routing::v1::CaseService::NewStub(platform_->Channel("routing"));
  }

  // A new complaint about branch BJ-0101, accepted there.
  std::string AcceptedComplaint() {
    testsupport::CaseClient client(*platform_);
    const std::string id = client.Submit("atm.card_retained", "BJ-0101");
    if (id.empty() || !client.Accept(id, "BJ-0101").ok()) ADD_FAILURE() << platform_->LogTail("routing");
    return id;
  }

  routing::v1::Case GetCase(const std::string& id) {
    grpc::ClientContext context;
    routing::v1::GetCaseRequest request;
    request.set_complaint_id(id);
    routing::v1::GetCaseResponse response;
    EXPECT_TRUE(cases_->GetCase(&context, request, &response).ok());
    return response.case_();
  }

  // The complaint's case events in topic order, read until `count` distinct ce_ids have come
  // (the case's version), with any duplicates; checks one content per ce_id.
  std::vector<events::v1::CaseEvent> CaseHistory(const std::string& id, int64_t count) {
    auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), "complaints.case.v1");
    EXPECT_TRUE(reader.ok());
    std::map<std::string, std::string> content_by_id;
    std::vector<events::v1::CaseEvent> history;
    const auto complete = (*reader)->WaitFor(
        [&](const kafka::IncomingRecord& r) {
          if (kafka::FindHeader(r.headers, "ce_subject") != id) return false;
          const std::string ce_id = kafka::FindHeader(r.headers, "ce_id").value_or("");
          auto [it, fresh] = content_by_id.emplace(ce_id, r.value);
          EXPECT_EQ(it->second, r.value) << "two contents for ce_id " << ce_id;
          if (fresh) history.emplace_back().ParseFromString(r.value);
          return static_cast<int64_t>(content_by_id.size()) >= count;
        },
        kTimeout);
    EXPECT_TRUE(complete.has_value()) << "only " << content_by_id.size() << " of " << count
                                      << " events of " << id << " on the topic";
    return history;
  }

  std::unique_ptr<Platform> platform_;
  std::unique_ptr<routing::v1::CaseService::Stub> cases_;
};

TEST_F(CaseCommandsTest, RacingCommandsSerialiseIntoALegalHistory) {
  const std::string id = AcceptedComplaint();
  ASSERT_FALSE(id.empty());

  // Two transfers away and a resolve by BJ-0101, plus the same new-facts request sent twice, all
  // released at once.
  constexpr int kCallers = 5;
  std::barrier start(kCallers);
  std::vector<grpc::StatusCode> transfer_or_resolve;
  std::mutex mu;
  std::vector<std::thread> callers;
  for (const std::string to : {"SH-0200", "GZ-0300"}) {
    callers.emplace_back([&, to] {
      routing::v1::TransferCaseRequest transfer;
      transfer.set_complaint_id(id);
      transfer.set_unit("BJ-0101");
      transfer.set_to_unit(to);
      transfer.set_reason("handled by the account's home branch");
      routing::v1::TransferCaseResponse response;
      grpc::ClientContext context;
      start.arrive_and_wait();
      const auto code = cases_->TransferCase(&context, transfer, &response).error_code();
      std::lock_guard lock(mu);
      transfer_or_resolve.push_back(code);
    });
  }
  callers.emplace_back([&] {
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_complaint_id(id);
    resolve.set_unit("BJ-0101");
    resolve.set_resolution("card returned");
    resolve.set_fault(events::v1::FAULT_PARTY_SYSTEM);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_VENTING);
    routing::v1::ResolveCaseResponse response;
    grpc::ClientContext context;
    start.arrive_and_wait();
    const auto code = cases_->ResolveCase(&context, resolve, &response).error_code();
    std::lock_guard lock(mu);
    transfer_or_resolve.push_back(code);
  });
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&] {
      routing::v1::RecordNewFactsRequest facts;
      facts.set_complaint_id(id);
      facts.set_summary("a second card was retained");
      facts.set_request_id("facts-1");
      routing::v1::RecordNewFactsResponse response;
      grpc::ClientContext context;
      start.arrive_and_wait();
      // Refused only if the resolve came first (a resolved case takes no new facts).
      const grpc::Status s = cases_->RecordNewFacts(&context, facts, &response);
      EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
          << s.error_message();
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(std::count(transfer_or_resolve.begin(), transfer_or_resolve.end(), grpc::StatusCode::OK),
            1)
      << "exactly one of the transfers and the resolve can apply; the others find the case moved "
         "away or resolved";

  const routing::v1::Case final_case = GetCase(id);
  const auto history = CaseHistory(id, final_case.version());
  routing::v1::Case replayed;
  int new_facts = 0;
  for (const auto& event : history) {
    const absl::Status legal = cases::ApplyCaseEvent(event, &replayed);
    EXPECT_TRUE(legal.ok()) << legal;
    new_facts += event.has_new_facts_recorded();
  }
  EXPECT_LE(new_facts, 1) << "the retried request is one event";
  EXPECT_EQ(replayed.state(), final_case.state());
  EXPECT_EQ(replayed.unit(), final_case.unit());
  EXPECT_EQ(replayed.version(), final_case.version());

  // A stale command, sent long after: refused, and nothing is published for it.
  routing::v1::TransferCaseRequest stale;
  stale.set_complaint_id(id);
  stale.set_unit("BJ-0101");
  stale.set_to_unit("SZ-0400");
  stale.set_reason("late");
  routing::v1::TransferCaseResponse response;
  grpc::ClientContext context;
  const grpc::Status refused = cases_->TransferCase(&context, stale, &response);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(GetCase(id).version(), final_case.version());
}

TEST_F(CaseCommandsTest, ExpectedVersionThatMovedIsAborted) {
  const std::string id = AcceptedComplaint();
  ASSERT_FALSE(id.empty());
  const int64_t version = GetCase(id).version();
  routing::v1::LogContactRequest contact;
  contact.set_complaint_id(id);
  contact.set_unit("BJ-0101");
  contact.set_channel("phone");
  contact.set_expected_version(version);
  routing::v1::LogContactResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases_->LogContact(&context, contact, &response).ok());
  }
  EXPECT_EQ(response.case_().version(), version + 1);
  grpc::ClientContext context;
  const grpc::Status aborted = cases_->LogContact(&context, contact, &response);
  EXPECT_EQ(aborted.error_code(), grpc::StatusCode::ABORTED) << aborted.error_message();
  EXPECT_NE(aborted.error_message().find("expected_version"), std::string::npos);
}

}  // namespace
}  // namespace complaints
