#pragma once

#include <string>

#include "libs/redis/redis_pool.h"
#include "services/followup/followup_store.h"

namespace complaints::followup {

// Follow-up state in Redis, every key under `prefix` (default "followup:"):
//   <prefix>case:<complaint id>  hash: level (enum number), task_id + task (the open task, a
//                                serialized FollowUpTask), outcome:<task id> ("<outcome>|<effect>")
//   <prefix>seen:<complaint id>  set: ids of the case events applied
// Everything but the outcomes is rebuilt by replaying complaints.case.v1; lost outcomes only
// make a repeated RecordOutcome publish its (deterministic) records again.
class RedisFollowUpStore final : public FollowUpStore {
 public:
  // A closed case's keys expire `closed_ttl` after the close; an open case's never do.
  explicit RedisFollowUpStore(redis::RedisPool* pool, std::string prefix = "followup:",
                              absl::Duration closed_ttl = absl::Hours(24 * 90))
      : pool_(pool), prefix_(std::move(prefix)), closed_ttl_(closed_ttl) {}

  absl::StatusOr<CaseState> Get(const std::string& complaint_id) override;
  absl::StatusOr<bool> Seen(const std::string& complaint_id, const std::string& event_id) override;
  absl::StatusOr<bool> Apply(const std::string& complaint_id, const std::string& event_id,
                             const CaseChange& change) override;
  absl::StatusOr<RecordedOutcome> ClaimOutcome(const std::string& complaint_id,
                                               const std::string& task_id,
                                               const RecordedOutcome& outcome) override;
  absl::Status AdvanceOpenTask(const std::string& complaint_id,
                               const std::string& expected_task_id,
                               const std::optional<events::v1::FollowUpTask>& next) override;
  // One pipelined round trip each; ApplyMany runs one script per complaint (atomic).
  std::vector<absl::StatusOr<Known>> GetMany(const std::vector<Ask>& asks) override;
  std::vector<absl::StatusOr<std::vector<bool>>> ApplyMany(
      const std::vector<Changes>& changes) override;

 private:
  static absl::StatusOr<CaseState> DecodeState(const std::string& complaint_id,
                                               const redis::Reply& reply);
  std::string CaseKey(const std::string& complaint_id) const;
  std::string SeenKey(const std::string& complaint_id) const;

  redis::RedisPool* pool_;
  const std::string prefix_;
  const absl::Duration closed_ttl_;
};

}  // namespace complaints::followup
