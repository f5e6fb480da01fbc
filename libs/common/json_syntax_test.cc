#include "libs/common/json_syntax.h"

#include <string>

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(JsonSyntaxTest, AcceptsJson) {
  for (const char* json :
       {R"({})", R"([])", R"( {"a": [1, -2.5e+3, true, false, null, "x\"\\\u00e9"]} )",
        R"("张三")", "0", R"({"nested": {"deeper": [{}]}})"}) {
    EXPECT_TRUE(CheckJsonSyntax(json).ok()) << json << ": " << CheckJsonSyntax(json);
  }
}

TEST(JsonSyntaxTest, GivesTheByteOffsetAndKind) {
  struct Case {
    std::string json;
    std::string error;
  };
  const Case cases[] = {
      {R"({"phone": "13812345678" x})", "syntax error at byte 24: expected ',' or '}' after a value"},
      {R"({"phone": "1381)", "syntax error at byte 15: unterminated string"},
      {R"({"a" 1})", "syntax error at byte 5: expected ':' after a key"},
      {R"({a: 1})", "syntax error at byte 1: expected a string key"},
      {R"([1, 2)", "syntax error at byte 5: unexpected end of input in an array"},
      {R"({"a": 01})", "syntax error at byte 7: expected ',' or '}' after a value"},
      {R"({"a": tru})", "syntax error at byte 6: expected a value"},
      {R"({"a": "\q"})", "syntax error at byte 8: invalid escape"},
      {"{\"a\": \"\xE5\xBC\"}", "syntax error at byte 7: invalid UTF-8"},
      {"{\"a\": \"x\ny\"}", "syntax error at byte 8: control character in a string"},
      {R"({} {})", "syntax error at byte 3: unexpected data after the JSON value"},
      {"", "syntax error at byte 0: unexpected end of input, expected a value"},
      {std::string(1000, '['), "syntax error at byte 256: nested too deeply"},
  };
  for (const Case& c : cases) {
    const absl::Status status = CheckJsonSyntax(c.json);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(status.message(), c.error) << c.json;
  }
}

}  // namespace
}  // namespace complaints::common
