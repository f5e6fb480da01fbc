#pragma once

#include <string>

#include "libs/redis/redis_pool.h"
#include "services/routing/rules_versions.h"

namespace complaints::routing {

// RulesVersions shared by every routing instance: `<prefix>rules:version`, a hash of the latest
// version and its digest, assigned by one Lua script (re-runnable: a retry of a call that ran
// finds its digest latest and answers the same number).
class RedisRulesVersions final : public RulesVersions {
 public:
  RedisRulesVersions(redis::RedisPool* pool, std::string prefix)
      : pool_(pool), key_(std::move(prefix) + "rules:version") {}
  absl::StatusOr<int64_t> VersionFor(const std::string& digest) override;

 private:
  redis::RedisPool* pool_;
  std::string key_;
};

}  // namespace complaints::routing
