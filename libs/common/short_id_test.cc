#include "libs/common/short_id.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"

namespace complaints::common {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

TEST(ShortIdTest, IsTenBase32SymbolsGroupedFourFourTwo) {
  for (int i = 0; i < 2000; ++i) {
    const std::string id = ShortId(ComplaintIdFor("ivr-95533", "call-" + std::to_string(i)));
    ASSERT_EQ(id.size(), 12u) << id;
    EXPECT_EQ(id[4], '-') << id;
    EXPECT_EQ(id[9], '-') << id;
    for (size_t p = 0; p < id.size(); ++p) {
      if (p == 4 || p == 9) continue;
      EXPECT_NE(std::string_view(kAlphabet).find(id[p]), std::string_view::npos) << id;
    }
    auto parsed = ParseShortId(id);
    ASSERT_TRUE(parsed.ok()) << id << " " << parsed.status();
    EXPECT_EQ(*parsed, id);
  }
}

TEST(ShortIdTest, IsDeterministicAndSpreads) {
  EXPECT_EQ(ShortId("CMP0123456789abcdef0123"), ShortId("CMP0123456789abcdef0123"));
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(ShortId("CMP" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 10000u);  // 10^4 of 2^45: a collision here would be a bug
}

TEST(ShortIdTest, ParsesWhatPeopleType) {
  const std::string id = ShortId("CMP42");
  std::string plain = absl::StrReplaceAll(id, {{"-", ""}});
  EXPECT_EQ(*ParseShortId(plain), id);
  EXPECT_EQ(*ParseShortId(absl::AsciiStrToLower(id)), id);
  EXPECT_EQ(*ParseShortId(" " + plain.substr(0, 5) + " " + plain.substr(5) + " "), id);
  // Crockford's confusables: O for 0, I and L for 1.
  std::string confusable = id;
  for (char& c : confusable) {
    if (c == '0') c = 'O';
    if (c == '1') c = 'l';
  }
  EXPECT_EQ(*ParseShortId(confusable), id);
  EXPECT_EQ(*ParseShortId("O000-0000-00"), "0000-0000-00");
  EXPECT_EQ(*ParseShortId("iIlL-0000-0x"), "1111-0000-0X");  // 1111 0000 0 in base 32, mod 37: 29
}

TEST(ShortIdTest, RefusesWrongLengthsAndSymbols) {
  for (const char* text : {"", "K7QF-29XM-4", "K7QF-29XM-4CC", "K7QF-29XM-U0", "K7QF-29XM-4*",
                           "K7QF_29XM_4C", "短号码"}) {
    const auto parsed = ParseShortId(text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    if (*text != 0) {
      EXPECT_EQ(parsed.status().message().find(text), absl::string_view::npos) << parsed.status();
    }
  }
}

// Every single wrong symbol and every swap of two adjacent different symbols is caught.
TEST(ShortIdTest, CatchesEveryTypoAndAdjacentTransposition) {
  for (int i = 0; i < 200; ++i) {
    const std::string id =
        absl::StrReplaceAll(ShortId("CMP" + std::to_string(i * 7919)), {{"-", ""}});
    for (size_t p = 0; p < id.size(); ++p) {
      for (const char* c = kAlphabet; *c != 0; ++c) {
        if (*c == id[p]) continue;
        std::string typo = id;
        typo[p] = *c;
        EXPECT_FALSE(ParseShortId(typo).ok()) << id << " -> " << typo;
      }
      if (p + 1 < id.size() && id[p] != id[p + 1]) {
        std::string swapped = id;
        std::swap(swapped[p], swapped[p + 1]);
        EXPECT_FALSE(ParseShortId(swapped).ok()) << id << " -> " << swapped;
      }
    }
  }
}

}  // namespace
}  // namespace complaints::common
