#include "services/sla_timer/policy/regional_calendar.h"

#include "gtest/gtest.h"
#include "libs/calendar/calendar_registry.h"
#include "services/sla_timer/policy/policy_engine.h"
#include "services/sla_timer/policy/policy_set.h"

namespace complaints::sla_timer {
namespace {

const std::string kSource = COMPLAINTS_SOURCE_DIR;

absl::Time Shanghai(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::FixedTimeZone(8 * 3600));
}

TEST(RegionalCalendarTest, ShippedChineseCalendarAndPolicyWorkTogether) {
  auto registry = calendar::CalendarRegistry::LoadDirectory(kSource + "/deploy/calendars");
  ASSERT_TRUE(registry.ok()) << registry.status();
  RegionalCalendar calendar(&registry->Default());

  // 8 working hours from the eve of the 2025 National Day holiday land after it.
  const absl::Time due = calendar.AddWorkingTime(Shanghai(2025, 9, 30, 16, 0), absl::Hours(8));
  EXPECT_EQ(absl::ToCivilDay(due, calendar.zone()), absl::CivilDay(2025, 10, 9));
  // 2025-10-11 is a Saturday worked instead (调休).
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2025, 10, 11)));
  // 3·15 is a sensitive period in the shipped data.
  EXPECT_FALSE(calendar.SensitivityAt(Shanghai(2026, 3, 15, 10, 0)).name.empty());
  EXPECT_TRUE(calendar.SensitivityAt(Shanghai(2026, 7, 1, 10, 0)).name.empty());

  auto policies = sla_policy::LoadPolicyFile(kSource + "/deploy/policies/cn-default.textproto");
  ASSERT_TRUE(policies.ok()) << policies.status();
  sla_policy::PolicyEngine engine(&*policies, &calendar);
  events::v1::CaseEvent assigned;
  assigned.set_complaint_id("CMP1");
  assigned.set_unit("BJ-0101");
  *assigned.mutable_occurred_at() = google::protobuf::Timestamp();
  assigned.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(Shanghai(2025, 9, 30, 16, 0)));
  assigned.mutable_assigned()->set_sequence(1);
  assigned.mutable_assigned()->set_level(events::v1::LEVEL_ORDINARY);
  assigned.mutable_assigned()->set_category("atm.card_retained");
  auto outcome = engine.Apply(sla::v1::SlaCaseState(), assigned, 10);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  const auto* accept = sla_policy::FindClock(outcome->state, events::v1::CLOCK_ACCEPT);
  ASSERT_NE(accept, nullptr);
  // Accepting takes working hours: after the holiday, not during it.
  EXPECT_GE(absl::ToCivilDay(engine.DueOf(*accept), calendar.zone()), absl::CivilDay(2025, 10, 9));
}

}  // namespace
}  // namespace complaints::sla_timer
