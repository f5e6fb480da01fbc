#include "services/routing/redis_case_store.h"

namespace complaints::routing {

absl::StatusOr<std::optional<routing::v1::CaseRecord>> RedisCaseStore::Get(
    const std::string& complaint_id) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  auto reply = (*redis)->Command({"GET", Key(complaint_id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::nullopt;
  routing::v1::CaseRecord record;
  if (!record.ParseFromString(reply->str)) {
    return absl::DataLossError("stored case " + complaint_id + " does not parse");
  }
  return record;
}

absl::Status RedisCaseStore::Put(const routing::v1::CaseRecord& record) {
  auto redis = pool_->Acquire();
  if (!redis.ok()) return redis.status();
  return (*redis)
      ->Command({"SET", Key(record.case_().complaint_id()), record.SerializeAsString()})
      .status();
}

}  // namespace complaints::routing
