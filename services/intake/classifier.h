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

}  // namespace complaints::intake
