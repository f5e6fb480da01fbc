#include "tests/support/pii_patterns.h"

#include <cctype>

namespace complaints::testsupport {
namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool PlausibleBirthDate(std::string_view id) {
  const std::string_view year = id.substr(6, 4), month = id.substr(10, 2), day = id.substr(12, 2);
  const int y = std::stoi(std::string(year)), m = std::stoi(std::string(month)),
            d = std::stoi(std::string(day));
  return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

}  // namespace

std::vector<std::string> FindPiiShapes(std::string_view text) {
  std::vector<std::string> found;
  for (size_t at = 0; at < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[at]))) {
      ++at;
      continue;
    }
    size_t end = at;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    size_t word_end = end;
    // An ID number may end in X.
    const bool x_suffix = end - at == 17 && end < text.size() && (text[end] == 'X' || text[end] == 'x');
    if (x_suffix) ++word_end;
    const bool standalone = (at == 0 || !IsWordChar(text[at - 1])) &&
                            (word_end == text.size() || !IsWordChar(text[word_end]));
    const std::string_view run = text.substr(at, word_end - at);
    if (standalone) {
      const char* kind = nullptr;
      if (run.size() == 11 && run[0] == '1' && run[1] >= '3' && run[1] <= '9') {
        kind = "phone";
      } else if (run.size() == 18 && PlausibleBirthDate(run)) {
        kind = "id_number";
      } else if (run.size() >= 16 && run.size() <= 19 && run.substr(0, 2) == "62" && !x_suffix &&
                 LuhnValid(run)) {
        kind = "card_number";
      }
      if (kind != nullptr) {
        found.push_back(std::string(kind) + " at byte " + std::to_string(at));
      }
    }
    at = word_end;
  }
  return found;
}

}  // namespace complaints::testsupport
