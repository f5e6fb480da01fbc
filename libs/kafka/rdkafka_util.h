#pragma once

// Internal to libs/kafka: what the producer, consumer and admin code share about librdkafka.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <librdkafka/rdkafkacpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/kafka/kafka_config.h"

namespace complaints::kafka::internal {

using Settings = std::map<std::string, std::string>;

// The absl status for a librdkafka error (C codes have the same values), prefixed by `what`:
// the one place that decides what a Kafka error means to a consumer (kafka::IsTransient).
// Unavailable (retried, never dead-lettered): the cluster unreachable or busy, and also what an
// operator fixes without touching the record: an unknown topic or partition (not created yet, or
// deleted), failed authorization or authentication, a record larger than the broker's or
// topic's current limit (MSG_SIZE_TOO_LARGE, RECORD_LIST_TOO_LARGE). ResourceExhausted: the local
// queue or a quota is full. InvalidArgument: a malformed request (a bug or bad configuration).
// Cancelled: purged or destroyed. Internal: fatal and anything unknown.
absl::Status KafkaError(RdKafka::ErrorCode code, absl::string_view what);

// Sends librdkafka's errors and log lines to the "kafka" module logger and remembers whether the
// client hit a fatal error (after which it is unusable and must be recreated).
class EventLogger final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override;
  bool fatal() const { return fatal_.load(std::memory_order_relaxed); }
  // Told of each non-fatal error event first (on the thread that serves the client's events);
  // returning true means it was dealt with and is not logged again. Set before the client is
  // created.
  std::function<bool(RdKafka::ErrorCode, const std::string&)> on_error;
  // Told once of a fatal error, with librdkafka's reason, after it is logged. Set before the
  // client is created.
  std::function<void(const std::string&)> on_fatal;

 private:
  std::atomic<bool> fatal_{false};
};

// A librdkafka configuration: bootstrap servers and client id, then `defaults`, then
// `config.extra` (operators may tune anything else), then `fixed`: settings the library's
// guarantees rest on. Setting a fixed key to another value in `extra` is InvalidArgument rather
// than silently ignored or silently obeyed.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(const KafkaConfig& config,
                                                        const Settings& defaults,
                                                        const Settings& fixed,
                                                        RdKafka::EventCb* events);

}  // namespace complaints::kafka::internal
