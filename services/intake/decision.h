#pragma once

#include "complaints/events/v1/complaint.pb.h"
#include "complaints/intake/v1/intake.pb.h"
#include "services/intake/classifier/classifier.h"

namespace complaints::intake {

// The classifier's input for a submission and its candidate event (channel defaulted).
classifier::ClassifierInput ClassifierInputFor(const intake::v1::SubmitComplaintRequest& request,
                                               const events::v1::ComplaintReceived& candidate);

// Writes the classifier's decision into the candidate: level, urgency and its reason line,
// category (the catalogue's leaf), and the classification with its rules and evidence.
void ApplyDecision(const classifier::Decision& decision, events::v1::ComplaintReceived* candidate);

}  // namespace complaints::intake
