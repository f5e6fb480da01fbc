#include "services/intake/decision.h"

namespace complaints::intake {

classifier::ClassifierInput ClassifierInputFor(const intake::v1::SubmitComplaintRequest& request,
                                               const events::v1::ComplaintReceived& candidate) {
  return {.channel = candidate.channel(),
          .requested_level = request.level(),
          .requested_urgency = request.urgency(),
          .requested_reason = request.urgency_reason(),
          .description = request.description(),
          .category = request.category(),
          .product = request.product()};
}

void ApplyDecision(const classifier::Decision& decision, events::v1::ComplaintReceived* candidate) {
  candidate->set_level(decision.level);
  candidate->set_urgency(decision.urgency);
  candidate->set_urgency_reason(decision.urgency_reason);
  candidate->set_category(decision.category);
  *candidate->mutable_classification() = decision.classification;
}

}  // namespace complaints::intake
