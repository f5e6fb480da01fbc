#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace complaints::sla_policy {

// How a sensitive period (维权敏感期, e.g. around 3·15) changes the clocks armed inside it.
struct SensitiveFactors {
  std::string name;              // empty outside any period
  double deadline_factor = 1.0;  // in (0, 1]: spans of non-statutory clocks shrink by it
  double warning_factor = 1.0;   // in (0, 1]: warning fractions shrink by it (warn earlier)
};

// What the policy engine needs of a business calendar. The regional calendar
// (libs/calendar/business_calendar.h) is adapted to it by the service; tests use
// SimpleWorkCalendar. Implementations are pure and thread-safe.
class WorkCalendar {
 public:
  virtual ~WorkCalendar() = default;

  // Calendar days are counted in this zone.
  virtual absl::TimeZone zone() const = 0;
  virtual bool IsWorkingDay(absl::CivilDay day) const = 0;
  // The earliest instant at which `working` of working time has passed since `from` (so 8
  // working hours from a 09:00 opening end at 17:00 that day, not at 09:00 the next); `from`
  // itself when `working` is not positive.
  virtual absl::Time AddWorkingTime(absl::Time from, absl::Duration working) const = 0;
  // The close of the n-th working day after the day of `from` (n >= 1): "within 3 working days".
  virtual absl::Time AddWorkingDays(absl::Time from, int n) const = 0;
  // Working time in [from, to); zero if `to` <= `from`.
  virtual absl::Duration WorkingTimeBetween(absl::Time from, absl::Time to) const = 0;
  // The sensitive period `t` falls in; factors of 1 outside every period.
  virtual SensitiveFactors SensitivityAt(absl::Time t) const = 0;
};

// One working period a day on Monday to Friday, minus holidays, plus make-up working days (调休).
// Enough for tests and as a stand-in until the regional calendar is adapted.
class SimpleWorkCalendar final : public WorkCalendar {
 public:
  struct SensitivePeriod {
    absl::CivilDay first;
    absl::CivilDay last;  // inclusive
    SensitiveFactors factors;
  };
  struct Options {
    absl::TimeZone zone = absl::UTCTimeZone();
    int open_minute = 9 * 60;
    int close_minute = 17 * 60;
    std::set<absl::CivilDay> holidays;
    std::set<absl::CivilDay> working_weekend_days;
    std::vector<SensitivePeriod> sensitive_periods;
  };

  explicit SimpleWorkCalendar(Options options) : options_(std::move(options)) {}

  absl::TimeZone zone() const override { return options_.zone; }
  bool IsWorkingDay(absl::CivilDay day) const override;
  absl::Time AddWorkingTime(absl::Time from, absl::Duration working) const override;
  absl::Time AddWorkingDays(absl::Time from, int n) const override;
  absl::Duration WorkingTimeBetween(absl::Time from, absl::Time to) const override;
  SensitiveFactors SensitivityAt(absl::Time t) const override;

 private:
  absl::Time Open(absl::CivilDay day) const;
  absl::Time Close(absl::CivilDay day) const;
  absl::CivilDay DayOf(absl::Time t) const;

  Options options_;
};

}  // namespace complaints::sla_policy
