#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/ivr.pb.h"
#include "complaints/intake/v1/intake.pb.h"

namespace complaints::intake {

// Checks a submission field by field; the error names the first bad field and why
// (e.g. "customer.phone: must be 5 to 20 digits"). Messages never echo customer data.
absl::Status ValidateSubmission(const intake::v1::SubmitComplaintRequest& request);

// A call from telephony, as a submission.
intake::v1::SubmitComplaintRequest FromIvrCall(const events::v1::IvrCall& call);

// The event intake publishes for a valid submission: id assigned, classified, time-stamped.
events::v1::ComplaintReceived ToReceivedEvent(const intake::v1::SubmitComplaintRequest& request,
                                              const std::string& complaint_id,
                                              absl::Time received_at);

// GB 11643-1999: the 18th character of a resident ID number is a checksum of the first 17
// digits (ISO 7064 MOD 11-2), which catches every single-digit typo and most transpositions.
// `first17` must be 17 digits.
char IdNumberCheckCharacter(const std::string& first17);

// A one-line, PII-masked description of a customer for logs.
std::string DescribeCustomer(const events::v1::Customer& customer);

}  // namespace complaints::intake
