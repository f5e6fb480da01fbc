#pragma once

#include "absl/status/statusor.h"
#include "complaints/events/v1/ivr.pb.h"
#include "libs/kafka/consumer.h"

namespace complaints::intake {

// Decodes one record of ivr.calls.v1: an IvrCall as protobuf, or as its JSON mapping when the
// content-type header says application/json (or, without the header, the value starts with
// '{'). Unknown JSON fields are ignored (telephony may send more than we read). Fails with
// InvalidArgument saying where and what kind of error, never quoting the value: it is customer
// data. Validation of the call's content is ValidateSubmission's (submission.h).
absl::StatusOr<events::v1::IvrCall> ParseIvrCall(const kafka::IncomingRecord& record);

}  // namespace complaints::intake
