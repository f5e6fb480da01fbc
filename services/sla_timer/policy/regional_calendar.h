#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_join.h"
#include "libs/calendar/business_calendar.h"
#include "libs/calendar/calendar_registry.h"
#include "services/sla_timer/policy/policy_calendar.h"
#include "services/sla_timer/policy/policy_set.h"

namespace complaints::sla_timer {

// The regional business calendar (libs/calendar) as the policy engine's WorkCalendar.
class RegionalCalendar final : public sla_policy::WorkCalendar {
 public:
  // `calendar` must outlive this adapter.
  explicit RegionalCalendar(const calendar::BusinessCalendar* calendar) : calendar_(calendar) {}

  absl::TimeZone zone() const override { return calendar_->zone(); }
  bool IsWorkingDay(absl::CivilDay day) const override { return calendar_->IsWorkingDay(day); }
  absl::Time AddWorkingTime(absl::Time from, absl::Duration working) const override {
    return calendar_->AddWorkingTime(from, working);
  }
  absl::Time AddWorkingDays(absl::Time from, int n) const override {
    return calendar_->AddWorkingDays(from, n);
  }
  absl::Duration WorkingTimeBetween(absl::Time from, absl::Time to) const override {
    return calendar_->WorkingTimeBetween(from, to);
  }
  sla_policy::SensitiveFactors SensitivityAt(absl::Time t) const override {
    const auto period = calendar_->SensitivePeriodAt(t);
    if (!period) return {};
    return {period->name, period->deadline_factor, period->warning_factor};
  }

 private:
  const calendar::BusinessCalendar* calendar_;
};

// The calendar of the policy's region, for start-up. Unlike CalendarRegistry::ForRegion, a region
// without a calendar of its own (or a policy that names none) is an error, FailedPrecondition
// naming the policy file, the region and the calendar directory: falling back to the default
// region would count a UK policy's business days around Chinese holidays. The paths are only for
// the message.
inline absl::StatusOr<const calendar::BusinessCalendar*> CalendarForPolicy(
    const calendar::CalendarRegistry& calendars, const sla_policy::PolicySet& policies,
    const std::string& policy_file, const std::string& calendar_dir) {
  const std::string& region = policies.region();
  if (calendars.Has(region)) return &calendars.ForRegion(region);
  const std::string where = "policy file " + policy_file + ": ";
  const std::string known = " (regions with a calendar in " + calendar_dir + ": " +
                            absl::StrJoin(calendars.Regions(), ", ") + ")";
  if (region.empty()) {
    return absl::FailedPreconditionError(where + "no region: set `region`" + known);
  }
  return absl::FailedPreconditionError(where + "region \"" + region +
                                       "\" has no business calendar" + known + "; add " + region +
                                       ".calendar and its year files, or set sla.calendar_dir");
}

}  // namespace complaints::sla_timer
