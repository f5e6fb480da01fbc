#pragma once

#include <string>

#include "complaints/events/v1/complaint.pb.h"

namespace complaints::intake {

// What intake decides about a complaint before it is published: its level and whether it is
// "very urgent" (非常紧急), and why.
struct Classification {
  events::v1::Level level = events::v1::LEVEL_ORDINARY;
  events::v1::Urgency urgency = events::v1::URGENCY_NORMAL;
  std::string urgency_reason;
};

// Pure rules from the source documents:
//  - complaints from a sensitive channel (regulator, media, head office) are at least major;
//  - a customer who says they will escalate (regulator, 12378/12363, media, court, 3·15...)
//    makes the complaint very urgent, with the phrase that triggered it as the reason.
// A level or urgency set by the agent is never lowered.
Classification Classify(events::v1::Channel channel, events::v1::Level requested_level,
                        events::v1::Urgency requested_urgency,
                        const std::string& requested_reason, const std::string& description);

// What the customer's history says, as the classifier needs it.
struct HistoryFacts {
  int same_category_before = 0;  // complaints of the same category in the window
  int prior_escalations = 0;     // complaints in the window at level ESCALATED
};

// Seed 001's third trigger: the third complaint of one category within the window is very
// urgent (repeat_3plus).
void ApplyHistoryFacts(const HistoryFacts& facts, events::v1::ComplaintReceived* complaint);

}  // namespace complaints::intake
