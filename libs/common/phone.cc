#include "libs/common/phone.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace complaints::common {
namespace {

absl::Status Refuse(const char* reason) { return absl::InvalidArgumentError(reason); }

constexpr char kShape[] =
    "must be a mainland mobile (11 digits), a landline with its area code, or +country code "
    "and number";
constexpr char kLandlineTooShort[] =
    "is too short (a landline has 7 or 8 digits after the area code)";

// Full-width digits and punctuation (what a Chinese input method types) as ASCII; U+3000 as a
// space. Other text is kept as it is, to be refused later.
std::string ToHalfWidth(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    if (i + 2 < text.size() && byte(0) == 0xEF && byte(1) == 0xBC && byte(2) >= 0x80 &&
        byte(2) <= 0xBF) {
      // U+FF00..U+FF3F: full-width ! .. _ ; U+FF01 is '!' (0x21).
      const int code = 0xFF00 + (byte(2) - 0x80);
      if (code >= 0xFF01 && code <= 0xFF5E) {
        out += static_cast<char>(code - 0xFF01 + 0x21);
        i += 3;
        continue;
      }
    }
    if (i + 2 < text.size() && byte(0) == 0xE3 && byte(1) == 0x80 && byte(2) == 0x80) {
      out += ' ';
      i += 3;
      continue;
    }
    out += text[i++];
  }
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Splits off an extension introduced by a word or sign; nullopt if there is none.
struct Split {
  std::string main;
  std::optional<std::string> extension;
};

absl::StatusOr<Split> SplitExtension(const std::string& text) {
  static const char* const kMarkers[] = {"转", "分机", "ext.", "ext", "EXT", "Ext", "x", "X", "#"};
  size_t at = std::string::npos, length = 0;
  for (const char* marker : kMarkers) {
    const size_t found = text.find(marker);
    if (found != std::string::npos && found < at) {
      at = found;
      length = std::string_view(marker).size();
    }
  }
  if (at == std::string::npos) return Split{text, std::nullopt};
  std::string extension;
  for (char c : text.substr(at + length)) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      extension += c;
    } else if (c != ' ' && c != '-' && c != '.' && c != ':') {
      return Refuse("extension must be 1 to 6 digits");
    }
  }
  if (extension.empty() || extension.size() > 6) return Refuse("extension must be 1 to 6 digits");
  return Split{text.substr(0, at), extension};
}

// A mainland landline's area code length (its 0 included) from its first digits: 010 and 02x
// are 3, the rest 4; 0 if it cannot be one.
size_t AreaCodeLength(std::string_view digits) {
  if (digits.size() < 2 || digits[0] != '0' || digits[1] == '0') return 0;
  return digits[1] == '1' || digits[1] == '2' ? 3 : 4;
}

bool IsLocalNumber(std::string_view local) {
  return AllDigits(local) && local.size() >= 7 && local.size() <= 8 && local[0] >= '2';
}

absl::StatusOr<std::string> Mainland(std::vector<std::string> groups,
                                     std::optional<std::string> extension) {
  const std::string digits = absl::StrJoin(groups, "");
  if (digits.size() < 3) return Refuse("is too short");
  if (absl::StartsWith(digits, "95")) {
    return Refuse("is a 95xxx service number, not a customer's");
  }
  if (absl::StartsWith(digits, "400") || absl::StartsWith(digits, "800")) {
    return Refuse("is a 400/800 service number, not a customer's");
  }
  if (digits[0] == '1') {
    if (digits.size() == 11 && digits[1] >= '3') {
      if (extension) return Refuse("a mobile number has no extension");
      return digits;
    }
    if (digits.size() <= 6 && (digits[1] == '0' || digits[1] == '1' || digits[1] == '2')) {
      return Refuse("is a service code (10xxx, 11x, 12xxx), not a customer's");
    }
    if (digits.size() == 11) return Refuse("is not a mainland mobile number (1[3-9] and 9 digits)");
    return Refuse(kShape);
  }
  if (digits[0] != '0') {
    if (digits.size() == 7 || digits.size() == 8) {
      return Refuse("a landline needs its area code (0 and 2 or 3 digits)");
    }
    return Refuse(kShape);
  }
  const size_t area_length = AreaCodeLength(digits);
  if (area_length == 0) return Refuse("has no valid area code (0 and 2 or 3 digits, not 00)");
  if (digits.size() <= area_length) return Refuse(kLandlineTooShort);  // "091": area code only
  std::string area = digits.substr(0, area_length);
  std::string local;
  if (groups.size() >= 2) {
    // Written with separators: the first group is the area code, and a last group after a
    // number of the right length is the extension ("010-62345678-123").
    if (groups[0].size() != area_length) return Refuse("area code has the wrong length");
    std::vector<std::string> rest(groups.begin() + 1, groups.end());
    if (!extension && rest.size() >= 2) {
      const std::string head = absl::StrJoin(rest.begin(), rest.end() - 1, "");
      if (IsLocalNumber(head) && rest.back().size() <= 6) {
        extension = rest.back();
        rest.pop_back();
      }
    }
    local = absl::StrJoin(rest, "");
  } else {
    local = digits.substr(area_length);
  }
  if (local.size() < 7) return Refuse(kLandlineTooShort);
  if (local.size() > 8) return Refuse("is too long (a landline has 7 or 8 digits after the area code)");
  if (!IsLocalNumber(local)) return Refuse("a landline number starts with 2 to 9");
  std::string canonical = absl::StrCat(area, "-", local);
  if (extension) absl::StrAppend(&canonical, "-", *extension);
  return canonical;
}

absl::StatusOr<std::string> International(std::string digits,
                                          const std::optional<std::string>& extension) {
  std::string canonical;
  if (absl::StartsWith(digits, "852") || absl::StartsWith(digits, "853")) {
    if (digits.size() != 11) return Refuse("a Hong Kong or Macau number has 8 digits after +852/+853");
    canonical = "+" + digits;
  } else if (absl::StartsWith(digits, "886")) {
    std::string national = digits.substr(3);
    if (absl::StartsWith(national, "0")) national = national.substr(1);
    if (national.size() < 8 || national.size() > 9) {
      return Refuse("a Taiwan number has 8 or 9 digits after +886");
    }
    canonical = "+886" + national;
  } else {
    if (digits[0] == '0') return Refuse("country code cannot start with 0");
    if (digits.size() < 8) return Refuse("is too short for an international number");
    if (digits.size() > 15) return Refuse("is too long (at most 15 digits after +)");
    canonical = "+" + digits;
  }
  if (extension) absl::StrAppend(&canonical, "-", *extension);
  return canonical;
}

}  // namespace

absl::StatusOr<std::string> NormalizePhone(std::string_view text) {
  const std::string half = std::string(absl::StripAsciiWhitespace(ToHalfWidth(text)));
  if (half.empty()) return Refuse("is required");
  auto split = SplitExtension(half);
  if (!split.ok()) return split.status();

  // Digit groups: a dash or a closing parenthesis ends one; spaces, dots and an opening
  // parenthesis only group digits for the eye.
  std::vector<std::string> groups(1);
  bool plus = false;
  for (size_t i = 0; i < split->main.size(); ++i) {
    const char c = split->main[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      groups.back() += c;
    } else if (c == '+' && !plus && absl::StrJoin(groups, "").empty()) {
      plus = true;
    } else if (c == '-' || c == ')') {
      if (!groups.back().empty()) groups.emplace_back();
    } else if (c != ' ' && c != '.' && c != '(') {
      return Refuse(
          "may hold only digits, spaces, + - . ( ) and an extension after 转, 分机, ext, x or #");
    }
  }
  if (groups.back().empty()) groups.pop_back();
  if (groups.empty()) return Refuse("has no digits");

  // International prefixes: + or 00. +86 / 0086 is the mainland, whose landlines drop their
  // trunk 0 after it.
  bool international = plus;
  if (!plus && absl::StartsWith(groups[0], "00")) {
    international = true;
    groups[0] = groups[0].substr(2);
    if (groups[0].empty()) groups.erase(groups.begin());
    if (groups.empty()) return Refuse("is too short");
  }
  if (international) {
    std::string digits = absl::StrJoin(groups, "");
    if (!absl::StartsWith(digits, "86")) return International(std::move(digits), split->extension);
    // Drop the 86, whichever group it is in.
    size_t dropped = 0;
    while (dropped < 2) {
      const size_t take = std::min<size_t>(2 - dropped, groups[0].size());
      groups[0] = groups[0].substr(take);
      dropped += take;
      if (groups[0].empty()) groups.erase(groups.begin());
    }
    if (groups.empty()) return Refuse("is too short");
    const std::string national = absl::StrJoin(groups, "");
    const bool mobile = national.size() == 11 && national[0] == '1' && national[1] >= '3';
    const bool service = absl::StartsWith(national, "95") || absl::StartsWith(national, "400") ||
                         absl::StartsWith(national, "800") ||
                         (national[0] == '1' && national.size() <= 6);
    if (!mobile && !service && national[0] != '0') {
      groups[0] = "0" + groups[0];  // the trunk 0 a landline drops after +86
    }
    return Mainland(std::move(groups), split->extension);
  }
  const std::string digits = absl::StrJoin(groups, "");
  if (digits.size() == 13 && absl::StartsWith(digits, "861") && digits[3] >= '3') {
    return digits.substr(2);  // 86 before a mobile, without the +
  }
  return Mainland(std::move(groups), split->extension);
}

}  // namespace complaints::common
