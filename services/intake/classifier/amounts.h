#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace complaints::classifier {

// A sum of money written in a description: [start, end) in code points, its value in yuan.
struct Amount {
  int32_t start = 0;
  int32_t end = 0;
  int64_t yuan = 0;
};

// Sums of money in normalised text (full-width digits already ASCII): digits with thousands
// commas and decimals ("50,000", "1.5万"), Chinese numerals ("五万", "两万块", "一万二", "十二万"),
// with a multiplier (万, 千, w, k, 亿) and/or a unit (元, 块, 圆, rmb) or a currency sign (¥ ￥).
// A number counts as money only with a unit, a sign, or 万/亿 (in it or after it), and not when a
// measure word follows (五万个, 两千人). Card, phone and ticket numbers carry none of these.
std::vector<Amount> FindAmounts(const std::vector<char32_t>& text);

// The value of a Chinese numeral ("十二", "两万三千", "一万二" = 12000, "三千五" = 3500), or
// nullopt if `numeral` is not one.
std::optional<int64_t> ParseChineseNumeral(std::u32string_view numeral);

}  // namespace complaints::classifier
