#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/kafka/consumer.h"
#include "libs/redis/redis_pool.h"
#include "libs/runtime/periodic_task.h"
#include "libs/runtime/state_readiness.h"

namespace complaints::runtime {

// A service's Redis state is a cache of Kafka topics, the system of record. When Redis loses it
// (a restart without persistence, FLUSHALL, a failover to an empty replica), the state must be
// rebuilt by replaying the topics before anything trusts it again. RebuildGuard does this for
// one consumer, with a marker per topic partition in Redis:
//
//   <prefix>rebuild:<topic>:<partition> = "ready" | "replaying:<end offset>"
//
// - Before each batch, the markers of the batch's partitions are read (one round trip). A
//   partition whose marker is missing, or says "replaying" while this member is not replaying
//   it (a replay cut short by a crash or a rebalance), is replayed: its marker is set to
//   "replaying:<end>" (the partition's end at that moment), the consumer rewinds it to its
//   beginning, and the batch's records of it wait for the replay. A check every
//   `check_interval` does the same for assigned partitions that see no traffic.
// - Once the replay has handled the record just before <end>, the marker says "ready".
// - Readers and commands check readiness() before trusting the state of a complaint:
//   Unavailable while its partition is being replayed (or its marker is gone), so nobody acts on
//   half a state.
// A fresh deployment replays every partition once (it has no markers); the handlers are
// idempotent, as they must be for at-least-once delivery anyway.
class RebuildGuard {
 public:
  struct Options {
    std::string marker_prefix;        // the service's key prefix, e.g. "routing:"
    std::vector<std::string> topics;  // what the state is rebuilt from (co-partitioned, keyed by
                                      // complaint, except where CheckAllReady is used)
    absl::Duration check_interval = absl::Seconds(1);
    // Replay order: a topic -> the topic whose partition of the same number must be complete
    // before its own replay starts. Meanwhile the partition is deferred (Consumer::Defer:
    // paused, nothing of it handled). Routing replays complaints.received.v1 after
    // complaints.case.v1, so that a complaint routed before the loss is found routed, not
    // routed again by the rules (and rules version) in force now. The topic waited for must
    // not itself wait for this one.
    std::map<std::string, std::string> replay_after = {};
  };

  RebuildGuard(redis::RedisPool* pool, Options options);
  ~RebuildGuard();
  RebuildGuard(const RebuildGuard&) = delete;
  RebuildGuard& operator=(const RebuildGuard&) = delete;

  // Chains the guard's assignment hooks before `options`' own.
  void Install(kafka::ConsumerOptions& options);
  // The consumer whose partitions are guarded, once created; starts the idle check.
  void Attach(kafka::Consumer* consumer);
  // Told true from Attach until the first check finds this member's partitions complete, and
  // whenever it replays until it is done: the service reports NOT_SERVING meanwhile
  // (DependencyHealth::Reporter). Set before Attach.
  void ReportTo(std::function<void(bool replaying)> report) { report_ = std::move(report); }
  void Stop();

  // A batch handler that applies `handler` record by record, in order, behind the markers. A
  // record that fails transiently fails the later records of its partition in the batch too,
  // so that nothing is applied out of order.
  kafka::BatchHandler Wrap(kafka::RecordHandler handler);
  // The same behind the markers for a handler of many records at once (one that loads and
  // writes a batch's state in a few round trips): it is given the records of the partitions
  // that are ready, in order. After a partition's first record that fails transiently, its
  // later records in the batch are failed the same way whatever the handler answered (they are
  // retried in order; the handler must be idempotent), and a replay is complete only once every
  // record up to its end has been done.
  kafka::BatchHandler WrapBatch(kafka::BatchHandler handler);

  // Whether the state of a complaint, or of all, is complete (state_readiness.h).
  const StateReadiness& readiness() const { return readiness_; }
  // How many times a replay was asked for (a partition's marker missing or stale: Redis may have
  // lost state since). A handler that skips work it knows Redis already holds (written by this
  // process) trusts that knowledge only while this count is unchanged since the write.
  uint64_t replays_started() const { return replays_started_.load(); }
  // From the attached consumer's metadata, cached per topic; Unavailable before Attach.
  absl::StatusOr<int32_t> PartitionCount(const std::string& topic);

 private:
  using Partition = std::pair<std::string, int32_t>;

  // Replays `partition` from its beginning unless this member is doing so already, or defers it
  // while the partition it is replayed after is incomplete; false if it could not start (Redis
  // or Kafka down: the caller retries).
  bool StartReplay(const Partition& partition);
  // Whether `partition` must wait for another partition's replay (Options::replay_after), which
  // it then does (deferred); nullopt when that could not be read.
  std::optional<bool> WaitsForAnother(const Partition& partition, kafka::Consumer* consumer);
  bool NeedsReplay(const Partition& partition, const std::string& marker);
  void CheckAssigned();
  void Finished(const Partition& partition, int64_t offset);
  // The partitions of `records` that must not be handled now, with the status their records
  // get: Redis down, or state being rebuilt (whose replay this starts).
  std::map<Partition, absl::Status> HoldUnready(const std::vector<kafka::IncomingRecord>& records);

  redis::RedisPool* pool_;
  const Options options_;
  std::atomic<kafka::Consumer*> consumer_{nullptr};
  std::atomic<uint64_t> replays_started_{0};
  StateReadiness readiness_;

  std::mutex mu_;
  std::set<Partition> assigned_;
  std::map<Partition, int64_t> replaying_;  // by this member, with the end offset it replays to
  std::set<Partition> deferred_;  // by this member, until what they are replayed after is done
  std::map<std::string, int32_t> partition_counts_;

  // Reports a change of outage_ (replaying, or not yet checked) to report_.
  void SetOutage(bool outage);

  std::function<void(bool)> report_;
  std::atomic<bool> outage_{false};
  absl::Time attached_at_ = absl::InfinitePast();
  std::unique_ptr<PeriodicTask> checker_;
};

}  // namespace complaints::runtime
