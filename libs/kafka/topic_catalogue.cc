#include "libs/kafka/topic_catalogue.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/kafka/rdkafka_util.h"

namespace complaints::kafka {
namespace {

constexpr absl::string_view kDlqSuffix = ".dlq";
constexpr size_t kMaxTopicName = 249;  // Kafka's limit
constexpr int64_t kDefaultDlqRetentionMs = int64_t{30} * 24 * 3600 * 1000;

absl::Status LineError(int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("topic catalogue line ", line, ": ", message));
}

absl::StatusOr<int64_t> ParseRetention(absl::string_view text) {
  if (text == "forever") return -1;
  static constexpr std::pair<absl::string_view, int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"h", 3600 * 1000}, {"d", 24 * 3600 * 1000}};
  for (const auto& [suffix, millis] : kUnits) {
    if (!absl::EndsWith(text, suffix)) continue;
    int64_t n;
    if (!absl::SimpleAtoi(text.substr(0, text.size() - suffix.size()), &n) || n <= 0 ||
        n > std::numeric_limits<int64_t>::max() / millis) {
      break;
    }
    return n * millis;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("bad retention `", text, "` (want <n>ms|s|h|d or forever)"));
}

absl::StatusOr<int64_t> ParseCount(absl::string_view key, absl::string_view text, int64_t max) {
  int64_t n;
  if (!absl::SimpleAtoi(text, &n) || n < 1 || n > max) {
    return absl::InvalidArgumentError(absl::StrCat(key, " must be a number in 1..", max));
  }
  return n;
}

absl::Status CheckName(absl::string_view name) {
  if (name.size() + kDlqSuffix.size() > kMaxTopicName || name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("bad topic name `", name, "`"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat("bad character in topic name `", name, "`"));
    }
  }
  if (absl::EndsWith(name, kDlqSuffix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", name, "`: dead-letter topics are generated, do not list them"));
  }
  return absl::OkStatus();
}

// A catalogue line's `key=value` words, each key at most once.
absl::StatusOr<std::map<std::string, std::string>> ParseAttributes(
    const std::vector<absl::string_view>& words, const std::set<absl::string_view>& allowed) {
  std::map<std::string, std::string> out;
  for (size_t i = 1; i < words.size(); ++i) {
    const size_t eq = words[i].find('=');
    if (eq == absl::string_view::npos || eq == 0 || eq + 1 == words[i].size()) {
      return absl::InvalidArgumentError(absl::StrCat("expected key=value, got `", words[i], "`"));
    }
    std::string key(words[i].substr(0, eq));
    if (!allowed.contains(key)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown attribute `", key, "`"));
    }
    if (!out.emplace(key, words[i].substr(eq + 1)).second) {
      return absl::InvalidArgumentError(absl::StrCat("`", key, "` given twice"));
    }
  }
  return out;
}

// Principal names as Kafka's ACLs take them after `User:`: a service, a role or an operator.
absl::StatusOr<std::vector<std::string>> ParsePrincipals(
    const std::vector<absl::string_view>& names) {
  std::vector<std::string> out;
  for (absl::string_view name : names) {
    if (name.empty() || !absl::c_all_of(name, [](char c) {
          return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
        })) {
      return absl::InvalidArgumentError(absl::StrCat("bad principal `", name, "`"));
    }
    if (absl::c_linear_search(out, name)) {
      return absl::InvalidArgumentError(absl::StrCat("principal `", name, "` named twice"));
    }
    out.emplace_back(name);
  }
  return out;
}

struct Entry {
  TopicSpec spec;
  bool has_replication = false;
};

absl::StatusOr<Entry> ParseTopicLine(const std::vector<absl::string_view>& words) {
  Entry entry;
  entry.spec.name = std::string(words[0]);
  if (absl::Status status = CheckName(entry.spec.name); !status.ok()) return status;
  auto attributes =
      ParseAttributes(words, {"partitions", "replication", "cleanup", "retention", "owner", "readers"});
  if (!attributes.ok()) return attributes.status();
  auto get = [&](absl::string_view key) -> const std::string* {
    auto it = attributes->find(std::string(key));
    return it == attributes->end() ? nullptr : &it->second;
  };
  const std::string* partitions = get("partitions");
  if (partitions == nullptr) return absl::InvalidArgumentError("partitions=<n> is required");
  auto count = ParseCount("partitions", *partitions, std::numeric_limits<int32_t>::max());
  if (!count.ok()) return count.status();
  entry.spec.partitions = static_cast<int32_t>(*count);
  if (const std::string* replication = get("replication")) {
    auto n = ParseCount("replication", *replication, std::numeric_limits<int16_t>::max());
    if (!n.ok()) return n.status();
    entry.spec.replication_factor = static_cast<int16_t>(*n);
    entry.has_replication = true;
  }
  if (const std::string* cleanup = get("cleanup")) {
    if (*cleanup != "delete" && *cleanup != "compact" && *cleanup != "compact,delete" &&
        *cleanup != "delete,compact") {
      return absl::InvalidArgumentError(absl::StrCat("bad cleanup policy `", *cleanup, "`"));
    }
    entry.spec.cleanup_policy = *cleanup;
  }
  if (const std::string* retention = get("retention")) {
    auto ms = ParseRetention(*retention);
    if (!ms.ok()) return ms.status();
    entry.spec.retention_ms = *ms;
  }
  if (const std::string* owner = get("owner")) {
    auto writers = ParsePrincipals(absl::StrSplit(*owner, ','));
    if (!writers.ok()) return writers.status();
    entry.spec.writers = *std::move(writers);
  }
  if (const std::string* readers = get("readers")) {
    auto extra = ParsePrincipals(absl::StrSplit(*readers, ','));
    if (!extra.ok()) return extra.status();
    entry.spec.readers = *std::move(extra);
  }
  return entry;
}

// RAII for librdkafka C objects.
template <auto Destroy>
struct CDeleter {
  void operator()(auto* p) const { Destroy(p); }
};
template <typename T, auto Destroy>
using CPtr = std::unique_ptr<T, CDeleter<Destroy>>;

int RemainingMs(absl::Time deadline) {
  return static_cast<int>(std::max<int64_t>(absl::ToInt64Milliseconds(deadline - absl::Now()), 1));
}

struct PartitionState {
  int32_t partitions = 0;
  bool ready = false;  // no topic error and a leader for every partition
};

absl::StatusOr<std::map<std::string, PartitionState>> ReadMetadata(RdKafka::Producer* client,
                                                                   absl::Time deadline) {
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode err =
      client->metadata(/*all_topics=*/true, nullptr, &raw, RemainingMs(deadline));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (err != RdKafka::ERR_NO_ERROR) return internal::KafkaError(err, "kafka metadata");
  std::map<std::string, PartitionState> out;
  for (const RdKafka::TopicMetadata* topic : *metadata->topics()) {
    if (topic->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) continue;
    PartitionState& state = out[topic->topic()];
    state.partitions = static_cast<int32_t>(topic->partitions()->size());
    state.ready = topic->err() == RdKafka::ERR_NO_ERROR && state.partitions > 0;
    for (const RdKafka::PartitionMetadata* partition : *topic->partitions()) {
      if (partition->leader() < 0) state.ready = false;
    }
  }
  return out;
}

// A client for admin requests, with the logger of its events (declared first: it outlives the
// client that reports to it).
struct AdminClient {
  std::unique_ptr<internal::EventLogger> events;
  std::unique_ptr<RdKafka::Producer> client;
};

absl::StatusOr<AdminClient> OpenAdmin(const KafkaConfig& config) {
  AdminClient admin{.events = std::make_unique<internal::EventLogger>(), .client = nullptr};
  auto conf = internal::MakeConf(config, {}, {}, admin.events.get());
  if (!conf.ok()) return conf.status();
  std::string error;
  admin.client.reset(RdKafka::Producer::create(conf->get(), error));
  if (admin.client == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka admin: ", error));
  }
  return admin;
}

using AdminEvent = CPtr<rd_kafka_event_t, rd_kafka_event_destroy>;

// One admin request: `issue` sends it with the options (timeouts up to `deadline`; the broker
// answers once the controller has done it, not merely accepted it) and the queue to answer on.
// The answer, or the request's own error, named by `what`.
absl::StatusOr<AdminEvent> AdminRequest(
    rd_kafka_t* rk, rd_kafka_admin_op_t op, absl::Time deadline, const std::string& what,
    const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& issue) {
  CPtr<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy> options(
      rd_kafka_AdminOptions_new(rk, op));
  char error[512];
  // Not every request has an operation timeout (CreateAcls has none): its error is ignored.
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), RemainingMs(deadline), error,
                                              sizeof error);
  rd_kafka_AdminOptions_set_request_timeout(options.get(), RemainingMs(deadline), error,
                                            sizeof error);
  CPtr<rd_kafka_queue_t, rd_kafka_queue_destroy> queue(rd_kafka_queue_new(rk));
  issue(options.get(), queue.get());
  AdminEvent event(rd_kafka_queue_poll(queue.get(), RemainingMs(deadline) + 1000));
  if (event == nullptr) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": no answer in time"));
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return internal::KafkaError(static_cast<RdKafka::ErrorCode>(rd_kafka_event_error(event.get())),
                                absl::StrCat(what, ": ", rd_kafka_event_error_string(event.get())));
  }
  return event;
}

// Creates `topics`; returns the names this call created (a concurrent creator may win a race,
// which is fine: TOPIC_ALREADY_EXISTS is success).
absl::StatusOr<std::set<std::string>> CreateTopics(rd_kafka_t* rk,
                                                   const std::vector<const TopicSpec*>& topics,
                                                   absl::Time deadline) {
  char error[512];
  std::vector<CPtr<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>> owned;
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  for (const TopicSpec* spec : topics) {
    owned.emplace_back(rd_kafka_NewTopic_new(spec->name.c_str(), spec->partitions,
                                             spec->replication_factor, error, sizeof error));
    if (owned.back() == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("topic ", spec->name, ": ", error));
    }
    const std::string retention = absl::StrCat(spec->retention_ms);
    if (rd_kafka_NewTopic_set_config(owned.back().get(), "cleanup.policy",
                                     spec->cleanup_policy.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_NewTopic_set_config(owned.back().get(), "retention.ms", retention.c_str()) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InternalError(absl::StrCat("topic ", spec->name, ": cannot set config"));
    }
    new_topics.push_back(owned.back().get());
  }
  auto event = AdminRequest(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, deadline, "create topics",
                            [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                              rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(),
                                                    options, queue);
                            });
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(event->get()), &count);
  std::set<std::string> created;
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      created.insert(name);
    } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* detail = rd_kafka_topic_result_error_string(results[i]);
      return internal::KafkaError(static_cast<RdKafka::ErrorCode>(err),
                                  absl::StrCat("create topic ", name, detail ? ": " : "",
                                               detail ? detail : ""));
    }
  }
  return created;
}

}  // namespace

absl::StatusOr<std::vector<TopicSpec>> ParseTopicCatalogue(std::string_view catalogue) {
  // Debian's Abseil has its own string_view type.
  const absl::string_view text(catalogue.data(), catalogue.size());
  std::vector<Entry> entries;
  std::set<std::string> names;
  std::optional<int16_t> default_replication;
  std::optional<int64_t> dlq_retention;
  std::optional<std::vector<std::string>> readers;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    const std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "defaults") {
      auto attributes = ParseAttributes(words, {"replication"});
      if (!attributes.ok()) return LineError(line_number, attributes.status().message());
      if (default_replication) return LineError(line_number, "second `defaults` line");
      if (attributes->empty()) return LineError(line_number, "`defaults` needs replication=<n>");
      auto n = ParseCount("replication", attributes->at("replication"),
                          std::numeric_limits<int16_t>::max());
      if (!n.ok()) return LineError(line_number, n.status().message());
      default_replication = static_cast<int16_t>(*n);
    } else if (words[0] == "dlq") {
      auto attributes = ParseAttributes(words, {"retention"});
      if (!attributes.ok()) return LineError(line_number, attributes.status().message());
      if (dlq_retention) return LineError(line_number, "second `dlq` line");
      if (attributes->empty()) return LineError(line_number, "`dlq` needs retention=<...>");
      auto ms = ParseRetention(attributes->at("retention"));
      if (!ms.ok()) return LineError(line_number, ms.status().message());
      dlq_retention = *ms;
    } else if (words[0] == "readers") {
      if (readers) return LineError(line_number, "second `readers` line");
      if (words.size() < 2) return LineError(line_number, "`readers` needs a principal");
      auto parsed = ParsePrincipals({words.begin() + 1, words.end()});
      if (!parsed.ok()) return LineError(line_number, parsed.status().message());
      readers = *std::move(parsed);
    } else {
      auto entry = ParseTopicLine(words);
      if (!entry.ok()) return LineError(line_number, entry.status().message());
      if (!names.insert(entry->spec.name).second) {
        return LineError(line_number, absl::StrCat("topic `", entry->spec.name, "` listed twice"));
      }
      entries.push_back(*std::move(entry));
    }
  }
  std::vector<TopicSpec> topics;
  for (Entry& entry : entries) {
    if (!entry.has_replication) entry.spec.replication_factor = default_replication.value_or(1);
    TopicSpec dlq;
    dlq.name = absl::StrCat(entry.spec.name, kDlqSuffix);
    dlq.partitions = entry.spec.partitions;
    dlq.replication_factor = entry.spec.replication_factor;
    dlq.cleanup_policy = "delete";
    dlq.retention_ms = dlq_retention.value_or(kDefaultDlqRetentionMs);
    // The catalogue's readers, then the topic's own (`readers=`: outside consumers such as the
    // branch systems, which neither dead-letter nor read the twin).
    const std::vector<std::string> outside = std::move(entry.spec.readers);
    entry.spec.readers = readers.value_or(std::vector<std::string>{});
    dlq.writers = entry.spec.readers;
    dlq.readers = entry.spec.readers;
    for (const std::string& reader : outside) {
      if (!absl::c_linear_search(entry.spec.readers, reader)) entry.spec.readers.push_back(reader);
    }
    topics.push_back(std::move(entry.spec));
    topics.push_back(std::move(dlq));
  }
  return topics;
}

absl::Status EnsureTopics(const KafkaConfig& config, const std::vector<TopicSpec>& topics,
                          absl::Duration timeout, std::vector<TopicOutcome>* outcomes) {
  const absl::Time deadline = absl::Now() + timeout;
  auto admin = OpenAdmin(config);
  if (!admin.ok()) return admin.status();
  RdKafka::Producer* client = admin->client.get();

  auto existing = ReadMetadata(client, deadline);
  if (!existing.ok()) return existing.status();
  std::vector<const TopicSpec*> missing;
  for (const TopicSpec& spec : topics) {
    if (!existing->contains(spec.name)) missing.push_back(&spec);
  }
  std::set<std::string> created;
  if (!missing.empty()) {
    auto result = CreateTopics(client->c_ptr(), missing, deadline);
    if (!result.ok()) return result.status();
    created = *std::move(result);
  }

  // Creation returns before every broker knows the topics; wait until metadata shows them led.
  auto state = std::move(existing);
  for (;;) {
    bool ready = true;
    for (const TopicSpec* spec : missing) {
      auto it = state->find(spec->name);
      ready = ready && it != state->end() && it->second.ready;
    }
    if (ready) break;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("created topics did not get leaders in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    state = ReadMetadata(client, deadline);
    if (!state.ok()) return state.status();
  }

  absl::Status result;
  for (const TopicSpec& spec : topics) {
    const int32_t partitions = state->at(spec.name).partitions;
    if (partitions < spec.partitions && result.ok()) {
      result = absl::FailedPreconditionError(
          absl::StrCat("topic ", spec.name, " has ", partitions, " partitions, the catalogue wants ",
                       spec.partitions, "; add partitions before co-partitioned consumers run"));
    }
    if (outcomes != nullptr) {
      outcomes->push_back({spec.name, created.contains(spec.name), partitions});
    }
  }
  return result;
}

std::vector<AclGrant> AclPlan(const std::vector<TopicSpec>& topics) {
  using Operation = AclGrant::Operation;
  using Resource = AclGrant::Resource;
  std::vector<AclGrant> plan;
  std::set<std::string> group_members;
  for (const TopicSpec& topic : topics) {
    for (const std::string& writer : topic.writers) {
      plan.push_back({Resource::kTopic, topic.name, "User:" + writer, Operation::kWrite});
    }
    for (const std::string& reader : topic.readers) {
      plan.push_back({Resource::kTopic, topic.name, "User:" + reader, Operation::kRead});
      group_members.insert(reader);
    }
  }
  for (const std::string& member : group_members) {
    plan.push_back({Resource::kGroup, "*", "User:" + member, Operation::kRead});
  }
  return plan;
}

namespace {

// The grant as a binding, or as a filter that matches exactly that binding.
rd_kafka_ResourceType_t ResourceType(const AclGrant& grant) {
  return grant.resource_type == AclGrant::Resource::kTopic ? RD_KAFKA_RESOURCE_TOPIC
                                                           : RD_KAFKA_RESOURCE_GROUP;
}
rd_kafka_AclOperation_t Operation(const AclGrant& grant) {
  return grant.operation == AclGrant::Operation::kRead ? RD_KAFKA_ACL_OPERATION_READ
                                                       : RD_KAFKA_ACL_OPERATION_WRITE;
}

// The grants as librdkafka ACL bindings (a binding filter is the same type).
struct AclBindings {
  std::vector<CPtr<rd_kafka_AclBinding_t, rd_kafka_AclBinding_destroy>> owned;
  std::vector<rd_kafka_AclBinding_t*> raw;
};

absl::StatusOr<AclBindings> ToBindings(const std::vector<AclGrant>& grants) {
  char errstr[512];
  AclBindings bindings;
  for (const AclGrant& grant : grants) {
    bindings.owned.emplace_back(rd_kafka_AclBinding_new(
        ResourceType(grant), grant.resource.c_str(), RD_KAFKA_RESOURCE_PATTERN_LITERAL,
        grant.principal.c_str(), "*", Operation(grant), RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW, errstr,
        sizeof errstr));
    if (bindings.owned.back() == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("acl for ", grant.principal, " on ",
                                                     grant.resource, ": ", errstr));
    }
    bindings.raw.push_back(bindings.owned.back().get());
  }
  return bindings;
}

// How many of `grants` the broker's authorizer does not hold yet. The controller answers
// CreateAcls once it has committed them; the broker applies committed metadata a moment later,
// and a client that connects in between is refused (a producer's idempotence PID fatally so).
absl::StatusOr<size_t> GrantsNotInForce(rd_kafka_t* rk, const std::vector<AclGrant>& grants,
                                        absl::Time deadline) {
  char errstr[512];
  CPtr<rd_kafka_AclBindingFilter_t, rd_kafka_AclBinding_destroy> every(
      rd_kafka_AclBindingFilter_new(RD_KAFKA_RESOURCE_ANY, nullptr, RD_KAFKA_RESOURCE_PATTERN_ANY,
                                    nullptr, nullptr, RD_KAFKA_ACL_OPERATION_ANY,
                                    RD_KAFKA_ACL_PERMISSION_TYPE_ANY, errstr, sizeof errstr));
  if (every == nullptr) return absl::InternalError(absl::StrCat("acl filter: ", errstr));
  auto event = AdminRequest(rk, RD_KAFKA_ADMIN_OP_DESCRIBEACLS, deadline,
                            "kafka admin: describe acls",
                            [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                              rd_kafka_DescribeAcls(rk, every.get(), options, queue);
                            });
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_AclBinding_t** held =
      rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(event->get()), &count);
  std::set<std::tuple<int, std::string, std::string, int>> in_force;
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_AclBinding_permission_type(held[i]) != RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW ||
        rd_kafka_AclBinding_resource_pattern_type(held[i]) != RD_KAFKA_RESOURCE_PATTERN_LITERAL) {
      continue;
    }
    in_force.emplace(rd_kafka_AclBinding_restype(held[i]), rd_kafka_AclBinding_name(held[i]),
                     rd_kafka_AclBinding_principal(held[i]),
                     rd_kafka_AclBinding_operation(held[i]));
  }
  size_t missing = 0;
  for (const AclGrant& grant : grants) {
    missing += in_force.contains({ResourceType(grant), grant.resource, grant.principal,
                                  Operation(grant)})
                   ? 0
                   : 1;
  }
  return missing;
}

}  // namespace

// One ACL admin request for `grants`, given to `issue` as bindings (fully specified, they are
// also the filters that match exactly them), with the client, to ask more on, and the deadline.
struct AclAnswer {
  AdminClient admin;
  AdminEvent event;
  absl::Time deadline;
};

absl::StatusOr<AclAnswer> AclRequest(
    const KafkaConfig& config, const std::vector<AclGrant>& grants, absl::Duration timeout,
    rd_kafka_admin_op_t op, const std::string& what,
    const std::function<void(rd_kafka_t*, std::vector<rd_kafka_AclBinding_t*>&,
                             rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& issue) {
  const absl::Time deadline = absl::Now() + timeout;
  auto admin = OpenAdmin(config);
  if (!admin.ok()) return admin.status();
  auto bindings = ToBindings(grants);
  if (!bindings.ok()) return bindings.status();
  rd_kafka_t* rk = admin->client->c_ptr();
  auto event = AdminRequest(rk, op, deadline, what,
                            [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                              issue(rk, bindings->raw, options, queue);
                            });
  if (!event.ok()) return event.status();
  return AclAnswer{*std::move(admin), *std::move(event), deadline};
}

absl::Status EnsureAcls(const KafkaConfig& config, const std::vector<AclGrant>& grants,
                        absl::Duration timeout) {
  if (grants.empty()) return absl::OkStatus();
  auto answer = AclRequest(config, grants, timeout, RD_KAFKA_ADMIN_OP_CREATEACLS,
                           "kafka admin: create acls",
                           [](rd_kafka_t* rk, std::vector<rd_kafka_AclBinding_t*>& bindings,
                              rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                             rd_kafka_CreateAcls(rk, bindings.data(), bindings.size(), options,
                                                 queue);
                           });
  if (!answer.ok()) return answer.status();
  rd_kafka_t* rk = answer->admin.client->c_ptr();
  const absl::Time deadline = answer->deadline;
  size_t count = 0;
  const rd_kafka_acl_result_t** results =
      rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(answer->event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_error_t* failed = rd_kafka_acl_result_error(results[i]);
    if (failed == nullptr) continue;
    return internal::KafkaError(
        static_cast<RdKafka::ErrorCode>(rd_kafka_error_code(failed)),
        absl::StrCat("kafka admin: create acl for ", grants[i].principal, " on ",
                     grants[i].resource, ": ", rd_kafka_error_string(failed)));
  }
  // Return only once they are in force, so that the services started next are not refused.
  for (;;) {
    auto missing = GrantsNotInForce(rk, grants, deadline);
    if (!missing.ok()) return missing.status();
    if (*missing == 0) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "kafka admin: ", *missing, " of ", grants.size(), " acls created but not in force yet"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

absl::Status RevokeAcls(const KafkaConfig& config, const std::vector<AclGrant>& grants,
                        absl::Duration timeout) {
  if (grants.empty()) return absl::OkStatus();
  auto answer = AclRequest(config, grants, timeout, RD_KAFKA_ADMIN_OP_DELETEACLS,
                           "kafka admin: delete acls",
                           [](rd_kafka_t* rk, std::vector<rd_kafka_AclBinding_t*>& filters,
                              rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                             rd_kafka_DeleteAcls(rk, filters.data(), filters.size(), options,
                                                 queue);
                           });
  if (!answer.ok()) return answer.status();
  size_t count = 0;
  const rd_kafka_DeleteAcls_result_response_t** responses = rd_kafka_DeleteAcls_result_responses(
      rd_kafka_event_DeleteAcls_result(answer->event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_error_t* failed = rd_kafka_DeleteAcls_result_response_error(responses[i]);
    if (failed == nullptr) continue;
    return internal::KafkaError(static_cast<RdKafka::ErrorCode>(rd_kafka_error_code(failed)),
                                absl::StrCat("kafka admin: delete acl: ",
                                             rd_kafka_error_string(failed)));
  }
  return absl::OkStatus();
}

absl::Status DeleteTopics(const KafkaConfig& config, const std::vector<std::string>& names,
                          absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  auto admin = OpenAdmin(config);
  if (!admin.ok()) return admin.status();
  rd_kafka_t* rk = admin->client->c_ptr();

  std::vector<CPtr<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy>> owned;
  std::vector<rd_kafka_DeleteTopic_t*> topics;
  for (const std::string& name : names) {
    owned.emplace_back(rd_kafka_DeleteTopic_new(name.c_str()));
    topics.push_back(owned.back().get());
  }
  auto event = AdminRequest(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, deadline,
                            "kafka admin: delete topics",
                            [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                              rd_kafka_DeleteTopics(rk, topics.data(), topics.size(), options,
                                                    queue);
                            });
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
    return internal::KafkaError(static_cast<RdKafka::ErrorCode>(err),
                                absl::StrCat("kafka admin: delete topic ",
                                             rd_kafka_topic_result_name(results[i])));
  }
  for (;;) {
    auto state = ReadMetadata(admin->client.get(), deadline);
    if (!state.ok()) return state.status();
    bool gone = true;
    for (const std::string& name : names) gone = gone && !state->contains(name);
    if (gone) return absl::OkStatus();
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("deleted topics still listed");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace complaints::kafka
