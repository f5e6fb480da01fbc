#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace complaints::common {

// UTF-8 checks for text that leaves the process (log lines, Kafka headers, gRPC status
// messages): log shippers and JSON consumers reject or mangle invalid UTF-8, and a string cut at
// a byte limit can end in the middle of a character.

// The length in bytes of the valid UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at
// most U+10FFFF) starting at `s[0]`, or 0 if `s` does not start with one.
size_t Utf8SequenceLength(std::string_view s);

bool IsValidUtf8(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` bytes that does not end inside a character.
// (Only the cut is checked: invalid bytes before it are left to ToValidUtf8.)
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes);

// The number of Unicode code points in valid UTF-8 `s` (its lead bytes): text limits are in
// characters, so that 500 characters of Chinese are as welcome as 500 of English.
size_t CodePointCount(std::string_view s);

// `s` with every byte that is not part of a valid sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);
// `status` with its message made valid UTF-8: for errors that quote a configuration file or an
// input, which may be cut inside a character, before they reach a log or a gRPC status.
absl::Status WithValidUtf8(const absl::Status& status);

}  // namespace complaints::common
