#pragma once

#include <string>

#include "absl/time/time.h"
#include "libs/redis/redis_pool.h"
#include "services/intake/history_store.h"

namespace complaints::intake {

// Customer histories in Redis, every key expiring:
//   <prefix>history:<customer key>  hash: complaint id -> serialized HistoryEntry
//                                   (EXPIRE history_ttl, refreshed by each new complaint)
//   <prefix>case:<complaint id>     hash of the case's status: closed (0/1), level (the
//                                   Level's number) (EXPIRE status_ttl)
// Load reads a customer's hash and its complaints' statuses in one script (the status keys are
// computed inside it, so the store needs a single Redis shard, like the claims).
class RedisHistoryStore final : public HistoryStore {
 public:
  RedisHistoryStore(redis::RedisPool* pool, std::string prefix, absl::Duration history_ttl,
                    absl::Duration status_ttl)
      : pool_(pool),
        prefix_(std::move(prefix)),
        history_ttl_(history_ttl),
        status_ttl_(status_ttl) {}

  absl::StatusOr<std::vector<PastComplaint>> Load(const std::string& customer_key) override;
  absl::Status Record(const std::string& customer_key,
                      const intake::v1::HistoryEntry& entry) override;
  std::vector<absl::StatusOr<std::vector<PastComplaint>>> LoadMany(
      const std::vector<std::string>& customer_keys) override;
  absl::Status RecordMany(
      const std::vector<std::pair<std::string, intake::v1::HistoryEntry>>& entries) override;
  absl::Status SetCaseStatuses(const std::vector<CaseStatusChange>& changes) override;

 private:
  redis::RedisPool* pool_;
  const std::string prefix_;
  const absl::Duration history_ttl_;
  const absl::Duration status_ttl_;
};

}  // namespace complaints::intake
