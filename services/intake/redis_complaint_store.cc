#include "services/intake/redis_complaint_store.h"

#include "libs/redis/proto_value.h"

namespace complaints::intake {
namespace {
std::string Key(const std::string& complaint_id) { return "intake:complaint:" + complaint_id; }
}  // namespace

absl::StatusOr<std::optional<events::v1::ComplaintReceived>> RedisComplaintStore::Get(
    const std::string& complaint_id) {
  events::v1::ComplaintReceived complaint;
  auto found = redis::GetMessage(*pool_, Key(complaint_id), &complaint);
  if (!found.ok()) return found.status();
  if (!*found) return std::nullopt;
  return complaint;
}

absl::Status RedisComplaintStore::Put(const events::v1::ComplaintReceived& complaint) {
  return redis::SetMessage(*pool_, Key(complaint.complaint_id()), complaint);
}

}  // namespace complaints::intake
