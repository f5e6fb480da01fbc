#include "services/followup/contact_schedule.h"

#include <string>

#include "absl/strings/numbers.h"

namespace complaints::followup {
namespace {

// "08:00" as minutes from midnight; "24:00" is allowed as an end.
std::optional<int> ParseClock(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  int hours = 0;
  int minutes = 0;
  if (!absl::SimpleAtoi(std::string(text.substr(0, 2)), &hours) ||
      !absl::SimpleAtoi(std::string(text.substr(3, 2)), &minutes) || hours < 0 || hours > 24 ||
      minutes < 0 || minutes > 59 || (hours == 24 && minutes != 0)) {
    return std::nullopt;
  }
  return hours * 60 + minutes;
}

absl::StatusOr<absl::Duration> PositiveHours(const common::Config& config, std::string_view key,
                                             absl::Duration fallback) {
  auto hours = config.GetDouble(key, absl::ToDoubleHours(fallback));
  if (!hours.ok()) return hours.status();
  if (*hours <= 0) return absl::InvalidArgumentError(std::string(key) + ": must be positive");
  return absl::Hours(*hours);
}

absl::Time LocalAt(const calendar::BusinessCalendar& calendar, absl::CivilDay day, int minute) {
  return absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), 0, minute),
                         calendar.zone());
}

}  // namespace

absl::StatusOr<ContactPolicy> ContactPolicy::FromConfig(const common::Config& config) {
  ContactPolicy policy;
  const std::string hours = config.GetString("followup.contact_hours", "08:00-21:00");
  const size_t dash = hours.find('-');
  std::optional<int> start = dash == std::string::npos ? std::nullopt
                                                       : ParseClock(hours.substr(0, dash));
  std::optional<int> end = dash == std::string::npos ? std::nullopt
                                                     : ParseClock(hours.substr(dash + 1));
  if (!start || !end || *start >= *end) {
    return absl::InvalidArgumentError(
        "followup.contact_hours: must be HH:MM-HH:MM with the start before the end");
  }
  policy.contact_start_minute = *start;
  policy.contact_end_minute = *end;
  auto first = PositiveHours(config, "followup.first_within_business_hours", policy.first_within);
  if (!first.ok()) return first.status();
  auto sms = PositiveHours(config, "followup.sms_answer_hours", policy.sms_answer_window);
  if (!sms.ok()) return sms.status();
  auto spacing = PositiveHours(config, "followup.callback_spacing_hours", policy.callback_spacing);
  if (!spacing.ok()) return spacing.status();
  auto attempts = config.GetInt("followup.max_attempts", policy.max_attempts);
  if (!attempts.ok()) return attempts.status();
  if (*attempts < 1 || *attempts > 100) {
    return absl::InvalidArgumentError("followup.max_attempts: must be 1 to 100");
  }
  policy.first_within = *first;
  policy.sms_answer_window = *sms;
  policy.callback_spacing = *spacing;
  policy.max_attempts = static_cast<int>(*attempts);
  return policy;
}

events::v1::FollowUpChannel ChooseChannel(const ContactFacts& facts) {
  // One complaint is no history: its own channel says how the customer complained this time,
  // not how they want to be reached.
  if (facts.preference && facts.preference->complaints_in_window() >= 2) {
    const events::v1::ContactPreference& preference = *facts.preference;
    // A customer who demands a reply within a set time wants a person on the line.
    if (preference.usual_demanded_reply_minutes() > 0) return events::v1::FOLLOW_UP_CHANNEL_CALLBACK;
    switch (preference.preferred_channel()) {
      case events::v1::CHANNEL_PHONE:
        return events::v1::FOLLOW_UP_CHANNEL_CALLBACK;
      case events::v1::CHANNEL_ONLINE:
        return events::v1::FOLLOW_UP_CHANNEL_SMS;
      default:
        break;  // no preference the contact systems can use: the case decides
    }
  }
  const bool serious = facts.level == events::v1::LEVEL_MAJOR ||
                       facts.level == events::v1::LEVEL_ESCALATED ||
                       facts.urgency == events::v1::URGENCY_VERY_URGENT || facts.reopen_count > 0;
  return serious ? events::v1::FOLLOW_UP_CHANNEL_CALLBACK : events::v1::FOLLOW_UP_CHANNEL_SMS;
}

absl::Time FitIntoContactHours(const calendar::BusinessCalendar& calendar,
                               const ContactPolicy& policy, absl::Time t, bool holidays_ok) {
  // A year of days at most: a calendar always has working days (Create refuses one without).
  for (int i = 0; i < 400; ++i) {
    const absl::CivilDay day = calendar.DayOf(t);
    if (holidays_ok || calendar.IsWorkingDay(day)) {
      const absl::Time start = LocalAt(calendar, day, policy.contact_start_minute);
      const absl::Time end = LocalAt(calendar, day, policy.contact_end_minute);
      if (t < start) return start;
      if (t < end) return t;
    }
    t = LocalAt(calendar, day + 1, 0);
  }
  return t;
}

absl::Time FirstAttemptDue(const calendar::BusinessCalendar& calendar, const ContactPolicy& policy,
                           absl::Time resolved_at, bool holidays_ok) {
  const absl::Time due = holidays_ok ? resolved_at + policy.first_within
                                     : calendar.AddWorkingTime(resolved_at, policy.first_within);
  return FitIntoContactHours(calendar, policy, due, holidays_ok);
}

std::optional<absl::Time> NextAttemptDue(const calendar::BusinessCalendar& calendar,
                                         const ContactPolicy& policy, absl::Time previous_due,
                                         events::v1::FollowUpChannel previous_channel,
                                         int previous_attempt, bool holidays_ok) {
  if (previous_attempt >= policy.max_attempts) return std::nullopt;
  const absl::Duration wait = previous_channel == events::v1::FOLLOW_UP_CHANNEL_SMS
                                  ? policy.sms_answer_window
                                  : policy.callback_spacing;
  return FitIntoContactHours(calendar, policy, previous_due + wait, holidays_ok);
}

}  // namespace complaints::followup
