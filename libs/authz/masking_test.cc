#include "libs/authz/masking.h"

#include "complaints/intake/v1/intake.pb.h"
#include "gtest/gtest.h"

namespace complaints::authz {
namespace {

TEST(MaskingTest, MasksEveryCustomerAtAnyDepth) {
  intake::v1::GetComplaintResponse response;
  auto* customer = response.mutable_complaint()->mutable_customer();
  customer->set_name("张三丰");
  customer->set_phone("13812345678");
  customer->set_id_number("110101199003071234");
  customer->set_card_number("6222021234567890123");
  customer->set_home_branch("BJ-0101");
  response.mutable_complaint()->set_category("atm.card_retained");
  EXPECT_EQ(MaskCustomerData(&response), 1);
  EXPECT_EQ(customer->phone(), "138****5678");
  EXPECT_EQ(customer->id_number(), "1101**********1234");
  EXPECT_EQ(customer->card_number(), "622202*********0123");
  EXPECT_NE(customer->name(), "张三丰");
  EXPECT_EQ(customer->home_branch(), "BJ-0101");  // a unit code, not personal
  EXPECT_EQ(response.complaint().category(), "atm.card_retained");
}

TEST(MaskingTest, LeavesMessagesWithoutCustomersAlone) {
  intake::v1::GetComplaintResponse response;
  response.mutable_complaint()->set_complaint_id("c-1");
  EXPECT_EQ(MaskCustomerData(&response), 0);
  EXPECT_EQ(response.complaint().complaint_id(), "c-1");
}

}  // namespace
}  // namespace complaints::authz
