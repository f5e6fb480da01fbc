#include "services/routing/escalation.h"

#include "gtest/gtest.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/routing/router.h"
#include "services/routing/rules.h"

namespace complaints::routing {
namespace {

events::v1::SlaAlert Escalation(int step, events::v1::EscalationAction action,
                                const std::string& unit = "BJ-0101") {
  events::v1::SlaAlert alert;
  alert.set_complaint_id("CMP1");
  alert.set_unit(unit);
  alert.set_clock(events::v1::CLOCK_ACCEPT);
  alert.set_kind(events::v1::ALERT_KIND_ESCALATION);
  alert.set_step(step);
  alert.set_action(action);
  alert.set_role("branch head");
  alert.set_deadline_version(3);
  *alert.mutable_fired_at() = common::ToProtoTime(absl::FromUnixSeconds(1764120000 + step));
  return alert;
}

routing::v1::Case OpenCase(const std::string& unit,
                           routing::v1::CaseState state = routing::v1::CASE_STATE_ASSIGNED) {
  routing::v1::Case c;
  c.set_complaint_id("CMP1");
  c.set_unit(unit);
  c.set_state(state);
  return c;
}

// ---- the plan, pure ----

TEST(PlanEscalationTest, AReassignStepMovesTheCaseToTheStepsTarget) {
  const auto rules = DefaultRules();
  auto plan = PlanEscalation(Escalation(2, events::v1::ESCALATION_ACTION_REASSIGN), "a-1",
                             OpenCase("BJ-0101"), rules->units(), "HO-COMPLAINTS");
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->action(), events::v1::ESCALATION_ACTION_REASSIGN);
  EXPECT_EQ(plan->notified_unit(), "BJ-0100");  // step 2: the 分行
  EXPECT_EQ(plan->to_unit(), "BJ-0100");
  EXPECT_EQ(plan->alert_id(), "a-1");
  EXPECT_EQ(plan->role(), "branch head");
}

TEST(PlanEscalationTest, ANotifyStepRecordsWhoWasToldAndMovesNothing) {
  const auto rules = DefaultRules();
  for (auto action : {events::v1::ESCALATION_ACTION_NOTIFY, events::v1::ESCALATION_ACTION_UNSPECIFIED}) {
    auto plan = PlanEscalation(Escalation(1, action), "a-1", OpenCase("BJ-0101"), rules->units(),
                               "HO-COMPLAINTS");
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->action(), events::v1::ESCALATION_ACTION_NOTIFY);
    EXPECT_EQ(plan->notified_unit(), "BJ-0110");  // step 1: the 支行
    EXPECT_TRUE(plan->to_unit().empty());
  }
}

TEST(PlanEscalationTest, NothingForCasesNoLongerHandledOrAlertsSeenBefore) {
  const auto rules = DefaultRules();
  const auto alert = Escalation(2, events::v1::ESCALATION_ACTION_REASSIGN);
  for (auto state : {routing::v1::CASE_STATE_RESOLVED, routing::v1::CASE_STATE_CLOSED}) {
    EXPECT_FALSE(PlanEscalation(alert, "a-1", OpenCase("BJ-0101", state), rules->units(), "HO")
                     .has_value());
  }
  routing::v1::Case seen = OpenCase("BJ-0101");
  seen.add_escalations()->set_alert_id("a-1");
  EXPECT_FALSE(PlanEscalation(alert, "a-1", seen, rules->units(), "HO").has_value());
  events::v1::SlaAlert breach = alert;
  breach.set_kind(events::v1::ALERT_KIND_BREACH);
  EXPECT_FALSE(PlanEscalation(breach, "a-1", OpenCase("BJ-0101"), rules->units(), "HO").has_value());
}

TEST(PlanEscalationTest, AReassignThatCannotMoveIsRecordedWithWhy) {
  const auto rules = DefaultRules();
  const auto alert = Escalation(2, events::v1::ESCALATION_ACTION_REASSIGN);
  // Already at the step's level.
  auto top = PlanEscalation(Escalation(2, events::v1::ESCALATION_ACTION_REASSIGN, "BJ-0100"), "a",
                            OpenCase("BJ-0100"), rules->units(), "HO-COMPLAINTS");
  ASSERT_TRUE(top.has_value());
  EXPECT_TRUE(top->to_unit().empty());
  EXPECT_NE(top->note().find("already"), std::string::npos);
  // The case left the alert's unit since its deadline was set.
  auto moved = PlanEscalation(alert, "a", OpenCase("SH-0201"), rules->units(), "HO-COMPLAINTS");
  ASSERT_TRUE(moved.has_value());
  EXPECT_TRUE(moved->to_unit().empty());
  // Reopened: its reopening decides.
  auto reopened = PlanEscalation(alert, "a", OpenCase("BJ-0101", routing::v1::CASE_STATE_REOPENED),
                                 rules->units(), "HO-COMPLAINTS");
  ASSERT_TRUE(reopened.has_value());
  EXPECT_TRUE(reopened->to_unit().empty());
  // A unit the hierarchy does not know goes to the default supervisor.
  auto unknown = PlanEscalation(Escalation(2, events::v1::ESCALATION_ACTION_REASSIGN, "XX-1"), "a",
                                OpenCase("XX-1"), rules->units(), "HO-COMPLAINTS");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->to_unit(), "HO-COMPLAINTS");
}

TEST(CheckAlertTest, MalformedEscalationsAreRefusedNamingTheField) {
  EXPECT_TRUE(CheckAlert(Escalation(1, events::v1::ESCALATION_ACTION_NOTIFY)).ok());
  auto no_step = Escalation(0, events::v1::ESCALATION_ACTION_NOTIFY);
  EXPECT_EQ(CheckAlert(no_step).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(CheckAlert(no_step).message().find("step"), std::string::npos);
  auto bad_action = Escalation(1, static_cast<events::v1::EscalationAction>(42));
  EXPECT_NE(CheckAlert(bad_action).message().find("action"), std::string::npos);
  auto no_id = Escalation(1, events::v1::ESCALATION_ACTION_NOTIFY);
  no_id.clear_complaint_id();
  EXPECT_EQ(CheckAlert(no_id).code(), absl::StatusCode::kInvalidArgument);
}

// ---- through the router and its case ledger ----

class RouterEscalationTest : public ::testing::Test {
 protected:
  RouterEscalationTest() {
    RouterSettings settings;
    settings.rules = DefaultRules();
    router_ = std::make_unique<Router>(&ledger_, settings);
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id("CMP1");
    complaint.set_category("atm.card_retained");
    complaint.set_branch_code("BJ-0101");
    complaint.set_level(events::v1::LEVEL_ORDINARY);
    EXPECT_TRUE(router_
                    ->HandleReceived(testing::AsIncoming(events::ToRecord(
                        events::kReceivedTopic, "CMP1", complaint, "r-1", "/t", "CMP1",
                        clock_.Now())))
                    .ok());
  }

  absl::Status Deliver(const events::v1::SlaAlert& alert, const std::string& alert_id) {
    return router_->HandleAlert(testing::AsIncoming(
        events::ToRecord(events::kSlaAlertsTopic, alert.complaint_id(), alert, alert_id,
                         "/complaints/sla-timer", alert.complaint_id(), clock_.Now())));
  }

  testing::FakePublisher publisher_;
  cases::MemoryCaseLedgerStore store_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  cases::CaseLedger ledger_{&store_, &publisher_, &clock_, {.event_source = "/complaints/routing"}};
  std::unique_ptr<Router> router_;
};

TEST_F(RouterEscalationTest, AReassignAlertMovesTheCaseOnceWhateverTheRedelivery) {
  const auto alert = Escalation(2, events::v1::ESCALATION_ACTION_REASSIGN);
  ASSERT_TRUE(Deliver(alert, "alert-2").ok());
  ASSERT_TRUE(Deliver(alert, "alert-2").ok());  // redelivered
  ASSERT_TRUE(Deliver(alert, "alert-2").ok());

  auto c = router_->Get("CMP1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->unit(), "BJ-0100");
  EXPECT_EQ(c->state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(c->assignment_sequence(), 2);
  ASSERT_EQ(c->escalations_size(), 1);
  EXPECT_EQ(c->escalations(0).to_unit(), "BJ-0100");
  ASSERT_EQ(c->previous_units_size(), 1);
  EXPECT_EQ(c->previous_units(0), "BJ-0101");

  const auto assignments = publisher_.PublishedTo(events::kAssignmentsTopic);
  ASSERT_EQ(assignments.size(), 2u);
  EXPECT_EQ(assignments[1].key, "BJ-0100");
  events::v1::Assignment moved;
  ASSERT_TRUE(moved.ParseFromString(assignments[1].value));
  EXPECT_EQ(moved.rule_id(), "escalation");
  EXPECT_EQ(moved.alert_id(), "alert-2");
  EXPECT_NE(moved.reason().find("escalation step 2"), std::string::npos);
  ASSERT_EQ(moved.previous_units_size(), 1);
  EXPECT_EQ(moved.previous_units(0), "BJ-0101");
  // The case topic: routed, escalated, assigned again; nothing twice.
  const auto events = publisher_.PublishedTo(events::kCaseTopic);
  ASSERT_EQ(events.size(), 3u);
  events::v1::CaseEvent escalated, assigned;
  ASSERT_TRUE(escalated.ParseFromString(events[1].value));
  ASSERT_TRUE(assigned.ParseFromString(events[2].value));
  EXPECT_TRUE(escalated.has_escalated());
  EXPECT_EQ(escalated.unit(), "BJ-0101");
  EXPECT_EQ(assigned.assigned().alert_id(), "alert-2");
  EXPECT_EQ(assigned.occurred_at().seconds(), alert.fired_at().seconds());
}

TEST_F(RouterEscalationTest, ANotifyAlertRecordsWhoWasNotified) {
  ASSERT_TRUE(Deliver(Escalation(1, events::v1::ESCALATION_ACTION_NOTIFY), "alert-1").ok());
  auto c = router_->Get("CMP1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->unit(), "BJ-0101");
  ASSERT_EQ(c->escalations_size(), 1);
  EXPECT_EQ(c->escalations(0).notified_unit(), "BJ-0110");
  EXPECT_EQ(c->escalations(0).role(), "branch head");
  EXPECT_EQ(publisher_.PublishedTo(events::kAssignmentsTopic).size(), 1u);
}

TEST_F(RouterEscalationTest, AlertsForResolvedCasesAndWarningsDoNothing) {
  routing::v1::AcceptCaseRequest accept;
  accept.set_complaint_id("CMP1");
  accept.set_unit("BJ-0101");
  accept.set_responsible("王");
  ASSERT_TRUE(router_->Accept(accept).ok());
  routing::v1::ResolveCaseRequest resolve;
  resolve.set_complaint_id("CMP1");
  resolve.set_unit("BJ-0101");
  resolve.set_resolution("card returned");
  resolve.set_fault(events::v1::FAULT_PARTY_SYSTEM);
  resolve.set_motive(events::v1::CUSTOMER_MOTIVE_VENTING);
  ASSERT_TRUE(router_->Resolve(resolve).ok());
  const size_t before = publisher_.published().size();
  ASSERT_TRUE(Deliver(Escalation(2, events::v1::ESCALATION_ACTION_REASSIGN), "late").ok());
  auto warning = Escalation(1, events::v1::ESCALATION_ACTION_NOTIFY);
  warning.set_kind(events::v1::ALERT_KIND_WARNING);
  ASSERT_TRUE(Deliver(warning, "warn").ok());
  EXPECT_EQ(publisher_.published().size(), before);
  EXPECT_EQ(router_->Get("CMP1")->state(), routing::v1::CASE_STATE_RESOLVED);
}

TEST_F(RouterEscalationTest, BadAlertRecordsAreRefusedForTheDeadLetterQueue) {
  EXPECT_EQ(Deliver(Escalation(0, events::v1::ESCALATION_ACTION_REASSIGN), "no-step").code(),
            absl::StatusCode::kInvalidArgument);
  auto record = testing::AsIncoming(events::ToRecord(
      events::kSlaAlertsTopic, "CMP1", Escalation(1, events::v1::ESCALATION_ACTION_NOTIFY), "x",
      "/t", "CMP1", clock_.Now()));
  record.value = "\xff\xff not a protobuf";
  EXPECT_EQ(router_->HandleAlert(record).code(), absl::StatusCode::kInvalidArgument);
  // An alert about a complaint routing has no case for: nothing to do, not an error.
  auto unknown = Escalation(1, events::v1::ESCALATION_ACTION_NOTIFY);
  unknown.set_complaint_id("CMP-NONE");
  EXPECT_TRUE(Deliver(unknown, "none").ok());
}

}  // namespace
}  // namespace complaints::routing
