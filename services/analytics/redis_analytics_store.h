#pragma once

#include <string>
#include <vector>

#include "libs/redis/redis_pool.h"
#include "services/analytics/analytics_store.h"

namespace complaints::analytics {

// Timelines and counters in Redis, every key under `prefix` (default "analytics:"):
//   <prefix>seen:<complaint id>      set: ce_ids recorded
//   <prefix>timeline:<complaint id>  list: serialized TimelineEntry, in arrival order
//   <prefix>count:event_type         hash: kind -> count
//   <prefix>count:category           hash: category -> complaints received
//   <prefix>count:unit               hash: unit -> assignments
// One Lua script per record keeps the four in step; a batch's scripts go in one pipeline.
class RedisAnalyticsStore final : public AnalyticsStore {
 public:
  explicit RedisAnalyticsStore(redis::RedisPool* pool, std::string prefix = "analytics:")
      : pool_(pool), prefix_(std::move(prefix)) {}

  std::vector<absl::StatusOr<bool>> RecordAll(
      const std::vector<Observation>& observations) override;
  absl::StatusOr<std::vector<analytics::v1::TimelineEntry>> Timeline(
      const std::string& complaint_id) override;
  absl::StatusOr<analytics::v1::GetCountsResponse> Counts() override;

 private:
  redis::RedisPool* pool_;
  const std::string prefix_;
};

}  // namespace complaints::analytics
