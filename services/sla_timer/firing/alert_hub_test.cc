#include "services/sla_timer/firing/alert_hub.h"

#include <thread>

#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::sla_timer {
namespace {

using Outcome = AlertHub::Subscription::Outcome;

events::v1::SlaAlert Alert(const std::string& unit, events::v1::AlertKind kind) {
  events::v1::SlaAlert a;
  a.set_complaint_id("CMP1");
  a.set_unit(unit);
  a.set_kind(kind);
  return a;
}

TEST(AlertHubTest, DeliversMatchingAlertsToEachWatcher) {
  AlertHub hub;
  Watch all(&hub, {});
  Watch branch(&hub, {"BJ-0101", events::v1::ALERT_KIND_UNSPECIFIED});
  EXPECT_EQ(hub.subscribers(), 2u);
  hub.Publish(Alert("SH-0202", events::v1::ALERT_KIND_BREACH));
  hub.Publish(Alert("BJ-0101", events::v1::ALERT_KIND_BREACH));

  events::v1::SlaAlert got;
  ASSERT_EQ(all->Next(absl::ZeroDuration(), &got), Outcome::kAlert);
  EXPECT_EQ(got.unit(), "SH-0202");
  ASSERT_EQ(all->Next(absl::ZeroDuration(), &got), Outcome::kAlert);
  EXPECT_EQ(got.unit(), "BJ-0101");
  EXPECT_EQ(all->Next(absl::Milliseconds(1), &got), Outcome::kTimeout);
  ASSERT_EQ(branch->Next(absl::ZeroDuration(), &got), Outcome::kAlert);
  EXPECT_EQ(got.unit(), "BJ-0101");
  EXPECT_EQ(branch->Next(absl::ZeroDuration(), &got), Outcome::kTimeout);
}

TEST(AlertHubTest, WatchersLeaveWhenTheirStreamEnds) {
  AlertHub hub;
  { Watch w(&hub, {}); }
  EXPECT_EQ(hub.subscribers(), 0u);
}

TEST(AlertHubTest, AWaitingWatcherWakesUp) {
  AlertHub hub;
  Watch w(&hub, {});
  std::thread publisher([&] {
    absl::SleepFor(absl::Milliseconds(20));
    hub.Publish(Alert("BJ-0101", events::v1::ALERT_KIND_BREACH));
  });
  events::v1::SlaAlert got;
  EXPECT_EQ(w->Next(absl::Seconds(5), &got), Outcome::kAlert);
  publisher.join();
}

TEST(AlertHubTest, ASlowWatcherIsCutOff) {
  AlertHub hub(2);
  Watch slow(&hub, {});
  for (int i = 0; i < 3; ++i) hub.Publish(Alert("BJ-0101", events::v1::ALERT_KIND_BREACH));
  events::v1::SlaAlert got;
  EXPECT_EQ(slow->Next(absl::ZeroDuration(), &got), Outcome::kOverflow);
}

TEST(AlertHubTest, CloseEndsEveryWatchAndRefusesNewOnes) {
  AlertHub hub;
  Watch w(&hub, {});
  hub.Publish(Alert("BJ-0101", events::v1::ALERT_KIND_BREACH));
  std::thread closer([&] { hub.Close(); });
  closer.join();
  events::v1::SlaAlert got;
  EXPECT_EQ(w->Next(absl::Seconds(5), &got), Outcome::kAlert);  // drained first
  EXPECT_EQ(w->Next(absl::Seconds(5), &got), Outcome::kClosed);
  Watch late(&hub, {});
  EXPECT_EQ(late->Next(absl::Seconds(5), &got), Outcome::kClosed);
}

TEST(AlertHubTest, FeedsOnTheAlertsTopicAndSkipsWhatIsNotAnAlert) {
  AlertHub hub;
  Watch w(&hub, {});
  const auto alert = Alert("BJ-0101", events::v1::ALERT_KIND_BREACH);
  const auto record = testing::AsIncoming(events::ToRecord(
      events::kSlaAlertsTopic, "CMP1", alert, "id", "/complaints/sla-timer", "CMP1", absl::Now()));
  EXPECT_TRUE(hub.HandleRecord(record).ok());
  kafka::IncomingRecord garbage = record;
  garbage.headers.clear();
  EXPECT_TRUE(hub.HandleRecord(garbage).ok());
  events::v1::SlaAlert got;
  EXPECT_EQ(w->Next(absl::ZeroDuration(), &got), Outcome::kAlert);
  EXPECT_EQ(w->Next(absl::ZeroDuration(), &got), Outcome::kTimeout);
}

}  // namespace
}  // namespace complaints::sla_timer
