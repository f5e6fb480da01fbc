// Creates the topics of the declarative catalogue that do not exist yet (and their `.dlq`
// twins); checks the partition counts of those that do. Safe to run on every start-up.
//
//   ensure_topics --bootstrap HOST:PORT --catalogue deploy/topics.conf
//                 [--replication N] [--config FILE] [--timeout-s N] [--acls]
//
// --replication overrides every topic's replication factor (multi-broker clusters);
// --config reads `kafka.*` settings (SASL/SSL pass-through) from a service config file; the
// credentials come from COMPLAINTS_KAFKA_CREDENTIALS_FILE (a super user's, for --acls);
// --acls also creates the ACLs the catalogue implies (owners write, readers read), on a broker
// that runs an authorizer.

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/config.h"
#include "libs/common/files.h"
#include "libs/kafka/kafka_config.h"
#include "libs/kafka/topic_catalogue.h"

namespace {

constexpr char kUsage[] =
    "usage: ensure_topics --bootstrap HOST:PORT --catalogue FILE [--replication N]\n"
    "                     [--config FILE] [--timeout-s N] [--acls]\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "ensure_topics: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace complaints;
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--acls") {
      flags[arg] = "yes";
      continue;
    }
    const size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    if (name != "--bootstrap" && name != "--catalogue" && name != "--replication" &&
        name != "--config" && name != "--timeout-s") {
      std::fputs(kUsage, stderr);
      return 2;
    }
    if (eq != std::string::npos) {
      flags[name] = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      flags[name] = argv[++i];
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (!flags.contains("--catalogue")) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  auto config = common::Config::Load(flags["--config"]);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  kafka::KafkaConfig kafka_config = kafka::KafkaConfig::FromConfig(*config);
  kafka_config.client_id = "ensure_topics";
  if (flags.contains("--bootstrap")) kafka_config.bootstrap_servers = flags["--bootstrap"];

  auto text = common::ReadFile(flags["--catalogue"]);
  if (!text.ok()) return Fail(std::string(text.status().message()));
  auto topics = kafka::ParseTopicCatalogue(*text);
  if (!topics.ok()) return Fail(std::string(topics.status().message()));

  if (flags.contains("--replication")) {
    int replication;
    if (!absl::SimpleAtoi(flags["--replication"], &replication) || replication < 1 ||
        replication > 32767) {
      return Fail("--replication must be a number in 1..32767");
    }
    for (kafka::TopicSpec& topic : *topics) {
      topic.replication_factor = static_cast<int16_t>(replication);
    }
  }
  int timeout_s = 60;
  if (flags.contains("--timeout-s") &&
      (!absl::SimpleAtoi(flags["--timeout-s"], &timeout_s) || timeout_s < 1)) {
    return Fail("--timeout-s must be a positive number");
  }

  std::vector<kafka::TopicOutcome> outcomes;
  const absl::Status status =
      kafka::EnsureTopics(kafka_config, *topics, absl::Seconds(timeout_s), &outcomes);
  int created = 0;
  for (const kafka::TopicOutcome& outcome : outcomes) {
    created += outcome.created;
    std::printf("%-8s %s (%d partitions)\n", outcome.created ? "created" : "exists",
                outcome.name.c_str(), outcome.partitions);
  }
  if (!status.ok()) return Fail(status.ToString());
  std::printf("%zu topics ready on %s (%d created)\n", topics->size(),
              kafka_config.bootstrap_servers.c_str(), created);
  if (flags.contains("--acls")) {
    const std::vector<kafka::AclGrant> grants = kafka::AclPlan(*topics);
    if (absl::Status acls = kafka::EnsureAcls(kafka_config, grants, absl::Seconds(timeout_s));
        !acls.ok()) {
      return Fail(acls.ToString());
    }
    std::printf("%zu ACLs in place (owners write, readers read)\n", grants.size());
  }
  return 0;
}
