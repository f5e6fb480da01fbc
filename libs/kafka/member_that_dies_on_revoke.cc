// A consumer-group member for kafka_integration_test that dies the instant it is asked to give
// up partitions, as a process SIGKILLed in the middle of a rebalance would: no unassignment, no
// rejoin, no LeaveGroup. Prints "assigned <count>" to stdout after each assignment.
//
//   member_that_dies_on_revoke <topic> <group> <group.instance.id>
//
// The broker is $KAFKA_BOOTSTRAP, the credentials $COMPLAINTS_KAFKA_CREDENTIALS_FILE (as the
// test's own clients).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"

int main(int argc, char** argv) {
  using namespace complaints::kafka;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <topic> <group> <group.instance.id>\n", argv[0]);
    return 2;
  }
  KafkaConfig config;
  if (const char* bootstrap = std::getenv("KAFKA_BOOTSTRAP"); bootstrap != nullptr && *bootstrap) {
    config.bootstrap_servers = bootstrap;
  }
  config.client_id = "member_that_dies_on_revoke";
  config.extra["group.instance.id"] = argv[3];
  auto dead_letters = Producer::Create(config);
  if (!dead_letters.ok()) {
    std::fprintf(stderr, "%s\n", dead_letters.status().ToString().c_str());
    return 1;
  }
  ConsumerOptions options;
  options.group_id = argv[2];
  options.topics = {argv[1]};
  size_t owned = 0;
  options.on_assigned = [&owned](const std::vector<TopicPartition>& partitions) {
    owned += partitions.size();
    std::printf("assigned %zu\n", owned);
    std::fflush(stdout);
  };
  options.on_revoked = [](const std::vector<TopicPartition>&) { _exit(0); };
  auto consumer = Consumer::Create(config, std::move(options), dead_letters->get());
  if (!consumer.ok()) {
    std::fprintf(stderr, "%s\n", consumer.status().ToString().c_str());
    return 1;
  }
  const absl::Status status =
      (*consumer)->Run([](const IncomingRecord&) { return absl::OkStatus(); });
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  return 1;
}
