#include "libs/common/utf8.h"

#include "absl/strings/cord.h"

namespace complaints::common {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) return 0;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  // The allowed range of the second byte excludes overlong forms, surrogates and > U+10FFFF.
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!IsContinuation(byte(i))) return 0;
  }
  return length;
}

bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    const size_t length = Utf8SequenceLength(s);
    if (length == 0) return false;
    s.remove_prefix(length);
  }
  return true;
}

std::string_view TruncateUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  // Back off over continuation bytes to the lead byte of the character the limit splits; at
  // most three of them belong to one character.
  for (size_t back = 0; cut > 0 && back < 3 && IsContinuation(static_cast<unsigned char>(s[cut]));
       ++back) {
    --cut;
  }
  if (IsContinuation(static_cast<unsigned char>(s[cut]))) cut = max_bytes;  // not UTF-8 anyway
  return s.substr(0, cut);
}

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const size_t length = Utf8SequenceLength(s);
    if (length == 0) {
      out.append(kReplacement);
      s.remove_prefix(1);
    } else {
      out.append(s.substr(0, length));
      s.remove_prefix(length);
    }
  }
  return out;
}

size_t CodePointCount(std::string_view s) {
  size_t count = 0;
  for (char c : s) count += !IsContinuation(static_cast<unsigned char>(c));
  return count;
}

absl::Status WithValidUtf8(const absl::Status& status) {
  const std::string_view message(status.message().data(), status.message().size());
  if (status.ok() || IsValidUtf8(message)) return status;
  absl::Status valid(status.code(), ToValidUtf8(message));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    valid.SetPayload(url, payload);
  });
  return valid;
}

}  // namespace complaints::common
