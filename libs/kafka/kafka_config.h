#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "libs/common/config.h"

namespace complaints::kafka {

// Client settings shared by producers and consumers.
struct KafkaConfig {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string client_id = "complaints";
  // Passed to librdkafka verbatim (security.protocol, sasl.*, ssl.*, ...): from config keys
  // `kafka.client.<librdkafka property>`.
  std::map<std::string, std::string> extra;

  // From `kafka.bootstrap`, `kafka.client_id` and `kafka.client.*`.
  static KafkaConfig FromConfig(const common::Config& config);
};

}  // namespace complaints::kafka
