#include "services/routing/redis_merge_parking.h"

#include <algorithm>

namespace complaints::routing {

absl::Status RedisMergeParking::Park(const events::v1::ComplaintReceived& complaint) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  const std::string key = prefix_ + "parked:" + complaint.merged_into();
  auto replies = (*redis)->Pipeline(
      {{"HSET", key, complaint.complaint_id(), complaint.SerializeAsString()},
       {"EXPIRE", key, std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(ttl_)))}});
  if (!replies.ok()) return replies.status();
  for (const redis::Reply& reply : *replies) {
    if (reply.type == redis::Reply::Type::kError) return redis::ErrorStatus("HSET parked", reply.str);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<events::v1::ComplaintReceived>> RedisMergeParking::Parked(
    const std::string& target) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"HVALS", prefix_ + "parked:" + target});
  if (!reply.ok()) return reply.status();
  std::vector<events::v1::ComplaintReceived> out;
  for (const redis::Reply& value : reply->elements) {
    if (!out.emplace_back().ParseFromString(value.str)) {
      return absl::DataLossError("parked complaint of " + target + " does not parse");
    }
  }
  return out;
}

absl::Status RedisMergeParking::Unpark(const std::string& target,
                                       const std::string& complaint_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)->Command({"HDEL", prefix_ + "parked:" + target, complaint_id}).status();
}

absl::StatusOr<std::vector<std::string>> RedisMergeParking::WithParked(
    const std::vector<std::string>& targets) {
  std::vector<std::string> out;
  if (targets.empty()) return out;
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  std::vector<std::vector<std::string>> commands;
  commands.reserve(targets.size());
  for (const std::string& target : targets) commands.push_back({"EXISTS", prefix_ + "parked:" + target});
  auto replies = (*redis)->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < targets.size(); ++i) {
    const redis::Reply& reply = (*replies)[i];
    if (reply.type == redis::Reply::Type::kError) return redis::ErrorStatus("EXISTS parked", reply.str);
    if (reply.integer > 0) out.push_back(targets[i]);
  }
  return out;
}

}  // namespace complaints::routing
