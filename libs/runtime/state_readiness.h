#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/redis/redis_pool.h"

namespace complaints::runtime {

// Reads the rebuild markers a RebuildGuard keeps (rebuild_guard.h) to tell whether the Redis
// state of a complaint is complete. Also for a service that reads another service's state: the
// SLA timer and follow-up change cases in the ledger routing rebuilds.
class StateReadiness {
 public:
  using Partition = std::pair<std::string, int32_t>;
  // How many partitions a topic has (from a consumer's metadata).
  using PartitionCount = std::function<absl::StatusOr<int32_t>(const std::string& topic)>;

  StateReadiness(redis::RedisPool* pool, std::string marker_prefix,
                 std::vector<std::string> topics, PartitionCount partition_count)
      : pool_(pool),
        marker_prefix_(std::move(marker_prefix)),
        topics_(std::move(topics)),
        partition_count_(std::move(partition_count)) {}

  // OK if the state of `key`'s partition (the same number on every co-partitioned topic) is
  // complete; Unavailable while it is being rebuilt or before the partition count is known.
  absl::Status CheckReady(std::string_view key) const;
  // OK if every partition of every topic is complete: for answers that span all complaints.
  absl::Status CheckAllReady() const;

  std::string MarkerKey(const std::string& topic, int32_t partition) const;
  // The markers of `partitions`, in order ("" for a missing one).
  absl::StatusOr<std::vector<std::string>> ReadMarkers(
      const std::vector<Partition>& partitions) const;

  const std::vector<std::string>& topics() const { return topics_; }

  static constexpr char kReady[] = "ready";
  static constexpr char kReplaying[] = "replaying:";

 private:
  absl::Status CheckPartitions(const std::vector<Partition>& partitions) const;

  redis::RedisPool* pool_;
  const std::string marker_prefix_;
  const std::vector<std::string> topics_;
  const PartitionCount partition_count_;
};

}  // namespace complaints::runtime
