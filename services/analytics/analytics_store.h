#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/analytics/v1/analytics.pb.h"

namespace complaints::analytics {

// What one record contributes: a timeline entry and the counters it bumps.
struct Observation {
  std::string complaint_id;
  analytics::v1::TimelineEntry entry;  // counted by entry.kind()
  std::string category;                // counted when not empty
  std::string unit;                    // counted when not empty
};

// Timelines and counters, rebuilt by replaying the complaint topics.
class AnalyticsStore {
 public:
  virtual ~AnalyticsStore() = default;
  // Per observation, atomically and in order: unless an event with the same entry.event_id was
  // recorded for the complaint, appends the entry to its timeline and bumps the counters. One
  // result each, in the same order: whether it was new, or why it failed (a replay records
  // hundreds of thousands, so the Redis store does a batch in one round trip).
  virtual std::vector<absl::StatusOr<bool>> RecordAll(
      const std::vector<Observation>& observations) = 0;
  absl::StatusOr<bool> Record(const Observation& observation) {
    return std::move(RecordAll({observation}).front());
  }
  // The complaint's entries in arrival order; empty for an unknown complaint.
  virtual absl::StatusOr<std::vector<analytics::v1::TimelineEntry>> Timeline(
      const std::string& complaint_id) = 0;
  virtual absl::StatusOr<analytics::v1::GetCountsResponse> Counts() = 0;
};

}  // namespace complaints::analytics
