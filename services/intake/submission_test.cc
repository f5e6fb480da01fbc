#include "services/intake/submission.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/short_id.h"
#include "libs/grpcutil/status.h"

namespace complaints::intake {
namespace {

intake::v1::SubmitComplaintRequest ValidRequest() {
  intake::v1::SubmitComplaintRequest r;
  r.set_source("ivr-95533");
  r.set_external_id("call-0001");
  r.mutable_customer()->set_name("张三");
  r.mutable_customer()->set_phone("13812345678");
  r.mutable_customer()->set_id_number("110101199003071233");
  r.mutable_customer()->set_card_number("6222021234567890128");
  r.set_category("atm.card_retained");
  r.set_description("ATM吞卡");
  r.set_branch_code("BJ-0101");
  return r;
}

// 2026-12-01, China time: birth dates after it are refused.
const absl::Time kNow = absl::FromUnixSeconds(1796054400);

absl::Status ValidateWith(void (*mutate)(intake::v1::SubmitComplaintRequest&)) {
  auto r = ValidRequest();
  mutate(r);
  return ValidateSubmission(r, nullptr, kNow);
}

// The fields a refusal names, from its BadRequest.
std::vector<std::string> FieldsOf(const absl::Status& status) {
  std::vector<std::string> fields;
  if (auto bad_request = grpcutil::BadRequestOf(status)) {
    for (const auto& v : bad_request->field_violations()) fields.push_back(v.field());
  }
  return fields;
}

absl::Status WithCustomer(const char* field, const std::string& value) {
  auto r = ValidRequest();
  auto* customer = r.mutable_customer();
  customer->GetReflection()->SetString(
      customer, customer->GetDescriptor()->FindFieldByName(field), value);
  return ValidateSubmission(r, nullptr, kNow);
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
      {[](auto& r) { r.mutable_customer()->set_home_branch("BJ 0101"); }, "customer.home_branch: "},
      {[](auto& r) { r.set_category("has space"); }, "category: "},
      {[](auto& r) { r.clear_description(); }, "description: "},
      {[](auto& r) { r.set_channel(static_cast<events::v1::Channel>(99)); }, "channel: "},
      {[](auto& r) { r.set_urgency(events::v1::URGENCY_VERY_URGENT); }, "urgency_reason: "},
  };
  for (const Case& c : cases) {
    const absl::Status s = ValidateWith(c.mutate);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(s.message().substr(0, std::string_view(c.field).size()), c.field) << s;
    const std::string field(std::string_view(c.field).substr(0, std::string_view(c.field).size() - 2));
    EXPECT_EQ(FieldsOf(s), std::vector<std::string>{field}) << s;
  }
}

TEST(SubmissionTest, IdNumbersWithTheirGb11643CheckCharacterAreValid) {
  // Check characters 3, X (upper and lower case) and 4 from weights 7 9 10 5 8 4 2 1 6 3 7 9 10
  // 5 8 4 2, sum mod 11 into "10X98765432".
  for (const char* id : {"110101199003071233", "11010519491231002X", "11010519491231002x",
                         "11010120000229123X", "310104198510134413", "110101190001010014"}) {
    EXPECT_TRUE(WithCustomer("id_number", id).ok()) << id;
  }
}

TEST(SubmissionTest, IdNumbersWithAWrongCheckCharacterAreRefusedWithoutEchoingThem) {
  // Right shape, wrong checksum: a wrong last character, a typo in a digit, two swapped digits.
  for (const char* id : {"11010119900307123X", "110101199003071234", "110101199103071233",
                         "110101199030071233", "440524188001010015"}) {
    const absl::Status s = WithCustomer("id_number", id);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(s.message().rfind("customer.id_number: ", 0), 0u) << s;
    EXPECT_EQ(s.message().find(id), absl::string_view::npos) << s;
    EXPECT_EQ(s.message().find(std::string(id).substr(0, 6)), absl::string_view::npos) << s;
  }
}

TEST(SubmissionTest, IdNumbersNeedARealBirthDateAndRegion) {
  const std::pair<const char*, const char*> cases[] = {
      {"11010119990230001X", "birth date"},  // 30 February
      {"110101209901010017", "birth date"},  // born in 2099
      {"440524188001010014", "birth date"},  // born in 1880: right check character
      {"910101199003071232", "region"},
      {"01010119900307123X", "region"},
      {"110101900307123", "15-digit"},        // first generation: no longer valid
      {"11010119900307123", "18 characters"},
      {"11010119900307123Y", "18 characters"},
  };
  for (const auto& [id, reason] : cases) {
    const absl::Status s = WithCustomer("id_number", id);
    EXPECT_EQ(FieldsOf(s), std::vector<std::string>{"customer.id_number"}) << id << " " << s;
    EXPECT_NE(s.message().find(reason), absl::string_view::npos) << id << " " << s;
    EXPECT_EQ(s.message().find(std::string(id).substr(6, 8)), absl::string_view::npos) << s;
  }
}

TEST(SubmissionTest, CardNumbersAreTwelveToNineteenDigitsPassingLuhn) {
  for (const char* card : {"6222021234567890128", "6222 0212 3456 7890 128",
                           "6222-0212-3456-7890-128", "6217001234567893", "41111111111114",
                           "4111111111111111"}) {
    EXPECT_TRUE(WithCustomer("card_number", card).ok()) << card;
  }
  for (const char* card : {"6222021234567890123", "6222021234567890182", "4111111111111112",
                           "62220212345", "62220212345678901284", "6222.0212.3456.7890.128",
                           "622202123456789012x"}) {
    const absl::Status s = WithCustomer("card_number", card);
    EXPECT_EQ(FieldsOf(s), std::vector<std::string>{"customer.card_number"}) << card << " " << s;
    EXPECT_EQ(s.message().find("1234"), absl::string_view::npos) << s;
  }
}

TEST(SubmissionTest, PhonesMustBeACustomersNumber) {
  for (const char* phone : {"13812345678", "+86 138-1234-5678", "010-62345678-123",
                            "(0755) 2345 6789 转 8", "+852 9123 4567"}) {
    EXPECT_TRUE(WithCustomer("phone", phone).ok()) << phone;
  }
  for (const char* phone : {"12345", "95533", "95533转1", "400-820-8820", "10086", "1234",
                            "138123456789", "not-a-phone", "   "}) {
    const absl::Status s = WithCustomer("phone", phone);
    EXPECT_EQ(FieldsOf(s), std::vector<std::string>{"customer.phone"}) << phone << " " << s;
  }
}

TEST(SubmissionTest, LengthsAreInCharactersNotBytes) {
  // 64 Chinese characters are 192 bytes: a name of that many is fine, one more is not.
  std::string name;
  for (int i = 0; i < 64; ++i) name += "张";
  EXPECT_TRUE(WithCustomer("name", name).ok());
  EXPECT_EQ(FieldsOf(WithCustomer("name", name + "三")),
            std::vector<std::string>{"customer.name"});
  std::string description;
  for (int i = 0; i < 2000; ++i) description += "吞";
  auto r = ValidRequest();
  r.set_description(description);
  EXPECT_TRUE(ValidateSubmission(r, nullptr, kNow).ok());
  r.set_description(description + "卡");
  EXPECT_EQ(FieldsOf(ValidateSubmission(r, nullptr, kNow)), std::vector<std::string>{"description"});
  EXPECT_EQ(CodePointCount("ATM吞卡😀"), 6u);
}

TEST(SubmissionTest, DescriptionsOfOnlySpaceOrSymbolsAreRefused) {
  const std::pair<std::string, const char*> refused[] = {
      {"   ", "is blank"},
      {"\t\r\n", "is blank"},
      {"\u3000\u3000", "is blank"},          // ideographic (full-width) space
      {"\u00a0 \u2003\u200b", "is blank"},   // no-break, em and zero-width spaces
      {"😡😡😡", "has no words"},
      {"！！！？？", "has no words"},
      {"... ---  ***", "has no words"},
      {"👎 \u3000 💢", "has no words"},
  };
  for (const auto& [text, reason] : refused) {
    auto r = ValidRequest();
    r.set_description(text);
    const absl::Status s = ValidateSubmission(r, nullptr, kNow);
    EXPECT_EQ(FieldsOf(s), std::vector<std::string>{"description"}) << s;
    EXPECT_NE(s.message().find(reason), absl::string_view::npos) << s;
  }
  for (const char* text : {"ATM吞卡", "😡 卡被吞了", "no cash!", "95533", "〇", "カード"}) {
    auto r = ValidRequest();
    r.set_description(text);
    EXPECT_TRUE(ValidateSubmission(r, nullptr, kNow).ok()) << text;
  }
}

TEST(SubmissionTest, CategoryIsCheckedAgainstTheInjectedCatalogue) {
  const CategoryKnown catalogue = [](std::string_view code) {
    return code == "atm.card_retained" || code == "fees";
  };
  auto r = ValidRequest();
  EXPECT_TRUE(ValidateSubmission(r, catalogue, kNow).ok());
  r.set_category("atm.unheard_of");
  EXPECT_TRUE(ValidateSubmission(r, nullptr, kNow).ok());  // no catalogue: well-formed is enough
  const absl::Status s = ValidateSubmission(r, catalogue, kNow);
  EXPECT_EQ(FieldsOf(s), std::vector<std::string>{"category"}) << s;
  r.clear_category();  // inferred later
  EXPECT_TRUE(ValidateSubmission(r, catalogue, kNow).ok());
}

TEST(SubmissionTest, EveryBadFieldIsNamedAtOnce) {
  auto r = ValidRequest();
  r.mutable_customer()->set_phone("12345");
  r.mutable_customer()->set_id_number("110101199003071234");
  r.mutable_customer()->set_card_number("6222021234567890123");
  r.mutable_customer()->set_name(std::string(65, 'a'));
  r.set_description("\u3000");
  r.set_urgency(events::v1::URGENCY_VERY_URGENT);
  const absl::Status s = ValidateSubmission(r, nullptr, kNow);
  EXPECT_EQ(FieldsOf(s),
            (std::vector<std::string>{"customer.phone", "customer.id_number",
                                      "customer.card_number", "customer.name", "description",
                                      "urgency_reason"}))
      << s;
  EXPECT_EQ(s.message().rfind("customer.phone: ", 0), 0u) << s;
  for (const char* value : {"12345", "1101011990", "62220212345", "aaaa"}) {
    EXPECT_EQ(s.message().find(value), absl::string_view::npos) << value << " in " << s;
  }
}

TEST(SubmissionTest, StringsThatAreNotUtf8AreNamed) {
  auto r = ValidRequest();
  r.mutable_customer()->set_name("\xe5\xbc");
  r.set_description("ATM\xff");
  r.set_product("\xc0\x80");  // an overlong NUL
  const absl::Status s = ValidateSubmission(r, nullptr, kNow);
  EXPECT_EQ(FieldsOf(s),
            (std::vector<std::string>{"customer.name", "description", "product"})) << s;
}

TEST(SubmissionTest, TheEventCarriesTheCanonicalCustomerAndTheShortId) {
  auto r = ValidRequest();
  r.mutable_customer()->set_phone("+86 138-1234-5678");
  r.mutable_customer()->set_card_number("6222 0212 3456 7890 128");
  r.mutable_customer()->set_id_number("11010519491231002x");
  const auto event = ToReceivedEvent(r, "CMP1", absl::FromUnixSeconds(1764115200));
  EXPECT_EQ(event.customer().phone(), "13812345678");
  EXPECT_EQ(event.customer().card_number(), "6222021234567890128");
  EXPECT_EQ(event.customer().id_number(), "11010519491231002X");
  EXPECT_EQ(event.short_id(), common::ShortId("CMP1"));
  r.mutable_customer()->set_phone("(010) 6234 5678 转 123");
  EXPECT_EQ(ToReceivedEvent(r, "CMP1", absl::UnixEpoch()).customer().phone(), "010-62345678-123");
}

TEST(SubmissionTest, ErrorsNeverEchoCustomerData) {
  auto r = ValidRequest();
  r.mutable_customer()->set_phone("1381234567x");
  const absl::Status s = ValidateSubmission(r);
  EXPECT_EQ(s.message().find("1381234567"), absl::string_view::npos) << s;
}

TEST(SubmissionTest, ReceivedEventIsStampedWithWhatTheCallerAsked) {
  auto r = ValidRequest();
  r.set_description("再不处理我就找记者曝光");
  const auto event = ToReceivedEvent(r, "CMP1", absl::FromUnixSeconds(1764115200));
  EXPECT_EQ(event.complaint_id(), "CMP1");
  EXPECT_EQ(event.channel(), events::v1::CHANNEL_PHONE);
  EXPECT_EQ(event.level(), events::v1::LEVEL_ORDINARY);
  EXPECT_EQ(event.urgency(), events::v1::URGENCY_NORMAL);
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
