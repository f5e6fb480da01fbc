#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace complaints::common {

// A complaint's short id: what an agent reads out on the phone and a customer reads back.
//
// Ten symbols of Crockford's base32 (0-9 and A-Z without I, L, O, U), grouped 4-4-2 for reading:
// "K7QF-29XM-4C". The first nine carry 45 bits of a stable hash of the complaint id; the tenth is
// Crockford's check symbol (the nine-symbol number mod 37), which catches every single wrong
// symbol and every swap of two adjacent ones. Crockford's check alphabet has five more symbols
// (* ~ $ = U) for the values 32..36, awkward to say; the hash is salted with a counter until
// the check falls within the 32 base32 symbols, so a short id never contains them.
// Deterministic: the same complaint id always gives the same short id. Not unique: see
// "Short id" in services/intake/README.md for the odds of a collision and what is done about it.
std::string ShortId(std::string_view complaint_id);

// Reads a short id as a person may type it: case-insensitive, with or without the dashes,
// spaces ignored, and Crockford's confusables taken for what they look like (O -> 0, I and
// L -> 1). Returns the canonical form ("K7QF-29XM-4C"); InvalidArgument when it has the wrong
// length, a symbol outside the alphabet (U included), or a check symbol that does not match
// (the message never repeats the text).
absl::StatusOr<std::string> ParseShortId(std::string_view text);

}  // namespace complaints::common
