#include "libs/redis/proto_value.h"

namespace complaints::redis {

absl::StatusOr<bool> GetMessage(RedisPool& pool, const std::string& key,
                                google::protobuf::Message* out) {
  auto redis = pool.Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"GET", key});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return false;
  if (!out->ParseFromString(reply->str)) {
    return absl::DataLossError("stored " + out->GetTypeName() + " at " + key + " does not parse");
  }
  return true;
}

absl::Status SetMessage(RedisPool& pool, const std::string& key,
                        const google::protobuf::Message& message) {
  auto redis = pool.Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)->Command({"SET", key, message.SerializeAsString()}).status();
}

}  // namespace complaints::redis
