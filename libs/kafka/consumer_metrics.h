#pragma once

#include <map>
#include <string>
#include <utility>

#include "absl/time/time.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace complaints::kafka {

// A consumer's figures for /metrics (libs/metrics): its lag per partition and the records it
// dead-letters. Used on the consumer thread only.
class ConsumerMetrics {
 public:
  explicit ConsumerMetrics(std::string group) : group_(std::move(group)) {}

  // kafka_consumer_lag{group, topic, partition}: the partition's high watermark minus the
  // offset after the last record this consumer took from it (`next_offsets`), at most once per
  // `every`. The watermarks are the ones librdkafka caches from its fetches: no request to the
  // broker. A partition nothing was taken from yet has no figure.
  void ReportLag(RdKafka::KafkaConsumer& consumer,
                 const std::map<std::pair<std::string, int32_t>, int64_t>& next_offsets,
                 absl::Duration every = absl::Seconds(1));
  // A partition given to another member: its lag is that member's to report now.
  void Forget(const std::string& topic, int32_t partition);

  // kafka_dead_letters_total{group, topic, code}.
  void CountDeadLetter(const std::string& topic, const std::string& code);

 private:
  const std::string group_;
  absl::Time last_report_ = absl::InfinitePast();
};

}  // namespace complaints::kafka
