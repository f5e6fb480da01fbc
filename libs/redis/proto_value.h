#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "libs/redis/redis_pool.h"

namespace complaints::redis {

// A protobuf message stored whole, serialized, as the string value of one key.

// Reads `key` into `out`: false when the key does not exist (`out` is left alone), DataLoss
// naming the key when the value does not parse as `out`'s type, otherwise the pool's or the
// command's error.
absl::StatusOr<bool> GetMessage(RedisPool& pool, const std::string& key,
                                google::protobuf::Message* out);

// SET `key` to the serialized `message` (idempotent, so safe for RedisClient's blind retry).
absl::Status SetMessage(RedisPool& pool, const std::string& key,
                        const google::protobuf::Message& message);

}  // namespace complaints::redis
