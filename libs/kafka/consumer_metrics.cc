#include "libs/kafka/consumer_metrics.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "libs/metrics/metrics.h"

namespace complaints::kafka {
namespace {

metrics::Family<metrics::Gauge>& Lag() {
  static auto& family = metrics::Registry::Default().AddGauge(
      "kafka_consumer_lag",
      "Records not yet consumed: the partition's high watermark minus the group's position.",
      {"group", "topic", "partition"});
  return family;
}

metrics::Family<metrics::Counter>& DeadLetters() {
  static auto& family = metrics::Registry::Default().AddCounter(
      "kafka_dead_letters_total", "Records sent to their dead-letter topic, by status code.",
      {"group", "topic", "code"});
  return family;
}

}  // namespace

void ConsumerMetrics::ReportLag(RdKafka::KafkaConsumer& consumer,
                                const std::set<std::pair<std::string, int32_t>>& assigned,
                                absl::Duration every) {
  const absl::Time now = absl::Now();
  if (now - last_report_ < every || assigned.empty()) return;
  last_report_ = now;
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto& [topic, partition] : assigned) {
    partitions.push_back(RdKafka::TopicPartition::create(topic, partition));
  }
  if (consumer.position(partitions) == RdKafka::ERR_NO_ERROR) {
    for (RdKafka::TopicPartition* tp : partitions) {
      int64_t low = 0, high = 0;
      // Before the first fetch neither is known (position is OFFSET_INVALID, high -1): no figure
      // rather than a wrong one.
      if (tp->offset() < 0 ||
          consumer.get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) !=
              RdKafka::ERR_NO_ERROR ||
          high < 0) {
        continue;
      }
      Lag().With({group_, tp->topic(), std::to_string(tp->partition())})
          .Set(static_cast<double>(std::max<int64_t>(high - tp->offset(), 0)));
    }
  }
  RdKafka::TopicPartition::destroy(partitions);
}

void ConsumerMetrics::Forget(const std::string& topic, int32_t partition) {
  Lag().Remove({group_, topic, std::to_string(partition)});
}

void ConsumerMetrics::CountDeadLetter(const std::string& topic, const std::string& code) {
  DeadLetters().With({group_, topic, code}).Increment();
}

}  // namespace complaints::kafka
