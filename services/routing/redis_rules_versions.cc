#include "services/routing/redis_rules_versions.h"

#include "absl/strings/str_cat.h"

namespace complaints::routing {
namespace {

// ARGV: the digest to number, then the latest version announced and its digest. A registry
// missing or behind the announcements starts again from them.
const redis::Script kVersionFor(R"lua(
local latest = redis.call('HMGET', KEYS[1], 'version', 'digest')
local announced = tonumber(ARGV[2])
if not latest[1] or tonumber(latest[1]) < announced then
  latest = {ARGV[2], ARGV[3]}
  redis.call('HSET', KEYS[1], 'version', ARGV[2], 'digest', ARGV[3])
end
if latest[2] == ARGV[1] then return tonumber(latest[1]) end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'digest', ARGV[1])
return version
)lua");

}  // namespace

absl::StatusOr<int64_t> RedisRulesVersions::VersionFor(const std::string& digest) {
  auto announced = latest_announced_();
  if (!announced.ok()) return announced.status();
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Eval(kVersionFor, {key_},
                              {digest, absl::StrCat(announced->version), announced->digest});
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kInteger) {
    return absl::InternalError("rules version: the script answered no number");
  }
  return reply->integer;
}

}  // namespace complaints::routing
