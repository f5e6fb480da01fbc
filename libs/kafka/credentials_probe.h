#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/kafka/kafka_config.h"

namespace complaints::kafka {

// Asks the cluster for its metadata with `config`'s credentials, so that a service started with
// a wrong or missing credential stops at once with a clear reason instead of retrying forever
// in the background. Unauthenticated when the broker refuses the credential (naming the user
// and the credentials file, never the password); OK when the cluster answers, and also when it
// does not answer within `timeout`: a broker that is down is an outage the service rides out.
absl::Status ProbeCredentials(const KafkaConfig& config, absl::Duration timeout);

}  // namespace complaints::kafka
