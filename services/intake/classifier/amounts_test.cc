#include "services/intake/classifier/amounts.h"

#include "gtest/gtest.h"
#include "services/intake/classifier/normalize.h"

namespace complaints::classifier {
namespace {

std::vector<int64_t> Yuan(std::string_view text) {
  std::vector<int64_t> out;
  for (const Amount& a : FindAmounts(DecodeUtf8(text))) out.push_back(a.yuan);
  return out;
}

TEST(ChineseNumeral, Values) {
  EXPECT_EQ(ParseChineseNumeral(U"五"), 5);
  EXPECT_EQ(ParseChineseNumeral(U"十二"), 12);
  EXPECT_EQ(ParseChineseNumeral(U"二十"), 20);
  EXPECT_EQ(ParseChineseNumeral(U"两万"), 20000);
  EXPECT_EQ(ParseChineseNumeral(U"十二万"), 120000);
  EXPECT_EQ(ParseChineseNumeral(U"一万二"), 12000);
  EXPECT_EQ(ParseChineseNumeral(U"三千五"), 3500);
  EXPECT_EQ(ParseChineseNumeral(U"两万三千"), 23000);
  EXPECT_EQ(ParseChineseNumeral(U"一百零五"), 105);
  EXPECT_EQ(ParseChineseNumeral(U"一亿"), 100000000);
  EXPECT_FALSE(ParseChineseNumeral(U"万元").has_value());
}

TEST(Amounts, DigitsWithUnitsAndMultipliers) {
  EXPECT_EQ(Yuan("损失了50,000元"), std::vector<int64_t>{50000});
  EXPECT_EQ(Yuan("亏了5万"), std::vector<int64_t>{50000});
  EXPECT_EQ(Yuan("多扣1.5万块"), std::vector<int64_t>{15000});
  EXPECT_EQ(Yuan("少了3000块"), std::vector<int64_t>{3000});
  EXPECT_EQ(Yuan("¥1,234.50"), std::vector<int64_t>{1235});
  EXPECT_EQ(Yuan("大概2w"), std::vector<int64_t>{20000});
  EXPECT_EQ(Yuan("3千5元"), std::vector<int64_t>{3500});
}

TEST(Amounts, ChineseNumerals) {
  EXPECT_EQ(Yuan("被骗了五万"), std::vector<int64_t>{50000});
  EXPECT_EQ(Yuan("两万块钱"), std::vector<int64_t>{20000});
  EXPECT_EQ(Yuan("一共一万二"), std::vector<int64_t>{12000});
  EXPECT_EQ(Yuan("亏了六万多"), std::vector<int64_t>{60000});
  EXPECT_EQ(Yuan("三千元"), std::vector<int64_t>{3000});
}

TEST(Amounts, FullWidthDigitsAfterNormalisation) {
  Normalizer n;
  EXPECT_EQ(Yuan(n.Normalize("损失５万元").text), std::vector<int64_t>{50000});
}

TEST(Amounts, NumbersThatAreNotMoney) {
  EXPECT_TRUE(Yuan("卡号6231500012345678").empty());
  EXPECT_TRUE(Yuan("排队两个小时").empty());
  EXPECT_TRUE(Yuan("补卡要等十五天").empty());
  EXPECT_TRUE(Yuan("五万个客户").empty());
  EXPECT_TRUE(Yuan("第三次").empty());
  EXPECT_TRUE(Yuan("工单号20250315001").empty());
  EXPECT_TRUE(Yuan("被盗刷了8000多").empty());  // no unit, below 万: not recognisable as money
}

TEST(Amounts, OffsetsInCodePoints) {
  const auto found = FindAmounts(DecodeUtf8("理财亏了5万元啊"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].start, 4);
  EXPECT_EQ(found[0].end, 7);
}

}  // namespace
}  // namespace complaints::classifier
