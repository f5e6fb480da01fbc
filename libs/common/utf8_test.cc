#include "libs/common/utf8.h"

#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(Utf8Test, ValidatesSequences) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("张三 ☎ 😀"));
  EXPECT_FALSE(IsValidUtf8("\xE5\xBC"));          // 张 cut after two of its three bytes
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("a\xFF" "b"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

TEST(Utf8Test, TruncatesAtACharacterBoundary) {
  const std::string name = "张三丰";  // three bytes each
  EXPECT_EQ(TruncateUtf8(name, 9), name);
  EXPECT_EQ(TruncateUtf8(name, 100), name);
  EXPECT_EQ(TruncateUtf8(name, 8), "张三");
  EXPECT_EQ(TruncateUtf8(name, 7), "张三");
  EXPECT_EQ(TruncateUtf8(name, 6), "张三");
  EXPECT_EQ(TruncateUtf8(name, 2), "");
  EXPECT_EQ(TruncateUtf8(name, 0), "");
  EXPECT_EQ(TruncateUtf8("ab😀", 5), "ab");
  EXPECT_EQ(TruncateUtf8("abcdef", 3), "abc");
  for (size_t n = 0; n <= name.size(); ++n) EXPECT_TRUE(IsValidUtf8(TruncateUtf8(name, n))) << n;
}

TEST(Utf8Test, ReplacesInvalidBytes) {
  EXPECT_EQ(ToValidUtf8("张三"), "张三");
  EXPECT_EQ(ToValidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8("\xE5\xBC"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xC0\xAF\xED\xA0\x80 ok")));
}

TEST(Utf8Test, CountsCodePoints) {
  EXPECT_EQ(CodePointCount(""), 0u);
  EXPECT_EQ(CodePointCount("ATM吞卡😀"), 6u);
}

TEST(Utf8Test, WithValidUtf8KeepsCodeAndPayloadsAndMendsTheMessage) {
  absl::Status broken = absl::InvalidArgumentError("unit HO-\xd4IONS unknown");
  broken.SetPayload("type.googleapis.com/x", absl::Cord("detail"));
  const absl::Status mended = WithValidUtf8(broken);
  EXPECT_EQ(mended.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsValidUtf8(std::string(mended.message())));
  EXPECT_NE(mended.message().find("unknown"), absl::string_view::npos);
  EXPECT_EQ(mended.GetPayload("type.googleapis.com/x"), absl::Cord("detail"));
  EXPECT_EQ(WithValidUtf8(absl::OkStatus()), absl::OkStatus());
}

}  // namespace
}  // namespace complaints::common
