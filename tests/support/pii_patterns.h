#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace complaints::testsupport {

// Customer data by its shape rather than by value, for logs whose tests' values are not known
// (the scan of every log after the e2e run, log_pii_scan): a standalone run of digits that is a
// mainland mobile number (11 digits, 1[3-9]...), a resident ID number (17 digits and a digit or
// X, with a plausible birth date) or a UnionPay card number (16-19 digits starting 62, Luhn
// valid). "Standalone": not inside a longer word, so hex ids and timestamps do not count. One
// line per finding, with the kind and byte offset, never the value.
std::vector<std::string> FindPiiShapes(std::string_view text);

}  // namespace complaints::testsupport
