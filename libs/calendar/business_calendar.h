#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace complaints::calendar {

// Working time of one region: working periods on working days, in the region's time zone.
//
// A day is a working day when it is not a weekend day, or when it is a make-up working day (调休:
// a weekend day declared a working day to bridge a holiday), and it is not a public holiday.
// Holidays and make-up days come from the official notices, one data file per year (see
// calendar_registry.h and deploy/calendars/README.md for the file format).
//
// Every function below is pure and cheap: no I/O, O(days spanned) at most (a few nanoseconds per
// day, never a loop per minute), and no allocation except in the sensitive-period lookup. Times
// are absl::Time (an instant, no zone); the calendar converts them to its own zone, so callers
// never do time-zone arithmetic themselves.
// Working time is measured in local wall-clock time (a DST change inside working hours, which no
// zone has in practice, would count wall-clock minutes).
//
// Thread-safe: immutable once created.
class BusinessCalendar {
 public:
  // One working period of a working day, as minutes from local midnight: [start, end).
  struct Period {
    int start_minute = 0;
    int end_minute = 0;
    friend bool operator==(const Period&, const Period&) = default;
  };

  // Holidays or make-up working days covering [first, last] (local days), with where they were
  // declared ("CN-2025.calendar:14") for error messages.
  struct DayRange {
    absl::CivilDay first;
    absl::CivilDay last;
    std::string name;
    std::string origin;
  };

  // A sensitive period (维权敏感期) such as 3·15: deadlines armed inside it tighten and warnings
  // come earlier, by factors that the SLA policy applies. With `every_year` only the month and
  // day of `first` and `last` count (a period may wrap the year end, e.g. 12-20..01-10); a lookup
  // returns the occurrence that covers the day asked for, with its concrete dates.
  struct SensitivePeriod {
    std::string name;
    absl::CivilDay first;
    absl::CivilDay last;
    bool every_year = false;
    double deadline_factor = 1.0;  // in (0, 1]: multiplies the duration of a clock armed inside
    double warning_factor = 1.0;   // in (0, 1]: multiplies the warning fractions of such a clock
    std::string origin;
  };

  // Everything a calendar is made of; the loader builds it from the data files, tests may build
  // it by hand. Defaults: a mainland China head office (deploy/calendars/README.md).
  struct Spec {
    std::string region = "CN";
    std::string zone = "Asia/Shanghai";  // IANA name, needs tzdata (/usr/share/zoneinfo)
    std::vector<Period> periods = {{9 * 60, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
    std::vector<absl::Weekday> weekend = {absl::Weekday::saturday, absl::Weekday::sunday};
    std::vector<DayRange> holidays;
    std::vector<DayRange> workdays;  // make-up working days (调休上班)
    std::vector<SensitivePeriod> sensitive;
    std::vector<int> official_years;  // years whose full official arrangement is in `holidays`
  };

  // How EndOfCalendarDays treats a last day that is not a working day.
  enum class Rollover {
    kNone,            // the period ends on that day regardless
    kNextWorkingDay,  // 民法典 art. 203: it ends on the next working day instead
  };

  // Validates `spec` (InvalidArgument naming the offending entry's origin): periods sorted,
  // disjoint and inside the day; not every day a weekend day; a day both holiday and make-up
  // working day; a make-up working day that is not a weekend day; overlapping holidays; factors
  // outside (0, 1]. NotFound when the time zone is unknown.
  static absl::StatusOr<BusinessCalendar> Create(Spec spec);

  // Checks one day's working periods: sorted, disjoint, non-empty, within 00:00-24:00.
  static absl::Status ValidatePeriods(const std::vector<Period>& periods);

  bool IsWorkingDay(absl::CivilDay day) const;
  // True during a working period of a working day (periods are half-open: 17:30 is closed).
  bool IsWorkingTime(absl::Time t) const;
  // `t` itself when it is working time, else the start of the next working period.
  absl::Time NextWorkingTime(absl::Time t) const;

  // The instant at which `working` of working time has passed since `from` (e.g. 8 working
  // hours), skipping nights, lunch breaks, weekends and holidays; a `from` outside working time
  // starts counting at the next opening. A result that falls exactly on the end of a period is
  // that end (17:30), not the next opening. `working` <= 0 returns `from`.
  absl::Time AddWorkingTime(absl::Time from, absl::Duration working) const;

  // The close of business (end of the last working period) of the `n`-th working day after the
  // local day of `from`: "within n working days". The day of `from` is never counted, even when
  // `from` is before opening on a working day (民法典 art. 201: the starting day is not counted),
  // and the deadline is the close of business of the last day (art. 203: "有业务时间的，停止业务
  // 活动的时间为截止时间"). n <= 0 returns `from`.
  absl::Time AddWorkingDays(absl::Time from, int n) const;

  // Working time in [from, to); zero when `to` <= `from`. The inverse of AddWorkingTime:
  // WorkingTimeBetween(from, AddWorkingTime(from, w)) == w for every w > 0.
  absl::Duration WorkingTimeBetween(absl::Time from, absl::Time to) const;

  // The same local wall-clock time `n` calendar days later (or earlier), in the region's zone.
  absl::Time AddCalendarDays(absl::Time from, int n) const;
  // The end (24:00 local) of the `n`-th calendar day after the local day of `from` ("within 15
  // days of receipt"; the day of receipt is not counted), optionally rolled forward to the end
  // of the next working day when that last day is not a working day. n <= 0 returns `from`.
  absl::Time EndOfCalendarDays(absl::Time from, int n, Rollover rollover) const;

  // The sensitive period in force on a local day, if any. When several cover it, the strictest
  // wins: the lowest deadline factor, then the lowest warning factor, then the first declared.
  std::optional<SensitivePeriod> SensitivePeriodOn(absl::CivilDay day) const;
  std::optional<SensitivePeriod> SensitivePeriodAt(absl::Time t) const;

  // Whether the official holiday arrangement of `year` was loaded. Beyond the covered years the
  // calendar still works (weekends only), so callers should warn: the State Council publishes
  // each year's arrangement in the autumn before.
  bool CoversYear(int year) const;

  absl::CivilDay DayOf(absl::Time t) const;
  const absl::TimeZone& zone() const { return zone_; }
  const std::string& region() const { return spec_.region; }
  const Spec& spec() const { return spec_; }
  // Working time of one full working day (7 h with the default periods).
  absl::Duration WorkingDayLength() const { return absl::Minutes(day_minutes_); }

 private:
  // A day's status as declared in the data files; kNone falls back to the weekday.
  enum class Override : std::uint8_t { kNone, kHoliday, kWorkday };

  BusinessCalendar() = default;
  // The local instant `day` + `since_midnight`.
  absl::Time At(absl::CivilDay day, absl::Duration since_midnight) const;
  // The close of business of a working day.
  absl::Time CloseOf(absl::CivilDay day) const;
  absl::CivilDay NextWorkingDay(absl::CivilDay day) const;
  // Working time of a working day within [begin, end) since midnight.
  absl::Duration WorkingWithin(absl::Duration begin, absl::Duration end) const;

  Spec spec_;
  absl::TimeZone zone_;
  int day_minutes_ = 0;
  std::array<bool, 7> weekend_{};  // indexed by absl::Weekday (monday = 0)
  // Dense per-day overrides from `overrides_first_` on: one byte per day of the covered years.
  absl::CivilDay overrides_first_;
  std::vector<Override> overrides_;
};

using SensitivePeriod = BusinessCalendar::SensitivePeriod;

}  // namespace complaints::calendar
