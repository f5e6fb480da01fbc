#include "services/intake/submission.h"

#include <algorithm>
#include <cctype>

#include "libs/common/pii.h"
#include "libs/common/proto_time.h"
#include "libs/grpcutil/status.h"
#include "services/intake/classifier.h"

namespace complaints::intake {
namespace {

using grpcutil::FieldError;

constexpr size_t kMaxIdLength = 128;
constexpr size_t kMaxDescriptionBytes = 16 * 1024;

bool AllDigits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool IsPrintableId(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

absl::Status ValidateId(const char* field, const std::string& value) {
  if (value.empty()) return FieldError(field, "is required");
  if (value.size() > kMaxIdLength) return FieldError(field, "is longer than 128 characters");
  if (!IsPrintableId(value)) return FieldError(field, "must be printable ASCII without spaces");
  return absl::OkStatus();
}

absl::Status ValidateCustomer(const events::v1::Customer& customer) {
  const std::string& phone = customer.phone();
  if (phone.empty()) return FieldError("customer.phone", "is required (follow-up calls the customer back)");
  if (phone.size() < 5 || phone.size() > 20 || !AllDigits(phone)) {
    return FieldError("customer.phone", "must be 5 to 20 digits");
  }
  const std::string& id = customer.id_number();
  if (!id.empty()) {
    const bool valid = id.size() == 18 && AllDigits(id.substr(0, 17)) &&
                       (std::isdigit(static_cast<unsigned char>(id[17])) || id[17] == 'X' ||
                        id[17] == 'x');
    if (!valid) return FieldError("customer.id_number", "must be 18 characters: 17 digits and a digit or X");
    const char check = id[17] == 'x' ? 'X' : id[17];
    if (check != IdNumberCheckCharacter(id)) {
      return FieldError("customer.id_number", "check digit does not match (GB 11643)");
    }
  }
  const std::string& card = customer.card_number();
  if (!card.empty() && (card.size() < 12 || card.size() > 19 || !AllDigits(card))) {
    return FieldError("customer.card_number", "must be 12 to 19 digits");
  }
  if (customer.name().size() > 256) return FieldError("customer.name", "is longer than 256 bytes");
  return absl::OkStatus();
}

}  // namespace

char IdNumberCheckCharacter(const std::string& first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

absl::Status ValidateSubmission(const intake::v1::SubmitComplaintRequest& request) {
  if (auto s = ValidateId("source", request.source()); !s.ok()) return s;
  if (auto s = ValidateId("external_id", request.external_id()); !s.ok()) return s;
  if (!request.has_customer()) return FieldError("customer", "is required");
  if (auto s = ValidateCustomer(request.customer()); !s.ok()) return s;
  if (auto s = ValidateId("category", request.category()); !s.ok()) return s;
  if (request.description().empty()) return FieldError("description", "is required");
  if (request.description().size() > kMaxDescriptionBytes) {
    return FieldError("description", "is longer than 16 KiB");
  }
  if (!events::v1::Channel_IsValid(request.channel())) return FieldError("channel", "unknown value");
  if (!events::v1::Level_IsValid(request.level())) return FieldError("level", "unknown value");
  if (!events::v1::Urgency_IsValid(request.urgency())) return FieldError("urgency", "unknown value");
  if (request.urgency() == events::v1::URGENCY_VERY_URGENT && request.urgency_reason().empty()) {
    return FieldError("urgency_reason", "is required when urgency is VERY_URGENT");
  }
  if (!request.branch_code().empty()) {
    if (auto s = ValidateId("branch_code", request.branch_code()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

intake::v1::SubmitComplaintRequest FromIvrCall(const events::v1::IvrCall& call) {
  intake::v1::SubmitComplaintRequest request;
  request.set_source(call.source());
  request.set_external_id(call.call_id());
  *request.mutable_customer() = call.customer();
  request.set_channel(call.channel() == events::v1::CHANNEL_UNSPECIFIED ? events::v1::CHANNEL_PHONE
                                                                        : call.channel());
  request.set_category(call.category());
  request.set_level(call.level());
  request.set_urgency(call.urgency());
  request.set_urgency_reason(call.urgency_reason());
  request.set_description(call.description());
  request.set_branch_code(call.branch_code());
  request.set_product(call.product());
  return request;
}

events::v1::ComplaintReceived ToReceivedEvent(const intake::v1::SubmitComplaintRequest& request,
                                              const std::string& complaint_id,
                                              absl::Time received_at) {
  events::v1::ComplaintReceived event;
  event.set_complaint_id(complaint_id);
  event.set_source(request.source());
  event.set_external_id(request.external_id());
  *event.mutable_customer() = request.customer();
  event.set_channel(request.channel() == events::v1::CHANNEL_UNSPECIFIED
                        ? events::v1::CHANNEL_PHONE
                        : request.channel());
  event.set_category(request.category());
  const Classification c = Classify(event.channel(), request.level(), request.urgency(),
                                    request.urgency_reason(), request.description());
  event.set_level(c.level);
  event.set_urgency(c.urgency);
  event.set_urgency_reason(c.urgency_reason);
  event.set_description(request.description());
  event.set_branch_code(request.branch_code());
  event.set_product(request.product());
  *event.mutable_received_at() = common::ToProtoTime(received_at);
  return event;
}

std::string DescribeCustomer(const events::v1::Customer& customer) {
  return "name=" + common::MaskName(customer.name()) + " phone=" + common::MaskPhone(customer.phone()) +
         " id=" + common::MaskIdNumber(customer.id_number()) +
         " card=" + common::MaskCardNumber(customer.card_number());
}

}  // namespace complaints::intake
