#pragma once

#include <string>

#include "libs/redis/redis_pool.h"
#include "services/sla_timer/deadline_store.h"

namespace complaints::sla_timer {

// The store in Redis (`<prefix>` is `sla` in production):
//   <prefix>:due:<partition>  sorted set, one member per pending alert
//                             "<complaint>|<clock>|<version>|<kind>|<step>", score = due time
//                             in unix ms of the service clock (or the lease's end once claimed);
//   <prefix>:case:<complaint> hash: `c:<clock>` the clock entry (store_codec.h), `m:<clock>` its
//                             pending member, `offset` the last applied case-event offset,
//                             `seq` the assignment sequence; expires once every clock is stopped.
// Every change touching both runs as one Lua script. Keys of a complaint and its partition are
// not hash-tagged: this layout needs a single Redis primary (with replicas), not Redis Cluster.
class RedisDeadlineStore final : public DeadlineStore {
 public:
  RedisDeadlineStore(redis::RedisPool* pool, std::string prefix = "sla")
      : pool_(pool), prefix_(std::move(prefix)) {}

  absl::StatusOr<CaseClocks> Load(const std::string& complaint_id) override;
  absl::Status Update(int32_t partition, const std::string& complaint_id,
                      const CaseUpdate& update) override;
  absl::StatusOr<std::vector<DueItem>> Claim(int32_t partition, absl::Time now,
                                             absl::Time lease_until, int limit) override;
  absl::StatusOr<std::vector<std::optional<ClockEntry>>> Lookup(
      const std::vector<DueItem>& items) override;
  absl::Status Acknowledge(int32_t partition, const std::vector<Acknowledgement>& acks) override;
  absl::StatusOr<std::optional<absl::Time>> NextDue(int32_t partition) override;

  std::string CaseKey(const std::string& complaint_id) const;
  std::string DueKey(int32_t partition) const;

 private:
  redis::RedisPool* pool_;
  const std::string prefix_;
};

}  // namespace complaints::sla_timer
