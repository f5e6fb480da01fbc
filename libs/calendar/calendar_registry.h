#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/calendar/business_calendar.h"

namespace complaints::calendar {

// Calendars by region, from data files (deploy/calendars/*.calendar). The format, line based:
//
//   # a comment (anywhere on a line: everything after '#' is ignored)
//   region CN                         first line of every file: the region it contributes to
//   zone Asia/Shanghai                IANA time zone                 (default Asia/Shanghai)
//   hours 09:00-12:00 13:30-17:30     working periods of a working day (default as shown)
//   weekend sat sun                   weekend days: mon..sun, or none (default sat sun)
//   year 2025                         this file holds the full official arrangement of 2025;
//   source <text>                       required with `year`: the notice it transcribes
//   holiday 2025-01-28..2025-02-04 春节         public holiday(s), a day or a range, and a name
//   workday 2025-01-26 春节调休                 make-up working day(s) (调休上班), a weekend day
//   sensitive 03-08..03-22 0.8 0.5 3·15 ...     sensitive period: days (MM-DD = every year, or
//                                               YYYY-MM-DD), deadline factor, warning factor, name
//
// A region's files may be split freely (CN.calendar for its settings, CN-2025.calendar and
// CN-2026.calendar for each year's notice); zone, hours and weekend may be set once per region,
// each year once. Every error in a file, an unknown time zone included, is InvalidArgument and
// starts with "<file>:<line>: " (or "<file>: " for a file without a `region` line).
class CalendarRegistry {
 public:
  // A data file's name (used in error messages) and contents.
  struct File {
    std::string name;
    std::string text;
  };

  // Pure: builds every region's calendar from the files' contents. `default_region` must be
  // among them.
  static absl::StatusOr<CalendarRegistry> Parse(const std::vector<File>& files,
                                                const std::string& default_region = "CN");
  // Reads every `*.calendar` file of `directory`, in name order, and parses them; NotFound when
  // the directory is missing, unreadable or holds no such file.
  static absl::StatusOr<CalendarRegistry> LoadDirectory(const std::string& directory,
                                                        const std::string& default_region = "CN");

  // Unknown regions (and the empty string) fall back to the default region's calendar. A caller
  // for which another region's holidays would be wrong checks Has() first (the sla-timer refuses
  // to start: services/sla_timer/policy/regional_calendar.h, CalendarForPolicy).
  const BusinessCalendar& ForRegion(std::string_view region) const;
  const BusinessCalendar& Default() const { return *default_; }
  bool Has(std::string_view region) const { return calendars_.contains(region); }
  std::vector<std::string> Regions() const;

 private:
  CalendarRegistry() = default;

  // Shared so that a holder of a calendar keeps it across a reload of the registry.
  std::map<std::string, std::shared_ptr<const BusinessCalendar>, std::less<>> calendars_;
  std::shared_ptr<const BusinessCalendar> default_;
};

}  // namespace complaints::calendar
