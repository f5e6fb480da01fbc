#include "libs/common/textproto.h"

#include "google/protobuf/duration.pb.h"
#include "gtest/gtest.h"
#include "libs/common/utf8.h"

namespace complaints::common {
namespace {

TEST(ParseTextProtoTest, ErrorsNameTheFileLineAndColumn) {
  google::protobuf::Duration message;
  const absl::Status status = ParseTextProto("policy.textproto", "seconds: 1\nnanos: x\n", &message);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().substr(0, 19), "policy.textproto:2:") << status;
}

// Found by the config fuzzers: protobuf's parser quotes the offending token, which can end
// inside a multi-byte character; the error is logged, so it must stay valid UTF-8.
TEST(ParseTextProtoTest, AnErrorQuotingBrokenUtf8IsStillUtf8) {
  google::protobuf::Duration message;
  const absl::Status status = ParseTextProto("rules.textproto", "seconds: \"\xe5\x90\n", &message);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(IsValidUtf8(std::string(status.message()))) << status;
}

}  // namespace
}  // namespace complaints::common
