#include "libs/kafka/rdkafka_util.h"

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"

namespace complaints::kafka::internal {

absl::Status KafkaError(RdKafka::ErrorCode code, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", RdKafka::err2str(code));
  switch (code) {
    case RdKafka::ERR_NO_ERROR:
      return absl::OkStatus();
    // The cluster is unreachable or busy right now.
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__RESOLVE:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__TIMED_OUT_QUEUE:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR_NETWORK_EXCEPTION:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RdKafka::ERR_NOT_COORDINATOR:
    case RdKafka::ERR_COORDINATOR_NOT_AVAILABLE:
    case RdKafka::ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RdKafka::ERR_KAFKA_STORAGE_ERROR:
    case RdKafka::ERR_FENCED_LEADER_EPOCH:
    case RdKafka::ERR_UNKNOWN_LEADER_EPOCH:
    // The cluster is there but not set up for us yet: a topic not created (or deleted), ACLs or
    // credentials not granted, a record above the broker's or topic's current size limit. An
    // operator fixes these by creating the topic, granting the ACL or raising max.message.bytes;
    // the record is not bad in itself, so it must wait for that rather than be dead-lettered.
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RdKafka::ERR__AUTHENTICATION:
    case RdKafka::ERR_SASL_AUTHENTICATION_FAILED:
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
      return absl::UnavailableError(message);
    case RdKafka::ERR__QUEUE_FULL:
    case RdKafka::ERR_THROTTLING_QUOTA_EXCEEDED:
      return absl::ResourceExhaustedError(message);
    // What we asked for is malformed: a bug of ours or a bad configuration, never an outage.
    case RdKafka::ERR_INVALID_MSG_SIZE:
    case RdKafka::ERR_INVALID_MSG:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR__INVALID_ARG:
    case RdKafka::ERR_INVALID_PARTITIONS:
    case RdKafka::ERR_INVALID_REPLICATION_FACTOR:
    case RdKafka::ERR_INVALID_CONFIG:
    case RdKafka::ERR_POLICY_VIOLATION:
    case RdKafka::ERR_TOPIC_EXCEPTION:
      return absl::InvalidArgumentError(message);
    case RdKafka::ERR_TOPIC_ALREADY_EXISTS:
      return absl::AlreadyExistsError(message);
    case RdKafka::ERR__PURGE_QUEUE:
    case RdKafka::ERR__PURGE_INFLIGHT:
    case RdKafka::ERR__DESTROY:
      return absl::CancelledError(message);
    case RdKafka::ERR__STATE:
      return absl::FailedPreconditionError(message);
    default:
      // Includes ERR__FATAL: the client cannot go on and must be recreated.
      return absl::InternalError(message);
  }
}

void EventLogger::event_cb(RdKafka::Event& event) {
  static const auto logger = common::ModuleLogger("kafka");
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR:
      if (event.fatal()) {
        const bool first = !fatal_.exchange(true, std::memory_order_relaxed);
        logger->critical("fatal client error: {}: {}", RdKafka::err2str(event.err()), event.str());
        if (first && on_fatal) on_fatal(event.str());
      } else if (!on_error || !on_error(event.err(), event.str())) {
        // Mostly disconnects and unreachable brokers: librdkafka retries them on its own.
        logger->warn("{}: {}", RdKafka::err2str(event.err()), event.str());
      }
      break;
    case RdKafka::Event::EVENT_LOG: {
      const auto severity = event.severity();
      const auto level = severity <= RdKafka::Event::EVENT_SEVERITY_ERROR     ? spdlog::level::err
                         : severity == RdKafka::Event::EVENT_SEVERITY_WARNING ? spdlog::level::warn
                         : severity <= RdKafka::Event::EVENT_SEVERITY_INFO    ? spdlog::level::info
                                                                              : spdlog::level::debug;
      logger->log(level, "{}: {}", event.fac(), event.str());
      break;
    }
    default:
      break;
  }
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(const KafkaConfig& config,
                                                        const Settings& defaults,
                                                        const Settings& fixed,
                                                        RdKafka::EventCb* events) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  auto set = [&](const std::string& key, const std::string& value) -> absl::Status {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka setting ", key, ": ", error));
    }
    return absl::OkStatus();
  };
  Settings all = {{"bootstrap.servers", config.bootstrap_servers},
                  {"client.id", config.client_id}};
  for (const auto& [key, value] : defaults) all[key] = value;
  auto credentials = config.Credentials();
  if (!credentials.ok()) return credentials.status();
  for (const auto& [key, value] : *credentials) all[key] = value;
  for (const auto& [key, value] : config.extra) {
    if (auto it = fixed.find(key); it != fixed.end() && it->second != value) {
      return absl::InvalidArgumentError(absl::StrCat("kafka.client.", key, " must be ",
                                                     it->second, ": the library relies on it"));
    }
    all[key] = value;
  }
  for (const auto& [key, value] : fixed) all[key] = value;
  for (const auto& [key, value] : all) {
    if (absl::Status status = set(key, value); !status.ok()) return status;
  }
  if (events != nullptr && conf->set("event_cb", events, error) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka event_cb: ", error));
  }
  return conf;
}

}  // namespace complaints::kafka::internal
