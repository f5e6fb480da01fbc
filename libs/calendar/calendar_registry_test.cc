#include "libs/calendar/calendar_registry.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/common/utf8.h"

namespace complaints::calendar {
namespace {

using absl::CivilDay;
using absl::Weekday;
using File = CalendarRegistry::File;

absl::Time Cst(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::FixedTimeZone(8 * 3600));
}

CivilDay D(int y, int m, int d) { return CivilDay(y, m, d); }

std::string ShippedDirectory() { return std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/calendars"; }

// An instant given in UTC: the expectations below state the zone offset themselves, so that a
// wrong `zone` line fails them.
absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

bool IsWeekend(CivilDay d) {
  const Weekday w = absl::GetWeekday(d);
  return w == Weekday::saturday || w == Weekday::sunday;
}

// Easter Sunday in the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher).
CivilDay EasterSunday(int y) {
  const int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
  const int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
  return CivilDay(y, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1);
}

// The n-th `weekday` of a month (n >= 1), or its last one (n == -1).
CivilDay NthWeekday(int y, int m, Weekday weekday, int n) {
  if (n < 0) return absl::PrevWeekday(CivilDay(y, m + 1, 1), weekday);  // month 13 normalises
  return absl::NextWeekday(CivilDay(y, m, 1) - 1, weekday) + 7 * (n - 1);
}

// England and Wales bank holidays of `y` by the usual rules, typed independently of
// deploy/calendars/GB-<year>.calendar: a holiday on a weekend gives way to the next weekday that
// is not already a holiday (the "substitute day"). No one-off change (jubilee, moved May Day)
// was announced for 2025 or 2026.
std::set<CivilDay> EnglandAndWalesDaysOff(int y) {
  const CivilDay easter = EasterSunday(y);
  std::set<CivilDay> off = {easter - 2, easter + 1, NthWeekday(y, 5, Weekday::monday, 1),
                            NthWeekday(y, 5, Weekday::monday, -1),
                            NthWeekday(y, 8, Weekday::monday, -1)};
  for (CivilDay day : {CivilDay(y, 1, 1), CivilDay(y, 12, 25), CivilDay(y, 12, 26)}) {
    while (IsWeekend(day) || off.contains(day)) ++day;
    off.insert(day);
  }
  return off;
}

// The Federal Reserve System's holidays of `y` by its rule, typed independently of
// deploy/calendars/US-<year>.calendar: a fixed-date holiday on a Sunday is observed on the
// Monday; one on a Saturday is not moved, so it takes no weekday off.
std::set<CivilDay> FederalReserveDaysOff(int y) {
  std::set<CivilDay> off = {
      NthWeekday(y, 1, Weekday::monday, 3),     // Birthday of Martin Luther King, Jr.
      NthWeekday(y, 2, Weekday::monday, 3),     // Washington's Birthday
      NthWeekday(y, 5, Weekday::monday, -1),    // Memorial Day
      NthWeekday(y, 9, Weekday::monday, 1),     // Labor Day
      NthWeekday(y, 10, Weekday::monday, 2),    // Columbus Day
      NthWeekday(y, 11, Weekday::thursday, 4),  // Thanksgiving Day
  };
  for (CivilDay day : {CivilDay(y, 1, 1), CivilDay(y, 6, 19), CivilDay(y, 7, 4),
                       CivilDay(y, 11, 11), CivilDay(y, 12, 25)}) {
    if (absl::GetWeekday(day) == Weekday::sunday) ++day;
    if (!IsWeekend(day)) off.insert(day);
  }
  return off;
}

// --- The shipped files against the notices -----------------------------------------------------

// One item of a notice: the days off, as the notice states them (with its weekday annotations
// and its count of days), and the weekend days it turns into working days.
struct NoticeItem {
  const char* name;
  CivilDay first;
  Weekday first_weekday;
  CivilDay last;
  Weekday last_weekday;
  int days;
  std::vector<std::pair<CivilDay, Weekday>> workdays;
};

// 国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）, typed again
// independently of deploy/calendars/CN-2025.calendar.
const std::vector<NoticeItem>& Notice2025() {
  static const auto* items = new std::vector<NoticeItem>{
      {"元旦", D(2025, 1, 1), Weekday::wednesday, D(2025, 1, 1), Weekday::wednesday, 1, {}},
      {"春节", D(2025, 1, 28), Weekday::tuesday, D(2025, 2, 4), Weekday::tuesday, 8,
       {{D(2025, 1, 26), Weekday::sunday}, {D(2025, 2, 8), Weekday::saturday}}},
      {"清明节", D(2025, 4, 4), Weekday::friday, D(2025, 4, 6), Weekday::sunday, 3, {}},
      {"劳动节", D(2025, 5, 1), Weekday::thursday, D(2025, 5, 5), Weekday::monday, 5,
       {{D(2025, 4, 27), Weekday::sunday}}},
      {"端午节", D(2025, 5, 31), Weekday::saturday, D(2025, 6, 2), Weekday::monday, 3, {}},
      {"国庆节、中秋节", D(2025, 10, 1), Weekday::wednesday, D(2025, 10, 8), Weekday::wednesday, 8,
       {{D(2025, 9, 28), Weekday::sunday}, {D(2025, 10, 11), Weekday::saturday}}},
  };
  return *items;
}

// 国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）.
const std::vector<NoticeItem>& Notice2026() {
  static const auto* items = new std::vector<NoticeItem>{
      {"元旦", D(2026, 1, 1), Weekday::thursday, D(2026, 1, 3), Weekday::saturday, 3,
       {{D(2026, 1, 4), Weekday::sunday}}},
      {"春节", D(2026, 2, 15), Weekday::sunday, D(2026, 2, 23), Weekday::monday, 9,
       {{D(2026, 2, 14), Weekday::saturday}, {D(2026, 2, 28), Weekday::saturday}}},
      {"清明节", D(2026, 4, 4), Weekday::saturday, D(2026, 4, 6), Weekday::monday, 3, {}},
      {"劳动节", D(2026, 5, 1), Weekday::friday, D(2026, 5, 5), Weekday::tuesday, 5,
       {{D(2026, 5, 9), Weekday::saturday}}},
      {"端午节", D(2026, 6, 19), Weekday::friday, D(2026, 6, 21), Weekday::sunday, 3, {}},
      {"中秋节", D(2026, 9, 25), Weekday::friday, D(2026, 9, 27), Weekday::sunday, 3, {}},
      {"国庆节", D(2026, 10, 1), Weekday::thursday, D(2026, 10, 7), Weekday::wednesday, 7,
       {{D(2026, 9, 20), Weekday::sunday}, {D(2026, 10, 10), Weekday::saturday}}},
  };
  return *items;
}

TEST(NoticeTableTest, WeekdaysAndCountsMatchTheNoticesOwnAnnotations) {
  for (const auto* notice : {&Notice2025(), &Notice2026()}) {
    for (const NoticeItem& item : *notice) {
      EXPECT_EQ(absl::GetWeekday(item.first), item.first_weekday) << item.name << item.first;
      EXPECT_EQ(absl::GetWeekday(item.last), item.last_weekday) << item.name << item.last;
      EXPECT_EQ(item.last - item.first + 1, item.days) << item.name;
      for (const auto& [day, weekday] : item.workdays) {
        EXPECT_EQ(absl::GetWeekday(day), weekday) << item.name << day;
      }
    }
  }
}

class ShippedCalendarsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = CalendarRegistry::LoadDirectory(ShippedDirectory());
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_.emplace(*std::move(registry));
  }
  const BusinessCalendar& cn() const { return registry_->ForRegion("CN"); }
  const BusinessCalendar& gb() const { return registry_->ForRegion("GB"); }
  const BusinessCalendar& us() const { return registry_->ForRegion("US"); }

  std::optional<CalendarRegistry> registry_;
};

TEST_F(ShippedCalendarsTest, RegionSettings) {
  EXPECT_EQ(registry_->Regions(), (std::vector<std::string>{"CN", "GB", "US"}));
  EXPECT_EQ(cn().region(), "CN");
  EXPECT_EQ(cn().zone().name(), "Asia/Shanghai");
  const std::vector<BusinessCalendar::Period> periods = {{9 * 60, 12 * 60},
                                                         {13 * 60 + 30, 17 * 60 + 30}};
  EXPECT_EQ(cn().spec().periods, periods);
  EXPECT_EQ(cn().WorkingDayLength(), absl::Hours(7));
  EXPECT_TRUE(cn().CoversYear(2025));
  EXPECT_TRUE(cn().CoversYear(2026));
  EXPECT_FALSE(cn().CoversYear(2024));
  EXPECT_FALSE(cn().CoversYear(2027));
  // Unknown regions fall back to CN (the SLA timer refuses a policy whose region has no
  // calendar: services/sla_timer/policy/regional_calendar.h).
  EXPECT_EQ(&registry_->ForRegion("HK"), &cn());
  EXPECT_EQ(&registry_->ForRegion(""), &cn());
  EXPECT_EQ(&registry_->Default(), &cn());
}

TEST_F(ShippedCalendarsTest, EveryDayOf2025And2026MatchesTheNotices) {
  std::set<CivilDay> off, on;
  for (const auto* notice : {&Notice2025(), &Notice2026()}) {
    for (const NoticeItem& item : *notice) {
      for (CivilDay d = item.first; d <= item.last; ++d) off.insert(d);
      for (const auto& [day, weekday] : item.workdays) on.insert(day);
    }
  }
  int working_days = 0;
  for (CivilDay d(2025, 1, 1); d <= CivilDay(2026, 12, 31); ++d) {
    const Weekday w = absl::GetWeekday(d);
    const bool weekend = w == Weekday::saturday || w == Weekday::sunday;
    const bool expected = on.contains(d) || (!weekend && !off.contains(d));
    ASSERT_EQ(cn().IsWorkingDay(d), expected) << d;
    working_days += expected;
  }
  // For the report: the count follows from the tables above, it is not an independent fact.
  RecordProperty("working_days_2025_2026", working_days);
}

TEST_F(ShippedCalendarsTest, KnownDates) {
  EXPECT_TRUE(cn().IsWorkingDay(CivilDay(2025, 1, 26)));   // Sunday, 春节调休
  EXPECT_TRUE(cn().IsWorkingDay(CivilDay(2025, 2, 8)));    // Saturday, 春节调休
  EXPECT_FALSE(cn().IsWorkingDay(CivilDay(2025, 1, 28)));  // 除夕
  EXPECT_FALSE(cn().IsWorkingDay(CivilDay(2025, 10, 8)));
  EXPECT_TRUE(cn().IsWorkingDay(CivilDay(2025, 10, 9)));
  EXPECT_TRUE(cn().IsWorkingDay(CivilDay(2026, 1, 4)));    // Sunday, 元旦调休
  EXPECT_FALSE(cn().IsWorkingDay(CivilDay(2026, 2, 23)));  // Monday, 初七
  EXPECT_TRUE(cn().IsWorkingDay(CivilDay(2026, 2, 28)));   // Saturday, 春节调休
  EXPECT_TRUE(cn().IsWorkingDay(CivilDay(2026, 10, 8)));   // Thursday after 国庆节
  // The example, on the shipped data.
  EXPECT_EQ(cn().AddWorkingTime(Cst(2025, 9, 30, 16, 0), absl::Hours(8)), Cst(2025, 10, 9, 17, 0));
  // The shipped 3·15 period.
  auto period = cn().SensitivePeriodAt(Cst(2026, 3, 15, 10, 0));
  ASSERT_TRUE(period.has_value());
  EXPECT_EQ(period->first, CivilDay(2026, 3, 8));
  EXPECT_EQ(period->last, CivilDay(2026, 3, 22));
  EXPECT_FALSE(cn().SensitivePeriodAt(Cst(2026, 5, 17, 10, 0)).has_value());
}

TEST_F(ShippedCalendarsTest, GbAndUsRegionSettings) {
  const std::vector<BusinessCalendar::Period> nine_to_five = {{9 * 60, 17 * 60}};
  for (const BusinessCalendar* calendar : {&gb(), &us()}) {
    EXPECT_NE(calendar, &cn()) << calendar->region();  // their own, not the CN fallback
    EXPECT_EQ(calendar->spec().periods, nine_to_five) << calendar->region();
    EXPECT_EQ(calendar->WorkingDayLength(), absl::Hours(8));
    EXPECT_TRUE(calendar->CoversYear(2025));
    EXPECT_TRUE(calendar->CoversYear(2026));
    EXPECT_FALSE(calendar->CoversYear(2027));
    EXPECT_TRUE(calendar->spec().workdays.empty());  // no make-up working days
    // No sensitive periods, not even CN's 3·15.
    EXPECT_TRUE(calendar->spec().sensitive.empty());
    EXPECT_FALSE(calendar->SensitivePeriodOn(CivilDay(2026, 3, 15)).has_value());
  }
  EXPECT_EQ(gb().region(), "GB");
  EXPECT_EQ(gb().zone().name(), "Europe/London");
  EXPECT_EQ(us().region(), "US");
  EXPECT_EQ(us().zone().name(), "America/New_York");
}

TEST(RuleTablesTest, RulesGiveTheDatesOfTheirSources) {
  // The helpers themselves, against dates read from the sources (see the data files).
  EXPECT_EQ(EasterSunday(2025), CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2026), CivilDay(2026, 4, 5));
  EXPECT_EQ(EasterSunday(2024), CivilDay(2024, 3, 31));
  EXPECT_EQ(EnglandAndWalesDaysOff(2026).size(), 8u);
  EXPECT_TRUE(EnglandAndWalesDaysOff(2026).contains(CivilDay(2026, 12, 28)));
  // 2027: Christmas Day on a Saturday, Boxing Day on a Sunday -> Monday 27 and Tuesday 28.
  EXPECT_TRUE(EnglandAndWalesDaysOff(2027).contains(CivilDay(2027, 12, 27)));
  EXPECT_TRUE(EnglandAndWalesDaysOff(2027).contains(CivilDay(2027, 12, 28)));
  EXPECT_EQ(FederalReserveDaysOff(2025).size(), 11u);
  EXPECT_EQ(FederalReserveDaysOff(2026).size(), 10u);  // 4 July 2026 is a Saturday
  // K.8's footnotes: 5 July 2027 (4 July a Sunday) is closed; 18 June 2027 (19 June a Saturday)
  // is open.
  EXPECT_TRUE(FederalReserveDaysOff(2027).contains(CivilDay(2027, 7, 5)));
  EXPECT_FALSE(FederalReserveDaysOff(2027).contains(CivilDay(2027, 6, 18)));
}

TEST_F(ShippedCalendarsTest, EveryDayOf2025And2026FollowsTheRulesGbAndUs) {
  std::set<CivilDay> gb_off, us_off;
  for (int y : {2025, 2026}) {
    gb_off.merge(EnglandAndWalesDaysOff(y));
    us_off.merge(FederalReserveDaysOff(y));
  }
  for (CivilDay d(2025, 1, 1); d <= CivilDay(2026, 12, 31); ++d) {
    ASSERT_EQ(gb().IsWorkingDay(d), !IsWeekend(d) && !gb_off.contains(d)) << "GB " << d;
    ASSERT_EQ(us().IsWorkingDay(d), !IsWeekend(d) && !us_off.contains(d)) << "US " << d;
  }
}

TEST_F(ShippedCalendarsTest, KnownDatesGb) {
  EXPECT_FALSE(gb().IsWorkingDay(CivilDay(2025, 4, 18)));   // Good Friday
  EXPECT_FALSE(gb().IsWorkingDay(CivilDay(2025, 4, 21)));   // Easter Monday
  EXPECT_FALSE(gb().IsWorkingDay(CivilDay(2025, 8, 25)));   // Summer bank holiday
  EXPECT_FALSE(gb().IsWorkingDay(CivilDay(2025, 12, 26)));  // Boxing Day, a Friday
  EXPECT_TRUE(gb().IsWorkingDay(CivilDay(2026, 12, 24)));   // Christmas Eve: not a bank holiday
  EXPECT_FALSE(gb().IsWorkingDay(CivilDay(2026, 12, 25)));  // Christmas Day, a Friday
  EXPECT_FALSE(gb().IsWorkingDay(CivilDay(2026, 12, 28)));  // Boxing Day (substitute day)
  EXPECT_TRUE(gb().IsWorkingDay(CivilDay(2026, 12, 29)));
  // Chinese holidays are English working days, and 调休 Saturdays are not.
  EXPECT_TRUE(gb().IsWorkingDay(CivilDay(2025, 10, 1)));  // 国庆节
  EXPECT_TRUE(gb().IsWorkingDay(CivilDay(2026, 2, 16)));  // 春节
  EXPECT_FALSE(gb().IsWorkingDay(CivilDay(2025, 2, 8)));  // Saturday, 春节调休 in CN
}

TEST_F(ShippedCalendarsTest, KnownDatesUs) {
  EXPECT_FALSE(us().IsWorkingDay(CivilDay(2025, 11, 27)));  // Thanksgiving Day
  EXPECT_TRUE(us().IsWorkingDay(CivilDay(2025, 11, 28)));   // the Friday after: open
  EXPECT_FALSE(us().IsWorkingDay(CivilDay(2025, 7, 4)));    // Independence Day, a Friday
  EXPECT_FALSE(us().IsWorkingDay(CivilDay(2026, 7, 4)));    // Independence Day, a Saturday...
  EXPECT_TRUE(us().IsWorkingDay(CivilDay(2026, 7, 3)));     // ...not moved: Friday is open
  EXPECT_FALSE(us().IsWorkingDay(CivilDay(2026, 10, 12)));  // Columbus Day
  EXPECT_FALSE(us().IsWorkingDay(CivilDay(2026, 11, 11)));  // Veterans Day, a Wednesday
  // Federal offices closed, banks open: not on the Fed's schedule.
  EXPECT_TRUE(us().IsWorkingDay(CivilDay(2025, 1, 9)));
  EXPECT_TRUE(us().IsWorkingDay(CivilDay(2025, 12, 24)));
  EXPECT_TRUE(us().IsWorkingDay(CivilDay(2025, 12, 26)));
  EXPECT_TRUE(us().IsWorkingDay(CivilDay(2025, 10, 1)));  // 国庆节
}

TEST_F(ShippedCalendarsTest, WorkingTimeAcrossHolidaysInEachZone) {
  // London: Thursday 17 April 2025, 16:00 BST (15:00 UTC) + 2 working hours: one hour that day,
  // then Good Friday, the weekend and Easter Monday, then 10:00 BST on Tuesday 22nd.
  EXPECT_EQ(gb().AddWorkingTime(Utc(2025, 4, 17, 15), absl::Hours(2)), Utc(2025, 4, 22, 9));
  // Within 1 working day: the close of Tuesday 22nd, 17:00 BST.
  EXPECT_EQ(gb().AddWorkingDays(Utc(2025, 4, 17, 9), 1), Utc(2025, 4, 22, 16));
  // Christmas 2026, in GMT: Thursday 24th 16:00 + 2 h skips Friday 25th, the weekend and the
  // substitute Monday 28th.
  EXPECT_EQ(gb().AddWorkingTime(Utc(2026, 12, 24, 16), absl::Hours(2)), Utc(2026, 12, 29, 10));
  EXPECT_EQ(gb().AddWorkingDays(Utc(2026, 12, 24, 10), 1), Utc(2026, 12, 29, 17));
  // Across the change to BST (Sunday 30 March 2025): Friday 16:00 GMT + 2 h is Monday 10:00 BST.
  EXPECT_EQ(gb().AddWorkingTime(Utc(2025, 3, 28, 16), absl::Hours(2)), Utc(2025, 3, 31, 9));

  // New York: Wednesday 26 November 2025, 16:00 EST (21:00 UTC) + 2 h: Thanksgiving skipped,
  // Friday 28th 10:00 EST.
  EXPECT_EQ(us().AddWorkingTime(Utc(2025, 11, 26, 21), absl::Hours(2)), Utc(2025, 11, 28, 15));
  EXPECT_EQ(us().AddWorkingDays(Utc(2025, 11, 26, 15), 1), Utc(2025, 11, 28, 22));
  // Thursday 2 July 2026, 16:00 EDT + 2 h: Friday 3rd is open, 10:00 EDT.
  EXPECT_EQ(us().AddWorkingTime(Utc(2026, 7, 2, 20), absl::Hours(2)), Utc(2026, 7, 3, 14));
  // Within 2 working days of Thursday 2nd: Friday 3rd, Monday 6th, 17:00 EDT.
  EXPECT_EQ(us().AddWorkingDays(Utc(2026, 7, 2, 14), 2), Utc(2026, 7, 6, 21));
  // Across the change to EDT (Sunday 9 March 2025): Friday 16:00 EST + 2 h, Monday 10:00 EDT.
  EXPECT_EQ(us().AddWorkingTime(Utc(2025, 3, 7, 21), absl::Hours(2)), Utc(2025, 3, 10, 14));
  EXPECT_EQ(us().WorkingTimeBetween(Utc(2025, 3, 7, 21), Utc(2025, 3, 10, 14)), absl::Hours(2));

  // The same instant in CN counts Chinese holidays instead: 1 October 2025 is a GB working day.
  EXPECT_EQ(gb().AddWorkingDays(Utc(2025, 9, 30, 9), 1), Utc(2025, 10, 1, 16));
  EXPECT_EQ(cn().AddWorkingDays(Utc(2025, 9, 30, 9), 1), Cst(2025, 10, 9, 17, 30));
}

// --- The format --------------------------------------------------------------------------------

TEST(CalendarRegistryTest, ParsesEveryDirective) {
  const std::string text =
      "# Test region\r\n"
      "region  GB   # trailing comment\r\n"
      "zone\tEurope/London\n"
      "hours 08:30-12:30 13:00-24:00\n"
      "weekend sat sun\n"
      "year 2025\n"
      "source Bank holidays (England and Wales)\n"
      "holiday 2025-12-25..2025-12-26  Christmas Day and Boxing Day\n"
      "holiday 2025-08-25 Summer bank holiday\n"
      "sensitive 12-20..01-10 0.9 0.75 Year end\n"
      "sensitive 2025-04-01..2025-04-30 1 0.5 Audit month\n";
  auto registry = CalendarRegistry::Parse({{"gb.calendar", text}}, "GB");
  ASSERT_TRUE(registry.ok()) << registry.status();
  const BusinessCalendar& gb = registry->Default();
  EXPECT_EQ(gb.zone().name(), "Europe/London");
  const std::vector<BusinessCalendar::Period> periods = {{8 * 60 + 30, 12 * 60 + 30},
                                                         {13 * 60, 24 * 60}};
  EXPECT_EQ(gb.spec().periods, periods);
  EXPECT_FALSE(gb.IsWorkingDay(CivilDay(2025, 12, 26)));
  EXPECT_FALSE(gb.IsWorkingDay(CivilDay(2025, 8, 25)));
  EXPECT_TRUE(gb.CoversYear(2025));
  ASSERT_EQ(gb.spec().holidays.size(), 2u);
  EXPECT_EQ(gb.spec().holidays[0].name, "Christmas Day and Boxing Day");
  EXPECT_EQ(gb.spec().holidays[0].origin, "gb.calendar:8");
  auto year_end = gb.SensitivePeriodOn(CivilDay(2026, 1, 2));
  ASSERT_TRUE(year_end.has_value());
  EXPECT_EQ(year_end->name, "Year end");
  EXPECT_TRUE(year_end->every_year);
  EXPECT_DOUBLE_EQ(year_end->warning_factor, 0.75);
  EXPECT_EQ(year_end->origin, "gb.calendar:10");
  EXPECT_EQ(gb.SensitivePeriodOn(CivilDay(2025, 4, 2))->name, "Audit month");
  EXPECT_FALSE(gb.SensitivePeriodOn(CivilDay(2026, 4, 2)).has_value());
}

TEST(CalendarRegistryTest, DefaultsApplyAndFilesOfARegionCombine) {
  auto registry = CalendarRegistry::Parse(
      {{"CN.calendar", "region CN\nweekend none\n"},
       {"CN-2030.calendar", "region CN\nyear 2030\nsource test\nholiday 2030-01-01 元旦\n"},
       {"HK.calendar", "region HK\nzone Asia/Hong_Kong\n"}});
  ASSERT_TRUE(registry.ok()) << registry.status();
  const BusinessCalendar& cn = registry->ForRegion("CN");
  EXPECT_EQ(cn.zone().name(), "Asia/Shanghai");
  EXPECT_EQ(cn.WorkingDayLength(), absl::Hours(7));
  EXPECT_TRUE(cn.IsWorkingDay(CivilDay(2030, 1, 5)));  // Saturday, no weekend
  EXPECT_FALSE(cn.IsWorkingDay(CivilDay(2030, 1, 1)));
  EXPECT_TRUE(registry->Has("HK"));
  EXPECT_EQ(registry->ForRegion("HK").zone().name(), "Asia/Hong_Kong");
  EXPECT_FALSE(registry->ForRegion("HK").IsWorkingDay(CivilDay(2030, 1, 5)));
}

// --- Errors: InvalidArgument, naming the file and the line -------------------------------------

struct BadFile {
  const char* text;
  const char* where;  // expected prefix of the message
  const char* what;   // expected somewhere in the message
};

class BadLineTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadLineTest, IsInvalidArgumentNamingFileAndLine) {
  const BadFile& bad = GetParam();
  auto registry = CalendarRegistry::Parse({{"bad.calendar", bad.text}});
  ASSERT_FALSE(registry.ok()) << bad.text;
  const absl::Status& s = registry.status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(s.message().substr(0, std::string(bad.where).size()), bad.where) << s;
  EXPECT_NE(s.message().find(bad.what), absl::string_view::npos) << s;
}

// Found by fuzz/calendar_fuzzer: the message quoted a token cut inside a UTF-8 character.
TEST(CalendarRegistryTest, AnErrorQuotingBrokenUtf8IsStillUtf8) {
  auto registry = CalendarRegistry::Parse(
      {{"bad.calendar", "region CN\nzone Asia/Shanghai\nweekend s\x9d\x8b\n"}});
  ASSERT_FALSE(registry.ok());
  EXPECT_NE(registry.status().message().find("bad weekend day"), absl::string_view::npos);
  EXPECT_TRUE(common::IsValidUtf8(std::string(registry.status().message())))
      << registry.status();
}

INSTANTIATE_TEST_SUITE_P(
    Format, BadLineTest,
    ::testing::Values(
        BadFile{"zone Asia/Shanghai\n", "bad.calendar:1: ", "expected 'region <ID>'"},
        BadFile{"# only a comment\n\n", "bad.calendar: ", "no 'region' line"},
        BadFile{"region CN\nregion HK\n", "bad.calendar:2: ", "one region"},
        BadFile{"region C N\n", "bad.calendar:1: ", "region <ID>"},
        BadFile{"region CN\nholidays 2025-01-01 x\n", "bad.calendar:2: ", "unknown directive"},
        BadFile{"region CN\n\n# c\nholiday 2025-02-30 x\n", "bad.calendar:4: ", "2025-02-30"},
        BadFile{"region CN\nholiday 2025-1-1 x\n", "bad.calendar:2: ", "YYYY-MM-DD"},
        BadFile{"region CN\nholiday 2025-01-01\n", "bad.calendar:2: ", "needs a name"},
        BadFile{"region CN\nholiday 2025-01-05..2025-01-01 x\n", "bad.calendar:2: ",
                "first after last"},
        BadFile{"region CN\nholiday 01-01 x\n", "bad.calendar:2: ", "YYYY-MM-DD"},
        BadFile{"region CN\nworkday 2025-01-27 Monday\n", "bad.calendar:2: ", "not a weekend day"},
        BadFile{"region CN\nholiday 2025-01-01 a\n\nholiday 2025-01-01 b\n", "bad.calendar:4: ",
                "already declared at bad.calendar:2"},
        BadFile{"region CN\nholiday 2025-01-26 a\nworkday 2025-01-26 b\n", "bad.calendar:3: ",
                "already declared at bad.calendar:2"},
        BadFile{"region CN\nhours 09:00-12:00 11:00-13:00\n", "bad.calendar:2: ", "overlaps"},
        BadFile{"region CN\nhours 9-12\n", "bad.calendar:2: ", "HH:MM-HH:MM"},
        BadFile{"region CN\nhours 09:00-24:30\n", "bad.calendar:2: ", "HH:MM-HH:MM"},
        BadFile{"region CN\nhours\n", "bad.calendar:2: ", "at least one period"},
        BadFile{"region CN\nhours 09:00-12:00\nhours 13:00-17:00\n", "bad.calendar:3: ",
                "already set at bad.calendar:2"},
        BadFile{"region CN\nweekend sat funday\n", "bad.calendar:2: ", "funday"},
        BadFile{"region CN\nweekend sat sat\n", "bad.calendar:2: ", "twice"},
        BadFile{"region CN\nweekend\n", "bad.calendar:2: ", "mon..sun"},
        BadFile{"region CN\nzone Mars/Olympus_Mons\n", "bad.calendar:2: ", "unknown time zone"},
        BadFile{"region CN\nzone Asia/Shanghai extra\n", "bad.calendar:2: ", "zone <IANA name>"},
        BadFile{"region CN\nsensitive 03-08..03-22 0.8 x 3·15\n", "bad.calendar:2: ",
                "warning factor"},
        BadFile{"region CN\nsensitive 03-08..03-22 1.5 0.5 3·15\n", "bad.calendar:2: ",
                "(0, 1]"},
        BadFile{"region CN\nsensitive 03-08..03-22 0.8 0.5\n", "bad.calendar:2: ", "needs a name"},
        BadFile{"region CN\nsensitive 03-08..2025-03-22 0.8 0.5 x\n", "bad.calendar:2: ",
                "MM-DD..MM-DD"},
        BadFile{"region CN\nsensitive 02-20..02-29 0.8 0.5 x\n", "bad.calendar:2: ", "02-29"},
        BadFile{"region CN\nyear 2025\nholiday 2025-01-01 x\n", "bad.calendar:2: ",
                "needs a 'source' line"},
        BadFile{"region CN\nyear 25\n", "bad.calendar:2: ", "year <YYYY>"},
        BadFile{"region CN\nyear 2025\nyear 2026\n", "bad.calendar:3: ", "one year"},
        BadFile{"region CN\nsource\n", "bad.calendar:2: ", "source"}));

TEST(CalendarRegistryTest, ConflictsAcrossFilesNameBothPlaces) {
  auto zone_twice = CalendarRegistry::Parse(
      {{"a.calendar", "region CN\nzone Asia/Shanghai\n"},
       {"b.calendar", "# b\nregion CN\nzone Asia/Urumqi\n"}});
  ASSERT_FALSE(zone_twice.ok());
  EXPECT_EQ(zone_twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(zone_twice.status().message(),
            "b.calendar:3: zone of region CN already set at a.calendar:2");

  auto year_twice = CalendarRegistry::Parse(
      {{"CN-2025.calendar", "region CN\nyear 2025\nsource s\n"},
       {"CN-2025-copy.calendar", "region CN\nyear 2025\nsource s\n"}});
  ASSERT_FALSE(year_twice.ok());
  EXPECT_EQ(year_twice.status().message(),
            "CN-2025-copy.calendar:2: year 2025 of region CN already declared at "
            "CN-2025.calendar:2");

  auto conflict = CalendarRegistry::Parse(
      {{"CN-2025.calendar", "region CN\nholiday 2025-01-28..2025-02-04 春节\n"},
       {"local.calendar", "region CN\nworkday 2025-02-01 加班\n"}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(conflict.status().message().find("local.calendar:2"), absl::string_view::npos);
  EXPECT_NE(conflict.status().message().find("CN-2025.calendar:2"), absl::string_view::npos);
}

TEST(CalendarRegistryTest, DefaultRegionMustExist) {
  auto registry = CalendarRegistry::Parse({{"hk.calendar", "region HK\n"}});
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(registry.status().message().find("'CN'"), absl::string_view::npos);
}

TEST(CalendarRegistryTest, LoadDirectoryNamesThePathAndIgnoresOtherFiles) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "calendar_registry_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "README.md") << "not a calendar\n";
  std::ofstream(dir / "CN.calendar") << "region CN\n";
  auto ok = CalendarRegistry::LoadDirectory(dir.string());
  ASSERT_TRUE(ok.ok()) << ok.status();

  std::ofstream(dir / "CN-2025.calendar") << "region CN\n# x\nholiday 2025-13-01 x\n";
  auto bad = CalendarRegistry::LoadDirectory(dir.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find((dir / "CN-2025.calendar").string() + ":3: "),
            absl::string_view::npos)
      << bad.status();

  EXPECT_EQ(CalendarRegistry::LoadDirectory((dir / "missing").string()).status().code(),
            absl::StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_EQ(CalendarRegistry::LoadDirectory(dir.string()).status().code(),
            absl::StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace complaints::calendar
