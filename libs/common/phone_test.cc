#include "libs/common/phone.h"

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(PhoneTest, MobilesAreElevenDigits) {
  for (const char* text : {"13812345678", "138 1234 5678", "138-1234-5678", "138.1234.5678",
                           "(138) 1234 5678", "+86 138 1234 5678", "+8613812345678",
                           "0086 138 1234 5678", "8613812345678", "86 138-1234-5678",
                           "  13812345678 ", "１３８１２３４５６７８", "＋86 138 1234 5678"}) {
    auto phone = NormalizePhone(text);
    ASSERT_TRUE(phone.ok()) << text << ": " << phone.status();
    EXPECT_EQ(*phone, "13812345678") << text;
  }
  EXPECT_EQ(*NormalizePhone("19912345678"), "19912345678");
}

TEST(PhoneTest, LandlinesAreAreaCodeDashNumberDashExtension) {
  const std::pair<const char*, const char*> cases[] = {
      {"010-62345678", "010-62345678"},
      {"01062345678", "010-62345678"},
      {"(010) 6234 5678", "010-62345678"},
      {"010 6234 5678", "010-62345678"},
      {"021.6234.5678", "021-62345678"},
      {"0755-2345678", "0755-2345678"},
      {"(0755) 2345-6789", "0755-23456789"},
      {"075523456789", "0755-23456789"},
      {"+86 10 6234 5678", "010-62345678"},
      {"+86 (10) 62345678", "010-62345678"},
      {"0086 21 62345678", "021-62345678"},
      {"+86 991 2345678", "0991-2345678"},
      {"010-62345678-123", "010-62345678-123"},
      {"010-62345678转123", "010-62345678-123"},
      {"010 6234 5678 转 8001", "010-62345678-8001"},
      {"010-62345678 分机 12", "010-62345678-12"},
      {"010-62345678 ext. 123", "010-62345678-123"},
      {"010-62345678 ext 123", "010-62345678-123"},
      {"010-62345678x123", "010-62345678-123"},
      {"010-62345678#123", "010-62345678-123"},
      {"0755-2345678-9", "0755-2345678-9"},
  };
  for (const auto& [text, canonical] : cases) {
    auto phone = NormalizePhone(text);
    ASSERT_TRUE(phone.ok()) << text << ": " << phone.status();
    EXPECT_EQ(*phone, canonical) << text;
  }
}

TEST(PhoneTest, HongKongMacauTaiwanAndInternationalAreEPlus) {
  EXPECT_EQ(*NormalizePhone("+852 9123 4567"), "+85291234567");
  EXPECT_EQ(*NormalizePhone("00852-9123-4567"), "+85291234567");
  EXPECT_EQ(*NormalizePhone("+853 6612 3456"), "+85366123456");
  EXPECT_EQ(*NormalizePhone("+886 912 345 678"), "+886912345678");
  EXPECT_EQ(*NormalizePhone("+886 (0)2 2345 6789"), "+886223456789");
  EXPECT_EQ(*NormalizePhone("+1 415 555 2671"), "+14155552671");
  EXPECT_EQ(*NormalizePhone("+44 20 7946 0123 ext 45"), "+442079460123-45");
}

TEST(PhoneTest, ServiceNumbersAreNotACustomers) {
  for (const char* text : {"95533", "95588", "95533转1", "95533-1", "95533 ext 2", "+86 95533",
                           "4008208820", "400-820-8820", "800-820-8820", "8008208820",
                           "10086", "10000", "12345", "12378", "12363", "110", "120", "+86 10086"}) {
    auto phone = NormalizePhone(text);
    EXPECT_EQ(phone.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(phone.status().message().find("not a customer's"), absl::string_view::npos)
        << text << ": " << phone.status();
  }
}

TEST(PhoneTest, OtherShapesAreRefusedWithoutRepeatingTheNumber) {
  for (const char* text : {"", "   ", "1", "12", "1234567", "23456789", "1381234567",
                           "138123456789", "12812345678", "13812345678 转 1",
                           "010-623456789", "0755-1234567", "010-0234567",
                           "01-62345678", "010-62345678-1234567", "010-62345678转", "phone",
                           "138O1234567", "+0 123456789", "+12345", "+1234567890123456",
                           "+852 9123 456", "+886 12345", "1381234567８x",
                           // an area code and nothing after it (found by the fuzzer: it threw)
                           "091", "091(", "0755", "010", "+86 91"}) {
    auto phone = NormalizePhone(text);
    ASSERT_EQ(phone.status().code(), absl::StatusCode::kInvalidArgument)
        << text << " -> " << (phone.ok() ? *phone : "");
    if (std::string_view(text).size() >= 4) {
      EXPECT_EQ(phone.status().message().find(text), absl::string_view::npos) << phone.status();
    }
  }
}

}  // namespace
}  // namespace complaints::common
