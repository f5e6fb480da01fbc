// End-to-end: 跟回复, promises kept (issue 11), through the real binaries on the test Kafka and
// Redis. A unit logs a contact promising the customer the next one soon, on the accelerated
// clock, and does not keep it: the SLA timer reminds the unit once before the promised time and
// alerts once (one BREACH of CLOCK_PROMISE) when it passes. No other service raises it.
#include "complaints/events/v1/sla.pb.h"
#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
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
constexpr double kFactor = 3600;  // one real second is an hour

// The complaint's alerts of `clock` and `kind` read so far.
int Count(kafka::TopicReader& alerts, const std::string& id, events::v1::Clock clock,
          events::v1::AlertKind kind) {
  return static_cast<int>(alerts
                              .Seen([&](const kafka::IncomingRecord& r) {
                                events::v1::SlaAlert a;
                                return About(r, id) && a.ParseFromString(r.value) &&
                                       a.clock() == clock && a.kind() == kind;
                              })
                              .size());
}

TEST(PromiseTest, AMissedPromiseAlertsExactlyOnce) {
  const absl::Time origin = absl::Now();
  Platform platform({.env = {{"COMPLAINTS_SLA_POLICY_FILE",
                              std::string(COMPLAINTS_SOURCE_DIR) +
                                  "/tests/e2e/fast-policy.textproto"},
                             {"COMPLAINTS_CLOCK_FACTOR", std::to_string(static_cast<int>(kFactor))},
                             {"COMPLAINTS_CLOCK_ORIGIN_UNIX_MS",
                              std::to_string(absl::ToUnixMillis(origin))}}});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("routing");
  CaseClient client(platform);

  const std::string id = client.Submit("atm.card_retained", "BJ-0101");
  ASSERT_FALSE(id.empty());
  const auto assigned = client.WaitCase(
      id, [](const routing::v1::Case& c) { return c.state() == routing::v1::CASE_STATE_ASSIGNED; },
      kTimeout);
  ASSERT_TRUE(assigned.has_value()) << platform.LogTail("routing");
  ASSERT_TRUE(client.Accept(id, assigned->unit()).ok());

  // The services' time, as the accelerated clock reads it: the customer is promised a call four
  // hours on (four real seconds), with the reminder two hours before it.
  const absl::Time service_now = origin + (absl::Now() - origin) * kFactor;
  const absl::Time promised = service_now + absl::Hours(4);
  routing::v1::LogContactRequest contact;
  contact.set_complaint_id(id);
  contact.set_unit(assigned->unit());
  contact.set_channel("phone");
  contact.set_summary("explained the fee; promised to call back with the refund decision");
  contact.set_request_id("promise-contact");
  *contact.mutable_next_contact_promised_at() = common::ToProtoTime(promised);
  routing::v1::LogContactResponse logged;
  {
    grpc::ClientContext context;
    const grpc::Status status = client.cases().LogContact(&context, contact, &logged);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Nobody calls back. The breach of the promise, then the first step of the ladder after it
  // (so the timer has moved past the breach: a second one would have been published by now).
  const auto opened = OpenTopic("sla.alerts.v1");
  ASSERT_NE(opened, nullptr);
  kafka::TopicReader& alerts = *opened;
  events::v1::SlaAlert breach;
  ASSERT_TRUE(alerts
                  .WaitFor(
                      [&](const kafka::IncomingRecord& r) {
                        return About(r, id) && breach.ParseFromString(r.value) &&
                               breach.clock() == events::v1::CLOCK_PROMISE &&
                               breach.kind() == events::v1::ALERT_KIND_BREACH;
                      },
                      kTimeout)
                  .has_value())
      << platform.LogTail("sla_timer");
  EXPECT_EQ(common::FromProtoTime(breach.due_at()),
            absl::FromUnixMillis(absl::ToUnixMillis(promised)));
  EXPECT_EQ(breach.unit(), assigned->unit());
  ASSERT_TRUE(alerts
                  .WaitFor(
                      [&](const kafka::IncomingRecord& r) {
                        events::v1::SlaAlert a;
                        return About(r, id) && a.ParseFromString(r.value) &&
                               a.clock() == events::v1::CLOCK_PROMISE &&
                               a.kind() == events::v1::ALERT_KIND_ESCALATION && a.step() == 1;
                      },
                      kTimeout)
                  .has_value())
      << platform.LogTail("sla_timer");

  ASSERT_TRUE(alerts.ReadToEnd(kTimeout));
  EXPECT_EQ(Count(alerts, id, events::v1::CLOCK_PROMISE, events::v1::ALERT_KIND_BREACH), 1);
  EXPECT_EQ(Count(alerts, id, events::v1::CLOCK_PROMISE, events::v1::ALERT_KIND_WARNING), 1);
  // Every alert of the promise came from the SLA timer.
  for (const auto& r : alerts.Seen([&](const kafka::IncomingRecord& r) { return About(r, id); })) {
    events::v1::SlaAlert a;
    ASSERT_TRUE(a.ParseFromString(r.value));
    if (a.clock() != events::v1::CLOCK_PROMISE) continue;
    EXPECT_EQ(kafka::FindHeader(r.headers, "ce_source").value_or(""), "/complaints/sla-timer");
  }
}

}  // namespace
}  // namespace complaints
