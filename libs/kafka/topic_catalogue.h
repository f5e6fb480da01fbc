#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/kafka/kafka_config.h"

namespace complaints::kafka {

// One topic of the declarative catalogue (deploy/topics.conf). Every topic gets a `.dlq` twin
// with the same partition count, delete cleanup and the DLQ retention.
struct TopicSpec {
  std::string name;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::string cleanup_policy = "delete";  // delete | compact | compact,delete
  int64_t retention_ms = -1;              // -1: forever
};

// Format, one topic per line, `#` comments:
//   <name> partitions=<n> [replication=<n>] [cleanup=<policy>] [retention=<n>(ms|h|d)|forever]
// plus optional default lines `defaults replication=<n>` and `dlq retention=<...>`.
// The returned list includes the `.dlq` twins.
absl::StatusOr<std::vector<TopicSpec>> ParseTopicCatalogue(std::string_view text);

// Creates missing topics; existing topics are left as they are (idempotent). Fails if an existing
// topic has fewer partitions than the catalogue asks for, since co-partitioning depends on it.
absl::Status EnsureTopics(const KafkaConfig& config, const std::vector<TopicSpec>& topics,
                          absl::Duration timeout);

}  // namespace complaints::kafka
