#include "libs/kafka/kafka_config.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "libs/common/files.h"

namespace complaints::kafka {

std::string KafkaConfig::DefaultCredentialsFile() {
  const char* file = std::getenv("COMPLAINTS_KAFKA_CREDENTIALS_FILE");
  return file == nullptr ? "" : file;
}

absl::StatusOr<std::map<std::string, std::string>> KafkaConfig::Credentials() const {
  if (credentials_file.empty()) return std::map<std::string, std::string>{};
  auto text = common::ReadFile(credentials_file);
  if (!text.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("kafka credentials: ", text.status().message()));
  }
  // Config's parser names the line only, never its value.
  auto settings = common::Config::Parse(*text);
  if (!settings.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kafka credentials file ", credentials_file, ": ", settings.status().message()));
  }
  return settings->WithPrefix("");
}

KafkaConfig KafkaConfig::FromConfig(const common::Config& config) {
  KafkaConfig kafka;
  kafka.bootstrap_servers = config.GetString("kafka.bootstrap", kafka.bootstrap_servers);
  kafka.client_id = config.GetString("kafka.client_id", kafka.client_id);
  kafka.extra = config.WithPrefix("kafka.client.");
  kafka.credentials_file = config.GetString("kafka.credentials_file", kafka.credentials_file);
  return kafka;
}

}  // namespace complaints::kafka
