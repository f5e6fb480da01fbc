#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"

namespace complaints::events {

// A protobuf event as a Kafka record: the message serialized as the value, CloudEvents headers
// with ce_type = the message's full name (e.g. complaints.events.v1.CaseEvent).
// `source` is the producing service, e.g. "/complaints/routing".
kafka::OutgoingRecord ToRecord(const std::string& topic, const std::string& key,
                               const google::protobuf::Message& message, const std::string& id,
                               const std::string& source, const std::string& subject,
                               absl::Time time);
// The same for a message serialized already: `value`, a `type` message.
kafka::OutgoingRecord ToRecord(const std::string& topic, const std::string& key,
                               const google::protobuf::Descriptor& type, std::string value,
                               const std::string& id, const std::string& source,
                               const std::string& subject, absl::Time time);

// Parses a record into `message`, checking that it carries CloudEvents headers with the
// message's type. Fails with InvalidArgument (the record goes to the DLQ) saying what is wrong.
absl::Status ParseRecord(const kafka::IncomingRecord& record, google::protobuf::Message* message);

template <typename T>
absl::StatusOr<T> ParseRecordAs(const kafka::IncomingRecord& record) {
  T message;
  if (auto s = ParseRecord(record, &message); !s.ok()) return s;
  return message;
}

}  // namespace complaints::events
