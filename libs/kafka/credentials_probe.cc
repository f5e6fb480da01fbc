#include "libs/kafka/credentials_probe.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/kafka/rdkafka_util.h"

namespace complaints::kafka {

absl::Status ProbeCredentials(const KafkaConfig& config, absl::Duration timeout) {
  internal::EventLogger events;
  std::atomic<bool> refused = false;
  events.on_error = [&refused](RdKafka::ErrorCode code, const std::string&) {
    if (code == RdKafka::ERR__AUTHENTICATION || code == RdKafka::ERR_SASL_AUTHENTICATION_FAILED) {
      refused = true;
    }
    return false;  // logged as usual: librdkafka's text names the mechanism, not the secret
  };
  auto conf = internal::MakeConf(config, {}, {}, &events);
  if (!conf.ok()) return conf.status();
  std::string error;
  std::unique_ptr<RdKafka::Producer> client(RdKafka::Producer::create(conf->get(), error));
  if (client == nullptr) return absl::InvalidArgumentError(absl::StrCat("kafka client: ", error));
  // Short metadata requests, with the client's events served between them: a refusal shows as
  // an authentication error event long before a request would time out.
  const absl::Time deadline = absl::Now() + timeout;
  while (!refused && absl::Now() < deadline) {
    RdKafka::Metadata* raw = nullptr;
    const int wait_ms = static_cast<int>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(deadline - absl::Now()), 1, 250));
    const RdKafka::ErrorCode err = client->metadata(/*all_topics=*/false, nullptr, &raw, wait_ms);
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
    client->poll(0);
  }
  if (!refused) return absl::OkStatus();  // no answer: an outage, not a verdict
  auto credentials = config.Credentials();
  const std::string user = credentials.ok() && credentials->contains("sasl.username")
                               ? credentials->at("sasl.username")
                               : "(none)";
  return absl::UnauthenticatedError(absl::StrCat(
      "kafka at ", config.bootstrap_servers, " refused the credential of user '", user,
      "' (credentials file '", config.credentials_file, "'): check the file against the broker's",
      " SCRAM users"));
}

}  // namespace complaints::kafka
