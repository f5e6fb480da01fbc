#pragma once

#include <string>

#include "absl/time/time.h"
#include "libs/redis/redis_pool.h"
#include "services/routing/merge_parking.h"

namespace complaints::routing {

// <prefix>parked:<target id>: hash of parked complaint id -> serialized ComplaintReceived
// (EXPIRE ttl). Rebuilt like everything else: the replay of complaints.received.v1 parks again
// whatever finds its target not yet routed.
class RedisMergeParking final : public MergeParking {
 public:
  RedisMergeParking(redis::RedisPool* pool, std::string prefix, absl::Duration ttl)
      : pool_(pool), prefix_(std::move(prefix)), ttl_(ttl) {}

  absl::Status Park(const events::v1::ComplaintReceived& complaint) override;
  absl::StatusOr<std::vector<events::v1::ComplaintReceived>> Parked(
      const std::string& target) override;
  absl::Status Unpark(const std::string& target, const std::string& complaint_id) override;
  absl::StatusOr<std::vector<std::string>> WithParked(
      const std::vector<std::string>& targets) override;

 private:
  redis::RedisPool* pool_;
  const std::string prefix_;
  const absl::Duration ttl_;
};

}  // namespace complaints::routing
