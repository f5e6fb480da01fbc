#include "services/intake/classifier/amounts.h"

#include <cmath>
#include <string>

namespace complaints::classifier {
namespace {

int Digit(char32_t c) {
  switch (c) {
    case U'零': case U'〇': return 0;
    case U'一': return 1;
    case U'二': case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return -1;
  }
}

int64_t SmallUnit(char32_t c) {
  switch (c) {
    case U'十': return 10;
    case U'百': return 100;
    case U'千': return 1000;
    default: return 0;
  }
}

int64_t BigUnit(char32_t c) {
  switch (c) {
    case U'万': return 10000;
    case U'亿': return 100000000;
    default: return 0;
  }
}

bool IsNumeralChar(char32_t c) { return Digit(c) >= 0 || SmallUnit(c) > 0 || BigUnit(c) > 0; }
bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }

// Measure words after which a number is a count, not money.
bool IsMeasureWord(char32_t c) {
  static constexpr std::u32string_view kWords = U"个人名户次天年月日位家笔条张台号期遍回岁";
  return kWords.find(c) != std::u32string_view::npos;
}

}  // namespace

std::optional<int64_t> ParseChineseNumeral(std::u32string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;    // finished big sections (亿, 万)
  int64_t section = 0;  // current section below 万
  int64_t digit = -1;   // pending digit
  int64_t last_unit = 0;
  bool zero = false;  // a 零 since the last unit: the trailing digit is a unit digit (一百零五)
  for (char32_t c : s) {
    if (const int d = Digit(c); d >= 0) {
      if (d == 0) zero = true;
      digit = d;
    } else if (const int64_t unit = SmallUnit(c); unit > 0) {
      section += (digit < 0 ? 1 : digit) * unit;  // 十二 = 12
      digit = -1;
      last_unit = unit;
      zero = false;
    } else if (const int64_t big = BigUnit(c); big > 0) {
      section += digit < 0 ? 0 : digit;
      if (section == 0) section = 1;
      total = (total + section) * big;
      section = 0;
      digit = -1;
      last_unit = big;
      zero = false;
    } else {
      return std::nullopt;
    }
  }
  if (digit >= 0) {
    // A trailing digit after a unit is one step below it: 一万二 = 12000, 三千五 = 3500.
    section += last_unit >= 10 && !zero ? digit * (last_unit / 10) : digit;
  }
  return total + section;
}

std::vector<Amount> FindAmounts(const std::vector<char32_t>& t) {
  std::vector<Amount> out;
  const size_t n = t.size();
  size_t i = 0;
  while (i < n) {
    const size_t start = i;
    bool has_sign = false;
    if (t[i] == U'¥' || t[i] == U'￥') {
      has_sign = true;
      ++i;
    }
    double value = 0;
    bool has_big = false;
    size_t j = i;
    if (j < n && IsAsciiDigit(t[j])) {
      if (j > 0 && (IsAsciiDigit(t[j - 1]) || t[j - 1] == '.')) {
        ++i;
        continue;
      }
      std::string digits;
      while (j < n) {
        if (IsAsciiDigit(t[j])) {
          digits.push_back(static_cast<char>(t[j++]));
        } else if (t[j] == ',' && j + 1 < n && IsAsciiDigit(t[j + 1])) {
          ++j;
        } else if (t[j] == '.' && j + 1 < n && IsAsciiDigit(t[j + 1]) &&
                   digits.find('.') == std::string::npos) {
          digits.push_back('.');
          ++j;
        } else {
          break;
        }
      }
      value = std::strtod(digits.c_str(), nullptr);
    } else if (j < n && IsNumeralChar(t[j]) && (Digit(t[j]) >= 0 || t[j] == U'十')) {
      size_t k = j;
      while (k < n && IsNumeralChar(t[k])) ++k;
      const auto parsed = ParseChineseNumeral(std::u32string_view(&t[j], k - j));
      if (!parsed.has_value()) {
        i = k;
        continue;
      }
      for (size_t m = j; m < k; ++m) has_big = has_big || BigUnit(t[m]) > 0;
      value = static_cast<double>(*parsed);
      j = k;
    } else {
      i = start + 1;
      continue;
    }
    // Multiplier after digits: 5万, 1.5万, 3千, 2w, 5k.
    if (j < n) {
      if (t[j] == U'万' || t[j] == 'w' || t[j] == 'W') {
        value *= 10000, has_big = true, ++j;
      } else if (t[j] == U'亿') {
        value *= 100000000, has_big = true, ++j;
      } else if (t[j] == U'千' || t[j] == 'k' || t[j] == 'K') {
        value *= 1000, ++j;
        // 3千5 / 3千五
        if (j < n && (IsAsciiDigit(t[j]) || Digit(t[j]) >= 0) &&
            !(j + 1 < n && (IsAsciiDigit(t[j + 1]) || IsNumeralChar(t[j + 1])))) {
          value += 100 * (IsAsciiDigit(t[j]) ? t[j] - '0' : Digit(t[j]));
          ++j;
        }
      }
    }
    size_t end = j;
    size_t k = j;
    while (k < n && (t[k] == U'多' || t[k] == U'余' || t[k] == U'来' || t[k] == ' ')) ++k;
    bool has_unit = false;
    if (k < n && (t[k] == U'元' || t[k] == U'块' || t[k] == U'圆')) {
      has_unit = true;
      end = k + 1;
    } else if (k + 2 < n && (t[k] == 'r' || t[k] == 'R') && (t[k + 1] == 'm' || t[k + 1] == 'M') &&
               (t[k + 2] == 'b' || t[k + 2] == 'B')) {
      has_unit = true;
      end = k + 3;
    } else if (k < n && IsMeasureWord(t[k])) {
      i = j;
      continue;
    }
    if (has_unit || has_sign || has_big) {
      out.push_back({static_cast<int32_t>(start), static_cast<int32_t>(end),
                     static_cast<int64_t>(std::llround(value))});
    }
    i = j > start ? j : start + 1;
  }
  return out;
}

}  // namespace complaints::classifier
