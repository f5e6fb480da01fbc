#include "libs/calendar/calendar_registry.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

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

  std::optional<CalendarRegistry> registry_;
};

TEST_F(ShippedCalendarsTest, RegionSettings) {
  EXPECT_EQ(registry_->Regions(), std::vector<std::string>{"CN"});
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
  // Unknown regions fall back to CN.
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
