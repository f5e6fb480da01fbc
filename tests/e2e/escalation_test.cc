// End-to-end: escalation that moves the case, and reopening that goes higher, through the real
// binaries on the test Kafka and Redis.
//  - A complaint nobody accepts breaches its accept deadline on the accelerated clock; the SLA
//    timer's ladder (tests/e2e/escalation-policy.textproto) notifies at step 1 and reassigns at
//    step 2: routing moves the case to the 分行 with a new assignment carrying the alert id,
//    once, even when the alert is delivered again.
//  - A customer unsatisfied at follow-up reopens the case: it goes one level up (网点 → 支行) as
//    a major complaint; reopened a second time it goes up again and becomes escalated.
#include <map>

#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "gtest/gtest.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/case_client.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using testsupport::About;
using testsupport::CaseClient;
using testsupport::OpenTopic;
using testsupport::Platform;

constexpr absl::Duration kTimeout = absl::Seconds(90);

// The assignments of complaint `id` read so far, by sequence.
std::map<int, events::v1::Assignment> Assignments(kafka::TopicReader& reader, const std::string& id) {
  std::map<int, events::v1::Assignment> out;
  for (const auto& r : reader.Seen([&](const kafka::IncomingRecord& r) { return About(r, id); })) {
    events::v1::Assignment a;
    if (a.ParseFromString(r.value)) out.emplace(a.sequence(), a);
  }
  return out;
}

TEST(EscalationTest, AMissedDeadlineIsEscalatedAndTheReassignStepMovesTheCaseOnce) {
  // One real second is an hour: breach 1 s after routing, step 1 a second later, step 2 (reassign)
  // a second after that.
  Platform platform({.env = {{"COMPLAINTS_SLA_POLICY_FILE",
                              std::string(COMPLAINTS_SOURCE_DIR) +
                                  "/tests/e2e/escalation-policy.textproto"},
                             {"COMPLAINTS_CLOCK_FACTOR", "3600"},
                             {"COMPLAINTS_CLOCK_ORIGIN_UNIX_MS",
                              std::to_string(absl::ToUnixMillis(absl::Now()))}}});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("routing");
  CaseClient client(platform);

  // 广州珠江新城网点 lets the complaint lie: its 支行 is told at step 1, its 分行 takes it at step 2.
  const std::string id = client.Submit("queueing.long_wait", "GZ-0302");
  ASSERT_FALSE(id.empty());
  const auto moved = client.WaitCase(id, [](const routing::v1::Case& c) {
    return c.unit() == "GZ-0300";
  });
  ASSERT_TRUE(moved.has_value()) << platform.LogTail("routing");
  EXPECT_EQ(moved->state(), routing::v1::CASE_STATE_ASSIGNED);
  ASSERT_GE(moved->escalations_size(), 2) << moved->ShortDebugString();
  const auto& notified = moved->escalations(0);
  EXPECT_EQ(notified.step(), 1);
  EXPECT_EQ(notified.action(), events::v1::ESCALATION_ACTION_NOTIFY);
  EXPECT_EQ(notified.notified_unit(), "GZ-0310");
  EXPECT_TRUE(notified.to_unit().empty());
  const auto& reassigned = moved->escalations(1);
  EXPECT_EQ(reassigned.step(), 2);
  EXPECT_EQ(reassigned.action(), events::v1::ESCALATION_ACTION_REASSIGN);
  EXPECT_EQ(reassigned.to_unit(), "GZ-0300");
  ASSERT_EQ(moved->previous_units_size(), 1);
  EXPECT_EQ(moved->previous_units(0), "GZ-0302");

  // The new assignment, for the 分行's consumer, names the step-2 alert.
  auto alerts = OpenTopic("sla.alerts.v1");
  ASSERT_NE(alerts, nullptr);
  const auto step2 = alerts->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        events::v1::SlaAlert a;
        return About(r, id) && a.ParseFromString(r.value) &&
               a.kind() == events::v1::ALERT_KIND_ESCALATION && a.step() == 2;
      },
      kTimeout);
  ASSERT_TRUE(step2.has_value());
  const std::string alert_id = kafka::FindHeader(step2->headers, "ce_id").value_or("");
  EXPECT_EQ(reassigned.alert_id(), alert_id);
  auto assignments = OpenTopic("complaints.assignments.v1");
  ASSERT_NE(assignments, nullptr);
  ASSERT_TRUE(assignments
                  ->WaitFor([&](const kafka::IncomingRecord& r) {
                    events::v1::Assignment a;
                    return About(r, id) && a.ParseFromString(r.value) && a.sequence() == 2;
                  },
                            kTimeout)
                  .has_value());
  auto by_sequence = Assignments(*assignments, id);
  ASSERT_TRUE(by_sequence.contains(2));
  EXPECT_EQ(by_sequence[2].unit(), "GZ-0300");
  EXPECT_EQ(by_sequence[2].rule_id(), "escalation");
  EXPECT_EQ(by_sequence[2].alert_id(), alert_id);
  EXPECT_NE(by_sequence[2].reason().find("escalation step 2"), std::string::npos);

  // The same alert delivered again (as after a crash of the timer before its acknowledgement):
  // nothing moves twice.
  kafka::KafkaConfig config;
  config.bootstrap_servers = Platform::KafkaBootstrap();
  auto producer = kafka::Producer::Create(config);
  ASSERT_TRUE(producer.ok());
  kafka::OutgoingRecord again;
  again.topic = "sla.alerts.v1";
  again.key = step2->key;
  again.value = step2->value;
  again.extra_headers = step2->headers;
  again.verbatim_headers = true;
  ASSERT_TRUE((*producer)->Publish(std::vector{again}).ok());

  // At the 分行 the ladder runs again (the accept clock re-armed for it): both steps find it at
  // their level already, so it stays. Four steps recorded, one move.
  const auto settled = client.WaitCase(id, [](const routing::v1::Case& c) {
    return c.escalations_size() >= 4;
  });
  ASSERT_TRUE(settled.has_value()) << platform.LogTail("routing");
  EXPECT_EQ(settled->unit(), "GZ-0300");
  EXPECT_EQ(settled->assignment_sequence(), 2);
  int moves = 0;
  for (const auto& e : settled->escalations()) moves += !e.to_unit().empty();
  EXPECT_EQ(moves, 1) << settled->ShortDebugString();
  ASSERT_TRUE(assignments->ReadToEnd(kTimeout));
  EXPECT_EQ(Assignments(*assignments, id).size(), 2u);
  // The case topic has one Escalated per alert: the republished one was not applied again.
  auto case_events = OpenTopic("complaints.case.v1");
  ASSERT_NE(case_events, nullptr);
  ASSERT_TRUE(case_events->ReadToEnd(kTimeout));
  std::map<std::string, int> per_alert;
  for (const auto& r : case_events->Seen([&](const kafka::IncomingRecord& r) { return About(r, id); })) {
    events::v1::CaseEvent e;
    if (e.ParseFromString(r.value) && e.has_escalated()) ++per_alert[e.escalated().alert_id()];
  }
  EXPECT_EQ(per_alert[alert_id], 1);
}

TEST(EscalationTest, AReopenedCaseGoesOneLevelUpAndTheSecondReopeningMakesItEscalated) {
  Platform platform(Platform::Options{});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("routing");
  CaseClient client(platform);

  const std::string id = client.Submit("queueing.long_wait", "SH-0203");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(client.Accept(id, "SH-0203").ok());
  ASSERT_TRUE(client.Resolve(id, "SH-0203").ok());
  ASSERT_EQ(client.AnswerSurvey(id, followup::v1::OUTCOME_UNSATISFIED), "reopened")
      << platform.LogTail("followup");

  // 二次处理 at the 支行 above the outlet, as a major complaint.
  const auto first = client.WaitCase(id, [](const routing::v1::Case& c) {
    return c.state() == routing::v1::CASE_STATE_ASSIGNED && c.assignment_sequence() == 2;
  });
  ASSERT_TRUE(first.has_value()) << platform.LogTail("routing");
  EXPECT_EQ(first->unit(), "SH-0220");
  EXPECT_EQ(first->level(), events::v1::LEVEL_MAJOR);
  EXPECT_EQ(first->reopen_count(), 1);

  ASSERT_TRUE(client.Accept(id, "SH-0220").ok());
  ASSERT_TRUE(client.Resolve(id, "SH-0220").ok());
  ASSERT_EQ(client.AnswerSurvey(id, followup::v1::OUTCOME_UNSATISFIED), "reopened")
      << platform.LogTail("followup");
  const auto second = client.WaitCase(id, [](const routing::v1::Case& c) {
    return c.state() == routing::v1::CASE_STATE_ASSIGNED && c.assignment_sequence() == 3;
  });
  ASSERT_TRUE(second.has_value()) << platform.LogTail("routing");
  EXPECT_EQ(second->unit(), "SH-0200");  // the 分行
  EXPECT_EQ(second->level(), events::v1::LEVEL_ESCALATED);

  // The 分行's assignment carries the history and the reason.
  auto assignments = OpenTopic("complaints.assignments.v1");
  ASSERT_NE(assignments, nullptr);
  const auto third = assignments->WaitFor(
      [&](const kafka::IncomingRecord& r) {
        events::v1::Assignment a;
        return About(r, id) && a.ParseFromString(r.value) && a.sequence() == 3;
      },
      kTimeout);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->key, "SH-0200");
  events::v1::Assignment a;
  ASSERT_TRUE(a.ParseFromString(third->value));
  EXPECT_EQ(a.rule_id(), "reopened");
  EXPECT_EQ(a.level(), events::v1::LEVEL_ESCALATED);
  EXPECT_EQ(a.reopen_count(), 2);
  ASSERT_EQ(a.previous_units_size(), 2);
  EXPECT_EQ(a.previous_units(0), "SH-0203");
  EXPECT_EQ(a.previous_units(1), "SH-0220");
  EXPECT_NE(a.reason().find("reopened at follow-up"), std::string::npos);
}

}  // namespace
}  // namespace complaints
