#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/sla_timer/alerts.h"
#include "services/sla_timer/policy.h"

namespace complaints::sla_timer {

// How clocks and scheduled alerts are written in Redis; pure, so it is tested without Redis.

// A clock entry as a hash value: "<R|S>|<due unix ms>|<version>|<armed_at unix ms>|<unit>"
// (R running, S stopped; the unit last, so it may contain anything).
std::string EncodeEntry(const ClockEntry& entry);
absl::StatusOr<ClockEntry> DecodeEntry(ClockKind clock, std::string_view text);

// A scheduled alert as a sorted-set member: "<complaint>|<clock>|<version>|<kind>|<step>"
// (enums by number; read from the right, so the complaint id may contain '|').
std::string EncodeMember(const AlertKey& key);
absl::StatusOr<AlertKey> DecodeMember(std::string_view text);

}  // namespace complaints::sla_timer
