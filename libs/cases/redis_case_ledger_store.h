#pragma once

#include <functional>
#include <string>

#include "libs/cases/case_ledger_store.h"
#include "libs/redis/redis_pool.h"

namespace complaints::cases {

// The ledger in Redis: per complaint a hash `<prefix>case:<id>` with the revision (`rev`), the
// serialized CaseRecord (`record`) and where the unit index lists it (`ix`: unit, tab, state
// number), replaced by a Lua compare-and-set; a set `<prefix>case-pending` of the complaints
// whose record holds pending records; and per unit a sorted set `<prefix>case-unit:<unit>` of
// the complaints with that unit, scored by their state's number (UnitCases). The prefix is
// shared by every writer of complaints.case.v1 (routing, follow-up, the SLA timer).
//
// The script names the pending set beside the case key: not for Redis Cluster, which the
// platform does not use (a primary with replicas).
class RedisCaseLedgerStore final : public CaseLedgerStore {
 public:
  explicit RedisCaseLedgerStore(redis::RedisPool* pool, std::string prefix = "")
      : pool_(pool), prefix_(std::move(prefix)) {}

  absl::StatusOr<StoredCase> Load(const std::string& complaint_id) override;
  absl::StatusOr<bool> CompareAndSet(const std::string& complaint_id, int64_t expected_revision,
                                     const routing::v1::CaseRecord& record,
                                     absl::Duration ttl) override;
  absl::StatusOr<std::vector<std::string>> PendingCases(int limit) override;
  // One round trip each: a pipeline of HMGETs, and scripts of many writes each.
  std::vector<absl::StatusOr<StoredCase>> LoadMany(const std::vector<std::string>& ids) override;
  std::vector<absl::StatusOr<bool>> CompareAndSetMany(const std::vector<Write>& writes) override;
  // Three commands a write (the revision, the record, the pending set) against seven.
  std::vector<absl::StatusOr<bool>> ClearPendingMany(const std::vector<Write>& writes) override;
  absl::StatusOr<std::vector<routing::v1::Case>> UnitCases(
      const std::string& unit, const std::vector<routing::v1::CaseState>& states) override;

  std::string CaseKey(const std::string& complaint_id) const {
    return prefix_ + "case:" + complaint_id;
  }

 private:
  void AppendCompareAndSetArgs(const Write& w, std::vector<std::string>& args) const;
  // `writes` through `script`, many a call (KEYS: the pending set, then each write's case; ARGV:
  // `shared_args`, then each write's), the calls pipelined: one result per write, in order.
  std::vector<absl::StatusOr<bool>> RunWrites(
      const redis::Script& script, const std::vector<Write>& writes,
      const std::vector<std::string>& shared_args,
      const std::function<void(const Write&, std::vector<std::string>&)>& append_args,
      const std::string& what);
  std::string PendingKey() const { return prefix_ + "case-pending"; }
  std::string UnitKey(const std::string& unit) const { return prefix_ + "case-unit:" + unit; }

  redis::RedisPool* pool_;
  std::string prefix_;
};

}  // namespace complaints::cases
