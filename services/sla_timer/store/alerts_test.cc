#include "services/sla_timer/store/alerts.h"

#include <set>

#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::sla_timer {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1764115200);

AlertKey Key() { return {"CMP1", events::v1::CLOCK_ACCEPT, 17, events::v1::ALERT_KIND_BREACH, 0}; }
ClockEntry Entry() {
  return {events::v1::CLOCK_ACCEPT,
          ClockEntry::State::kRunning,
          kT0 + absl::Hours(4),
          17,
          kT0,
          "BJ-0101"};
}

TEST(AlertIdTest, IsStableAndDistinguishesEveryPart) {
  EXPECT_EQ(AlertId(Key()), AlertId(Key()));
  EXPECT_EQ(AlertId(Key()).size(), 32u);
  std::set<std::string> ids = {AlertId(Key())};
  AlertKey k = Key();
  k.complaint_id = "CMP2";
  ids.insert(AlertId(k));
  k = Key();
  k.clock = events::v1::CLOCK_RESOLUTION;
  ids.insert(AlertId(k));
  k = Key();
  k.version = 18;
  ids.insert(AlertId(k));
  k = Key();
  k.kind = events::v1::ALERT_KIND_WARNING;
  ids.insert(AlertId(k));
  k = Key();
  k.step = 1;
  ids.insert(AlertId(k));
  EXPECT_EQ(ids.size(), 6u);
}

TEST(AlertTest, CarriesTheDeadlineAndTheUnit) {
  const auto alert = MakeAlert(Key(), Entry(), kT0 + absl::Hours(5));
  EXPECT_EQ(alert.complaint_id(), "CMP1");
  EXPECT_EQ(alert.unit(), "BJ-0101");
  EXPECT_EQ(alert.clock(), events::v1::CLOCK_ACCEPT);
  EXPECT_EQ(alert.kind(), events::v1::ALERT_KIND_BREACH);
  EXPECT_EQ(alert.deadline_version(), 17);
  EXPECT_EQ(common::FromProtoTime(alert.due_at()), kT0 + absl::Hours(4));
  EXPECT_EQ(common::FromProtoTime(alert.fired_at()), kT0 + absl::Hours(5));
}

TEST(AlertTest, RecordIsKeyedByComplaintWithADeterministicId) {
  const auto first = ToAlertRecord(MakeAlert(Key(), Entry(), kT0 + absl::Hours(5)));
  // Fired again later (after a crash): another fired_at, the same event id.
  const auto again = ToAlertRecord(MakeAlert(Key(), Entry(), kT0 + absl::Hours(6)));
  EXPECT_EQ(first.topic, events::kSlaAlertsTopic);
  EXPECT_EQ(first.key, "CMP1");
  EXPECT_EQ(first.event.subject, "CMP1");
  EXPECT_EQ(first.event.source, "/complaints/sla-timer");
  EXPECT_EQ(first.event.type, "complaints.events.v1.SlaAlert");
  EXPECT_EQ(first.event.id, AlertId(Key()));
  EXPECT_EQ(again.event.id, first.event.id);

  auto parsed = events::ParseRecordAs<events::v1::SlaAlert>(testing::AsIncoming(first));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->deadline_version(), 17);
}

TEST(AlertFilterTest, EmptyFieldsMatchEverything) {
  const auto alert = MakeAlert(Key(), Entry(), kT0);
  EXPECT_TRUE(AlertFilter{}.Matches(alert));
  AlertFilter filter;
  filter.unit = "BJ-0101";
  filter.kind = events::v1::ALERT_KIND_BREACH;
  EXPECT_TRUE(filter.Matches(alert));
  filter.unit = "SH-0202";
  EXPECT_FALSE(filter.Matches(alert));
  filter.unit.clear();
  filter.kind = events::v1::ALERT_KIND_WARNING;
  EXPECT_FALSE(filter.Matches(alert));
}

TEST(AlertFilterTest, FiltersByLevel) {
  auto alert = MakeAlert(Key(), Entry(), kT0);
  alert.set_level(events::v1::LEVEL_MAJOR);
  AlertFilter filter;
  filter.level = events::v1::LEVEL_MAJOR;
  EXPECT_TRUE(filter.Matches(alert));
  filter.level = events::v1::LEVEL_ORDINARY;
  EXPECT_FALSE(filter.Matches(alert));
}

}  // namespace
}  // namespace complaints::sla_timer
