#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace complaints::common {

// MurmurHash3 x64 128-bit: stable across processes, machines and releases (unlike absl::Hash),
// which is what ids derived from content need.
struct Hash128 {
  uint64_t h1;  // the first 64-bit word of the reference implementation
  uint64_t h2;
};
Hash128 StableHash128(std::string_view data, uint64_t seed = 0);

// A 32-hex-digit id from its parts. An event that may be emitted twice (a retry after a crash)
// gets the same id both times, so consumers de-duplicate on it.
std::string DeterministicId(std::initializer_list<std::string_view> parts);

// The complaint id for a submission: the same source + external id always give the same id,
// which makes re-submission idempotent even without any stored state.
std::string ComplaintIdFor(std::string_view source, std::string_view external_id);

}  // namespace complaints::common
