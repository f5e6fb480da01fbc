#include "services/intake/classifier/normalize.h"

#include "gtest/gtest.h"

namespace complaints::classifier {
namespace {

Normalizer Small() {
  auto n = Normalizer::FromTsv("t2s.tsv", "# comment\n櫃\t柜\n員\t员\n監\t监\n");
  EXPECT_TRUE(n.ok()) << n.status();
  return *n;
}

TEST(Normalize, TraditionalFullWidthAndIdeographicSpace) {
  const NormalizedText t = Small().Normalize("櫃員　１２３７８ＡＴＭ！");
  EXPECT_EQ(t.text, "柜员 12378ATM!");
}

TEST(Normalize, KeepsOneCodePointPerCodePoint) {
  const std::string original = "監管１２３說";  // 說 not in the small map: kept
  const NormalizedText t = Small().Normalize(original);
  EXPECT_EQ(t.size(), CodePointCount(original));
  EXPECT_EQ(t.size(), 6);
  // Byte offsets of the normalised text map back to code points of the original.
  const size_t digits = t.text.find("123");
  ASSERT_NE(digits, std::string::npos);
  EXPECT_EQ(t.CodePointAt(digits), 2);
  EXPECT_EQ(t.CodePointAt(digits + 3), 5);
  EXPECT_EQ(t.CodePointAt(t.text.size()), 6);
}

TEST(Normalize, InvalidBytesCountAsOneCodePointEach) {
  const std::string original = std::string("a\xFF\xFE") + "柜";
  const NormalizedText t = Small().Normalize(original);
  EXPECT_EQ(t.size(), 4);
  EXPECT_EQ(CodePointCount(original), 4);
}

TEST(Normalize, BadMapNamesItsLine) {
  auto n = Normalizer::FromTsv("t2s.tsv", "櫃\t柜\n員\t员员\n");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "t2s.tsv:2: each side must be one valid code point");
  n = Normalizer::FromTsv("t2s.tsv", "櫃\t柜\n# c\n櫃\t柜\n");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "t2s.tsv:3: code point mapped twice");
}

}  // namespace
}  // namespace complaints::classifier
