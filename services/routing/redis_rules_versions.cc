#include "services/routing/redis_rules_versions.h"

namespace complaints::routing {
namespace {

const redis::Script kVersionFor(R"lua(
local latest = redis.call('HMGET', KEYS[1], 'version', 'digest')
if latest[2] == ARGV[1] then return tonumber(latest[1]) end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'digest', ARGV[1])
return version
)lua");

}  // namespace

absl::StatusOr<int64_t> RedisRulesVersions::VersionFor(const std::string& digest) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kVersionFor, {key_}, {digest});
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kInteger) {
    return absl::InternalError("rules version: the script answered no number");
  }
  return reply->integer;
}

}  // namespace complaints::routing
