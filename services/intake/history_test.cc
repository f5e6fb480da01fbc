// The customer's history at intake: risk tags, repeat_3plus, merging into an open complaint, and
// the rebuild from the topics' records.
#include <atomic>

#include "gtest/gtest.h"
#include "complaints/events/v1/case.pb.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/intake/customer_history.h"
#include "services/intake/intake.h"
#include "services/intake/memory_complaint_store.h"
#include "services/intake/memory_history_store.h"

namespace complaints::intake {
namespace {

// The shipped classifier (deploy/classifier), as the service loads it.
std::shared_ptr<const classifier::Classifier> ShippedClassifier() {
  static const auto loaded = [] {
    const std::string dir = std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/classifier/";
    auto c = classifier::Classifier::Load({.config = dir + "classifier.textproto",
                                           .taxonomy = dir + "taxonomy.textproto",
                                           .t2s = dir + "t2s.tsv"});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : nullptr;
  }();
  return loaded;
}

IntakeOptions WithClassifier() {
  IntakeOptions options;
  options.customer_key_secret = "test-secret";
  options.classifier = ShippedClassifier;
  return options;
}

using events::v1::ComplaintReceived;

intake::v1::SubmitComplaintRequest Request(const std::string& external_id,
                                           const std::string& phone = "13812345678",
                                           const std::string& category = "branch.waiting_time") {
  intake::v1::SubmitComplaintRequest r;
  r.set_source("ivr-95533");
  r.set_external_id(external_id);
  r.mutable_customer()->set_phone(phone);
  r.set_category(category);
  r.set_description("排队一个小时");
  return r;
}

class HistoryTest : public ::testing::Test {
 protected:
  // The complaint as published for a response.
  ComplaintReceived Published(const intake::v1::SubmitComplaintResponse& response) {
    for (const auto& record : publisher_.published()) {
      auto event = events::ParseRecordAs<ComplaintReceived>(testing::AsIncoming(record));
      if (event.ok() && event->complaint_id() == response.complaint_id()) return *event;
    }
    ADD_FAILURE() << "not published: " << response.complaint_id();
    return {};
  }

  void Close(const std::string& complaint_id) {
    events::v1::CaseEvent closed;
    closed.set_complaint_id(complaint_id);
    closed.mutable_closed()->set_reason("satisfied");
    kafka::OutgoingRecord record = events::ToRecord(events::kCaseTopic, complaint_id, closed,
                                                    complaint_id + "-closed", "/test",
                                                    complaint_id, clock_.Now());
    ASSERT_TRUE(intake_.HandleStateRecord(testing::AsIncoming(record)).ok());
  }

  testing::FakePublisher publisher_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  MemoryComplaintStore store_{&clock_};
  MemoryHistoryStore history_;
  Intake intake_{&publisher_, &store_, &history_, &clock_, WithClassifier()};
};

TEST_F(HistoryTest, AFirstComplaintHasTagsOfItsOwnAndMergesNowhere) {
  auto first = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->risk_tags().repeat_count(), 1);
  EXPECT_EQ(first->risk_tags().complaints_in_window(), 1);
  EXPECT_EQ(first->merged_into(), "");
  EXPECT_EQ(first->urgency(), events::v1::URGENCY_NORMAL);
  // The key is a keyed hash: no phone digits in it.
  EXPECT_TRUE(first->risk_tags().customer_key().starts_with("ph:"));
  EXPECT_EQ(first->risk_tags().customer_key().find("13812345678"), std::string::npos);
}

TEST_F(HistoryTest, TheSameIssueWhileOpenIsMergedIntoTheOpenComplaint) {
  auto first = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(first.ok());
  clock_.Advance(absl::Hours(2));
  auto second = intake_.Submit(Request("call-2"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->merged_into(), first->complaint_id());
  EXPECT_EQ(Published(*second).merged_into(), first->complaint_id());
  EXPECT_EQ(second->risk_tags().open_complaints(), 1);

  // Another customer, or another issue, is not merged.
  EXPECT_EQ(intake_.Submit(Request("call-3", "13900000000"))->merged_into(), "");
  EXPECT_EQ(intake_.Submit(Request("call-4", "13812345678", "fees.annual_fee"))->merged_into(), "");
}

TEST_F(HistoryTest, AClosedComplaintTakesNoMerge) {
  auto first = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(first.ok());
  Close(first->complaint_id());
  clock_.Advance(absl::Hours(24));
  auto second = intake_.Submit(Request("call-2"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->merged_into(), "");
  EXPECT_EQ(second->risk_tags().repeat_count(), 2);
}

TEST_F(HistoryTest, TheThirdComplaintOfACategoryInTheWindowIsVeryUrgent) {
  for (const std::string call : {"call-1", "call-2"}) {
    auto r = intake_.Submit(Request(call));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->urgency(), events::v1::URGENCY_NORMAL);
    Close(r->complaint_id());
    clock_.Advance(absl::Hours(24 * 10));
  }
  auto third = intake_.Submit(Request("call-3"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->urgency(), events::v1::URGENCY_VERY_URGENT);
  ASSERT_GE(third->classification().urgency_reasons_size(), 1);
  EXPECT_EQ(third->classification().urgency_reasons(0).code(), "repeat_3plus");
  EXPECT_EQ(third->risk_tags().repeat_count(), 3);
  ASSERT_EQ(third->risk_tags().recurring_categories_size(), 1);
  // The caller's old code, as the catalogue's leaf.
  EXPECT_EQ(third->risk_tags().recurring_categories(0), "queueing.long_wait");
}

TEST_F(HistoryTest, ComplaintsOlderThanTheWindowDoNotCount) {
  for (const std::string call : {"call-1", "call-2"}) {
    auto r = intake_.Submit(Request(call));
    ASSERT_TRUE(r.ok());
    Close(r->complaint_id());
    clock_.Advance(absl::Hours(24 * 50));
  }
  // The first is 100 days old now.
  auto third = intake_.Submit(Request("call-3"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->risk_tags().repeat_count(), 2);
  EXPECT_EQ(third->urgency(), events::v1::URGENCY_NORMAL);
}

TEST_F(HistoryTest, AResubmissionIsADuplicateAlthoughTheHistoryNowHoldsTheFirst) {
  auto first = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(first.ok());
  auto again = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  // The answer is the first decision, not one made on the grown history.
  EXPECT_EQ(again->risk_tags().repeat_count(), 1);
  EXPECT_EQ(again->merged_into(), "");
  EXPECT_EQ(publisher_.published().size(), 1u);
}

TEST_F(HistoryTest, TheHistoryIsRebuiltFromTheTopicsRecords) {
  std::vector<kafka::OutgoingRecord> received;
  for (const std::string call : {"call-1", "call-2"}) {
    auto r = intake_.Submit(Request(call));
    ASSERT_TRUE(r.ok());
    Close(r->complaint_id());
    clock_.Advance(absl::Hours(24));
  }
  received = publisher_.published();

  // A fresh store (Redis lost) filled by the replay of complaints.received.v1 and the case
  // topic, in either order.
  MemoryComplaintStore store(&clock_);
  MemoryHistoryStore history;
  Intake rebuilt(&publisher_, &store, &history, &clock_, WithClassifier());
  for (const auto& record : received) {
    auto event = events::ParseRecordAs<ComplaintReceived>(testing::AsIncoming(record));
    ASSERT_TRUE(event.ok());
    events::v1::CaseEvent closed;
    closed.set_complaint_id(event->complaint_id());
    closed.mutable_closed();
    ASSERT_TRUE(rebuilt
                    .HandleStateRecord(testing::AsIncoming(events::ToRecord(
                        events::kCaseTopic, event->complaint_id(), closed, "x", "/t",
                        event->complaint_id(), clock_.Now())))
                    .ok());
    ASSERT_TRUE(rebuilt.HandleStateRecord(testing::AsIncoming(record)).ok());
  }
  auto third = rebuilt.Submit(Request("call-3"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->risk_tags().repeat_count(), 3);
  EXPECT_EQ(third->merged_into(), "");  // both were closed
  EXPECT_EQ(third->urgency(), events::v1::URGENCY_VERY_URGENT);
}

// The replay hands records over in batches: each record gets the status it would get alone
// (a bad one fails only itself), and the batch rebuilds what the records one by one would.
TEST_F(HistoryTest, AReplayBatchRebuildsTheClaimsAndHistoriesWithAStatusPerRecord) {
  auto first = intake_.Submit(Request("call-1"));
  auto second = intake_.Submit(Request("call-2"));
  ASSERT_TRUE(first.ok() && second.ok());
  const std::vector<kafka::OutgoingRecord> received = publisher_.published();
  ASSERT_EQ(received.size(), 2u);
  events::v1::CaseEvent closed;
  closed.set_complaint_id(first->complaint_id());
  closed.mutable_closed();
  kafka::IncomingRecord garbage = testing::AsIncoming(received[1]);
  garbage.value = "\xff not a complaint";

  MemoryComplaintStore store(&clock_);
  MemoryHistoryStore history;
  Intake rebuilt(&publisher_, &store, &history, &clock_, WithClassifier());
  const std::vector<absl::Status> statuses = rebuilt.HandleStateRecords(
      {testing::AsIncoming(events::ToRecord(events::kCaseTopic, first->complaint_id(), closed,
                                            "closed-1", "/t", first->complaint_id(),
                                            clock_.Now())),
       testing::AsIncoming(received[0]), garbage, testing::AsIncoming(received[1])});
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_TRUE(statuses[1].ok()) << statuses[1];
  EXPECT_EQ(statuses[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(statuses[3].ok()) << statuses[3];
  EXPECT_TRUE(rebuilt.Get(first->complaint_id()).ok());
  EXPECT_TRUE(rebuilt.Get(second->complaint_id()).ok());

  // The same records one by one give the same history: a third complaint sees both, the first
  // closed.
  MemoryComplaintStore store_one_by_one(&clock_);
  MemoryHistoryStore history_one_by_one;
  Intake one_by_one(&publisher_, &store_one_by_one, &history_one_by_one, &clock_,
                    WithClassifier());
  ASSERT_TRUE(one_by_one.HandleStateRecord(testing::AsIncoming(received[0])).ok());
  ASSERT_TRUE(one_by_one.HandleStateRecord(testing::AsIncoming(received[1])).ok());
  auto third_before_close = one_by_one.Submit(Request("call-3"));
  ASSERT_TRUE(third_before_close.ok()) << third_before_close.status();
  auto third = rebuilt.Submit(Request("call-3"));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->risk_tags().repeat_count(), 3);
  EXPECT_EQ(third_before_close->risk_tags().repeat_count(), 3);
  // Only the batch's close tells them apart: merged into the first while it was open.
  EXPECT_EQ(third_before_close->merged_into(), first->complaint_id());
  EXPECT_NE(third->merged_into(), first->complaint_id());
}

// The replay consumer skips the complaints this process published, marked and recorded itself
// (most of Redis's work per complaint), but only while no replay has been asked for since: Redis
// may have lost them then. The stores are emptied behind the intake's back to see what a
// record's handling writes.
TEST_F(HistoryTest, TheReplayConsumerSkipsWhatThisProcessAppliedUntilAReplayIsAskedFor) {
  std::atomic<uint64_t> epoch{0};
  IntakeOptions options = WithClassifier();
  options.state_epoch = [&epoch] { return epoch.load(); };
  Intake intake(&publisher_, &store_, &history_, &clock_, options);
  auto first = intake.Submit(Request("call-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto batch = intake.SubmitBatch(std::vector{Request("call-2", "13900000000")});
  ASSERT_TRUE(batch[0].ok()) << batch[0].status();
  const std::vector<kafka::OutgoingRecord> records = publisher_.published();
  ASSERT_EQ(records.size(), 2u);
  const std::string second_key = Published(*batch[0]).risk_tags().customer_key();
  store_.Clear();
  history_.Clear();

  // Skipped: nothing written.
  ASSERT_TRUE(intake.HandleStateRecord(testing::AsIncoming(records[0])).ok());
  EXPECT_EQ(intake.Get(first->complaint_id()).status().code(), absl::StatusCode::kNotFound);
  // Once: the record delivered again is applied.
  ASSERT_TRUE(intake.HandleStateRecord(testing::AsIncoming(records[0])).ok());
  EXPECT_TRUE(intake.Get(first->complaint_id()).ok());

  // A replay was asked for (a marker missing: Redis lost state): applied, history included.
  epoch = 1;
  ASSERT_TRUE(intake.HandleStateRecord(testing::AsIncoming(records[1])).ok());
  EXPECT_TRUE(intake.Get(batch[0]->complaint_id()).ok());
  auto history = history_.Load(second_key);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);
}

// Without a state epoch (no rebuild guard to say when Redis lost state) nothing is skipped.
TEST_F(HistoryTest, WithoutAStateEpochTheReplayConsumerAppliesEverything) {
  auto first = intake_.Submit(Request("call-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  store_.Clear();
  ASSERT_TRUE(intake_.HandleStateRecord(testing::AsIncoming(publisher_.published()[0])).ok());
  EXPECT_TRUE(intake_.Get(first->complaint_id()).ok());
}

// A batch is one produce; a bad submission fails only itself; the same id twice is published
// once; a customer's second complaint in the batch sees the first.
TEST_F(HistoryTest, ABatchIsOneProduceAndEachSubmissionGetsItsOwnResult) {
  std::vector<intake::v1::SubmitComplaintRequest> batch = {
      Request("call-1"), Request("call-2", "12"), Request("call-1"),
      Request("call-3")};  // call-3: same customer and issue as call-1
  const int calls_before = publisher_.calls();
  auto results = intake_.SubmitBatch(batch);
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_FALSE(results[0]->duplicate());
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_TRUE(results[2]->duplicate());
  EXPECT_EQ(results[2]->complaint_id(), results[0]->complaint_id());
  ASSERT_TRUE(results[3].ok()) << results[3].status();
  EXPECT_EQ(results[3]->merged_into(), results[0]->complaint_id());
  EXPECT_EQ(publisher_.calls() - calls_before, 1);
  EXPECT_EQ(publisher_.published().size(), 2u);
}

TEST_F(HistoryTest, ABatchThatCannotBePublishedReleasesItsClaimsForTheRetry) {
  publisher_.FailWith(absl::UnavailableError("broker down"));
  std::vector<intake::v1::SubmitComplaintRequest> batch = {Request("call-1"),
                                                           Request("call-2", "13900000000")};
  for (const auto& result : intake_.SubmitBatch(batch)) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  }
  publisher_.FailWith(absl::OkStatus());
  // At once, not after the lease: the claims were released.
  for (const auto& result : intake_.SubmitBatch(batch)) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->duplicate());
  }
  EXPECT_EQ(publisher_.published().size(), 2u);
}

// The demo's customer: an escalation already made, then another issue with an urgent demand
// (very urgent from the history), then the first issue again (merged into it).
TEST_F(HistoryTest, AnEscalationAlreadyMadeMakesTheNextUrgentDemandVeryUrgent) {
  auto first = Request("call-1", "13677778888", "");
  first.set_description("信用卡被盗刷了8000元，我已经向人民银行反映过了，到现在还没有结果");
  first.set_product("credit_card");
  first.set_branch_code("BJ-0101");
  auto escalated = intake_.Submit(first);
  ASSERT_TRUE(escalated.ok()) << escalated.status();
  EXPECT_EQ(escalated->level(), events::v1::LEVEL_ESCALATED)
      << escalated->classification().ShortDebugString();

  auto second = Request("call-2", "13677778888", "");
  second.set_description("年费又乱扣了，今天之内必须给我答复");
  auto urgent = intake_.Submit(second);
  ASSERT_TRUE(urgent.ok()) << urgent.status();
  EXPECT_EQ(urgent->urgency(), events::v1::URGENCY_VERY_URGENT)
      << urgent->classification().ShortDebugString();
  EXPECT_EQ(urgent->risk_tags().prior_escalations(), 1);
}

TEST(CustomerKeyTest, TheCustomerNumberWinsAndTheSecretMatters) {
  events::v1::Customer customer;
  customer.set_phone("13812345678");
  const std::string by_phone = CustomerKeyFor(customer, "a");
  EXPECT_TRUE(by_phone.starts_with("ph:"));
  EXPECT_NE(by_phone, CustomerKeyFor(customer, "b"));
  customer.set_customer_id("C001");
  EXPECT_TRUE(CustomerKeyFor(customer, "a").starts_with("id:"));
  EXPECT_EQ(CustomerKeyFor(events::v1::Customer(), "a"), "");
}

// The key is the first 128 bits of HMAC-SHA256(secret, "id:" id or "ph:" phone), in hex: keys
// already in Redis and on events stay valid only while it is computed so (values from Python's
// hmac module). A secret longer than a SHA-256 block, and an empty one, included.
TEST(CustomerKeyTest, IsTheTruncatedHmacSha256OfTheIdentifier) {
  events::v1::Customer by_id;
  by_id.set_customer_id("C001");
  events::v1::Customer by_phone;
  by_phone.set_phone("13800138000");
  events::v1::Customer other;
  other.set_customer_id("X");
  // Twice each, and secrets in turn: the keyed state kept between calls must not leak.
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(CustomerKeyFor(by_id, "a"), "id:b37ce0ff7153f60a8757a5ab9d7fb03e");
    EXPECT_EQ(CustomerKeyFor(by_phone, ""), "ph:60f2d3ae28c89ccc2c88785aedb6e252");
    EXPECT_EQ(CustomerKeyFor(other, std::string(100, 's')), "id:c79b345cb3c1fd9b13fd437a947de395");
  }
}

TEST(ReadHistoryTest, PriorEscalationsCountTheCasesLevelAsAssigned) {
  ComplaintReceived now;
  now.set_complaint_id("CMP-new");
  now.set_category("cards.fraud");
  const absl::Time t = absl::FromUnixSeconds(1764115200);
  PastComplaint escalated;
  escalated.entry.set_complaint_id("CMP-old");
  escalated.entry.set_category("loans.interest");
  escalated.entry.set_level(events::v1::LEVEL_ORDINARY);
  *escalated.entry.mutable_received_at() = common::ToProtoTime(t - absl::Hours(24 * 5));
  escalated.status.set_level(events::v1::LEVEL_ESCALATED);  // raised after a second reopening
  escalated.status.set_closed(true);
  escalated.has_status = true;
  const HistoryView view = ReadHistory({escalated}, now, t, {});
  EXPECT_EQ(view.prior_escalations, 1);
  EXPECT_EQ(view.same_category_before, 0);
  EXPECT_EQ(view.open_same_issue, "");
  EXPECT_EQ(view.tags.complaints_in_window(), 2);
}

}  // namespace
}  // namespace complaints::intake
