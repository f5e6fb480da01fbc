#include "libs/common/pii.h"

#include <vector>

namespace complaints::common {
namespace {

// Keeps `head` leading and `tail` trailing characters; anything too short to keep both with at
// least one masked character in between is masked completely.
std::string KeepEnds(std::string_view s, size_t head, size_t tail) {
  if (s.size() <= head + tail) return std::string(s.size(), '*');
  std::string out(s.substr(0, head));
  out.append(s.size() - head - tail, '*');
  out.append(s.substr(s.size() - tail));
  return out;
}

// Splits UTF-8 into code points so that a Chinese name is masked by character, not by byte.
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char lead = static_cast<unsigned char>(s[i]);
    size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
    if (i + len > s.size()) len = s.size() - i;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace

std::string MaskPhone(std::string_view phone) { return KeepEnds(phone, 3, 4); }

std::string MaskIdNumber(std::string_view id_number) { return KeepEnds(id_number, 4, 4); }

std::string MaskCardNumber(std::string_view card) { return KeepEnds(card, 6, 4); }

std::string MaskName(std::string_view name) {
  const auto chars = CodePoints(name);
  if (chars.empty()) return "";
  if (chars.size() == 1) return "*";
  std::string out(chars.front());
  out.append(chars.size() - 1, '*');
  return out;
}

}  // namespace complaints::common
