#include "services/routing/rules_announcements.h"

#include "complaints/events/v1/rules.pb.h"
#include "libs/kafka/topic_reader.h"

namespace complaints::routing {

AnnouncedVersion LatestOf(const std::vector<kafka::IncomingRecord>& records) {
  AnnouncedVersion latest;
  for (const kafka::IncomingRecord& record : records) {
    events::v1::RulesReloaded reloaded;
    if (!reloaded.ParseFromString(record.value)) continue;
    if (reloaded.version() > latest.version) {
      latest.version = reloaded.version();
      latest.digest = reloaded.digest();
    }
  }
  return latest;
}

absl::StatusOr<AnnouncedVersion> ReadLatestAnnounced(const kafka::KafkaConfig& config,
                                                     const std::string& topic,
                                                     absl::Duration timeout) {
  auto reader = kafka::TopicReader::Open(config, topic);
  if (!reader.ok()) {
    return absl::UnavailableError("reading " + topic + ": " + std::string(reader.status().message()));
  }
  if (!(*reader)->ReadToEnd(timeout)) {
    return absl::UnavailableError("reading " + topic + ": not read to its end within " +
                                  absl::FormatDuration(timeout));
  }
  return LatestOf((*reader)->Seen([](const kafka::IncomingRecord&) { return true; }));
}

}  // namespace complaints::routing
