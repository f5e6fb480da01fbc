#pragma once

namespace complaints::events {

// The topic names are the platform's contract with telephony, branch systems and operations.
inline constexpr char kIvrCallsTopic[] = "ivr.calls.v1";
inline constexpr char kReceivedTopic[] = "complaints.received.v1";
inline constexpr char kAssignmentsTopic[] = "complaints.assignments.v1";
inline constexpr char kCaseTopic[] = "complaints.case.v1";
inline constexpr char kSlaAlertsTopic[] = "sla.alerts.v1";
inline constexpr char kFollowUpTasksTopic[] = "followup.tasks.v1";
// Owned by routing: each version of the routing rules put in force (RulesReloaded), keyed "rules".
inline constexpr char kRulesTopic[] = "routing.rules.v1";
// Owned by operators (complaintctl): each dead letter re-driven to its topic (DeadLetterRedrive),
// keyed by the dead letter's coordinates.
inline constexpr char kRedrivesTopic[] = "ops.redrives.v1";
// Owned by analytics: hot spots (volume rises, mass-complaint bursts), HotSpotAlert.
inline constexpr char kHotSpotsTopic[] = "analytics.hotspots.v1";

}  // namespace complaints::events
