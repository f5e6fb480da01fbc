#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  // Kafka principals (User:<name>) that may write it (`owner=`), and that may read it (the
  // catalogue's `readers`). A `.dlq` twin is written by the readers, which dead-letter into it.
  std::vector<std::string> writers = {};
  std::vector<std::string> readers = {};
};

// Format, one topic per line, `#` starts a comment (anywhere on a line):
//   <name> partitions=<n> [replication=<n>] [cleanup=<policy>] [retention=<n>(ms|s|h|d)|forever]
//          [owner=<principal>[,<principal>...]] [readers=<principal>[,<principal>...]]
// plus optional default lines, at most one of each, anywhere in the file:
//   defaults replication=<n>     replication of topics without their own (default 1)
//   dlq retention=<...>          retention of the `.dlq` twins (default 30d)
//   readers <principal>...       the services that read the topics (and write the twins);
//                                a topic's `readers=` adds outside consumers of that topic only
// Topics without `retention=` keep records forever; cleanup defaults to delete. Names use
// Kafka's characters [A-Za-z0-9._-]; a name may not end in `.dlq` (twins are generated) nor
// appear twice. Errors name the line. The returned list has each topic followed by its twin.
absl::StatusOr<std::vector<TopicSpec>> ParseTopicCatalogue(std::string_view text);

// What EnsureTopics did with one topic.
struct TopicOutcome {
  std::string name;
  bool created = false;  // false: it existed already
  int32_t partitions = 0;
};

// Creates missing topics; existing topics are left as they are (idempotent). Fails if an existing
// topic has fewer partitions than the catalogue asks for, since co-partitioning depends on it.
// Returns once every topic is visible in the cluster metadata with a leader for each partition,
// so producers can use them at once. `outcomes`, if given, receives one entry per topic reached.
absl::Status EnsureTopics(const KafkaConfig& config, const std::vector<TopicSpec>& topics,
                          absl::Duration timeout, std::vector<TopicOutcome>* outcomes = nullptr);

// One ALLOW rule for the broker's authorizer: `principal` (User:<name>) may `operation` the
// topic or consumer group `resource` ("*": every group).
struct AclGrant {
  enum class Resource { kTopic, kGroup };
  enum class Operation { kRead, kWrite };
  Resource resource_type = Resource::kTopic;
  std::string resource;
  std::string principal;
  Operation operation = Operation::kRead;
  friend bool operator==(const AclGrant&, const AclGrant&) = default;
};

// What the catalogue allows, and nothing else (the broker denies what no ACL allows): each
// topic's writers may write it, its readers may read it, and every reader may join consumer
// groups (whose offsets it commits). Writing implies describing, as reading does.
std::vector<AclGrant> AclPlan(const std::vector<TopicSpec>& topics);

// Creates `grants` on a broker that runs an authorizer (creating one that exists is a no-op),
// and returns once the broker's authorizer holds every one of them (DescribeAcls), so that a
// client started next is not refused. Run with a super user's credentials. Grants the catalogue no longer names are left in place:
// revoking is an operator's decision.
absl::Status EnsureAcls(const KafkaConfig& config, const std::vector<AclGrant>& grants,
                        absl::Duration timeout);

// Deletes `grants` (one not held is no error). For tests that grant something of their own, and
// for an operator revoking what the catalogue no longer names.
absl::Status RevokeAcls(const KafkaConfig& config, const std::vector<AclGrant>& grants,
                        absl::Duration timeout);

// Deletes `names` (a missing one is no error) and waits until the broker's metadata no longer
// lists them. For tests that take a topic away under a running consumer, and for operators'
// tools; the platform itself never deletes topics.
absl::Status DeleteTopics(const KafkaConfig& config, const std::vector<std::string>& names,
                          absl::Duration timeout);

}  // namespace complaints::kafka
