#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace complaints::common {

// Checks that `text` is one JSON value (RFC 8259) in valid UTF-8, and says where it is not:
// InvalidArgument "syntax error at byte <offset>: <kind>", with the offset of the first byte
// that does not fit and a fixed description of what was wrong (e.g. "unterminated string",
// "expected ',' or '}'"). The message never quotes the text: parsers that show the input
// around an error (protobuf's JSON parser does) put customer data into dead-letter headers and
// logs, and can cut a character in half.
absl::Status CheckJsonSyntax(std::string_view text);

}  // namespace complaints::common
