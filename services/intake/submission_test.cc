#include "services/intake/submission.h"

#include "gtest/gtest.h"

namespace complaints::intake {
namespace {

intake::v1::SubmitComplaintRequest ValidRequest() {
  intake::v1::SubmitComplaintRequest r;
  r.set_source("ivr-95533");
  r.set_external_id("call-0001");
  r.mutable_customer()->set_name("张三");
  r.mutable_customer()->set_phone("13812345678");
  r.mutable_customer()->set_id_number("110101199003071233");
  r.mutable_customer()->set_card_number("6222021234567890123");
  r.set_category("atm.card_retained");
  r.set_description("ATM吞卡");
  r.set_branch_code("BJ-0101");
  return r;
}

absl::Status ValidateWith(void (*mutate)(intake::v1::SubmitComplaintRequest&)) {
  auto r = ValidRequest();
  mutate(r);
  return ValidateSubmission(r);
}

TEST(SubmissionTest, AcceptsAValidRequest) { EXPECT_TRUE(ValidateSubmission(ValidRequest()).ok()); }

TEST(SubmissionTest, ErrorsNameTheField) {
  struct Case {
    void (*mutate)(intake::v1::SubmitComplaintRequest&);
    const char* field;
  };
  const Case cases[] = {
      {[](auto& r) { r.clear_source(); }, "source: "},
      {[](auto& r) { r.set_external_id("has space"); }, "external_id: "},
      {[](auto& r) { r.clear_customer(); }, "customer: "},
      {[](auto& r) { r.mutable_customer()->set_phone("12ab"); }, "customer.phone: "},
      {[](auto& r) { r.mutable_customer()->clear_phone(); }, "customer.phone: "},
      {[](auto& r) { r.mutable_customer()->set_id_number("123"); }, "customer.id_number: "},
      {[](auto& r) { r.mutable_customer()->set_card_number("12"); }, "customer.card_number: "},
      {[](auto& r) { r.clear_category(); }, "category: "},
      {[](auto& r) { r.clear_description(); }, "description: "},
      {[](auto& r) { r.set_channel(static_cast<events::v1::Channel>(99)); }, "channel: "},
      {[](auto& r) { r.set_urgency(events::v1::URGENCY_VERY_URGENT); }, "urgency_reason: "},
  };
  for (const Case& c : cases) {
    const absl::Status s = ValidateWith(c.mutate);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(s.message().substr(0, std::string_view(c.field).size()), c.field) << s;
  }
}

TEST(SubmissionTest, IdNumbersWithTheirGb11643CheckCharacterAreValid) {
  // Check characters 3, X (upper and lower case) and 4 from weights 7 9 10 5 8 4 2 1 6 3 7 9 10
  // 5 8 4 2, sum mod 11 into "10X98765432".
  for (const char* id : {"110101199003071233", "11010519491231002X", "11010519491231002x",
                         "440524188001010014"}) {
    auto r = ValidRequest();
    r.mutable_customer()->set_id_number(id);
    EXPECT_TRUE(ValidateSubmission(r).ok()) << id;
  }
}

TEST(SubmissionTest, IdNumbersWithAWrongCheckCharacterAreRefusedWithoutEchoingThem) {
  // Right shape, wrong checksum: a wrong last character, a typo in a digit, two swapped digits.
  for (const char* id : {"11010119900307123X", "110101199003071234", "110101199103071233",
                         "110101199030071233", "440524188001010015"}) {
    auto r = ValidRequest();
    r.mutable_customer()->set_id_number(id);
    const absl::Status s = ValidateSubmission(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(s.message().rfind("customer.id_number: ", 0), 0u) << s;
    EXPECT_EQ(s.message().find(id), absl::string_view::npos) << s;
    EXPECT_EQ(s.message().find(std::string(id).substr(0, 6)), absl::string_view::npos) << s;
  }
}

TEST(SubmissionTest, ErrorsNeverEchoCustomerData) {
  auto r = ValidRequest();
  r.mutable_customer()->set_phone("1381234567x");
  const absl::Status s = ValidateSubmission(r);
  EXPECT_EQ(s.message().find("1381234567"), absl::string_view::npos) << s;
}

TEST(SubmissionTest, ReceivedEventIsClassifiedAndStamped) {
  auto r = ValidRequest();
  r.set_description("再不处理我就找记者曝光");
  const auto event = ToReceivedEvent(r, "CMP1", absl::FromUnixSeconds(1764115200));
  EXPECT_EQ(event.complaint_id(), "CMP1");
  EXPECT_EQ(event.channel(), events::v1::CHANNEL_PHONE);
  EXPECT_EQ(event.level(), events::v1::LEVEL_ORDINARY);
  EXPECT_EQ(event.urgency(), events::v1::URGENCY_VERY_URGENT);
  EXPECT_EQ(event.received_at().seconds(), 1764115200);
  EXPECT_EQ(event.customer().phone(), "13812345678");
}

TEST(SubmissionTest, DescribeCustomerMasksEverything) {
  const std::string text = DescribeCustomer(ValidRequest().customer());
  EXPECT_EQ(text.find("13812345678"), std::string::npos);
  EXPECT_EQ(text.find("张三"), std::string::npos);
  EXPECT_EQ(text.find("1234567890"), std::string::npos);
  EXPECT_NE(text.find("138****5678"), std::string::npos);
}

TEST(SubmissionTest, IvrCallBecomesAPhoneSubmission) {
  events::v1::IvrCall call;
  call.set_call_id("c-1");
  call.set_source("ivr-95533");
  call.set_category("fees");
  const auto r = FromIvrCall(call);
  EXPECT_EQ(r.external_id(), "c-1");
  EXPECT_EQ(r.channel(), events::v1::CHANNEL_PHONE);
}

}  // namespace
}  // namespace complaints::intake
