#include "libs/authz/masking.h"

#include <vector>

#include "complaints/events/v1/complaint.pb.h"
#include "libs/common/pii.h"

namespace complaints::authz {

int MaskCustomerData(google::protobuf::Message* message) {
  using google::protobuf::FieldDescriptor;
  if (message->GetDescriptor() == events::v1::Customer::descriptor()) {
    // A generated Customer, or a dynamic message of the same type (parsed by descriptor).
    const auto* reflection = message->GetReflection();
    const auto* descriptor = message->GetDescriptor();
    const auto mask = [&](const char* field, std::string (*masker)(std::string_view)) {
      const FieldDescriptor* f = descriptor->FindFieldByName(field);
      const std::string value = reflection->GetString(*message, f);
      if (!value.empty()) reflection->SetString(message, f, masker(value));
    };
    mask("name", common::MaskName);
    mask("phone", common::MaskPhone);
    mask("id_number", common::MaskIdNumber);
    mask("card_number", common::MaskCardNumber);
    mask("customer_id", common::MaskCardNumber);
    return 1;
  }
  int masked = 0;
  const auto* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_map()) {
      const FieldDescriptor* value = field->message_type()->map_value();
      if (value->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    }
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        masked += MaskCustomerData(reflection->MutableRepeatedMessage(message, field, i));
      }
    } else {
      masked += MaskCustomerData(reflection->MutableMessage(message, field));
    }
  }
  return masked;
}

}  // namespace complaints::authz
