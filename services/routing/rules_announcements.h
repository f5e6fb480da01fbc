#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/kafka_config.h"
#include "services/routing/rules_versions.h"

namespace complaints::routing {

// The highest version among RulesReloaded records, with its digest (instances announce in any
// order, so the last record is not always the highest). A record that does not parse names no
// version and is passed over.
AnnouncedVersion LatestOf(const std::vector<kafka::IncomingRecord>& records);

// Reads `topic` (routing.rules.v1: one partition, small, kept forever) to its end and answers
// LatestOf its records; Unavailable when the broker cannot be read within `timeout`.
absl::StatusOr<AnnouncedVersion> ReadLatestAnnounced(const kafka::KafkaConfig& config,
                                                     const std::string& topic,
                                                     absl::Duration timeout);

}  // namespace complaints::routing
