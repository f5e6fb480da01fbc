#include "libs/events/envelope.h"

namespace complaints::events {

kafka::OutgoingRecord ToRecord(const std::string& topic, const std::string& key,
                               const google::protobuf::Message& message, const std::string& id,
                               const std::string& source, const std::string& subject,
                               absl::Time time) {
  return ToRecord(topic, key, *message.GetDescriptor(), message.SerializeAsString(), id, source,
                  subject, time);
}

kafka::OutgoingRecord ToRecord(const std::string& topic, const std::string& key,
                               const google::protobuf::Descriptor& type, std::string value,
                               const std::string& id, const std::string& source,
                               const std::string& subject, absl::Time time) {
  kafka::OutgoingRecord record;
  record.topic = topic;
  record.key = key;
  record.value = std::move(value);
  record.event.id = id;
  record.event.type = type.full_name();
  record.event.source = source;
  record.event.subject = subject;
  record.event.time = time;
  return record;
}

absl::Status ParseRecord(const kafka::IncomingRecord& record, google::protobuf::Message* message) {
  auto event = kafka::FromHeaders(record.headers);
  if (!event.ok()) return event.status();
  const std::string& expected = message->GetDescriptor()->full_name();
  if (event->type != expected) {
    // The received type stays in the record's headers (and its dead letter's): errors carry no
    // input bytes.
    return absl::InvalidArgumentError("ce_type is not " + expected);
  }
  if (!message->ParseFromString(record.value)) {
    return absl::InvalidArgumentError("value is not a valid " + expected);
  }
  return absl::OkStatus();
}

}  // namespace complaints::events
