#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "libs/redis/redis_pool.h"
#include "services/sla_timer/store/deadline_store.h"

namespace complaints::sla_timer {

// The store in Redis, laid out for ten million live deadlines at well under 150 bytes each
// (`<prefix>` is `sla` in production; binary formats in store_codec.h):
//
//   <prefix>:c:<complaint>        string: the complaint's clocks, the policy engine's state,
//                                 the last applied case-event offset, and where each clock's
//                                 scheduled alert is; expires once every clock is stopped.
//   <prefix>:b:<p>:<slot>:<n>     sorted set, a bucket of scheduled alerts of partition <p> of
//                                 complaints.case.v1 due in minute <slot> (unix ms / 60000);
//                                 member = the alert (8 bytes + the packed complaint id),
//                                 score = due time in ms from the start of the minute (while
//                                 claimed: the end of the lease, from the same base). A minute
//                                 with more alerts than `bucket_capacity` gets buckets 1, 2...
//                                 so every bucket stays listpack-encoded (~25 bytes an alert).
//   <prefix>:i:<p>                sorted set, the index of partition <p>: member `<slot>:<n>`,
//                                 score = the earliest score in that bucket (absolute ms).
//   <prefix>:h:<p>                hash, minute -> the bucket new alerts of that minute go to,
//                                 for minutes that overflowed their first bucket (a hint).
//   <prefix>:p:<p>                string, the partition's marker: its state is (being) rebuilt
//                                 from complaints.case.v1 (DeadlineStore::MarkPartitions).
//   <prefix>:wb:<unit>:<day>:<n>  sorted set, a bucket of unit <unit>'s worklist: the complaints
//                                 whose first running deadline (WorklistSlotOf) is in day <day>
//                                 (unix ms / 86400000) and is the unit's; member = the packed
//                                 complaint id, score = due time in ms from the start of the
//                                 day. Overflows into buckets 1, 2... like the alert buckets.
//   <prefix>:wi:<unit>, <prefix>:wh:<unit>
//                                 the worklist's index and hints, as :i: and :h: for alerts.
//
// Every change is one Lua script: update (compare-and-set on the offset; drops or replaces the
// clock's scheduled alert, moves the complaint on the worklists), claim (the due alerts of the
// earliest buckets, moved to the end of the lease, in one call), acknowledge (removes an alert only
// if it still has the lease this poller set, and may schedule the clock's next alert). Bucket keys
// are built inside the scripts and the keys are not hash-tagged: one Redis primary (with replicas),
// not Redis Cluster.
class RedisDeadlineStore final : public DeadlineStore {
 public:
  struct Options {
    // Alerts per bucket: at most Redis's zset-max-listpack-entries (128 by default), or the
    // buckets convert to skiplists and take four times the memory.
    int bucket_capacity = 128;
    // Update fails with PartitionStateMissing unless the partition's marker exists, so that
    // nothing is applied to a Redis that lost its data before the partition is replayed.
    bool guard_partitions = false;
    // Deflate the policy engine's state when that makes it smaller (store_codec.h).
    bool compress_policy_state = true;
    // The clocks a policy state describes. When set, an update that carries a policy state
    // does not store the clocks a second time (~15 bytes a clock): LoadCase and Lookup read
    // them from the policy state with this function instead. Once set, keep it set (values
    // written without their clocks need it to be read).
    std::function<absl::StatusOr<std::map<ClockKind, ClockEntry>>(const std::string&)>
        clocks_from_policy_state = nullptr;
  };

  RedisDeadlineStore(redis::RedisPool* pool, std::string prefix = "sla")
      : RedisDeadlineStore(pool, std::move(prefix), Options{}) {}
  RedisDeadlineStore(redis::RedisPool* pool, std::string prefix, Options options)
      : pool_(pool), prefix_(std::move(prefix)), options_(options) {}

  absl::StatusOr<StoredCase> LoadCase(const std::string& complaint_id) override;
  absl::Status Update(int32_t partition, const std::string& complaint_id,
                      const CaseUpdate& update) override;
  // One pipelined round trip each (Update and LoadCase are batches of one).
  std::vector<absl::StatusOr<StoredCase>> LoadCases(const std::vector<std::string>& ids) override;
  std::vector<absl::Status> UpdateCases(const std::vector<CaseWrite>& writes) override;
  absl::StatusOr<std::vector<DueItem>> Claim(int32_t partition, absl::Time now,
                                             absl::Time lease_until, int limit) override;
  absl::StatusOr<std::vector<std::optional<StoredCase>>> Lookup(
      const std::vector<DueItem>& items) override;
  absl::Status Acknowledge(int32_t partition, const std::vector<Acknowledgement>& acks) override;
  absl::StatusOr<WorklistPage> Worklist(const WorklistQuery& query) override;
  absl::StatusOr<std::optional<absl::Time>> NextDue(int32_t partition) override;
  absl::StatusOr<std::vector<int32_t>> UnmarkedPartitions(
      const std::vector<int32_t>& partitions) override;
  absl::Status MarkPartitions(const std::vector<int32_t>& partitions) override;

  std::string CaseKey(const std::string& complaint_id) const;
  std::string IndexKey(int32_t partition) const;
  std::string HintKey(int32_t partition) const;
  std::string MarkerKey(int32_t partition) const;
  // `location` as DueItem carries it: "<slot>:<n>".
  std::string BucketKey(int32_t partition, const std::string& location) const;

  // Scores are milliseconds from the start of the bucket's minute.
  static constexpr int64_t kSlotMillis = 60000;

 private:
  // The SHA1 Redis knows a script by, for pipelined EVALSHA (RedisClient::Eval keeps its own
  // per connection but cannot pipeline).
  struct ScriptSha {
    std::mutex mu;
    std::string value;
  };

  std::string BucketPrefix(int32_t partition) const;
  // A stored value as the caller sees it: with its clocks, from the policy state if need be.
  absl::StatusOr<StoredCase> Decode(const std::string& complaint_id,
                                    const std::string& value) const;
  absl::StatusOr<std::vector<std::string>> UpdateArgs(
      const CaseWrite& write, const std::map<ClockKind, ClockEntry>& clocks) const;
  // `script` once per (keys, args), pipelined; a NOSCRIPT reply is retried through Eval.
  static std::vector<absl::StatusOr<redis::Reply>> EvalMany(
      redis::RedisClient& redis, const redis::Script& script, ScriptSha& sha,
      const std::vector<std::vector<std::string>>& keys,
      const std::vector<std::vector<std::string>>& args);

  redis::RedisPool* pool_;
  const std::string prefix_;
  const Options options_;
  ScriptSha update_sha_;
  ScriptSha ack_sha_;
};

}  // namespace complaints::sla_timer
