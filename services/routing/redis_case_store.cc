#include "services/routing/redis_case_store.h"

#include "libs/redis/proto_value.h"

namespace complaints::routing {

absl::StatusOr<std::optional<routing::v1::CaseRecord>> RedisCaseStore::Get(
    const std::string& complaint_id) {
  routing::v1::CaseRecord record;
  auto found = redis::GetMessage(*pool_, Key(complaint_id), &record);
  if (!found.ok()) return found.status();
  if (!*found) return std::nullopt;
  return record;
}

absl::Status RedisCaseStore::Put(const routing::v1::CaseRecord& record) {
  return redis::SetMessage(*pool_, Key(record.case_().complaint_id()), record);
}

}  // namespace complaints::routing
