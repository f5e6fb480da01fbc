#include "services/routing/router.h"

#include <map>

#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/routing/rules.h"

namespace complaints::routing {
namespace {

class MemoryCaseStore final : public CaseStore {
 public:
  absl::StatusOr<std::optional<routing::v1::CaseRecord>> Get(const std::string& id) override {
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }
  absl::Status Put(const routing::v1::CaseRecord& r) override {
    records_[r.case_().complaint_id()] = r;
    return absl::OkStatus();
  }
  std::map<std::string, routing::v1::CaseRecord> records_;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    RouterSettings settings;
    settings.rules = DefaultRules();
    settings.read_your_writes_timeout = absl::ZeroDuration();
    router_ = std::make_unique<Router>(&publisher_, &store_, &clock_, settings);
  }

  // Feeds what the router published on complaints.case.v1 back to it, as its consumer would.
  // Handling an event may publish more (a re-assignment): deliver until nothing is left.
  void DeliverCaseEvents() {
    while (delivered_ < publisher_.published().size()) {
      const auto record = publisher_.published()[delivered_];
      const auto offset = static_cast<int64_t>(delivered_++);
      if (record.topic != events::kCaseTopic) continue;
      ASSERT_TRUE(router_->HandleCaseEvent(testing::AsIncoming(record, 0, offset)).ok());
    }
  }

  void Receive(const std::string& id, const std::string& category, const std::string& branch) {
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id(id);
    complaint.set_category(category);
    complaint.set_branch_code(branch);
    complaint.set_level(events::v1::LEVEL_ORDINARY);
    const auto record = events::ToRecord(events::kReceivedTopic, id, complaint, "e-" + id,
                                         "/test", id, clock_.Now());
    ASSERT_TRUE(router_->HandleReceived(testing::AsIncoming(record)).ok());
    DeliverCaseEvents();
  }

  testing::FakePublisher publisher_;
  MemoryCaseStore store_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  std::unique_ptr<Router> router_;
  size_t delivered_ = 0;
};

TEST_F(RouterTest, NewComplaintIsAssignedToItsBranch) {
  Receive("CMP1", "atm.card_retained", "BJ-0101");
  const auto assignments = publisher_.PublishedTo(events::kAssignmentsTopic);
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0].key, "BJ-0101");  // keyed by unit
  EXPECT_EQ(assignments[0].event.subject, "CMP1");
  ASSERT_EQ(publisher_.PublishedTo(events::kCaseTopic).size(), 1u);
  EXPECT_EQ(publisher_.PublishedTo(events::kCaseTopic)[0].key, "CMP1");
  auto c = router_->Get("CMP1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c->unit(), "BJ-0101");
}

TEST_F(RouterTest, DuplicateReceivedIsRoutedOnce) {
  Receive("CMP1", "fees", "");
  Receive("CMP1", "fees", "");
  EXPECT_EQ(publisher_.PublishedTo(events::kAssignmentsTopic).size(), 1u);
}

TEST_F(RouterTest, ReplayedAndRepublishedCaseEventsApplyOnce) {
  Receive("CMP1", "fees", "");
  ASSERT_TRUE(router_->Accept([] {
    routing::v1::AcceptCaseRequest r;
    r.set_complaint_id("CMP1");
    r.set_unit("HO-COMPLAINTS");
    return r;
  }()).ok());
  DeliverCaseEvents();
  const auto before = store_.records_["CMP1"];
  // The same record again (a replay after a restart) and a re-published copy at a new offset.
  const auto accepted = publisher_.PublishedTo(events::kCaseTopic).back();
  ASSERT_TRUE(router_->HandleCaseEvent(testing::AsIncoming(accepted, 0, 1)).ok());
  ASSERT_TRUE(router_->HandleCaseEvent(testing::AsIncoming(accepted, 0, 100)).ok());
  EXPECT_EQ(store_.records_["CMP1"].case_().DebugString(), before.case_().DebugString());
  EXPECT_EQ(store_.records_["CMP1"].applied_offset(), 100);
}

TEST_F(RouterTest, WorkflowAcceptResolveAndCommandErrors) {
  Receive("CMP1", "branch.attitude", "SH-0200");
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("SH-0200");
  resolve.set_resolution("apologised, fee refunded");
  EXPECT_EQ(router_->Resolve(resolve).status().code(), absl::StatusCode::kFailedPrecondition);

  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id("CMP1");
  accept.set_unit("OTHER");
  EXPECT_EQ(router_->Accept(accept).status().code(), absl::StatusCode::kPermissionDenied);
  accept.set_unit("SH-0200");
  auto accepted = router_->Accept(accept);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->state(), routing::v1::CASE_STATE_ACCEPTED);
  DeliverCaseEvents();

  auto resolved = router_->Resolve(resolve);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->state(), routing::v1::CASE_STATE_RESOLVED);

  routing::v1::AcceptCaseRequest unknown;
  unknown.set_complaint_id("CMP-NOPE");
  unknown.set_unit("X");
  EXPECT_EQ(router_->Accept(unknown).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RouterTest, TransferReassignsToTheNewUnit) {
  Receive("CMP1", "fees", "");
  routing::v1::TransferCaseRequest transfer;
  transfer.set_complaint_id("CMP1");
  transfer.set_unit("HO-COMPLAINTS");
  transfer.set_to_unit("HO-CARDS");
  EXPECT_EQ(router_->Transfer(transfer).status().code(), absl::StatusCode::kInvalidArgument);
  transfer.set_reason("card fee: owned by cards department");
  auto moved = router_->Transfer(transfer);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->unit(), "HO-CARDS");
  EXPECT_EQ(moved->assignment_sequence(), 2);
  const auto assignments = publisher_.PublishedTo(events::kAssignmentsTopic);
  ASSERT_EQ(assignments.size(), 2u);
  EXPECT_EQ(assignments[1].key, "HO-CARDS");
}

TEST_F(RouterTest, ReopenedCaseGoesBackToItsUnit) {
  Receive("CMP1", "fees", "");
  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id("CMP1");
  accept.set_unit("HO-COMPLAINTS");
  ASSERT_TRUE(router_->Accept(accept).ok());
  DeliverCaseEvents();
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("HO-COMPLAINTS");
  resolve.set_resolution("explained the fee");
  ASSERT_TRUE(router_->Resolve(resolve).ok());
  DeliverCaseEvents();

  events::v1::CaseEvent reopened;
  reopened.set_complaint_id("CMP1");
  reopened.mutable_reopened()->set_reason("customer unsatisfied at follow-up");
  publisher_.Publish(events::ToRecord(events::kCaseTopic, "CMP1", reopened, "reopen-1",
                                      "/complaints/followup", "CMP1", clock_.Now()))
      .IgnoreError();  // the fake publisher does not fail
  DeliverCaseEvents();

  auto c = router_->Get("CMP1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c->reopen_count(), 1);
  EXPECT_EQ(c->assignment_sequence(), 2);
  EXPECT_EQ(publisher_.PublishedTo(events::kAssignmentsTopic).size(), 2u);
}

TEST_F(RouterTest, PauseResumeAndNewFactsAreCaseEvents) {
  Receive("CMP1", "fees", "");
  routing::v1::PauseCaseRequest pause;
  pause.set_complaint_id("CMP1");
  pause.set_unit("HO-COMPLAINTS");
  pause.set_reason(events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL);
  // Not accepted yet: the unit cannot be waiting on anyone.
  EXPECT_EQ(router_->Pause(pause).status().code(), absl::StatusCode::kFailedPrecondition);
  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id("CMP1");
  accept.set_unit("HO-COMPLAINTS");
  ASSERT_TRUE(router_->Accept(accept).ok());
  DeliverCaseEvents();

  pause.set_reason(events::v1::PAUSE_REASON_UNSPECIFIED);
  EXPECT_EQ(router_->Pause(pause).status().code(), absl::StatusCode::kInvalidArgument);
  pause.set_reason(events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL);
  pause.set_customer_notified(true);
  ASSERT_TRUE(router_->Pause(pause).ok());
  routing::v1::ResumeCaseRequest resume;
  resume.set_complaint_id("CMP1");
  resume.set_unit("HO-COMPLAINTS");
  ASSERT_TRUE(router_->Resume(resume).ok());
  routing::v1::RecordNewFactsRequest facts;
  facts.set_complaint_id("CMP1");
  EXPECT_EQ(router_->RecordNewFacts(facts).status().code(), absl::StatusCode::kInvalidArgument);
  facts.set_summary("customer found a second wrong charge");
  ASSERT_TRUE(router_->RecordNewFacts(facts).ok());

  const auto published = publisher_.PublishedTo(events::kCaseTopic);
  ASSERT_GE(published.size(), 5u);
  events::v1::CaseEvent paused, resumed, new_facts;
  ASSERT_TRUE(paused.ParseFromString(published[published.size() - 3].value));
  ASSERT_TRUE(resumed.ParseFromString(published[published.size() - 2].value));
  ASSERT_TRUE(new_facts.ParseFromString(published.back().value));
  EXPECT_EQ(paused.paused().reason(), events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL);
  EXPECT_TRUE(paused.paused().customer_notified());
  EXPECT_TRUE(resumed.has_resumed());
  EXPECT_EQ(new_facts.new_facts_recorded().summary(), "customer found a second wrong charge");
}

TEST_F(RouterTest, AssignmentCarriesTheTimeOfReceipt) {
  events::v1::ComplaintReceived complaint;
  complaint.set_complaint_id("CMP9");
  complaint.set_category("fees");
  complaint.mutable_received_at()->set_seconds(1764000000);
  const auto record = events::ToRecord(events::kReceivedTopic, "CMP9", complaint, "e-9", "/test",
                                       "CMP9", clock_.Now());
  ASSERT_TRUE(router_->HandleReceived(testing::AsIncoming(record)).ok());
  events::v1::CaseEvent assigned;
  ASSERT_TRUE(assigned.ParseFromString(publisher_.PublishedTo(events::kCaseTopic).back().value));
  EXPECT_EQ(assigned.assigned().received_at().seconds(), 1764000000);
}

TEST_F(RouterTest, BadRecordsAreInvalidArgument) {
  kafka::IncomingRecord garbage;
  garbage.topic = events::kCaseTopic;
  garbage.value = "garbage";
  EXPECT_EQ(router_->HandleCaseEvent(garbage).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router_->HandleReceived(garbage).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace complaints::routing
