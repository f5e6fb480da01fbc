// The shipped policy files (deploy/policies/*.textproto): each loads, and gives the expected
// deadlines for a sample complaint on the fake calendar of policy_test_util.h; then each with the
// shipped calendar of its own region (deploy/calendars), as the sla-timer runs it.

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/calendar/calendar_registry.h"
#include "services/sla_timer/policy/policy_engine.h"
#include "services/sla_timer/policy/policy_test_util.h"
#include "services/sla_timer/policy/regional_calendar.h"

namespace complaints::sla_policy {
namespace {

using namespace testing;  // NOLINT: the fixtures of policy_test_util.h
using events::v1::CaseEvent;
using events::v1::CLOCK_ACCEPT;
using events::v1::CLOCK_FIRST_CONTACT;
using events::v1::CLOCK_PROGRESS_UPDATE;
using events::v1::CLOCK_REGULATORY;
using events::v1::CLOCK_RESOLUTION;
using events::v1::LEVEL_MAJOR;
using events::v1::LEVEL_ORDINARY;
using events::v1::URGENCY_NORMAL;
using events::v1::URGENCY_VERY_URGENT;
using sla::v1::SlaCaseState;

PolicySet Load(const std::string& name) {
  auto set = LoadPolicyFile(std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/policies/" + name);
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

// A sample complaint: received Monday 3 March 09:30, assigned at 10:00 (offset 1).
class Sample {
 public:
  Sample(const PolicySet* policies, events::v1::Level level = LEVEL_ORDINARY,
         events::v1::Urgency urgency = URGENCY_NORMAL, const std::string& category = "card.fee")
      : engine_(policies, &FakeCalendar()) {
    CaseEvent assigned = Assigned(T(3, 10), 1, "BJ-0101", level, urgency, category);
    *assigned.mutable_assigned()->mutable_received_at() = common::ToProtoTime(T(3, 9, 30));
    Apply(assigned);
  }

  Outcome Apply(const CaseEvent& event) {
    auto outcome = engine_.Apply(state_, event, ++offset_);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    state_ = outcome->state;
    return *std::move(outcome);
  }

  // The clock's deadline, or the epoch when the policy does not arm it.
  absl::Time Due(events::v1::Clock clock) const {
    const sla::v1::ClockState* c = FindClock(state_, clock);
    return c == nullptr ? absl::UnixEpoch() : common::FromProtoTime(c->due_at());
  }
  bool Armed(events::v1::Clock clock) const { return FindClock(state_, clock) != nullptr; }
  const PolicyEngine& engine() const { return engine_; }
  const SlaCaseState& state() const { return state_; }

 private:
  PolicyEngine engine_;
  SlaCaseState state_;
  int64_t offset_ = 0;
};

TEST(ChinaDefaultPolicyTest, OrdinaryComplaint) {
  const PolicySet policies = Load("cn-default.textproto");
  EXPECT_EQ(policies.name(), "cn-default");
  EXPECT_EQ(policies.region(), "CN");
  Sample sample(&policies);
  EXPECT_EQ(sample.Due(CLOCK_ACCEPT), T(3, 12));         // 2 working hours
  EXPECT_EQ(sample.Due(CLOCK_FIRST_CONTACT), T(4, 17));  // 1 working day
  EXPECT_EQ(sample.Due(CLOCK_RESOLUTION), T(11, 17));    // 5 working days: within a week
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), T(19, 0));     // 15 calendar days after receipt
  EXPECT_FALSE(sample.Armed(CLOCK_PROGRESS_UPDATE));
  sample.Apply(Contact(T(4, 15)));
  EXPECT_EQ(sample.Due(CLOCK_PROGRESS_UPDATE), T(5, 17));  // next contact within 1 business day

  // Alerts: warnings at 50% and 80%, breach, then unit head, branch head, head office.
  const auto schedule = sample.engine().Schedule(*FindClock(sample.state(), CLOCK_RESOLUTION));
  ASSERT_EQ(schedule.size(), 6u);
  EXPECT_EQ(schedule[2].kind, events::v1::ALERT_KIND_BREACH);
  EXPECT_EQ(schedule[3].at, T(12, 11));  // 2 working hours after the breach
  EXPECT_EQ(schedule[4].at, T(12, 15));  // + 4
  EXPECT_EQ(schedule[5].at, T(13, 17));  // + 1 working day
}

// 跟回复: a promised call back is due at the promised time, reminded 2 hours before; a missed
// one alerts the unit head, then the branch head, and never moves the case.
TEST(ChinaDefaultPolicyTest, PromisedContact) {
  const PolicySet policies = Load("cn-default.textproto");
  Sample sample(&policies);
  CaseEvent contact = Contact(T(4, 15));
  *contact.mutable_contact_logged()->mutable_next_contact_promised_at() =
      common::ToProtoTime(T(5, 16));
  sample.Apply(contact);
  const sla::v1::ClockState* promise = FindClock(sample.state(), events::v1::CLOCK_PROMISE);
  ASSERT_NE(promise, nullptr);
  const auto schedule = sample.engine().Schedule(*promise);
  ASSERT_EQ(schedule.size(), 4u);
  EXPECT_EQ(schedule[0], (Firing{events::v1::ALERT_KIND_WARNING, 1, T(5, 14)}));
  EXPECT_EQ(schedule[1], (Firing{events::v1::ALERT_KIND_BREACH, 0, T(5, 16)}));
  EXPECT_EQ(schedule[2].at, T(6, 10));  // 2 working hours after the breach
  EXPECT_EQ(schedule[3].at, T(7, 17));  // + 1 working day
  for (const auto action : promise->escalation_action()) {
    EXPECT_NE(action, events::v1::ESCALATION_ACTION_REASSIGN);
  }
}

TEST(ChinaDefaultPolicyTest, RegulatoryChainAndItsLadder) {
  const PolicySet policies = Load("cn-default.textproto");
  Sample sample(&policies);
  const auto* regulatory = FindClock(sample.state(), CLOCK_REGULATORY);
  const auto schedule = sample.engine().Schedule(*regulatory);
  ASSERT_EQ(schedule.size(), 6u);
  EXPECT_EQ(schedule[3].at, T(19, 10));  // 1 working hour after the breach (Wednesday 19th)

  EXPECT_FALSE(sample.Apply(Extension(T(14, 10), 1, "", false)).refused.ok());
  EXPECT_TRUE(sample.Apply(Extension(T(14, 10), 1, "", true)).refused.ok());
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), T(3, 0, 0, 4));  // 30 days
  EXPECT_FALSE(sample.Apply(Extension(T(28, 10), 2, "", true)).refused.ok());
  EXPECT_TRUE(sample.Apply(Extension(T(28, 10), 2, "head office", true)).refused.ok());
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), T(3, 0, 0, 5));  // 60 days

  // External appraisal is excluded from the regulatory period, not waiting on the customer.
  sample.Apply(Paused(T(31, 0), events::v1::PAUSE_REASON_WAITING_ON_CUSTOMER));
  EXPECT_EQ(FindClock(sample.state(), CLOCK_REGULATORY)->status(), sla::v1::CLOCK_STATUS_RUNNING);
  sample.Apply(Paused(T(31, 0), events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL));
  EXPECT_EQ(FindClock(sample.state(), CLOCK_REGULATORY)->status(), sla::v1::CLOCK_STATUS_PAUSED);
}

TEST(ChinaDefaultPolicyTest, SeverityTightensAndBeatsCategory) {
  const PolicySet policies = Load("cn-default.textproto");
  const Sample major(&policies, LEVEL_MAJOR);
  EXPECT_EQ(major.Due(CLOCK_ACCEPT), T(3, 11));
  EXPECT_EQ(major.Due(CLOCK_FIRST_CONTACT), T(3, 14));
  EXPECT_EQ(major.Due(CLOCK_RESOLUTION), T(6, 17));  // 3 working days
  EXPECT_EQ(major.Due(CLOCK_REGULATORY), T(19, 0));  // the law is the same for everyone

  const Sample urgent(&policies, LEVEL_ORDINARY, URGENCY_VERY_URGENT);
  EXPECT_EQ(urgent.Due(CLOCK_ACCEPT), T(3, 11));
  EXPECT_EQ(urgent.Due(CLOCK_FIRST_CONTACT), T(3, 12));
  EXPECT_EQ(urgent.Due(CLOCK_RESOLUTION), T(6, 17));

  const Sample both(&policies, events::v1::LEVEL_ESCALATED, URGENCY_VERY_URGENT);
  EXPECT_EQ(both.Due(CLOCK_RESOLUTION), T(5, 17));  // 2 working days

  const Sample atm(&policies, LEVEL_ORDINARY, URGENCY_NORMAL, "atm.card_retained");
  EXPECT_EQ(atm.Due(CLOCK_FIRST_CONTACT), T(3, 14));  // same day
  const Sample urgent_atm(&policies, LEVEL_ORDINARY, URGENCY_VERY_URGENT, "atm.card_retained");
  EXPECT_EQ(urgent_atm.Due(CLOCK_FIRST_CONTACT), T(3, 12));  // severity (priority 10) wins
}

TEST(UkDispPolicyTest, SummaryResolutionAndEightWeeks) {
  const PolicySet policies = Load("uk-disp.textproto");
  EXPECT_EQ(policies.region(), "GB");
  Sample sample(&policies);
  EXPECT_EQ(sample.Due(CLOCK_ACCEPT), T(4, 17));       // prompt acknowledgement
  EXPECT_EQ(sample.Due(CLOCK_RESOLUTION), T(6, 17));   // close of the 3rd business day
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), T(29, 0, 0, 4));  // 8 weeks: 28 April 24:00
  EXPECT_FALSE(sample.Armed(CLOCK_FIRST_CONTACT));
  // The summary-resolution target warns once and does not escalate.
  const auto schedule = sample.engine().Schedule(*FindClock(sample.state(), CLOCK_RESOLUTION));
  ASSERT_EQ(schedule.size(), 2u);
  EXPECT_EQ(schedule[0].kind, events::v1::ALERT_KIND_WARNING);
  EXPECT_EQ(schedule[1].kind, events::v1::ALERT_KIND_BREACH);
  sample.Apply(Contact(T(4, 10)));
  EXPECT_EQ(sample.Due(CLOCK_PROGRESS_UPDATE), T(19, 17));  // 10 business days
}

TEST(UkDispPolicyTest, PaymentServices15Then35BusinessDays) {
  const PolicySet policies = Load("uk-disp.textproto");
  Sample sample(&policies, LEVEL_ORDINARY, URGENCY_NORMAL, "payments.sepa");
  // Business days 4-7, 11-14, 17-21, 24, 25 (the 10th a holiday): the 15th is the 25th.
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), T(25, 17));
  // Exceptional: a holding reply tells the customer, the final response within 35 business days.
  EXPECT_EQ(sample.Apply(Extension(T(24, 10), 1, "", false)).refused.code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(sample.Apply(Extension(T(24, 10), 1, "", true)).refused.ok());
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), FakeCalendar().AddWorkingDays(T(3, 9, 30), 35));
  // No third stage.
  EXPECT_FALSE(sample.Apply(Extension(T(24, 11), 2, "x", true)).refused.ok());
}

TEST(UsCfpbPolicyTest, FifteenThenSixtyCalendarDays) {
  const PolicySet policies = Load("us-cfpb.textproto");
  EXPECT_EQ(policies.region(), "US");
  Sample sample(&policies);
  EXPECT_EQ(sample.Due(CLOCK_ACCEPT), T(4, 17));
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), T(19, 0));
  EXPECT_FALSE(sample.Armed(CLOCK_RESOLUTION));
  // An "in progress" response tells the consumer; the final response within 60 days.
  EXPECT_TRUE(sample.Apply(Extension(T(17, 10), 1, "", true)).refused.ok());
  EXPECT_EQ(sample.Due(CLOCK_REGULATORY), T(3, 0, 0, 5));
  const auto schedule = sample.engine().Schedule(*FindClock(sample.state(), CLOCK_REGULATORY));
  ASSERT_EQ(schedule.size(), 5u);
  EXPECT_EQ(schedule[3].at, T(3, 4, 0, 5));  // 4 calendar hours after the breach
  EXPECT_EQ(schedule[4].at, T(5, 0, 0, 5));  // + 1 calendar day: the end of the next day
}

// --- With the shipped calendars (deploy/calendars) --------------------------------------------

// An instant in UTC: the expectations say the region's offset themselves.
absl::Time Utc(int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

class ShippedPolicyCalendarsTest : public ::testing::Test {
 protected:
  static std::string Path(const std::string& policy) {
    return std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/policies/" + policy;
  }
  static std::string CalendarDir() {
    return std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/calendars";
  }

  void SetUp() override {
    auto registry = calendar::CalendarRegistry::LoadDirectory(CalendarDir());
    ASSERT_TRUE(registry.ok()) << registry.status();
    calendars_.emplace(*std::move(registry));
  }

  // The calendar the sla-timer would run `policies` on.
  sla_timer::RegionalCalendar CalendarOf(const PolicySet& policies, const std::string& file) {
    auto calendar = sla_timer::CalendarForPolicy(*calendars_, policies, file, CalendarDir());
    EXPECT_TRUE(calendar.ok()) << calendar.status();
    return sla_timer::RegionalCalendar(calendar.ok() ? *calendar : &calendars_->Default());
  }

  // The deadline of `clock` for an ordinary complaint received and assigned at `at`; the epoch
  // when the policy does not arm it.
  static absl::Time Due(const PolicySet& policies, const WorkCalendar& calendar, absl::Time at,
                        events::v1::Clock clock, const std::string& category = "card.fee") {
    const PolicyEngine engine(&policies, &calendar);
    CaseEvent assigned = Assigned(at, 1, "LDN-0101", LEVEL_ORDINARY, URGENCY_NORMAL, category);
    *assigned.mutable_assigned()->mutable_received_at() = common::ToProtoTime(at);
    auto outcome = engine.Apply(SlaCaseState(), assigned, 1);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    const sla::v1::ClockState* c = outcome.ok() ? FindClock(outcome->state, clock) : nullptr;
    return c == nullptr ? absl::UnixEpoch() : engine.DueOf(*c);
  }

  std::optional<calendar::CalendarRegistry> calendars_;
};

TEST_F(ShippedPolicyCalendarsTest, EveryShippedPolicyHasItsOwnRegionsCalendar) {
  for (const char* name : {"cn-default.textproto", "uk-disp.textproto", "us-cfpb.textproto"}) {
    const PolicySet policies = Load(name);
    auto calendar = sla_timer::CalendarForPolicy(*calendars_, policies, Path(name), CalendarDir());
    ASSERT_TRUE(calendar.ok()) << name << ": " << calendar.status();
    EXPECT_EQ((*calendar)->region(), policies.region()) << name;
  }
}

TEST_F(ShippedPolicyCalendarsTest, UkBusinessDaysSkipEnglishBankHolidaysNotChineseOnes) {
  const PolicySet policies = Load("uk-disp.textproto");
  const sla_timer::RegionalCalendar gb = CalendarOf(policies, Path("uk-disp.textproto"));
  EXPECT_EQ(gb.zone().name(), "Europe/London");

  // Received Thursday 17 April 2025, 10:00 BST (09:00 UTC), the eve of Good Friday.
  const absl::Time easter = Utc(2025, 4, 17, 9);
  // Acknowledgement within 1 business day: Good Friday and Easter Monday skipped, the close of
  // Tuesday 22nd (17:00 BST).
  EXPECT_EQ(Due(policies, gb, easter, CLOCK_ACCEPT), Utc(2025, 4, 22, 16));
  // Summary resolution by the close of the 3rd business day: 22nd, 23rd, 24th.
  EXPECT_EQ(Due(policies, gb, easter, CLOCK_RESOLUTION), Utc(2025, 4, 24, 16));
  // Payment services, 15 business days: 22-25 April, 28 April-2 May, 6-9 May (Monday 5th is the
  // Early May bank holiday), 12 and 13 May.
  EXPECT_EQ(Due(policies, gb, easter, CLOCK_REGULATORY, "payments.sepa"), Utc(2025, 5, 13, 16));
  // Eight weeks: the end of 12 June, midnight in London (23:00 UTC).
  EXPECT_EQ(Due(policies, gb, easter, CLOCK_REGULATORY), Utc(2025, 6, 12, 23));

  // Received Tuesday 30 September 2025, 10:00 BST: 1-3 October (国庆节 in China) are business
  // days in England.
  const absl::Time golden_week = Utc(2025, 9, 30, 9);
  EXPECT_EQ(Due(policies, gb, golden_week, CLOCK_RESOLUTION), Utc(2025, 10, 3, 16));
  // What the old fallback to the CN calendar gave: after the Chinese holiday, at 17:30 Beijing.
  const sla_timer::RegionalCalendar cn(&calendars_->ForRegion("CN"));
  EXPECT_EQ(Due(policies, cn, golden_week, CLOCK_RESOLUTION), Utc(2025, 10, 11, 9, 30));

  // Christmas 2026: Boxing Day is a Saturday, its substitute Monday 28th is not a business day.
  EXPECT_EQ(Due(policies, gb, Utc(2026, 12, 24, 10), CLOCK_ACCEPT), Utc(2026, 12, 29, 17));
}

TEST_F(ShippedPolicyCalendarsTest, UsBusinessDaysFollowTheFederalReserve) {
  const PolicySet policies = Load("us-cfpb.textproto");
  const sla_timer::RegionalCalendar us = CalendarOf(policies, Path("us-cfpb.textproto"));
  EXPECT_EQ(us.zone().name(), "America/New_York");

  // Received Wednesday 26 November 2025, 10:00 EST (15:00 UTC): acknowledgement within 1
  // business day skips Thanksgiving, the close of Friday 28th (17:00 EST).
  const absl::Time thanksgiving = Utc(2025, 11, 26, 15);
  EXPECT_EQ(Due(policies, us, thanksgiving, CLOCK_ACCEPT), Utc(2025, 11, 28, 22));
  // 15 calendar days: the end of 11 December, midnight in New York (05:00 UTC).
  EXPECT_EQ(Due(policies, us, thanksgiving, CLOCK_REGULATORY), Utc(2025, 12, 12, 5));
  // Independence Day 2026 is a Saturday and not moved: Friday 3 July is a business day.
  EXPECT_EQ(Due(policies, us, Utc(2026, 7, 2, 14), CLOCK_ACCEPT), Utc(2026, 7, 3, 21));
  // Not a Chinese holiday: 1 October 2025.
  EXPECT_EQ(Due(policies, us, Utc(2025, 9, 30, 14), CLOCK_ACCEPT), Utc(2025, 10, 1, 21));
}

TEST_F(ShippedPolicyCalendarsTest, RegionWithoutCalendarIsAStartUpError) {
  // A calendar directory with CN only, as before GB and US were shipped.
  auto cn_only = calendar::CalendarRegistry::Parse({{"CN.calendar", "region CN\n"}});
  ASSERT_TRUE(cn_only.ok()) << cn_only.status();
  const PolicySet uk = Load("uk-disp.textproto");
  auto calendar =
      sla_timer::CalendarForPolicy(*cn_only, uk, "/etc/sla/uk-disp.textproto", "/etc/calendars");
  ASSERT_FALSE(calendar.ok());
  EXPECT_EQ(calendar.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(calendar.status().message(),
            "policy file /etc/sla/uk-disp.textproto: region \"GB\" has no business calendar "
            "(regions with a calendar in /etc/calendars: CN); add GB.calendar and its year files, "
            "or set sla.calendar_dir");

  // A policy that names no region does not get the default region's calendar either.
  sla::v1::PolicyFile file = Load("us-cfpb.textproto").file();
  file.clear_region();
  auto no_region = PolicySet::Create(file);
  ASSERT_TRUE(no_region.ok()) << no_region.status();
  auto none = sla_timer::CalendarForPolicy(*calendars_, *no_region, "p.textproto", CalendarDir());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(none.status().message()),
              ::testing::HasSubstr("policy file p.textproto: no region: set `region`"));
  EXPECT_THAT(std::string(none.status().message()), ::testing::HasSubstr(": CN, GB, US)"));
}

}  // namespace
}  // namespace complaints::sla_policy
