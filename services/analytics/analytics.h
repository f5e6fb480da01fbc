#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/analytics/v1/analytics.pb.h"
#include "libs/kafka/consumer.h"
#include "services/analytics/analytics_store.h"

namespace complaints::analytics {

// What a record of a complaint topic (received, assignments, case, SLA alerts, follow-up tasks)
// says, as a PII-free timeline entry: never a customer field, never free text. InvalidArgument
// for a record that does not parse, of another topic, or without a complaint id.
absl::StatusOr<Observation> Observe(const kafka::IncomingRecord& record);

// 分析: a timeline per complaint and counters over all of them, from every complaint topic.
class Analytics {
 public:
  // `check_ready` says whether the store is complete (runtime::StateReadiness): answers are
  // refused with Unavailable while it is being replayed from Kafka. Unset: always (tests).
  explicit Analytics(AnalyticsStore* store, std::function<absl::Status()> check_ready = nullptr)
      : store_(store), check_ready_(std::move(check_ready)) {}

  // One record of any complaint topic; a duplicate (same ce_id) changes nothing.
  absl::Status HandleRecord(const kafka::IncomingRecord& record);
  // Many, in order, with one store round trip (a replay after Redis lost the timelines is
  // hundreds of thousands of records): one status per record, as HandleRecord's.
  std::vector<absl::Status> HandleBatch(const std::vector<kafka::IncomingRecord>& records);

  // The complaint's entries by event time, then arrival.
  absl::StatusOr<analytics::v1::GetTimelineResponse> GetTimeline(
      const analytics::v1::GetTimelineRequest& request);
  absl::StatusOr<analytics::v1::GetCountsResponse> GetCounts();

 private:
  AnalyticsStore* store_;
  std::function<absl::Status()> check_ready_;
};

}  // namespace complaints::analytics
