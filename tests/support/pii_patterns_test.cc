#include "tests/support/pii_patterns.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::testsupport {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(PiiPatternsTest, FindsCustomerDataByShape) {
  EXPECT_THAT(FindPiiShapes("customer 13812345678 called"), ElementsAre("phone at byte 9"));
  EXPECT_THAT(FindPiiShapes("id=11010119900307123X;"), ElementsAre("id_number at byte 3"));
  EXPECT_THAT(FindPiiShapes("id 110101199003071234"), ElementsAre("id_number at byte 3"));
  EXPECT_THAT(FindPiiShapes("card 6222021234567890128"), ElementsAre("card_number at byte 5"));
}

TEST(PiiPatternsTest, LeavesMaskedValuesIdsAndTimesAlone) {
  EXPECT_THAT(FindPiiShapes("138****5678 1101**********1234 622202*********0123"), IsEmpty());
  EXPECT_THAT(FindPiiShapes("complaint a13812345678b offset 1764662400000 at 12:00:01"), IsEmpty());
  EXPECT_THAT(FindPiiShapes("ns 1764662400000000000 us 1764662400000000"), IsEmpty());
  EXPECT_THAT(FindPiiShapes("card 6222021234567890123"), IsEmpty());  // Luhn fails
  EXPECT_THAT(FindPiiShapes("12345678901"), IsEmpty());               // not a mobile prefix
}

}  // namespace
}  // namespace complaints::testsupport
