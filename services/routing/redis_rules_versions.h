#pragma once

#include <functional>
#include <string>

#include "libs/redis/redis_pool.h"
#include "services/routing/rules_versions.h"

namespace complaints::routing {

// RulesVersions shared by every routing instance: `<prefix>rules:version`, a hash of the latest
// version and its digest, assigned by one Lua script (re-runnable: a retry of a call that ran
// finds its digest latest and answers the same number).
//
// Redis is a cache here too: the record of the versions is routing.rules.v1. Each call is given
// the latest version announced there (`latest_announced`), and a registry that is missing or
// behind it (Redis restarted empty, or failed over to a replica that lagged) goes on from the
// announced one: a number never names two contents, whatever Redis lost.
class RedisRulesVersions final : public RulesVersions {
 public:
  using LatestAnnounced = std::function<absl::StatusOr<AnnouncedVersion>()>;

  RedisRulesVersions(redis::RedisPool* pool, std::string prefix, LatestAnnounced latest_announced)
      : pool_(pool),
        key_(std::move(prefix) + "rules:version"),
        latest_announced_(std::move(latest_announced)) {}
  absl::StatusOr<int64_t> VersionFor(const std::string& digest) override;

 private:
  redis::RedisPool* pool_;
  std::string key_;
  LatestAnnounced latest_announced_;
};

}  // namespace complaints::routing
