#include "services/intake/redis_complaint_store.h"

namespace complaints::intake {
namespace {
std::string Key(const std::string& complaint_id) { return "intake:complaint:" + complaint_id; }
}  // namespace

absl::StatusOr<std::optional<events::v1::ComplaintReceived>> RedisComplaintStore::Get(
    const std::string& complaint_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"GET", Key(complaint_id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::nullopt;
  events::v1::ComplaintReceived complaint;
  if (!complaint.ParseFromString(reply->str)) {
    return absl::DataLossError("stored complaint " + complaint_id + " does not parse");
  }
  return complaint;
}

absl::Status RedisComplaintStore::Put(const events::v1::ComplaintReceived& complaint) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)->Command({"SET", Key(complaint.complaint_id()), complaint.SerializeAsString()})
      .status();
}

}  // namespace complaints::intake
