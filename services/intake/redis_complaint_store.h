#pragma once

#include "libs/redis/redis_pool.h"
#include "services/intake/complaint_store.h"

namespace complaints::intake {

// Complaints as serialized ComplaintReceived values under `intake:complaint:<id>`.
class RedisComplaintStore final : public ComplaintStore {
 public:
  explicit RedisComplaintStore(redis::RedisPool* pool) : pool_(pool) {}

  absl::StatusOr<std::optional<events::v1::ComplaintReceived>> Get(
      const std::string& complaint_id) override;
  absl::Status Put(const events::v1::ComplaintReceived& complaint) override;

 private:
  redis::RedisPool* pool_;
};

}  // namespace complaints::intake
