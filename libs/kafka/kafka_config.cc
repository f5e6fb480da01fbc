#include "libs/kafka/kafka_config.h"

namespace complaints::kafka {

KafkaConfig KafkaConfig::FromConfig(const common::Config& config) {
  KafkaConfig kafka;
  kafka.bootstrap_servers = config.GetString("kafka.bootstrap", kafka.bootstrap_servers);
  kafka.client_id = config.GetString("kafka.client_id", kafka.client_id);
  kafka.extra = config.WithPrefix("kafka.client.");
  return kafka;
}

}  // namespace complaints::kafka
