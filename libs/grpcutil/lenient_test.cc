#include "libs/grpcutil/lenient.h"

#include "complaints/intake/v1/intake.pb.h"
#include "gtest/gtest.h"

namespace complaints::grpcutil {
namespace {

using intake::v1::SubmitComplaintRequest;

// Protobuf's serializer writes invalid UTF-8 (it only logs), its parser refuses it: the bytes a
// client in another language, or a C++ client, can send.
std::string WireWithInvalidStrings() {
  SubmitComplaintRequest request;
  request.set_source("ivr-95533");
  request.set_description("ATM\xff\xfe");
  request.mutable_customer()->set_name("\xe5\xbc");  // 张 cut in half
  request.mutable_customer()->set_phone("13812345678");
  request.set_channel(static_cast<events::v1::Channel>(42));  // an open enum keeps it
  return request.SerializeAsString();
}

TEST(LenientTest, KeepsStringsThatAreNotUtf8AndNamesThem) {
  const std::string wire = WireWithInvalidStrings();
  SubmitComplaintRequest strict;
  ASSERT_FALSE(strict.ParseFromString(wire));

  SubmitComplaintRequest lenient;
  ASSERT_TRUE(ParseLenient(wire, &lenient).ok());
  EXPECT_EQ(lenient.source(), "ivr-95533");
  EXPECT_EQ(lenient.description(), "ATM\xff\xfe");
  EXPECT_EQ(lenient.customer().name(), "\xe5\xbc");
  EXPECT_EQ(lenient.customer().phone(), "13812345678");
  EXPECT_EQ(static_cast<int>(lenient.channel()), 42);
  EXPECT_EQ(InvalidUtf8Fields(lenient),
            (std::vector<std::string>{"customer.name", "description"}));
}

TEST(LenientTest, ValidRequestsParseAsUsual) {
  SubmitComplaintRequest request;
  request.set_source("ivr-95533");
  request.mutable_customer()->set_name("张三");
  SubmitComplaintRequest parsed;
  ASSERT_TRUE(ParseLenient(request.SerializeAsString(), &parsed).ok());
  EXPECT_EQ(parsed.SerializeAsString(), request.SerializeAsString());
  EXPECT_TRUE(InvalidUtf8Fields(parsed).empty());
}

TEST(LenientTest, BytesThatAreNoMessageAreInvalidArgument) {
  SubmitComplaintRequest parsed;
  const absl::Status s = ParseLenient(std::string("\xff\xff\xff\xff garbage", 12), &parsed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "the request is not a complaints.intake.v1.SubmitComplaintRequest (it does not parse)");
}

TEST(LenientTest, UnknownFieldsAreKept) {
  std::string wire = WireWithInvalidStrings();
  wire += std::string("\xa0\x06\x07", 3);  // field 100, varint 7
  SubmitComplaintRequest parsed;
  ASSERT_TRUE(ParseLenient(wire, &parsed).ok());
  EXPECT_EQ(parsed.GetReflection()->GetUnknownFields(parsed).field_count(), 1);
}

}  // namespace
}  // namespace complaints::grpcutil
