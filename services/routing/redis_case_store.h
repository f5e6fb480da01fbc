#pragma once

#include "libs/redis/redis_pool.h"
#include "services/routing/case_store.h"

namespace complaints::routing {

// Case records as serialized CaseRecord values under `<prefix>case:<id>`.
class RedisCaseStore final : public CaseStore {
 public:
  explicit RedisCaseStore(redis::RedisPool* pool, std::string prefix = "routing:")
      : pool_(pool), prefix_(std::move(prefix)) {}

  absl::StatusOr<std::optional<routing::v1::CaseRecord>> Get(const std::string& complaint_id) override;
  absl::Status Put(const routing::v1::CaseRecord& record) override;

 private:
  std::string Key(const std::string& complaint_id) const { return prefix_ + "case:" + complaint_id; }

  redis::RedisPool* pool_;
  std::string prefix_;
};

}  // namespace complaints::routing
