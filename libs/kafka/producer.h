#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/cloud_event.h"
#include "libs/kafka/kafka_config.h"

namespace complaints::kafka {

// One record to publish. `event` becomes the CloudEvents headers; `extra_headers` follow them.
// An empty key is a null key (spread over partitions at random).
struct OutgoingRecord {
  std::string topic;
  std::string key;
  std::string value;
  CloudEvent event;
  Headers extra_headers;
  // Publish `extra_headers` only, as given, without headers from `event`: for copies of records
  // that already carry (or lack) their CloudEvents headers, such as dead letters.
  bool verbatim_headers = false;
};

// Where a published record landed.
struct Delivery {
  int32_t partition = -1;
  int64_t offset = -1;
};

// What service logic publishes through; the Kafka producer implements it, unit tests fake it.
class Publisher {
 public:
  virtual ~Publisher() = default;
  // Returns once every record is durable (acknowledged by all in-sync replicas), with where each
  // landed (in the order of `records`), or with the first failure. Records of one call are
  // published in order per partition.
  virtual absl::StatusOr<std::vector<Delivery>> PublishWithOffsets(
      std::span<const OutgoingRecord> records) = 0;

  absl::Status Publish(std::span<const OutgoingRecord> records) {
    return PublishWithOffsets(records).status();
  }
  absl::Status Publish(const OutgoingRecord& record) { return Publish(std::span(&record, 1)); }
};

// An idempotent librdkafka producer (enable.idempotence, acks=all), thread-safe. Keys are
// partitioned with murmur2 like the Java client, so every producer of the platform, whatever
// its language, puts a complaint on the same partition of every co-partitioned topic.
//
// Settings: `linger.ms` 1 and `message.timeout.ms` 30000 by default (both may be changed through
// KafkaConfig::extra; the timeout bounds how long Publish can block when a broker or topic is
// missing); `enable.idempotence`, `acks` and `partitioner` are fixed. The linger is short
// because the services batch their records themselves (one Publish per batch, waited for): a
// longer one only delays every batch (intake at 1,000 submissions/s: p50 8.3 -> 4.7 ms with 1 ms
// instead of 5, at the same throughput under load; bench/README.md, intake_bench).
class Producer final : public Publisher {
 public:
  struct Options {
    // Called once, on librdkafka's thread, when the producer hits a fatal error (e.g. the broker
    // refused its idempotence PID): every later Publish fails, so a service cannot go on with it.
    std::function<void(const std::string& reason)> on_fatal;
  };
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const KafkaConfig& config,
                                                          Options options = {});
  ~Producer() override;

  absl::StatusOr<std::vector<Delivery>> PublishWithOffsets(
      std::span<const OutgoingRecord> records) override;

  // Waits for everything in flight; used at shutdown.
  absl::Status Flush(absl::Duration timeout);

 private:
  struct Impl;
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace complaints::kafka
