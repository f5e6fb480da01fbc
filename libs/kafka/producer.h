#pragma once

#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/cloud_event.h"
#include "libs/kafka/kafka_config.h"

namespace complaints::kafka {

// One record to publish. `event` becomes the CloudEvents headers; `extra_headers` follow them.
struct OutgoingRecord {
  std::string topic;
  std::string key;
  std::string value;
  CloudEvent event;
  Headers extra_headers;
};

// What service logic publishes through; the Kafka producer implements it, unit tests fake it.
class Publisher {
 public:
  virtual ~Publisher() = default;
  // Returns once every record is durable (acknowledged by all in-sync replicas), or with the
  // first failure. Records of one call are published in order per partition.
  virtual absl::Status Publish(std::span<const OutgoingRecord> records) = 0;
  absl::Status Publish(const OutgoingRecord& record) { return Publish(std::span(&record, 1)); }
};

// An idempotent librdkafka producer (enable.idempotence, acks=all), thread-safe. Keys are
// partitioned with murmur2 like the Java client, so every producer of the platform, whatever
// its language, puts a complaint on the same partition of every co-partitioned topic.
class Producer final : public Publisher {
 public:
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const KafkaConfig& config);
  ~Producer() override;

  absl::Status Publish(std::span<const OutgoingRecord> records) override;
  using Publisher::Publish;

  // Waits for everything in flight; used at shutdown.
  absl::Status Flush(absl::Duration timeout);

 private:
  struct Impl;
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace complaints::kafka
