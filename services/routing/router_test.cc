#include "services/routing/router.h"

#include <algorithm>
#include <map>
#include <thread>

#include "gtest/gtest.h"
#include "libs/cases/case_machine.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/routing/rules.h"

namespace complaints::routing {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    RouterSettings settings;
    settings.rules = DefaultRules();
    router_ = std::make_unique<Router>(&ledger_, settings);
  }

  // Feeds what was published on complaints.case.v1 back to the router, as its consumer would.
  // Handling an event may publish more (a re-assignment): deliver until nothing is left.
  void DeliverCaseEvents() {
    while (delivered_ < publisher_.published().size()) {
      const auto record = publisher_.published()[delivered_];
      const auto offset = static_cast<int64_t>(delivered_++);
      if (record.topic != events::kCaseTopic) continue;
      ASSERT_TRUE(router_->HandleCaseEvent(testing::AsIncoming(record, 0, offset)).ok());
    }
  }

  void Receive(const std::string& id, const std::string& category, const std::string& branch,
               const std::string& merged_into = "") {
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id(id);
    complaint.set_merged_into(merged_into);
    complaint.set_category(category);
    complaint.set_branch_code(branch);
    complaint.set_level(events::v1::LEVEL_ORDINARY);
    const auto record = events::ToRecord(events::kReceivedTopic, id, complaint, "e-" + id,
                                         "/test", id, clock_.Now());
    received_.push_back(record);
    ASSERT_TRUE(router_->HandleReceived(testing::AsIncoming(record)).ok());
    DeliverCaseEvents();
  }

  // Receives CMP1 for head-office complaint management and accepts it there.
  void ReceiveAndAccept() {
    Receive("CMP1", "fees", "");
    routing::v1::AcceptCaseRequest accept;
    accept.set_responsible("张经理");
    accept.set_complaint_id("CMP1");
    accept.set_unit("HO-COMPLAINTS");
    ASSERT_TRUE(router_->Accept(accept).ok());
    DeliverCaseEvents();
  }

  std::vector<events::v1::CaseEvent> CaseEvents() const {
    std::vector<events::v1::CaseEvent> out;
    for (const auto& record : publisher_.PublishedTo(events::kCaseTopic)) {
      out.emplace_back().ParseFromString(record.value);
    }
    return out;
  }

  testing::FakePublisher publisher_;
  cases::MemoryCaseLedgerStore store_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  cases::CaseLedger ledger_{&store_, &publisher_, &clock_, {.event_source = "/complaints/routing"}};
  std::unique_ptr<Router> router_;
  size_t delivered_ = 0;
  std::vector<kafka::OutgoingRecord> received_;  // what Receive sent
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
  ReceiveAndAccept();
  const auto before = store_.Load("CMP1")->record;
  // The same record again (a replay after a restart) and a re-published copy at a new offset.
  const auto accepted = publisher_.PublishedTo(events::kCaseTopic).back();
  ASSERT_TRUE(router_->HandleCaseEvent(testing::AsIncoming(accepted, 0, 1)).ok());
  ASSERT_TRUE(router_->HandleCaseEvent(testing::AsIncoming(accepted, 0, 100)).ok());
  EXPECT_EQ(store_.Load("CMP1")->record.case_().DebugString(), before.case_().DebugString());
}

// Redis lost the case: replaying complaints.case.v1 brings it back as it was.
TEST_F(RouterTest, ReplayingTheCaseTopicRebuildsTheCase) {
  ReceiveAndAccept();
  const auto before = *router_->Get("CMP1");
  cases::MemoryCaseLedgerStore empty;
  cases::CaseLedger rebuilt_ledger(&empty, &publisher_, &clock_, {.event_source = "/r"});
  Router rebuilt(&rebuilt_ledger, {.rules = DefaultRules()});
  for (const auto& record : publisher_.PublishedTo(events::kCaseTopic)) {
    ASSERT_TRUE(rebuilt.HandleCaseEvent(testing::AsIncoming(record)).ok());
  }
  EXPECT_EQ(rebuilt.Get("CMP1")->DebugString(), before.DebugString());
}

// A case event that is illegal from the case's state (here: a close of a case that is not
// resolved) is kept out of the case and remembered as a refusal.
TEST_F(RouterTest, IllegalCaseEventsAreRefusedAndRecorded) {
  ReceiveAndAccept();
  events::v1::CaseEvent closed;
  closed.set_complaint_id("CMP1");
  closed.set_unit("HO-COMPLAINTS");
  closed.mutable_closed();
  ASSERT_TRUE(router_
                  ->HandleCaseEvent(testing::AsIncoming(events::ToRecord(
                      events::kCaseTopic, "CMP1", closed, "stray-close", "/elsewhere", "CMP1",
                      clock_.Now())))
                  .ok());
  EXPECT_EQ(router_->Get("CMP1")->state(), routing::v1::CASE_STATE_ACCEPTED);
  const auto record = store_.Load("CMP1")->record;
  ASSERT_EQ(record.refusals_size(), 1);
  EXPECT_EQ(record.refusals(0).event_id(), "stray-close");
}

TEST_F(RouterTest, WorkflowAcceptResolveAndCommandErrors) {
  Receive("CMP1", "branch_service.attitude", "SH-0200");
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_fault(events::v1::FAULT_PARTY_STAFF);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("SH-0200");
  resolve.set_resolution("apologised, fee refunded");
  EXPECT_EQ(router_->Resolve(resolve).status().code(), absl::StatusCode::kFailedPrecondition);

  routing::v1::AcceptCaseRequest accept;
  accept.set_responsible("张经理");
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
  unknown.set_responsible("张经理");
  unknown.set_complaint_id("CMP-NOPE");
  unknown.set_unit("X");
  EXPECT_EQ(router_->Accept(unknown).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RouterTest, ReportFixArchivesACaseAwaitingTheFix) {
  Receive("CMP1", "branch_service.attitude", "SH-0200");
  routing::v1::AcceptCaseRequest accept;
  accept.set_responsible("张经理");
  accept.set_complaint_id("CMP1");
  accept.set_unit("SH-0200");
  ASSERT_TRUE(router_->Accept(accept).ok());
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_fault(events::v1::FAULT_PARTY_SYSTEM);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("SH-0200");
  resolve.set_resolution("fee refunded; the fee rule is still wrong");
  ASSERT_TRUE(router_->Resolve(resolve).ok());

  routing::v1::ReportFixRequest fix;
  fix.set_complaint_id("CMP1");
  fix.set_unit("SH-0200");
  EXPECT_EQ(router_->ReportFix(fix).status().code(), absl::StatusCode::kInvalidArgument);  // note
  fix.set_note("fee rule corrected");
  // Resolved, not awaiting a fix.
  EXPECT_EQ(router_->ReportFix(fix).status().code(), absl::StatusCode::kFailedPrecondition);

  // Follow-up's side: the customer is satisfied, the problem not fixed.
  cases::Command wait;
  wait.complaint_id = "CMP1";
  wait.what = "followup-outcome";
  wait.request_id = "task-1/SATISFIED";
  wait.decide = [](const routing::v1::Case&) -> absl::StatusOr<cases::Decision> {
    cases::Decision d;
    d.events.emplace_back().mutable_awaiting_fix()->set_reason("satisfied, not fixed");
    return d;
  };
  ASSERT_TRUE(ledger_.Execute(wait).ok());

  fix.set_unit("BJ-0101");
  EXPECT_EQ(router_->ReportFix(fix).status().code(), absl::StatusCode::kPermissionDenied);
  fix.set_unit("SH-0200");
  fix.set_request_id("fix-1");
  auto archived = router_->ReportFix(fix);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->state(), routing::v1::CASE_STATE_CLOSED);
  const auto events = publisher_.PublishedTo(events::kCaseTopic);
  ASSERT_GE(events.size(), 2u);
  auto closed = events::ParseRecordAs<events::v1::CaseEvent>(testing::AsIncoming(events.back()));
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->closed().disposition(), events::v1::CLOSE_DISPOSITION_ARCHIVED);
  auto reported = events::ParseRecordAs<events::v1::CaseEvent>(
      testing::AsIncoming(events[events.size() - 2]));
  ASSERT_TRUE(reported.ok());
  EXPECT_EQ(reported->fix_reported().note(), "fee rule corrected");
  // Retried with the same request id: the same case, nothing appended twice.
  ASSERT_TRUE(router_->ReportFix(fix).ok());
  EXPECT_EQ(publisher_.PublishedTo(events::kCaseTopic).size(), events.size());
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
  accept.set_responsible("张经理");
  accept.set_complaint_id("CMP1");
  accept.set_unit("HO-COMPLAINTS");
  ASSERT_TRUE(router_->Accept(accept).ok());
  DeliverCaseEvents();
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_fault(events::v1::FAULT_PARTY_STAFF);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("HO-COMPLAINTS");
  resolve.set_resolution("explained the fee");
  ASSERT_TRUE(router_->Resolve(resolve).ok());
  DeliverCaseEvents();

  events::v1::CaseEvent reopened;
  reopened.set_complaint_id("CMP1");
  reopened.set_unit("HO-COMPLAINTS");
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

// 二次处理: each reopening goes one level up the hierarchy with the reason and the history, at
// a raised level (shipped rules: major at the first reopening); the second makes it escalated.
TEST_F(RouterTest, AReopenedCaseGoesOneLevelUpAndTheSecondReopeningEscalatesIt) {
  Receive("CMP1", "queueing.long_wait", "BJ-0101");
  const auto handle_and_reopen = [&](const std::string& unit, const std::string& reopen_id) {
    routing::v1::AcceptCaseRequest accept;
    accept.set_responsible("主任");
    accept.set_complaint_id("CMP1");
    accept.set_unit(unit);
    ASSERT_TRUE(router_->Accept(accept).ok());
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_fault(events::v1::FAULT_PARTY_STAFF);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_RESPECT);
    resolve.set_complaint_id("CMP1");
    resolve.set_unit(unit);
    resolve.set_resolution("apologised");
    ASSERT_TRUE(router_->Resolve(resolve).ok());
    DeliverCaseEvents();
    events::v1::CaseEvent reopened;
    reopened.set_complaint_id("CMP1");
    reopened.set_unit(unit);
    reopened.mutable_reopened()->set_reason("customer unsatisfied at follow-up");
    publisher_.Publish(events::ToRecord(events::kCaseTopic, "CMP1", reopened, reopen_id,
                                        "/complaints/followup", "CMP1", clock_.Now()))
        .IgnoreError();  // the fake publisher does not fail
    DeliverCaseEvents();
  };

  handle_and_reopen("BJ-0101", "reopen-1");
  auto c = router_->Get("CMP1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c->unit(), "BJ-0110");  // the 支行 above the outlet
  EXPECT_EQ(c->level(), events::v1::LEVEL_MAJOR);
  auto assignments = publisher_.PublishedTo(events::kAssignmentsTopic);
  ASSERT_EQ(assignments.size(), 2u);
  events::v1::Assignment second;
  ASSERT_TRUE(second.ParseFromString(assignments[1].value));
  EXPECT_EQ(assignments[1].key, "BJ-0110");
  EXPECT_EQ(second.rule_id(), "reopened");
  EXPECT_EQ(second.reopen_count(), 1);
  EXPECT_NE(second.reason().find("customer unsatisfied at follow-up"), std::string::npos);
  ASSERT_EQ(second.previous_units_size(), 1);
  EXPECT_EQ(second.previous_units(0), "BJ-0101");

  handle_and_reopen("BJ-0110", "reopen-2");
  c = router_->Get("CMP1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->unit(), "BJ-0100");  // the 分行
  EXPECT_EQ(c->level(), events::v1::LEVEL_ESCALATED);
  EXPECT_EQ(c->reopen_count(), 2);
  assignments = publisher_.PublishedTo(events::kAssignmentsTopic);
  ASSERT_EQ(assignments.size(), 3u);
  events::v1::Assignment third;
  ASSERT_TRUE(third.ParseFromString(assignments[2].value));
  EXPECT_EQ(third.level(), events::v1::LEVEL_ESCALATED);
  ASSERT_EQ(third.previous_units_size(), 2);

  // Redelivered, the reopenings change nothing more.
  for (const auto& record : publisher_.PublishedTo(events::kCaseTopic)) {
    ASSERT_TRUE(router_->HandleCaseEvent(testing::AsIncoming(record, 0, 999)).ok());
  }
  EXPECT_EQ(publisher_.PublishedTo(events::kAssignmentsTopic).size(), 3u);
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
  accept.set_responsible("张经理");
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

// The time of receipt for the regulatory clock, and the customer's contact preference for the
// follow-up (intake's risk tags, their consent to holiday calls).
TEST_F(RouterTest, AssignmentCarriesTheTimeOfReceiptAndTheContactPreference) {
  events::v1::ComplaintReceived complaint;
  complaint.set_complaint_id("CMP9");
  complaint.set_category("fees");
  complaint.mutable_received_at()->set_seconds(1764000000);
  complaint.mutable_customer()->set_contact_on_holidays(true);
  complaint.mutable_risk_tags()->set_preferred_channel(events::v1::CHANNEL_ONLINE);
  complaint.mutable_risk_tags()->set_complaints_in_window(4);
  complaint.mutable_risk_tags()->set_usual_demanded_reply_minutes(120);
  const auto record = events::ToRecord(events::kReceivedTopic, "CMP9", complaint, "e-9", "/test",
                                       "CMP9", clock_.Now());
  ASSERT_TRUE(router_->HandleReceived(testing::AsIncoming(record)).ok());
  events::v1::CaseEvent assigned;
  ASSERT_TRUE(assigned.ParseFromString(publisher_.PublishedTo(events::kCaseTopic).back().value));
  EXPECT_EQ(assigned.assigned().received_at().seconds(), 1764000000);
  const events::v1::ContactPreference& preference = assigned.assigned().contact_preference();
  EXPECT_EQ(preference.preferred_channel(), events::v1::CHANNEL_ONLINE);
  EXPECT_EQ(preference.complaints_in_window(), 4);
  EXPECT_EQ(preference.usual_demanded_reply_minutes(), 120);
  EXPECT_TRUE(preference.holidays_ok());
}

TEST_F(RouterTest, BadRecordsAreInvalidArgument) {
  kafka::IncomingRecord garbage;
  garbage.topic = events::kCaseTopic;
  garbage.value = "garbage";
  EXPECT_EQ(router_->HandleCaseEvent(garbage).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router_->HandleReceived(garbage).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RouterTest, LogContactRecordsTheContactOnceAcceptedByTheUnit) {
  Receive("CMP1", "fees", "");
  routing::v1::LogContactRequest contact;
  contact.set_complaint_id("CMP1");
  contact.set_unit("HO-COMPLAINTS");
  EXPECT_EQ(router_->LogContact(contact).status().code(), absl::StatusCode::kInvalidArgument);
  contact.set_channel("phone");
  contact.set_summary("called the customer, explained the fee");
  EXPECT_EQ(router_->LogContact(contact).status().code(), absl::StatusCode::kFailedPrecondition);
  routing::v1::AcceptCaseRequest accept;
  accept.set_responsible("张经理");
  accept.set_complaint_id("CMP1");
  accept.set_unit("HO-COMPLAINTS");
  ASSERT_TRUE(router_->Accept(accept).ok());
  contact.set_unit("BJ-0101");
  EXPECT_EQ(router_->LogContact(contact).status().code(), absl::StatusCode::kPermissionDenied);
  contact.set_unit("HO-COMPLAINTS");
  auto logged = router_->LogContact(contact);
  ASSERT_TRUE(logged.ok()) << logged.status();
  EXPECT_EQ(logged->state(), routing::v1::CASE_STATE_ACCEPTED);
  const auto event = CaseEvents().back();
  ASSERT_TRUE(event.has_contact_logged());
  EXPECT_EQ(event.contact_logged().channel(), "phone");
  EXPECT_EQ(event.unit(), "HO-COMPLAINTS");
}

TEST_F(RouterTest, RequestExtensionIsValidatedAndRecorded) {
  ReceiveAndAccept();
  routing::v1::RequestExtensionRequest extension;
  extension.set_complaint_id("CMP1");
  extension.set_unit("HO-COMPLAINTS");
  extension.set_reason("waiting for the card scheme's chargeback answer");
  extension.set_days(0);
  EXPECT_EQ(router_->RequestExtension(extension).status().code(),
            absl::StatusCode::kInvalidArgument);
  extension.set_days(46);
  EXPECT_EQ(router_->RequestExtension(extension).status().code(),
            absl::StatusCode::kInvalidArgument);
  extension.set_days(15);
  extension.set_reason("");
  EXPECT_EQ(router_->RequestExtension(extension).status().code(),
            absl::StatusCode::kInvalidArgument);
  extension.set_reason("waiting for the card scheme's chargeback answer");
  extension.set_approved_by("branch-head-7");
  ASSERT_TRUE(router_->RequestExtension(extension).ok());
  const auto event = CaseEvents().back();
  ASSERT_TRUE(event.has_extension_requested());
  EXPECT_EQ(event.extension_requested().days(), 15);
  EXPECT_EQ(event.extension_requested().approved_by(), "branch-head-7");
}

// A client retrying RecordNewFacts with the same request id restarts the regulatory clock once.
TEST_F(RouterTest, ARetriedCommandWithItsRequestIdChangesNothingTwice) {
  ReceiveAndAccept();
  routing::v1::RecordNewFactsRequest facts;
  facts.set_complaint_id("CMP1");
  facts.set_summary("a second wrong charge");
  facts.set_request_id("branch-req-42");
  auto first = router_->RecordNewFacts(facts);
  ASSERT_TRUE(first.ok());
  clock_.Advance(absl::Seconds(3));
  auto again = router_->RecordNewFacts(facts);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version(), first->version());
  int new_facts = 0;
  for (const auto& e : CaseEvents()) new_facts += e.has_new_facts_recorded();
  EXPECT_EQ(new_facts, 1);
  // Without the key, the same call is a new command.
  facts.clear_request_id();
  ASSERT_TRUE(router_->RecordNewFacts(facts).ok());
  new_facts = 0;
  for (const auto& e : CaseEvents()) new_facts += e.has_new_facts_recorded();
  EXPECT_EQ(new_facts, 2);
}

TEST_F(RouterTest, ACommandOnAnOlderVersionIsAborted) {
  ReceiveAndAccept();
  const int64_t version = router_->Get("CMP1")->version();
  routing::v1::LogContactRequest contact;
  contact.set_complaint_id("CMP1");
  contact.set_unit("HO-COMPLAINTS");
  contact.set_channel("phone");
  contact.set_expected_version(version);
  ASSERT_TRUE(router_->LogContact(contact).ok());
  // The same expected version again: the case has moved on.
  EXPECT_EQ(router_->LogContact(contact).status().code(), absl::StatusCode::kAborted);
}

// Transfers and a resolve race from many threads: whatever the interleaving, the case's events
// are a legal history (every one passes the state machine in order) and nobody resolves a case
// the unit does not hold.
TEST_F(RouterTest, RacingCommandsKeepTheCaseLegal) {
  ReceiveAndAccept();
  std::vector<std::thread> threads;
  for (const std::string to : {"HO-CARDS", "HO-LOANS", "BJ-0101"}) {
    threads.emplace_back([&, to] {
      routing::v1::TransferCaseRequest transfer;
      transfer.set_complaint_id("CMP1");
      transfer.set_unit("HO-COMPLAINTS");
      transfer.set_to_unit(to);
      transfer.set_reason("not ours");
      router_->Transfer(transfer).IgnoreError();
    });
  }
  threads.emplace_back([&] {
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_fault(events::v1::FAULT_PARTY_STAFF);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
    resolve.set_complaint_id("CMP1");
    resolve.set_unit("HO-COMPLAINTS");
    resolve.set_resolution("refunded");
    router_->Resolve(resolve).IgnoreError();
  });
  for (auto& t : threads) t.join();
  routing::v1::Case replayed;
  int transfers = 0, resolves = 0;
  for (const auto& e : CaseEvents()) {
    const absl::Status s = cases::ApplyCaseEvent(e, &replayed);
    EXPECT_TRUE(s.ok()) << s;
    transfers += e.has_transferred();
    resolves += e.has_resolved();
  }
  EXPECT_EQ(transfers + resolves, 1) << "only the first command can apply: the others find the "
                                        "case moved away or resolved";
  EXPECT_EQ(replayed.DebugString(), router_->Get("CMP1")->DebugString());
}

// Intake merged CMP2 into the open CMP1 (same customer, same issue): no second case, new facts
// on the first, once however often the record comes.
TEST_F(RouterTest, AMergedComplaintIsNewFactsOnTheOpenCase) {
  ReceiveAndAccept();
  const size_t assignments = publisher_.PublishedTo(events::kAssignmentsTopic).size();
  Receive("CMP2", "fees", "", "CMP1");
  Receive("CMP2", "fees", "", "CMP1");
  EXPECT_EQ(publisher_.PublishedTo(events::kAssignmentsTopic).size(), assignments);
  int new_facts = 0;
  for (const auto& e : CaseEvents()) {
    EXPECT_NE(e.complaint_id(), "CMP2");
    if (e.has_new_facts_recorded()) {
      ++new_facts;
      EXPECT_EQ(e.complaint_id(), "CMP1");
    }
  }
  EXPECT_EQ(new_facts, 1);
}

TEST_F(RouterTest, AComplaintMergedIntoACaseClosedSinceGetsACaseOfItsOwn) {
  ReceiveAndAccept();
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_fault(events::v1::FAULT_PARTY_STAFF);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("HO-COMPLAINTS");
  resolve.set_resolution("refunded");
  ASSERT_TRUE(router_->Resolve(resolve).ok());
  DeliverCaseEvents();
  Receive("CMP2", "fees", "", "CMP1");
  const auto assignments = publisher_.PublishedTo(events::kAssignmentsTopic);
  ASSERT_FALSE(assignments.empty());
  EXPECT_EQ(assignments.back().event.subject, "CMP2");
}

// Replayed after Redis lost everything, a merged complaint may come before the complaint it
// merges into (another partition): it is parked, its partition moves on, and it merges once the
// target is routed.
TEST_F(RouterTest, AComplaintMergedIntoACaseNotRoutedYetIsParkedUntilItIs) {
  MemoryMergeParking parking;
  router_ = std::make_unique<Router>(&ledger_, RouterSettings{.rules = DefaultRules()}, &parking);
  Receive("CMP2", "fees", "", "CMP1");
  EXPECT_TRUE(publisher_.PublishedTo(events::kCaseTopic).empty());
  EXPECT_EQ(parking.Parked("CMP1")->size(), 1u);

  Receive("CMP1", "fees", "");
  EXPECT_TRUE(parking.Parked("CMP1")->empty());
  int new_facts = 0;
  for (const auto& e : CaseEvents()) {
    EXPECT_EQ(e.complaint_id(), "CMP1");
    if (e.has_new_facts_recorded()) ++new_facts;
  }
  EXPECT_EQ(new_facts, 1);
}

TEST_F(RouterTest, WithoutParkingAMergedComplaintWaitsForItsTargetAsUnavailable) {
  events::v1::ComplaintReceived complaint;
  complaint.set_complaint_id("CMP2");
  complaint.set_merged_into("CMP1");
  const auto record = events::ToRecord(events::kReceivedTopic, "CMP2", complaint, "e-CMP2",
                                       "/test", "CMP2", clock_.Now());
  EXPECT_EQ(router_->HandleReceived(testing::AsIncoming(record)).code(),
            absl::StatusCode::kUnavailable);
}

// Redis lost the cases: the batched replay (HandleBatch) rebuilds exactly what the one-by-one
// consumer would, and publishes the same records again (same ids, same bytes), whatever the
// batch boundaries: routing, merging (parked while the target is not routed), refusals and a
// reopened case's reassignment.
TEST_F(RouterTest, TheBatchedReplayRebuildsWhatOneByOneDoes) {
  ReceiveAndAccept();
  Receive("CMP3", "atm.card_retained", "BJ-0101");
  Receive("CMP2", "fees", "", "CMP1");
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("HO-COMPLAINTS");
  resolve.set_resolution("explained the fee");
  resolve.set_fault(events::v1::FAULT_PARTY_NONE);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_VENTING);
  ASSERT_TRUE(router_->Resolve(resolve).ok());
  events::v1::CaseEvent reopened;
  reopened.set_complaint_id("CMP1");
  reopened.set_unit("HO-COMPLAINTS");
  reopened.mutable_reopened()->set_reason("customer unsatisfied at follow-up");
  ASSERT_TRUE(publisher_.Publish(events::ToRecord(events::kCaseTopic, "CMP1", reopened, "reopen-1",
                                                  "/complaints/followup", "CMP1", clock_.Now()))
                  .ok());
  DeliverCaseEvents();
  events::v1::CaseEvent late_close;  // illegal now: refused, and remembered as refused
  late_close.set_complaint_id("CMP3");
  late_close.set_unit("BJ-0101");
  late_close.mutable_closed();
  ASSERT_TRUE(publisher_.Publish(events::ToRecord(events::kCaseTopic, "CMP3", late_close, "close-3",
                                                  "/complaints/followup", "CMP3", clock_.Now()))
                  .ok());
  DeliverCaseEvents();

  // The topics as a replay reads them: the case topic first (the merged complaint then finds
  // its target), then complaints.received.v1 with its merged complaint first (it is parked).
  std::vector<kafka::IncomingRecord> topics;
  int64_t offset = 0;
  for (const auto& r : publisher_.PublishedTo(events::kCaseTopic)) {
    topics.push_back(testing::AsIncoming(r, 0, offset++));
  }
  std::vector<kafka::OutgoingRecord> received = received_;
  std::rotate(received.begin(), received.end() - 1, received.end());
  for (const auto& r : received) topics.push_back(testing::AsIncoming(r, 1, offset++));
  std::rotate(topics.begin(), topics.end() - static_cast<long>(received.size()), topics.end());

  struct Rebuilt {
    testing::FakePublisher publisher;
    cases::MemoryCaseLedgerStore store;
    MemoryMergeParking parking;
    cases::CaseLedger ledger;
    Router router;
    explicit Rebuilt(const common::Clock* clock)
        : ledger(&store, &publisher, clock, {.event_source = "/complaints/routing"}),
          router(&ledger, {.rules = DefaultRules()}, &parking) {}
  };
  Rebuilt one(&clock_);
  for (const auto& r : topics) {
    ASSERT_TRUE((r.topic == events::kReceivedTopic ? one.router.HandleReceived(r)
                                                   : one.router.HandleCaseEvent(r))
                    .ok());
  }
  for (size_t batch_size : {topics.size(), size_t{3}, size_t{1}}) {
    Rebuilt many(&clock_);
    for (size_t start = 0; start < topics.size(); start += batch_size) {
      std::vector<kafka::IncomingRecord> batch(
          topics.begin() + static_cast<long>(start),
          topics.begin() + static_cast<long>(std::min(topics.size(), start + batch_size)));
      for (const absl::Status& status : many.router.HandleBatch(batch)) {
        ASSERT_TRUE(status.ok()) << status;
      }
    }
    for (const std::string id : {"CMP1", "CMP2", "CMP3"}) {
      EXPECT_EQ(many.store.Load(id)->record.DebugString(), one.store.Load(id)->record.DebugString())
          << id << " in batches of " << batch_size;
    }
    EXPECT_EQ(many.store.Load("CMP1")->record.case_().reopen_count(), 1);
    EXPECT_EQ(many.store.Load("CMP3")->record.refusals_size(), 1);
    EXPECT_TRUE(many.parking.Parked("CMP1")->empty());
    // The same records (the order of different complaints' records is free).
    auto by_id = [](const std::vector<kafka::OutgoingRecord>& records) {
      std::multimap<std::string, std::string> out;
      for (const auto& r : records) out.emplace(r.event.id, r.value);
      return out;
    };
    EXPECT_EQ(by_id(many.publisher.published()), by_id(one.publisher.published()))
        << "in batches of " << batch_size;
    EXPECT_FALSE(many.publisher.published().empty());
  }
}

// In a batch, a bad record is dead-lettered alone; after a record that fails transiently (the
// ledger's store down), the later records of its partition wait for it.
TEST_F(RouterTest, ABatchFailsBadRecordsAloneAndHoldsAPartitionBehindAFailure) {
  events::v1::ComplaintReceived complaint;
  complaint.set_complaint_id("CMP1");
  complaint.set_category("fees");
  kafka::IncomingRecord bad = testing::AsIncoming(events::ToRecord(
      events::kReceivedTopic, "CMPX", complaint, "e-bad", "/test", "CMPX", clock_.Now()), 0, 0);
  bad.value = "not a protobuf \xff\xff";
  const auto good = testing::AsIncoming(events::ToRecord(events::kReceivedTopic, "CMP1", complaint,
                                                         "e-1", "/test", "CMP1", clock_.Now()),
                                        0, 1);
  auto statuses = router_->HandleBatch({bad, good});
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(statuses[1].ok()) << statuses[1];
  EXPECT_EQ(publisher_.PublishedTo(events::kAssignmentsTopic).size(), 1u);

  complaint.set_complaint_id("CMP3");
  complaint.set_merged_into("CMP1");  // one by one, after the run before it
  const auto merged = testing::AsIncoming(events::ToRecord(events::kReceivedTopic, "CMP3",
                                                           complaint, "e-3", "/test", "CMP3",
                                                           clock_.Now()),
                                          0, 3);
  ASSERT_TRUE(router_->HandleBatch({merged})[0].ok());
  const int64_t version = store_.Load("CMP1")->record.case_().version();

  complaint.set_complaint_id("CMP2");
  complaint.clear_merged_into();
  const auto second = testing::AsIncoming(events::ToRecord(events::kReceivedTopic, "CMP2",
                                                           complaint, "e-2", "/test", "CMP2",
                                                           clock_.Now()),
                                          0, 2);
  store_.fail_with = absl::UnavailableError("redis down");
  // The merged complaint's redelivery would succeed (it changes nothing), but it waits.
  statuses = router_->HandleBatch({second, merged});
  EXPECT_TRUE(absl::IsUnavailable(statuses[0])) << statuses[0];
  EXPECT_TRUE(absl::IsUnavailable(statuses[1])) << statuses[1];
  store_.fail_with = absl::OkStatus();
  EXPECT_EQ(publisher_.PublishedTo(events::kAssignmentsTopic).size(), 1u);
  EXPECT_EQ(store_.Load("CMP1")->record.case_().version(), version);
}

// Routing reads back the case events its batches wrote. Under the state epoch they were
// written in, they are skipped without a Redis load (the ledger holds them); once, as a
// redelivery does the work; and after a replay was asked for (Redis may have lost them), they
// are loaded and applied again.
TEST_F(RouterTest, ABatchSkipsTheCaseEventsItWroteOnceAndNotAfterAReplayWasAskedFor) {
  runtime::OwnWrites own_writes(16);
  uint64_t epoch = 7;
  RouterSettings settings;
  settings.rules = DefaultRules();
  settings.own_writes = &own_writes;
  settings.state_epoch = [&epoch] { return epoch; };
  Router router(&ledger_, settings);
  std::vector<kafka::IncomingRecord> received;
  for (const std::string id : {"CMP1", "CMP2"}) {
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id(id);
    complaint.set_category("fees");
    received.push_back(testing::AsIncoming(
        events::ToRecord(events::kReceivedTopic, id, complaint, "e-" + id, "/test", id,
                         clock_.Now()),
        0, static_cast<int64_t>(received.size())));
  }
  for (const absl::Status& status : router.HandleBatch(received)) ASSERT_TRUE(status.ok()) << status;
  const auto written = publisher_.PublishedTo(events::kCaseTopic);
  ASSERT_EQ(written.size(), 2u);

  // Whether handling `record` loaded its case.
  auto loads = [&](const kafka::OutgoingRecord& record) {
    bool loaded = false;
    store_.before_load = [&loaded] { loaded = true; };
    const absl::Status status = router.HandleBatch({testing::AsIncoming(record, 0, 0)})[0];
    EXPECT_TRUE(status.ok()) << status;
    store_.before_load = nullptr;
    return loaded;
  };
  EXPECT_FALSE(loads(written[0]));
  EXPECT_TRUE(loads(written[0]));  // redelivered: no longer known
  epoch = 8;  // a replay was asked for since CMP2's event was written
  EXPECT_TRUE(loads(written[1]));
}

// A batch split in lanes by complaint (RouterSettings::lanes) ends as the batch in one lane: the
// same cases and the same records, a merged complaint too, whichever lane its target is in.
TEST_F(RouterTest, ABatchInLanesEndsAsTheBatchInOneLane) {
  std::vector<kafka::IncomingRecord> batch;
  for (int i = 0; i < 300; ++i) {
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id("CMP" + std::to_string(i));
    complaint.set_category(i % 2 == 0 ? "fees" : "atm.card_retained");
    complaint.set_branch_code(i % 3 == 0 ? "BJ-0101" : "");
    if (i == 150) complaint.set_merged_into("CMP7");  // the same customer's open complaint
    batch.push_back(testing::AsIncoming(
        events::ToRecord(events::kReceivedTopic, complaint.complaint_id(), complaint,
                         "e-" + complaint.complaint_id(), "/test", complaint.complaint_id(),
                         clock_.Now()),
        i % 2, i / 2));
  }
  struct Routed {
    testing::FakePublisher publisher;
    cases::MemoryCaseLedgerStore store;
    MemoryMergeParking parking;
    cases::CaseLedger ledger;
    Router router;
    Routed(const common::Clock* clock, int lanes)
        : ledger(&store, &publisher, clock, {.event_source = "/complaints/routing"}),
          router(&ledger, {.rules = DefaultRules(), .lanes = lanes}, &parking) {}
  };
  Routed one(&clock_, 1), two(&clock_, 2);
  for (Routed* r : {&one, &two}) {
    for (const absl::Status& status : r->router.HandleBatch(batch)) ASSERT_TRUE(status.ok()) << status;
  }
  for (const kafka::IncomingRecord& record : batch) {
    EXPECT_EQ(two.store.Load(record.key)->record.DebugString(),
              one.store.Load(record.key)->record.DebugString())
        << record.key;
  }
  int new_facts = 0;
  for (const auto& record : two.publisher.PublishedTo(events::kCaseTopic)) {
    events::v1::CaseEvent e;
    ASSERT_TRUE(e.ParseFromString(record.value));
    if (e.has_new_facts_recorded() && e.complaint_id() == "CMP7") ++new_facts;
  }
  EXPECT_EQ(new_facts, 1);
  auto by_id = [](const std::vector<kafka::OutgoingRecord>& records) {
    std::multimap<std::string, std::string> out;
    for (const auto& r : records) out.emplace(r.event.id, r.value);
    return out;
  };
  EXPECT_EQ(by_id(two.publisher.published()), by_id(one.publisher.published()));
  EXPECT_EQ(two.publisher.PublishedTo(events::kAssignmentsTopic).size(), 299u);
}

}  // namespace
}  // namespace complaints::routing
