#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/intake/v1/intake.pb.h"
#include "libs/common/clock.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "services/intake/complaint_store.h"

namespace complaints::intake {

// Accepts complaints from gRPC callers and from telephony's ivr.calls.v1 topic. Knows nothing of
// gRPC or Kafka clients: it is given a publisher, a store and a clock.
class Intake {
 public:
  Intake(kafka::Publisher* publisher, ComplaintStore* store, const common::Clock* clock)
      : publisher_(publisher), store_(store), clock_(clock) {}

  // Validates, classifies and publishes the complaint; returns once it is durable in Kafka.
  // A source + external id seen before returns the same complaint id with duplicate = true.
  absl::StatusOr<intake::v1::SubmitComplaintResponse> Submit(
      const intake::v1::SubmitComplaintRequest& request);

  absl::StatusOr<events::v1::ComplaintReceived> Get(const std::string& complaint_id);

  // One record of ivr.calls.v1: an IvrCall as protobuf, or as JSON when the content-type header
  // says application/json or the value starts with '{'. Bad records fail with InvalidArgument.
  absl::Status HandleCall(const kafka::IncomingRecord& record);

 private:
  kafka::Publisher* publisher_;
  ComplaintStore* store_;
  const common::Clock* clock_;
};

}  // namespace complaints::intake
