#include "libs/common/pii.h"

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(PiiTest, MasksPhoneKeepingPrefixAndLastFour) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("1234567"), "*******");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(PiiTest, MasksIdNumber) { EXPECT_EQ(MaskIdNumber("110101199003071234"), "1101**********1234"); }

TEST(PiiTest, MasksCardNumber) { EXPECT_EQ(MaskCardNumber("6222021234567890123"), "622202*********0123"); }

TEST(PiiTest, MasksNamesByCharacterNotByte) {
  EXPECT_EQ(MaskName("张三丰"), "张**");
  EXPECT_EQ(MaskName("王五"), "王*");
  EXPECT_EQ(MaskName("李"), "*");
  EXPECT_EQ(MaskName("John Smith"), "J*********");
}

TEST(PiiTest, MaskedOutputNeverContainsTheMiddleDigits) {
  const std::string phone = "13912345678";
  EXPECT_EQ(MaskPhone(phone).find("1234"), std::string::npos);
}

}  // namespace
}  // namespace complaints::common
