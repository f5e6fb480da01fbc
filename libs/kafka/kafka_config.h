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
  // The client's credentials: a librdkafka properties file (`key=value` lines, `#` comments,
  // the format `kcat -F` reads), e.g. security.protocol, sasl.mechanisms, sasl.username and
  // sasl.password, so that no secret sits in a config file, a command line or a log. Empty:
  // none. By default the process's COMPLAINTS_KAFKA_CREDENTIALS_FILE, so that tools, tests and
  // benchmarks take the operator's credential without code of their own.
  std::string credentials_file = DefaultCredentialsFile();

  // The settings `credentials_file` holds (none when it is empty); an error names the file and
  // the line, never a value.
  absl::StatusOr<std::map<std::string, std::string>> Credentials() const;

  static std::string DefaultCredentialsFile();
  // From `kafka.bootstrap`, `kafka.client_id`, `kafka.client.*` and `kafka.credentials_file`.
  static KafkaConfig FromConfig(const common::Config& config);
};

}  // namespace complaints::kafka
