#pragma once

#include "libs/calendar/business_calendar.h"
#include "services/sla_timer/policy_calendar.h"

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

}  // namespace complaints::sla_timer
