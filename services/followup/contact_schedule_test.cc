#include "services/followup/contact_schedule.h"

#include "gtest/gtest.h"

namespace complaints::followup {
namespace {

using events::v1::FollowUpChannel;

// Mainland China with the 2026 National Day holiday (Thu 1 Oct - Wed 7 Oct) and its make-up
// working day (Sun 27 Sep), as the calendar files declare them.
calendar::BusinessCalendar Calendar() {
  calendar::BusinessCalendar::Spec spec;
  spec.holidays.push_back(
      {absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 10, 7), "国庆节", "test:1"});
  spec.workdays.push_back(
      {absl::CivilDay(2026, 9, 27), absl::CivilDay(2026, 9, 27), "国庆节调休", "test:2"});
  auto calendar = calendar::BusinessCalendar::Create(spec);
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *calendar;
}

absl::Time Local(const calendar::BusinessCalendar& c, int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, month, day, hour, minute, 0), c.zone());
}

class ContactScheduleTest : public ::testing::Test {
 protected:
  calendar::BusinessCalendar calendar_ = Calendar();
  ContactPolicy policy_;
};

TEST_F(ContactScheduleTest, ThePreferenceFirstThenTheCase) {
  ContactFacts facts;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_SMS);
  for (auto level : {events::v1::LEVEL_MAJOR, events::v1::LEVEL_ESCALATED}) {
    facts = {};
    facts.level = level;
    EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  }
  facts = {};
  facts.urgency = events::v1::URGENCY_VERY_URGENT;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  facts = {};
  facts.reopen_count = 1;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);

  // The customer's own channel wins over the case's, once there is a history to go by.
  events::v1::ContactPreference online;
  online.set_preferred_channel(events::v1::CHANNEL_ONLINE);
  online.set_complaints_in_window(3);
  facts = {};
  facts.level = events::v1::LEVEL_MAJOR;
  facts.preference = online;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_SMS);
  events::v1::ContactPreference phone;
  phone.set_preferred_channel(events::v1::CHANNEL_PHONE);
  phone.set_complaints_in_window(2);
  facts = {};
  facts.preference = phone;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  // This complaint alone is no history: its channel is how they complained, not a preference.
  phone.set_complaints_in_window(1);
  facts.preference = phone;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_SMS);
  phone.set_complaints_in_window(2);
  events::v1::ContactPreference demanding = online;
  demanding.set_usual_demanded_reply_minutes(60);
  facts.preference = demanding;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  // A preference the contact systems cannot use (the branch counter): the case decides.
  events::v1::ContactPreference branch;
  branch.set_preferred_channel(events::v1::CHANNEL_BRANCH);
  branch.set_complaints_in_window(3);
  facts = {};
  facts.preference = branch;
  EXPECT_EQ(ChooseChannel(facts), events::v1::FOLLOW_UP_CHANNEL_SMS);
}

TEST_F(ContactScheduleTest, TheFirstAttemptIsDueWithinTwoBusinessHours) {
  // Monday 28 Sep 2026, 10:00: two working hours later is noon (the lunch break starts then).
  EXPECT_EQ(FirstAttemptDue(calendar_, policy_, Local(calendar_, 9, 28, 10), false),
            Local(calendar_, 9, 28, 12));
  // Resolved at 17:00 on Wednesday 30 Sep, the eve of the holiday: the next working time is
  // Thursday 8 Oct, 9:00; half an hour then leaves 1.5 h: 10:30.
  EXPECT_EQ(FirstAttemptDue(calendar_, policy_, Local(calendar_, 9, 30, 17), false),
            Local(calendar_, 10, 8, 10, 30));
  // A customer who asked to be called on holidays is called on the holiday, at 08:00.
  EXPECT_EQ(FirstAttemptDue(calendar_, policy_, Local(calendar_, 9, 30, 20), true),
            Local(calendar_, 10, 1, 8));
}

TEST_F(ContactScheduleTest, OutsideContactHoursMovesToTheNextOpening) {
  // 23:00 on a working day: 08:00 the next working day.
  EXPECT_EQ(FitIntoContactHours(calendar_, policy_, Local(calendar_, 9, 28, 23), false),
            Local(calendar_, 9, 29, 8));
  // 06:00: 08:00 the same day.
  EXPECT_EQ(FitIntoContactHours(calendar_, policy_, Local(calendar_, 9, 29, 6), false),
            Local(calendar_, 9, 29, 8));
  // Saturday 26 Sep: the make-up working day Sunday 27 Sep.
  EXPECT_EQ(FitIntoContactHours(calendar_, policy_, Local(calendar_, 9, 26, 12), false),
            Local(calendar_, 9, 27, 8));
  // 21:00 is closed (contact hours are half-open).
  EXPECT_EQ(FitIntoContactHours(calendar_, policy_, Local(calendar_, 9, 29, 21), false),
            Local(calendar_, 9, 30, 8));
  EXPECT_EQ(FitIntoContactHours(calendar_, policy_, Local(calendar_, 9, 29, 20, 59), false),
            Local(calendar_, 9, 29, 20, 59));
  // Configurable hours.
  ContactPolicy narrow = policy_;
  narrow.contact_start_minute = 9 * 60;
  narrow.contact_end_minute = 18 * 60;
  EXPECT_EQ(FitIntoContactHours(calendar_, narrow, Local(calendar_, 9, 29, 18, 30), false),
            Local(calendar_, 9, 30, 9));
}

TEST_F(ContactScheduleTest, AnUnansweredSmsBecomesACallbackAndTheLastAttemptEndsIt) {
  const absl::Time sms_due = Local(calendar_, 9, 28, 12);
  auto second = NextAttemptDue(calendar_, policy_, sms_due, events::v1::FOLLOW_UP_CHANNEL_SMS, 1,
                               false);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, Local(calendar_, 9, 28, 16));  // 4 h to answer the SMS
  auto third = NextAttemptDue(calendar_, policy_, *second,
                              events::v1::FOLLOW_UP_CHANNEL_CALLBACK, 2, false);
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, Local(calendar_, 9, 29, 16));  // a day between callbacks
  EXPECT_FALSE(NextAttemptDue(calendar_, policy_, *third, events::v1::FOLLOW_UP_CHANNEL_CALLBACK,
                              3, false));
  // An SMS at 19:00 unanswered by 23:00: the callback is at 08:00 the next working day.
  EXPECT_EQ(*NextAttemptDue(calendar_, policy_, Local(calendar_, 9, 28, 19),
                            events::v1::FOLLOW_UP_CHANNEL_SMS, 1, false),
            Local(calendar_, 9, 29, 8));
}

// Every attempt of every schedule, from a resolution at any time of three weeks around a
// public holiday: never at 23:00 (outside 08:00-21:00) and never on a public holiday or a
// weekend; and always within the first-attempt bound of working time.
TEST_F(ContactScheduleTest, ACallNeverFallsAt23OrOnAPublicHoliday) {
  int attempts = 0;
  for (absl::Time resolved = Local(calendar_, 9, 20, 0); resolved < Local(calendar_, 10, 11, 0);
       resolved += absl::Minutes(37)) {
    for (FollowUpChannel first : {events::v1::FOLLOW_UP_CHANNEL_SMS,
                                  events::v1::FOLLOW_UP_CHANNEL_CALLBACK}) {
      absl::Time due = FirstAttemptDue(calendar_, policy_, resolved, false);
      EXPECT_LE(calendar_.WorkingTimeBetween(resolved, due), policy_.first_within);
      FollowUpChannel channel = first;
      for (int attempt = 1;; ++attempt) {
        ++attempts;
        const absl::CivilSecond local = absl::ToCivilSecond(due, calendar_.zone());
        ASSERT_GE(local.hour(), 8) << absl::FormatCivilTime(local);
        ASSERT_LT(local.hour(), 21) << absl::FormatCivilTime(local);
        ASSERT_TRUE(calendar_.IsWorkingDay(absl::CivilDay(local))) << absl::FormatCivilTime(local);
        ASSERT_FALSE(local.month() == 10 && local.day() <= 7) << absl::FormatCivilTime(local);
        ASSERT_GE(due, resolved);
        auto next = NextAttemptDue(calendar_, policy_, due, channel, attempt, false);
        if (!next) {
          EXPECT_EQ(attempt, policy_.max_attempts);
          break;
        }
        ASSERT_GT(*next, due);
        due = *next;
        channel = events::v1::FOLLOW_UP_CHANNEL_CALLBACK;
      }
    }
  }
  EXPECT_GT(attempts, 4000);
}

TEST_F(ContactScheduleTest, FromConfig) {
  auto defaults = ContactPolicy::FromConfig(common::Config());
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->contact_start_minute, 8 * 60);
  EXPECT_EQ(defaults->contact_end_minute, 21 * 60);
  EXPECT_EQ(defaults->first_within, absl::Hours(2));
  auto set = ContactPolicy::FromConfig(common::Config({{"followup.contact_hours", "09:30-20:00"},
                                                       {"followup.sms_answer_hours", "0.5"}}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->contact_start_minute, 9 * 60 + 30);
  EXPECT_EQ(set->contact_end_minute, 20 * 60);
  EXPECT_EQ(set->sms_answer_window, absl::Minutes(30));
  for (const char* bad : {"21:00-08:00", "8-21", "08:00", "08:00-25:00", "08:60-21:00"}) {
    auto refused = ContactPolicy::FromConfig(common::Config({{"followup.contact_hours", bad}}));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(
      ContactPolicy::FromConfig(common::Config({{"followup.first_within_business_hours", "0"}}))
          .ok());
}

}  // namespace
}  // namespace complaints::followup
