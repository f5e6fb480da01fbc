#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/redis/redis_client.h"

namespace complaints::redis {

// Runs `script`, which only reads, with EVALSHA_RO (Redis 7): one ACL user may run it on keys it
// may only read (`%R~<pattern>`), which EVALSHA refuses with NOPERM since it declares its keys
// as written. The SHA1 comes from SCRIPT LOAD, once per process and script; NOSCRIPT (a server
// that lost its script cache) loads it again and retries once. A write inside the script fails
// (Unavailable, as every error raised by our scripts).
absl::StatusOr<Reply> EvalReadOnly(RedisClient& client, const Script& script,
                                   const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args);

}  // namespace complaints::redis
