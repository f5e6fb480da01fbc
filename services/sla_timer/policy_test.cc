#include "services/sla_timer/policy.h"

#include "gtest/gtest.h"
#include "libs/common/proto_time.h"

namespace complaints::sla_timer {
namespace {

using events::v1::CLOCK_ACCEPT;

const absl::Time kT0 = absl::FromUnixSeconds(1764115200);  // 2025-11-26 00:00 UTC

ClockEntry Running(ClockKind clock, absl::Time armed, absl::Duration span, int64_t version,
                   const std::string& unit = "BJ-0101") {
  return {clock, ClockEntry::State::kRunning, armed + span, version, armed, unit};
}

TEST(PolicySettingsTest, DefaultsAreTheBanksPromises) {
  auto s = PolicySettings::FromConfig(common::Config());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->accept, absl::Hours(4));
  EXPECT_EQ(s->resolution, absl::Hours(168));
  EXPECT_EQ(s->regulatory, absl::Hours(15 * 24));
}

TEST(PolicySettingsTest, ReadsHoursAndDays) {
  auto s = PolicySettings::FromConfig(common::Config({{"sla.accept_hours", "0.5"},
                                                      {"sla.resolution_hours", "72"},
                                                      {"sla.regulatory_days", "30"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->accept, absl::Minutes(30));
  EXPECT_EQ(s->resolution, absl::Hours(72));
  EXPECT_EQ(s->regulatory, absl::Hours(30 * 24));
}

TEST(PolicySettingsTest, RejectsNonPositiveAndGarbage) {
  for (const char* bad : {"0", "-1", "soon"}) {
    auto s = PolicySettings::FromConfig(common::Config({{"sla.regulatory_days", bad}}));
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.status().message().find("sla.regulatory_days"), std::string::npos);
  }
}

TEST(FiringTest, TheBreachFiresAtTheDueTimeAndNothingAfterItYet) {
  const PolicySettings settings;
  const ClockEntry e = Running(CLOCK_ACCEPT, kT0, absl::Hours(4), 3);
  const Firing first = FirstFiring(e, settings);
  EXPECT_EQ(first.kind, events::v1::ALERT_KIND_BREACH);
  EXPECT_EQ(first.step, 0);
  EXPECT_EQ(first.at, e.due);
  EXPECT_FALSE(NextFiring(e, first.kind, first.step, settings).has_value());
}

}  // namespace
}  // namespace complaints::sla_timer
