#include "libs/common/short_id.h"

#include <cstdint>

#include "libs/common/ids.h"

namespace complaints::common {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr int kDataSymbols = 9;
constexpr int kBitsPerSymbol = 5;

// The value of a symbol as typed, Crockford's confusables included; -1 if not in the alphabet.
int SymbolValue(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'O') return 0;
  if (c == 'I' || c == 'L') return 1;
  for (int v = 0; v < 32; ++v) {
    if (kAlphabet[v] == c) return v;
  }
  return -1;
}

// Crockford's check: the number the data symbols spell, mod 37. 37 is prime and 32 is not 1
// mod 37, so a change of one symbol (d * 32^k) or a swap of two adjacent ones
// ((a - b) * 31 * 32^k) never leaves the remainder unchanged.
int CheckValue(const int (&data)[kDataSymbols]) {
  int remainder = 0;
  for (int v : data) remainder = (remainder * 32 + v) % 37;
  return remainder;
}

std::string Format(const int (&data)[kDataSymbols], int check) {
  std::string out;
  for (int i = 0; i < kDataSymbols; ++i) {
    if (i == 4 || i == 8) out += '-';
    out += kAlphabet[data[i]];
  }
  out += kAlphabet[check];
  return out;
}

}  // namespace

std::string ShortId(std::string_view complaint_id) {
  for (uint64_t salt = 0;; ++salt) {
    uint64_t bits = StableHash128(complaint_id, salt).h1;
    int data[kDataSymbols];
    for (int i = 0; i < kDataSymbols; ++i) {
      data[i] = static_cast<int>(bits & 31);
      bits >>= kBitsPerSymbol;
    }
    // 5/37 of hashes land on a check symbol outside base32: about 1.16 hashes per id.
    if (const int check = CheckValue(data); check < 32) return Format(data, check);
  }
}

absl::StatusOr<std::string> ParseShortId(std::string_view text) {
  int values[kDataSymbols + 1];
  int count = 0;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    const int v = SymbolValue(c);
    if (v < 0) {
      return absl::InvalidArgumentError(
          "short id: has a character outside 0-9 and A-Z without U");
    }
    if (count == kDataSymbols + 1) {
      return absl::InvalidArgumentError("short id: must be 10 characters");
    }
    values[count++] = v;
  }
  if (count != kDataSymbols + 1) {
    return absl::InvalidArgumentError("short id: must be 10 characters");
  }
  int data[kDataSymbols];
  for (int i = 0; i < kDataSymbols; ++i) data[i] = values[i];
  if (CheckValue(data) != values[kDataSymbols]) {
    return absl::InvalidArgumentError(
        "short id: check character does not match (a character is wrong or two are swapped)");
  }
  return Format(data, values[kDataSymbols]);
}

}  // namespace complaints::common
