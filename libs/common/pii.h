#pragma once

#include <string>
#include <string_view>

namespace complaints::common {

// Masking for customer fields before they reach a log line, a metric or an error message.
// Each keeps just enough to let an operator match a case by eye, as bank statements do.

// 13812345678 -> 138****5678
std::string MaskPhone(std::string_view phone);
// 110101199003071234 -> 1101**********1234
std::string MaskIdNumber(std::string_view id_number);
// 6222021234567890123 -> 622202*********0123
std::string MaskCardNumber(std::string_view card);
// 张三丰 -> 张** ; John Smith -> J*********
std::string MaskName(std::string_view name);

}  // namespace complaints::common
