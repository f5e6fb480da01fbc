#include "libs/kafka/consumer_metrics.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

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

void ConsumerMetrics::ReportLag(
    RdKafka::KafkaConsumer& consumer,
    const std::map<std::pair<std::string, int32_t>, int64_t>& next_offsets, absl::Duration every) {
  const absl::Time now = absl::Now();
  if (now - last_report_ < every) return;
  last_report_ = now;
  for (const auto& [partition, next] : next_offsets) {
    int64_t low = 0, high = 0;
    if (consumer.get_watermark_offsets(partition.first, partition.second, &low, &high) !=
            RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    Lag().With({group_, partition.first, std::to_string(partition.second)})
        .Set(static_cast<double>(std::max<int64_t>(high - next, 0)));
  }
}

void ConsumerMetrics::Forget(const std::string& topic, int32_t partition) {
  Lag().Remove({group_, topic, std::to_string(partition)});
}

void ConsumerMetrics::CountDeadLetter(const std::string& topic, const std::string& code) {
  DeadLetters().With({group_, topic, code}).Increment();
}

}  // namespace complaints::kafka
