#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/cloud_event.h"
#include "libs/kafka/kafka_config.h"
#include "libs/kafka/producer.h"

namespace complaints::kafka {

struct IncomingRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  Headers headers;
  absl::Time timestamp = absl::UnixEpoch();
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator==(const TopicPartition&) const = default;
};

struct ConsumerOptions {
  std::string group_id;
  std::vector<std::string> topics;
  // Backoff between retries of a record whose handler failed transiently.
  absl::Duration retry_backoff = absl::Milliseconds(200);
  absl::Duration max_retry_backoff = absl::Seconds(5);
  // Called from the consumer thread (inside poll) when partitions are assigned or revoked by a
  // rebalance, before records of assigned partitions are delivered. The protocol is eager: a
  // revocation takes the member's whole assignment, and the next assignment names it all.
  std::function<void(const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;
  // Called from the consumer thread with true when the consumer starts waiting to retry records
  // because a dependency failed (a transient status other than Aborted, or a dead letter that
  // could not be published), and with false once those records are done (or abandoned). Lets
  // the service report itself unhealthy during an outage (runtime::DependencyHealth) without
  // this library knowing about health checks. Aborted (a concurrent writer won a race) is a
  // normal retry, not an outage, and is not reported.
  std::function<void(bool retrying)> on_retrying;
  // Called from the consumer thread with true when a subscribed topic is found missing (deleted
  // under the consumer: nothing of it can be read, and the consumer waits for it to be created
  // again), and with false once every subscribed topic exists again. Reported apart from
  // on_retrying (runtime::ReportRetryingTo wires both to the service's health).
  std::function<void(bool missing)> on_topics_missing;
  // A consumer whose assignment was lost (its session timed out, e.g. while the broker was
  // down) and that has not been given an assignment again within this time stops with an
  // error, so that its process is restarted and rejoins: seen after a broker restart, a member
  // stuck waiting for its lost partitions' unassignment to complete, never rejoining while its
  // partitions went unread. Zero: wait forever.
  absl::Duration lost_assignment_timeout = absl::Seconds(60);
  // librdkafka settings for this consumer alone, over the library's defaults (the service's
  // kafka.client.* still win): e.g. fetch.min.bytes and fetch.wait.max.ms for a consumer whose
  // records need no haste, so that the broker answers it a batch at a time rather than a fetch
  // per record.
  std::map<std::string, std::string> client_settings;
};

// What a handler's status means to the consumer:
//  - OK: the record's effect is done; its offset is stored (committed in the background).
//  - Unavailable, DeadlineExceeded, Aborted, ResourceExhausted: transient (broker or Redis
//    down, a topic missing, an ACL not granted...: see redis::ErrorStatus and the Kafka error
//    mapping in rdkafka_util.h); the same record is retried with capped exponential backoff
//    (retry_backoff doubling up to max_retry_backoff) until it succeeds or the consumer stops.
//    Nothing is skipped while a dependency is down; on_retrying reports the outage.
//  - anything else: the record is bad; it is copied to `<topic>.dlq` with the reason in
//    headers (dlq_reason, dlq_code, dlq_topic, dlq_partition, dlq_offset, dlq_group, dlq_time)
//    plus its original headers (minus any earlier dlq_* ones), and its offset is stored: the
//    partition moves on. If the dead letter cannot be published, that is retried like a
//    transient error (the handler is not called again): a record is never skipped.
//  - A partition revoked while its record is being retried is given up: the new owner gets the
//    record again, as its offset was never stored.
using RecordHandler = std::function<absl::Status(const IncomingRecord&)>;

// Several records at once (RunBatches), in the order they were fetched (a partition's records in
// offset order; partitions interleaved), for handlers that amortise a round trip over many
// records. Returns one status per record, in the same order, each with the meaning above.
// Records are independent to the consumer: a record that is done is not handled again even when
// an earlier record of its partition is retried, so a handler whose records depend on each
// other (the same complaint) must fail the later ones when it fails an earlier one.
using BatchHandler = std::function<std::vector<absl::Status>(const std::vector<IncomingRecord>&)>;

bool IsTransient(const absl::Status& status);

// A group consumer with eager rebalancing (the range assignor), auto offset store disabled (offsets are
// stored only after the handler's effect is done) and auto commit of stored offsets.
//
// While a record is being retried, every partition of the consumer is paused (the dependency
// that is down is most likely shared) and the wait is spent in consume(), so rebalances and
// group membership are served; the backoff stays far below max.poll.interval.ms (300 s).
// Settings: auto.offset.reset=earliest and max.poll.interval.ms may be changed through
// KafkaConfig::extra; group.id, partition.assignment.strategy, enable.auto.offset.store and
// enable.auto.commit are fixed.
class Consumer {
 public:
  // `dead_letters` publishes DLQ records; it must outlive the consumer.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(const KafkaConfig& config,
                                                          ConsumerOptions options,
                                                          Publisher* dead_letters);
  ~Consumer();

  // Polls and dispatches records one at a time until Stop(); then commits stored offsets and
  // leaves the group. Returns an error only on a fatal client error.
  absl::Status Run(const RecordHandler& handler);

  // Run, `max_batch` records at a time at most: each batch is what the client has already
  // fetched (after waiting for the first record, nothing more is waited for, so a batch adds no
  // latency when traffic is low). Per record, as for Run:
  //  - a partition's offset is stored up to (not past) its first record that is not done yet;
  //  - the records that failed transiently (and those whose dead letter could not be published)
  //    are retried together, in their original order, with the backoff and every partition
  //    paused; the others are not handled again;
  //  - records of a partition revoked or rewound meanwhile are dropped from the batch.
  // max_batch 1 is Run.
  absl::Status RunBatches(const BatchHandler& handler, size_t max_batch);
  // Thread-safe; Run returns soon after.
  void Stop();

  // Thread-safe: before the next batch, every partition of `partitions` still assigned to this
  // member is read again from its beginning, and records already fetched from it are dropped.
  // A record being retried on one of them is abandoned (it comes again with the replay). For
  // rebuilding state that lives outside Kafka (Redis) after it was lost.
  void Rewind(const std::vector<TopicPartition>& partitions);
  // Thread-safe: before the next batch, every partition of `partitions` still assigned to this
  // member is paused: records already fetched from it are dropped (a record being retried on
  // one of them is abandoned) and nothing more is read from it until Rewind names it, which
  // reads it again from its beginning. For a replay that must wait for another partition's
  // (RebuildGuard::Options::replay_after).
  void Defer(const std::vector<TopicPartition>& partitions);

  // Thread-safe, from the broker: the partition's end (high watermark, the offset its next record
  // will get), and how many partitions `topic` has. For knowing where a replay ends.
  absl::StatusOr<int64_t> EndOffset(const TopicPartition& partition, absl::Duration timeout);
  absl::StatusOr<int32_t> PartitionCount(const std::string& topic, absl::Duration timeout);

 private:
  struct Impl;
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace complaints::kafka
