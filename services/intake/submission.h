#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/ivr.pb.h"
#include "complaints/intake/v1/intake.pb.h"

namespace complaints::intake {

// Whether a category code is in the catalogue (the classifier's, injected: intake does not own
// it). Unset: any well-formed code is accepted.
using CategoryKnown = std::function<bool(std::string_view code)>;

// Checks every field of a submission and reports every bad one at once: InvalidArgument whose
// message lists "<field>: <reason>" joined by "; " and which carries a google.rpc.BadRequest
// payload (grpcutil::FieldViolations). Reasons never echo customer data. The rules are in
// services/intake/README.md ("Validation"). `now` bounds birth dates in ID numbers.
absl::Status ValidateSubmission(const intake::v1::SubmitComplaintRequest& request,
                                const CategoryKnown& category_known = nullptr,
                                absl::Time now = absl::Now());

// The customer of a valid submission in canonical form, as it is published: the phone as
// common::NormalizePhone gives it, the card number as digits only, an ID number's check X in
// upper case. Fields that do not normalize (not validated) are kept as they are.
events::v1::Customer NormalizeCustomer(const events::v1::Customer& customer);

// Luhn's check over the digits of a card number (ISO/IEC 7812): catches every single wrong
// digit and most swaps. `digits` must be digits only.
bool LuhnValid(std::string_view digits);

// A call from telephony, as a submission.
intake::v1::SubmitComplaintRequest FromIvrCall(const events::v1::IvrCall& call);

// The event intake publishes for a valid submission: id (and its short id) assigned, customer
// normalized (NormalizeCustomer), time-stamped; level, urgency and category as the caller asked
// (ClassifyCandidate decides them).
events::v1::ComplaintReceived ToReceivedEvent(const intake::v1::SubmitComplaintRequest& request,
                                              const std::string& complaint_id,
                                              absl::Time received_at);

// GB 11643-1999: the 18th character of a resident ID number is a checksum of the first 17
// digits (ISO 7064 MOD 11-2), which catches every single-digit typo and most transpositions.
// `first17` must be 17 digits.
char IdNumberCheckCharacter(const std::string& first17);

// The number of Unicode code points in valid UTF-8 `text`: lengths limits are in characters,
// so that 2000 characters of Chinese are as welcome as 2000 of ASCII.
size_t CodePointCount(std::string_view text);

// A one-line, PII-masked description of a customer for logs.
std::string DescribeCustomer(const events::v1::Customer& customer);

}  // namespace complaints::intake
