#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace complaints::common {

// A customer's phone number in its one canonical form, so that every record of one customer
// carries the same string (customer history keys on it). Canonical forms:
//   mainland mobile       "13812345678"            11 digits, 1[3-9]...
//   mainland landline     "010-62345678"           0 + 2-3 digit area code, 7-8 digit number
//                         "0755-2345678-123"       ... and an extension of 1-6 digits
//   Hong Kong, Macau      "+85291234567"           +852 / +853 and 8 digits
//   Taiwan                "+886912345678"          +886 and 8-9 digits (trunk 0 dropped)
//   elsewhere             "+4420794601234"         E.164: + and 8-15 digits in all
// Read from what agents and telephony type: spaces, dots, dashes and parentheses anywhere;
// full-width digits and punctuation; mainland prefixes +86, 0086 and 86 (a landline after +86
// or 0086 without its trunk 0: "+86 10 6234 5678"); an extension after 转, 分机, ext, x, # or a
// last dash ("010-62345678-123"). An area code is 3 digits with its 0 for 010 and 02x, 4 for
// the others; a separator after it (dash or parenthesis) must agree.
// Refused (InvalidArgument, a reason that never repeats the number): numbers that are not a
// customer's — 95xxx service numbers (with or without an extension), 400 and 800 numbers,
// 10xxx/11x/12xxx service codes — and anything too short, too long or of another shape.
absl::StatusOr<std::string> NormalizePhone(std::string_view text);

}  // namespace complaints::common
