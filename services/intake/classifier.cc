#include "services/intake/classifier.h"

#include <array>
#include <string_view>

namespace complaints::intake {
namespace {

using events::v1::Channel;
using events::v1::Level;
using events::v1::Urgency;

// Phrases by which a customer announces escalation (first trigger of seed 001). Simplified and
// traditional forms both occur in what agents type.
constexpr std::array<std::string_view, 22> kEscalationPhrases = {
    "12378", "12363", "银保监", "銀保監", "金融监管", "金融監管", "人民银行", "人民銀行",
    "监管", "監管", "媒体", "媒體", "记者", "記者", "曝光", "法院", "起诉", "起訴",
    "律师", "315", "3·15", "消协"};

bool IsSensitiveChannel(Channel channel) {
  return channel == events::v1::CHANNEL_REGULATOR || channel == events::v1::CHANNEL_MEDIA ||
         channel == events::v1::CHANNEL_HEAD_OFFICE;
}

}  // namespace

Classification Classify(Channel channel, Level requested_level, Urgency requested_urgency,
                        const std::string& requested_reason, const std::string& description) {
  Classification out;
  out.level = requested_level == events::v1::LEVEL_UNSPECIFIED ? events::v1::LEVEL_ORDINARY
                                                               : requested_level;
  if (IsSensitiveChannel(channel) && out.level < events::v1::LEVEL_MAJOR) {
    out.level = events::v1::LEVEL_MAJOR;
  }

  if (requested_urgency == events::v1::URGENCY_VERY_URGENT) {
    out.urgency = events::v1::URGENCY_VERY_URGENT;
    out.urgency_reason = requested_reason;
    return out;
  }
  for (std::string_view phrase : kEscalationPhrases) {
    if (description.find(phrase) != std::string::npos) {
      out.urgency = events::v1::URGENCY_VERY_URGENT;
      out.urgency_reason = "customer threatens to escalate: \"" + std::string(phrase) + "\"";
      break;
    }
  }
  return out;
}

void ApplyHistoryFacts(const HistoryFacts& facts, events::v1::ComplaintReceived* complaint) {
  if (facts.same_category_before + 1 < 3) return;
  complaint->set_urgency(events::v1::URGENCY_VERY_URGENT);
  events::v1::UrgencyReason* reason = complaint->mutable_classification()->add_urgency_reasons();
  reason->set_code("repeat_3plus");
  reason->set_rule_id("history.repeat_3plus");
  if (complaint->urgency_reason().empty()) {
    complaint->set_urgency_reason("repeat_3plus: third complaint of this category in the window");
  }
}

}  // namespace complaints::intake
