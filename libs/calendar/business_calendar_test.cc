#include "libs/calendar/business_calendar.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace complaints::calendar {
namespace {

using absl::CivilDay;
using absl::Hours;
using absl::Minutes;
using absl::Seconds;
using Period = BusinessCalendar::Period;
using Rollover = BusinessCalendar::Rollover;

// A local time in Shanghai (UTC+8, no DST), as the instant the SLA timer passes around.
absl::Time Cst(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::FixedTimeZone(8 * 3600));
}
absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

BusinessCalendar::DayRange Days(CivilDay first, CivilDay last, std::string name) {
  return {first, last, std::move(name), "test"};
}

// The 2025 entries of the official notice that the tests below lean on, built by hand so that
// these tests do not depend on the shipped data files (calendar_registry_test checks those).
BusinessCalendar::Spec China2025Spec() {
  BusinessCalendar::Spec spec;  // CN, Asia/Shanghai, 09:00-12:00 13:30-17:30, sat sun
  spec.holidays = {Days(CivilDay(2025, 1, 1), CivilDay(2025, 1, 1), "元旦"),
                   Days(CivilDay(2025, 1, 28), CivilDay(2025, 2, 4), "春节"),
                   Days(CivilDay(2025, 10, 1), CivilDay(2025, 10, 8), "国庆节、中秋节")};
  spec.workdays = {Days(CivilDay(2025, 1, 26), CivilDay(2025, 1, 26), "春节调休"),
                   Days(CivilDay(2025, 2, 8), CivilDay(2025, 2, 8), "春节调休"),
                   Days(CivilDay(2025, 9, 28), CivilDay(2025, 9, 28), "国庆节调休"),
                   Days(CivilDay(2025, 10, 11), CivilDay(2025, 10, 11), "国庆节调休")};
  spec.official_years = {2025};
  BusinessCalendar::SensitivePeriod consumer_day;
  consumer_day.name = "3·15";
  consumer_day.first = CivilDay(2000, 3, 8);
  consumer_day.last = CivilDay(2000, 3, 22);
  consumer_day.every_year = true;
  consumer_day.deadline_factor = 0.8;
  consumer_day.warning_factor = 0.5;
  spec.sensitive = {consumer_day};
  return spec;
}

BusinessCalendar Make(BusinessCalendar::Spec spec) {
  auto calendar = BusinessCalendar::Create(std::move(spec));
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *std::move(calendar);
}

class China2025Test : public ::testing::Test {
 protected:
  BusinessCalendar cal_ = Make(China2025Spec());
};

// --- Working days ------------------------------------------------------------------------------

TEST_F(China2025Test, WeekdaysWorkWeekendsRest) {
  for (int d = 3; d <= 7; ++d) EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 3, d))) << d;
  EXPECT_FALSE(cal_.IsWorkingDay(CivilDay(2025, 3, 8)));  // Saturday
  EXPECT_FALSE(cal_.IsWorkingDay(CivilDay(2025, 3, 9)));  // Sunday
  EXPECT_EQ(cal_.WorkingDayLength(), Hours(7));
}

TEST_F(China2025Test, SpringFestivalWithMakeUpWeekendDays) {
  EXPECT_FALSE(cal_.IsWorkingDay(CivilDay(2025, 1, 25)));  // Saturday
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 1, 26)));   // Sunday, 调休上班
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 1, 27)));   // Monday
  for (CivilDay d(2025, 1, 28); d <= CivilDay(2025, 2, 4); ++d) {
    EXPECT_FALSE(cal_.IsWorkingDay(d)) << d;  // 除夕 to 初七, weekdays included
  }
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 2, 5)));
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 2, 8)));    // Saturday, 调休上班
  EXPECT_FALSE(cal_.IsWorkingDay(CivilDay(2025, 2, 9)));   // Sunday
  EXPECT_FALSE(cal_.IsWorkingDay(CivilDay(2025, 1, 1)));   // 元旦, a Wednesday
}

TEST_F(China2025Test, NationalDayWithMakeUpWeekendDays) {
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 9, 28)));   // Sunday, 调休上班
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 9, 30)));
  for (CivilDay d(2025, 10, 1); d <= CivilDay(2025, 10, 8); ++d) EXPECT_FALSE(cal_.IsWorkingDay(d));
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 10, 9)));
  EXPECT_TRUE(cal_.IsWorkingDay(CivilDay(2025, 10, 11)));  // Saturday, 调休上班
  EXPECT_FALSE(cal_.IsWorkingDay(CivilDay(2025, 10, 12)));
}

TEST_F(China2025Test, WorkingTimeIsHalfOpenPeriods) {
  EXPECT_FALSE(cal_.IsWorkingTime(Cst(2025, 3, 10, 8, 59, 59)));
  EXPECT_TRUE(cal_.IsWorkingTime(Cst(2025, 3, 10, 9, 0)));
  EXPECT_TRUE(cal_.IsWorkingTime(Cst(2025, 3, 10, 11, 59, 59)));
  EXPECT_FALSE(cal_.IsWorkingTime(Cst(2025, 3, 10, 12, 0)));   // lunch
  EXPECT_FALSE(cal_.IsWorkingTime(Cst(2025, 3, 10, 13, 29)));
  EXPECT_TRUE(cal_.IsWorkingTime(Cst(2025, 3, 10, 13, 30)));
  EXPECT_TRUE(cal_.IsWorkingTime(Cst(2025, 3, 10, 17, 30) - absl::Nanoseconds(1)));
  EXPECT_FALSE(cal_.IsWorkingTime(Cst(2025, 3, 10, 17, 30)));  // closed
  EXPECT_FALSE(cal_.IsWorkingTime(Cst(2025, 3, 8, 10, 0)));    // Saturday
  EXPECT_TRUE(cal_.IsWorkingTime(Cst(2025, 1, 26, 10, 0)));    // make-up Sunday
  EXPECT_FALSE(cal_.IsWorkingTime(Cst(2025, 10, 3, 10, 0)));   // National Day, a Friday
  EXPECT_FALSE(cal_.IsWorkingTime(absl::InfiniteFuture()));
}

TEST_F(China2025Test, NextWorkingTime) {
  EXPECT_EQ(cal_.NextWorkingTime(Cst(2025, 3, 10, 10, 0)), Cst(2025, 3, 10, 10, 0));
  EXPECT_EQ(cal_.NextWorkingTime(Cst(2025, 3, 10, 7, 0)), Cst(2025, 3, 10, 9, 0));
  EXPECT_EQ(cal_.NextWorkingTime(Cst(2025, 3, 10, 12, 0)), Cst(2025, 3, 10, 13, 30));
  EXPECT_EQ(cal_.NextWorkingTime(Cst(2025, 3, 7, 17, 30)), Cst(2025, 3, 10, 9, 0));
  EXPECT_EQ(cal_.NextWorkingTime(Cst(2025, 9, 30, 18, 0)), Cst(2025, 10, 9, 9, 0));
  EXPECT_EQ(cal_.NextWorkingTime(Cst(2025, 1, 25, 12, 0)), Cst(2025, 1, 26, 9, 0));
}

// --- AddWorkingTime ----------------------------------------------------------------------------

TEST_F(China2025Test, AddWorkingTimeWithinADayAndOverLunch) {
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 9, 0), Hours(2)), Cst(2025, 3, 10, 11, 0));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 11, 0), Hours(2)), Cst(2025, 3, 10, 14, 30));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 11, 0), Hours(1)), Cst(2025, 3, 10, 12, 0));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 10, 0) + absl::Milliseconds(500), Minutes(30)),
            Cst(2025, 3, 10, 10, 30) + absl::Milliseconds(500));
}

TEST_F(China2025Test, AddWorkingTimeEndingAtCloseStaysOnThatDay) {
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 9, 0), Hours(7)), Cst(2025, 3, 10, 17, 30));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 16, 30), Hours(1)), Cst(2025, 3, 10, 17, 30));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 16, 30), Hours(1) + Seconds(1)),
            Cst(2025, 3, 11, 9, 0, 1));
  // Five full days from Monday's opening end at Friday's close, not the next Monday's opening.
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 9, 0), Hours(35)), Cst(2025, 3, 14, 17, 30));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 9, 0), Hours(36)), Cst(2025, 3, 17, 10, 0));
}

TEST_F(China2025Test, AddWorkingTimeFromOutsideWorkingTimeStartsAtNextOpening) {
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 7, 0), Hours(1)), Cst(2025, 3, 10, 10, 0));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 12, 30), Hours(1)), Cst(2025, 3, 10, 14, 30));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 10, 18, 0), Hours(1)), Cst(2025, 3, 11, 10, 0));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 8, 11, 0), Hours(1)), Cst(2025, 3, 10, 10, 0));
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 3, 7, 23, 59, 59), Minutes(1)), Cst(2025, 3, 10, 9, 1));
}

TEST_F(China2025Test, EightWorkingHoursSpanNationalDayAndMidAutumn) {
  // 16:00-17:30 on 30 Sep (1.5 h), 1-8 Oct off, then 6.5 h on 9 Oct: 09:00-12:00, 13:30-17:00.
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 9, 30, 16, 0), Hours(8)), Cst(2025, 10, 9, 17, 0));
  // 9 Oct full, 10 Oct full, then Saturday 11 Oct is a make-up working day.
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 9, 30, 16, 0), Hours(8 + 7 + 1)),
            Cst(2025, 10, 11, 9, 30));
  // Saturday 27 Sep rests, Sunday 28 Sep works.
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 9, 27, 10, 0), Hours(1)), Cst(2025, 9, 28, 10, 0));
}

TEST_F(China2025Test, WorkingHoursSpanSpringFestival) {
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 1, 27, 17, 0), Hours(1)), Cst(2025, 2, 5, 9, 30));
  // From Friday 24 Jan evening: Saturday rests, Sunday 26 Jan works.
  EXPECT_EQ(cal_.AddWorkingTime(Cst(2025, 1, 24, 18, 0), Hours(2)), Cst(2025, 1, 26, 11, 0));
}

TEST_F(China2025Test, AddWorkingTimeOfNothingIsIdentity) {
  const absl::Time saturday = Cst(2025, 3, 8, 10, 0);
  EXPECT_EQ(cal_.AddWorkingTime(saturday, absl::ZeroDuration()), saturday);
  EXPECT_EQ(cal_.AddWorkingTime(saturday, -Hours(1)), saturday);
  EXPECT_EQ(cal_.AddWorkingTime(saturday, absl::InfiniteDuration()), absl::InfiniteFuture());
  EXPECT_EQ(cal_.AddWorkingTime(absl::InfiniteFuture(), Hours(1)), absl::InfiniteFuture());
}

// --- AddWorkingDays ----------------------------------------------------------------------------

TEST_F(China2025Test, AddWorkingDaysEndsAtCloseAndNeverCountsTheStartingDay) {
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 3, 7, 10, 0), 1), Cst(2025, 3, 10, 17, 30));  // Fri
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 3, 10, 8, 0), 1), Cst(2025, 3, 11, 17, 30));  // Mon 8:00
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 3, 8, 10, 0), 1), Cst(2025, 3, 10, 17, 30));  // Sat
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 3, 10, 10, 0), 5), Cst(2025, 3, 17, 17, 30));
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 3, 10, 10, 0), 0), Cst(2025, 3, 10, 10, 0));
}

TEST_F(China2025Test, AddWorkingDaysAcrossHolidaysCountsMakeUpDays) {
  // 9 Oct (Thu), 10 Oct (Fri), 11 Oct (Sat, make-up).
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 9, 30, 10, 0), 1), Cst(2025, 10, 9, 17, 30));
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 9, 30, 10, 0), 3), Cst(2025, 10, 11, 17, 30));
  // ATM card retained on Friday 24 Jan, "within 3 working days": 26 Jan (Sun, make-up), 27 Jan,
  // then 5 Feb after the Spring Festival.
  EXPECT_EQ(cal_.AddWorkingDays(Cst(2025, 1, 24, 15, 0), 3), Cst(2025, 2, 5, 17, 30));
}

// --- WorkingTimeBetween ------------------------------------------------------------------------

TEST_F(China2025Test, PauseAcrossAWeekend) {
  // Friday 16:00-17:30 (1.5 h) and Monday 09:00-10:00 (1 h).
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 3, 7, 16, 0), Cst(2025, 3, 10, 10, 0)),
            Hours(2) + Minutes(30));
}

TEST_F(China2025Test, WorkingTimeBetweenSameDayHolidaysAndWholeWeeks) {
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 3, 10, 11, 0), Cst(2025, 3, 10, 14, 0)),
            Minutes(90));
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 3, 10, 12, 10), Cst(2025, 3, 10, 13, 0)),
            absl::ZeroDuration());
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 3, 8, 0, 0), Cst(2025, 3, 9, 23, 0)),
            absl::ZeroDuration());
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 3, 10), Cst(2025, 3, 17)), Hours(35));
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 9, 30, 16, 0), Cst(2025, 10, 9, 10, 0)),
            Hours(2) + Minutes(30));
  // Week of 6 Oct: all holiday, then Thursday and Friday, then the make-up Saturday.
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 10, 6), Cst(2025, 10, 13)), Hours(21));
  EXPECT_EQ(cal_.WorkingTimeBetween(Cst(2025, 3, 10, 14, 0), Cst(2025, 3, 10, 11, 0)),
            absl::ZeroDuration());
}

// A per-minute reference: the end of the n-th working minute from a whole minute `from`, judged
// by IsWorkingTime alone. Slow and obviously right; the real code must agree with it.
absl::Time ReferenceAddMinutes(const BusinessCalendar& cal, absl::Time from, int n) {
  absl::Time t = from;
  while (n > 0) {
    if (cal.IsWorkingTime(t)) --n;
    t += Minutes(1);
  }
  return t;
}

TEST_F(China2025Test, AgreesWithAPerMinuteReference) {
  // Every 97 minutes across the National Day holiday and the make-up days around it.
  for (absl::Time from = Cst(2025, 9, 26); from < Cst(2025, 10, 13); from += Minutes(97)) {
    for (int n : {1, 29, 60, 150, 211, 420, 421, 600, 1000}) {
      const absl::Time expected = ReferenceAddMinutes(cal_, from, n);
      const absl::Time got = cal_.AddWorkingTime(from, Minutes(n));
      ASSERT_EQ(got, expected) << absl::FormatTime(from) << " + " << n << " min";
      ASSERT_EQ(cal_.WorkingTimeBetween(from, got), Minutes(n)) << absl::FormatTime(from);
    }
  }
}

TEST_F(China2025Test, WorkingTimeBetweenInvertsAddWorkingTime) {
  std::mt19937_64 random(20250315);
  std::uniform_int_distribution<int64_t> offset(0, 60LL * 24 * 3600 * 1000);  // ms in 60 days
  std::uniform_int_distribution<int64_t> amount(1, 30LL * 3600 * 1000);      // up to 30 h
  const absl::Time origin = Cst(2025, 9, 1);
  for (int i = 0; i < 20000; ++i) {
    const absl::Time from = origin + absl::Milliseconds(offset(random));
    const absl::Duration working = absl::Milliseconds(amount(random));
    const absl::Time due = cal_.AddWorkingTime(from, working);
    ASSERT_EQ(cal_.WorkingTimeBetween(from, due), working) << absl::FormatTime(from);
    // The due instant is the end of working time: the moment before it is working time.
    ASSERT_TRUE(cal_.IsWorkingTime(due - absl::Nanoseconds(1))) << absl::FormatTime(due);
    ASSERT_EQ(cal_.AddWorkingTime(cal_.NextWorkingTime(from), working), due);
    ASSERT_LE(due, cal_.AddWorkingTime(from, working + absl::Milliseconds(1)));
  }
}

// --- Time zones --------------------------------------------------------------------------------

TEST_F(China2025Test, InputsAndOutputsAreInstantsWhateverTheCallersZone) {
  // 2025-09-30 16:00 in Shanghai is 08:00 UTC; the due time 2025-10-09 17:00 is 09:00 UTC.
  EXPECT_EQ(cal_.AddWorkingTime(Utc(2025, 9, 30, 8, 0), Hours(8)), Utc(2025, 10, 9, 9, 0));
  EXPECT_TRUE(cal_.IsWorkingTime(Utc(2025, 3, 10, 1, 0)));          // 09:00 in Shanghai
  EXPECT_FALSE(cal_.IsWorkingTime(Utc(2025, 3, 10, 0, 59, 59)));    // 08:59:59
  EXPECT_FALSE(cal_.IsWorkingTime(Utc(2025, 3, 10, 9, 30)));        // 17:30
  // 27 Jan 16:30 UTC is already 28 Jan (除夕) in Shanghai.
  EXPECT_EQ(cal_.DayOf(Utc(2025, 1, 27, 16, 30)), CivilDay(2025, 1, 28));
  EXPECT_FALSE(cal_.IsWorkingDay(cal_.DayOf(Utc(2025, 1, 27, 16, 30))));
  // Friday 23:00 UTC is Saturday 07:00 in Shanghai: one hour runs to Monday 10:00 (02:00 UTC).
  EXPECT_EQ(cal_.AddWorkingTime(Utc(2025, 3, 7, 23, 0), Hours(1)), Utc(2025, 3, 10, 2, 0));
  EXPECT_EQ(cal_.zone().name(), "Asia/Shanghai");
}

TEST(BusinessCalendarTest, DaylightSavingZoneCountsLocalWorkingHours) {
  BusinessCalendar::Spec spec;
  spec.region = "GB";
  spec.zone = "Europe/London";  // BST starts on Sunday 2025-03-30
  spec.periods = {{9 * 60, 17 * 60}};
  const BusinessCalendar cal = Make(spec);
  // Friday 16:00 GMT (16:00 UTC) + 2 h: one on Friday, one on Monday from 09:00 BST (08:00 UTC).
  EXPECT_EQ(cal.AddWorkingTime(Utc(2025, 3, 28, 16, 0), Hours(2)), Utc(2025, 3, 31, 9, 0));
  EXPECT_EQ(cal.WorkingTimeBetween(Utc(2025, 3, 28, 16, 0), Utc(2025, 3, 31, 9, 0)), Hours(2));
  // The same wall-clock time a calendar day later is 23 hours later across the change.
  EXPECT_EQ(cal.AddCalendarDays(Utc(2025, 3, 29, 12, 0), 1), Utc(2025, 3, 30, 11, 0));
}

// --- Calendar days -----------------------------------------------------------------------------

TEST_F(China2025Test, CalendarDays) {
  EXPECT_EQ(cal_.AddCalendarDays(Cst(2025, 3, 10, 10, 0), 15), Cst(2025, 3, 25, 10, 0));
  EXPECT_EQ(cal_.AddCalendarDays(Cst(2025, 3, 10, 10, 0), -10), Cst(2025, 2, 28, 10, 0));
  // Received 10 Mar, 15 days: the last day is 25 Mar, ending at 24:00.
  EXPECT_EQ(cal_.EndOfCalendarDays(Cst(2025, 3, 10, 10, 0), 15, Rollover::kNone),
            Cst(2025, 3, 26));
  // Received 20 Sep: the 15th day is 5 Oct, inside the holiday; rolled forward it is 9 Oct.
  EXPECT_EQ(cal_.EndOfCalendarDays(Cst(2025, 9, 20, 10, 0), 15, Rollover::kNone),
            Cst(2025, 10, 6));
  EXPECT_EQ(cal_.EndOfCalendarDays(Cst(2025, 9, 20, 10, 0), 15, Rollover::kNextWorkingDay),
            Cst(2025, 10, 10));
  // A last day on a make-up Saturday is a working day: no roll.
  EXPECT_EQ(cal_.EndOfCalendarDays(Cst(2025, 10, 1, 10, 0), 10, Rollover::kNextWorkingDay),
            Cst(2025, 10, 12));
  EXPECT_EQ(cal_.EndOfCalendarDays(Cst(2025, 10, 1, 10, 0), 0, Rollover::kNone),
            Cst(2025, 10, 1, 10, 0));
}

// --- Sensitive periods -------------------------------------------------------------------------

TEST_F(China2025Test, SensitivePeriodEveryYear) {
  auto period = cal_.SensitivePeriodOn(CivilDay(2025, 3, 15));
  ASSERT_TRUE(period.has_value());
  EXPECT_EQ(period->name, "3·15");
  EXPECT_EQ(period->first, CivilDay(2025, 3, 8));
  EXPECT_EQ(period->last, CivilDay(2025, 3, 22));
  EXPECT_DOUBLE_EQ(period->deadline_factor, 0.8);
  EXPECT_DOUBLE_EQ(period->warning_factor, 0.5);
  EXPECT_EQ(cal_.SensitivePeriodOn(CivilDay(2026, 3, 8))->first, CivilDay(2026, 3, 8));
  EXPECT_FALSE(cal_.SensitivePeriodOn(CivilDay(2025, 3, 7)).has_value());
  EXPECT_FALSE(cal_.SensitivePeriodOn(CivilDay(2025, 3, 23)).has_value());
  // By instant, in Shanghai's day: 7 Mar 16:00 UTC is 8 Mar 00:00 there.
  EXPECT_TRUE(cal_.SensitivePeriodAt(Utc(2025, 3, 7, 16, 0)).has_value());
  EXPECT_FALSE(cal_.SensitivePeriodAt(Utc(2025, 3, 7, 15, 59, 59)).has_value());
}

TEST(BusinessCalendarTest, SensitivePeriodsOverlapWrapAndPickTheStrictest) {
  BusinessCalendar::Spec spec;
  auto period = [](std::string name, CivilDay first, CivilDay last, bool every_year, double d,
                   double w) {
    BusinessCalendar::SensitivePeriod p;
    p.name = std::move(name);
    p.first = first;
    p.last = last;
    p.every_year = every_year;
    p.deadline_factor = d;
    p.warning_factor = w;
    return p;
  };
  spec.sensitive = {
      period("3·15", CivilDay(2000, 3, 8), CivilDay(2000, 3, 22), true, 0.8, 0.5),
      period("audit", CivilDay(2025, 3, 14), CivilDay(2025, 3, 16), false, 0.5, 0.9),
      period("same", CivilDay(2025, 3, 14), CivilDay(2025, 3, 16), false, 0.5, 0.9),
      period("year end", CivilDay(2000, 12, 20), CivilDay(2000, 1, 10), true, 0.9, 0.9)};
  const BusinessCalendar cal = Make(spec);
  EXPECT_EQ(cal.SensitivePeriodOn(CivilDay(2025, 3, 15))->name, "audit");  // first of the ties
  EXPECT_EQ(cal.SensitivePeriodOn(CivilDay(2025, 3, 17))->name, "3·15");
  EXPECT_EQ(cal.SensitivePeriodOn(CivilDay(2026, 3, 15))->name, "3·15");   // audit was 2025 only
  auto year_end = cal.SensitivePeriodOn(CivilDay(2025, 12, 25));
  ASSERT_TRUE(year_end.has_value());
  EXPECT_EQ(year_end->first, CivilDay(2025, 12, 20));
  EXPECT_EQ(year_end->last, CivilDay(2026, 1, 10));
  EXPECT_EQ(cal.SensitivePeriodOn(CivilDay(2026, 1, 5))->first, CivilDay(2025, 12, 20));
  EXPECT_FALSE(cal.SensitivePeriodOn(CivilDay(2026, 1, 11)).has_value());
  EXPECT_FALSE(cal.SensitivePeriodOn(CivilDay(2025, 12, 19)).has_value());
}

TEST_F(China2025Test, CoversOnlyDeclaredYears) {
  EXPECT_TRUE(cal_.CoversYear(2025));
  EXPECT_FALSE(cal_.CoversYear(2024));
  EXPECT_FALSE(cal_.CoversYear(2026));
}

// --- Other shapes of week ----------------------------------------------------------------------

TEST(BusinessCalendarTest, RoundTheClockCentreIsPlainArithmetic) {
  BusinessCalendar::Spec spec;
  spec.region = "24x7";
  spec.periods = {{0, 24 * 60}};
  spec.weekend = {};
  const BusinessCalendar cal = Make(spec);
  const absl::Time from = Cst(2025, 3, 8, 23, 15);
  EXPECT_EQ(cal.AddWorkingTime(from, Hours(50)), from + Hours(50));
  EXPECT_EQ(cal.WorkingTimeBetween(from, from + Hours(50)), Hours(50));
  EXPECT_TRUE(cal.IsWorkingTime(Cst(2025, 3, 9, 0, 0)));
}

TEST(BusinessCalendarTest, LongDeadlinesStayCheapAndExact) {
  const BusinessCalendar cal = Make(China2025Spec());
  // 60 working days of 7 h from a Monday's opening: the close of the 60th working day.
  const absl::Time from = Cst(2025, 9, 1, 9, 0);
  const absl::Time due = cal.AddWorkingTime(from, Hours(7 * 60));
  EXPECT_EQ(due, cal.AddWorkingDays(Cst(2025, 8, 31, 12, 0), 60));
  EXPECT_EQ(cal.WorkingTimeBetween(from, due), Hours(7 * 60));
}

// --- Validation --------------------------------------------------------------------------------

absl::Status CreateStatus(BusinessCalendar::Spec spec) {
  return BusinessCalendar::Create(std::move(spec)).status();
}

TEST(BusinessCalendarTest, RejectsInconsistentSpecs) {
  auto spec = China2025Spec();
  spec.workdays.push_back({CivilDay(2025, 1, 27), CivilDay(2025, 1, 27), "Monday", "x.calendar:9"});
  absl::Status s = CreateStatus(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("x.calendar:9"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("not a weekend day"), absl::string_view::npos) << s;

  spec = China2025Spec();
  spec.workdays.push_back({CivilDay(2025, 2, 1), CivilDay(2025, 2, 1), "x", "x.calendar:3"});
  s = CreateStatus(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("already declared at test"), absl::string_view::npos) << s;

  spec = China2025Spec();
  spec.holidays.push_back({CivilDay(2025, 2, 4), CivilDay(2025, 2, 6), "x", "x.calendar:4"});
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);

  spec = China2025Spec();
  spec.holidays.push_back({CivilDay(2025, 5, 5), CivilDay(2025, 5, 1), "backwards", "o"});
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);

  spec = China2025Spec();
  spec.sensitive[0].deadline_factor = 0;
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);
  spec.sensitive[0].deadline_factor = 1.5;
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);

  spec = China2025Spec();
  spec.sensitive[0].last = CivilDay(2000, 2, 29);
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);

  spec = China2025Spec();
  spec.periods = {{13 * 60, 17 * 60}, {9 * 60, 12 * 60}};
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);
  spec.periods = {{9 * 60, 12 * 60}, {11 * 60, 17 * 60}};
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);
  spec.periods = {};
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);
  spec.periods = {{9 * 60, 25 * 60}};
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);

  spec = China2025Spec();
  spec.weekend = {absl::Weekday::monday,   absl::Weekday::tuesday, absl::Weekday::wednesday,
                  absl::Weekday::thursday, absl::Weekday::friday,  absl::Weekday::saturday,
                  absl::Weekday::sunday};
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);

  spec = China2025Spec();
  spec.official_years = {2025, 2025};
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kInvalidArgument);

  spec = China2025Spec();
  spec.zone = "Mars/Olympus_Mons";
  EXPECT_EQ(CreateStatus(spec).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace complaints::calendar
