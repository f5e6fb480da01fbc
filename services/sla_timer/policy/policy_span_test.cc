#include "services/sla_timer/policy/policy_span.h"

#include "gtest/gtest.h"
#include "services/sla_timer/policy/policy_test_util.h"

namespace complaints::sla_policy {
namespace {

using testing::FakeCalendar;
using testing::T;

sla::v1::Span WorkingHours(int n) {
  sla::v1::Span s;
  s.set_working_hours(n);
  return s;
}
sla::v1::Span WorkingDays(int n) {
  sla::v1::Span s;
  s.set_working_days(n);
  return s;
}
sla::v1::Span CalendarDays(int n, bool roll = false) {
  sla::v1::Span s;
  s.set_calendar_days(n);
  s.set_roll_to_working_day(roll);
  return s;
}

TEST(FakeCalendarTest, WorkingDays) {
  const auto& cal = FakeCalendar();
  EXPECT_TRUE(cal.IsWorkingDay(absl::CivilDay(2025, 3, 7)));    // Friday
  EXPECT_FALSE(cal.IsWorkingDay(absl::CivilDay(2025, 3, 8)));   // Saturday
  EXPECT_FALSE(cal.IsWorkingDay(absl::CivilDay(2025, 3, 10)));  // holiday
  EXPECT_TRUE(cal.IsWorkingDay(absl::CivilDay(2025, 3, 29)));   // make-up Saturday
}

TEST(FakeCalendarTest, WorkingTimeSkipsNightsWeekendsAndHolidays) {
  const auto& cal = FakeCalendar();
  EXPECT_EQ(cal.AddWorkingTime(T(3, 9), absl::Hours(8)), T(3, 17));  // ends at the close
  EXPECT_EQ(cal.AddWorkingTime(T(3, 16), absl::Hours(2)), T(4, 10));
  // Friday 16:00 + 2 h: the weekend and Monday's holiday are skipped.
  EXPECT_EQ(cal.AddWorkingTime(T(7, 16), absl::Hours(2)), T(11, 10));
  EXPECT_EQ(cal.AddWorkingTime(T(8, 12), absl::Hours(1)), T(11, 10));  // from a Saturday
  EXPECT_EQ(cal.AddWorkingTime(T(3, 20), absl::ZeroDuration()), T(3, 20));
  EXPECT_EQ(cal.WorkingTimeBetween(T(7, 16), T(11, 10)), absl::Hours(2));
  EXPECT_EQ(cal.WorkingTimeBetween(T(3, 8), T(3, 20)), absl::Hours(8));
  EXPECT_EQ(cal.WorkingTimeBetween(T(4, 10), T(3, 10)), absl::ZeroDuration());
  // The make-up Saturday counts.
  EXPECT_EQ(cal.AddWorkingTime(T(28, 16), absl::Hours(2)), T(29, 10));
}

TEST(FakeCalendarTest, WorkingDaysEndAtTheClose) {
  const auto& cal = FakeCalendar();
  EXPECT_EQ(cal.AddWorkingDays(T(6, 10), 1), T(7, 17));
  EXPECT_EQ(cal.AddWorkingDays(T(6, 10), 2), T(11, 17));  // weekend + holiday
  EXPECT_EQ(cal.AddWorkingDays(T(8, 10), 1), T(11, 17));  // Saturday: Tuesday is the first
  EXPECT_EQ(cal.AddWorkingDays(T(3, 8), 1), T(4, 17));    // the day of `from` never counts
}

TEST(FakeCalendarTest, SensitivePeriod) {
  const auto& cal = FakeCalendar();
  EXPECT_EQ(cal.SensitivityAt(T(13, 23)).deadline_factor, 1.0);
  EXPECT_EQ(cal.SensitivityAt(T(14, 0)).name, "3·15");
  EXPECT_EQ(cal.SensitivityAt(T(16, 23)).deadline_factor, 0.5);
  EXPECT_EQ(cal.SensitivityAt(T(17, 0)).name, "");
}

TEST(SpanTest, Units) {
  const auto& cal = FakeCalendar();
  EXPECT_EQ(AddSpan(cal, T(3, 10), WorkingHours(2)), T(3, 12));
  EXPECT_EQ(AddSpan(cal, T(3, 10), WorkingDays(5)), T(11, 17));  // Tue..Fri, (Mon holiday), Tue
  sla::v1::Span minutes;
  minutes.set_working_minutes(90);
  EXPECT_EQ(AddSpan(cal, T(3, 16), minutes), T(4, 9, 30));
  sla::v1::Span hours;
  hours.set_calendar_hours(30);
  EXPECT_EQ(AddSpan(cal, T(3, 10), hours), T(4, 16));
  sla::v1::Span cminutes;
  cminutes.set_calendar_minutes(45);
  EXPECT_EQ(AddSpan(cal, T(3, 10), cminutes), T(3, 10, 45));
}

TEST(SpanTest, CalendarDaysEndAtMidnightAndSkipTheFirstDay) {
  const auto& cal = FakeCalendar();
  // Received Monday 3rd: day 1 is the 4th, day 15 the 18th; the period ends at 24:00 that day.
  EXPECT_EQ(AddSpan(cal, T(3, 10), CalendarDays(15)), T(19, 0));
  EXPECT_EQ(AddSpan(cal, T(3, 23, 59), CalendarDays(15)), T(19, 0));
  sla::v1::Span weeks;
  weeks.set_calendar_weeks(8);
  EXPECT_EQ(AddSpan(cal, T(3, 10), weeks), T(29, 0, 0, 4));  // day 56 is 28 April
}

TEST(SpanTest, RollToWorkingDay) {
  const auto& cal = FakeCalendar();
  // 5 days from Monday 3rd end on Saturday 8th; rolled past the weekend and Monday's holiday.
  EXPECT_EQ(AddSpan(cal, T(3, 10), CalendarDays(5)), T(9, 0));
  EXPECT_EQ(AddSpan(cal, T(3, 10), CalendarDays(5, true)), T(12, 0));
  EXPECT_EQ(AddSpan(cal, T(3, 10), CalendarDays(4, true)), T(8, 0));  // Friday: no roll
}

TEST(SpanTest, MeasureAndAdvance) {
  const auto& cal = FakeCalendar();
  EXPECT_EQ(MeasureOf(WorkingDays(1)), Measure::kWorking);
  EXPECT_EQ(MeasureOf(CalendarDays(1)), Measure::kElapsed);
  EXPECT_EQ(Between(cal, Measure::kWorking, T(7, 15), T(11, 11)), absl::Hours(4));
  EXPECT_EQ(Between(cal, Measure::kElapsed, T(7, 15), T(11, 11)), absl::Hours(92));
  EXPECT_EQ(Advance(cal, Measure::kWorking, T(7, 15), absl::Hours(4)), T(11, 11));
  EXPECT_EQ(Advance(cal, Measure::kElapsed, T(7, 15), absl::Hours(4)), T(7, 19));
  EXPECT_EQ(Advance(cal, Measure::kWorking, T(8, 15), absl::ZeroDuration()), T(8, 15));
}

TEST(SpanTest, Validity) {
  EXPECT_FALSE(IsValidSpan(sla::v1::Span()));
  EXPECT_FALSE(IsValidSpan(WorkingDays(0)));
  EXPECT_FALSE(IsValidSpan(WorkingDays(-1)));
  EXPECT_TRUE(IsValidSpan(WorkingDays(1)));
  EXPECT_TRUE(SameUnit(CalendarDays(15), CalendarDays(30)));
  EXPECT_FALSE(SameUnit(CalendarDays(15), WorkingDays(30)));
  EXPECT_EQ(SpanText(CalendarDays(15)), "15 calendar days");
  EXPECT_EQ(SpanText(WorkingHours(2)), "2 working hours");
  EXPECT_EQ(FloorMillis(absl::FromUnixMicros(1500)), absl::FromUnixMillis(1));
}

}  // namespace
}  // namespace complaints::sla_policy
