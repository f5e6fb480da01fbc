#include "libs/common/logging.h"

#include "gtest/gtest.h"
#include "libs/common/utf8.h"

namespace complaints::common {
namespace {

// A message cut in the middle of a character (or any stray byte) must not make the log line
// invalid UTF-8: shippers drop such lines, or the whole batch.
TEST(LoggingTest, LinesAreValidUtf8InTextAndJson) {
  for (const char* json : {"false", "true"}) {
    Config config;
    config.Set("log.json", json);
    ASSERT_TRUE(InitLogging("test", config).ok());
    ::testing::internal::CaptureStderr();
    spdlog::info("cut name: {}", std::string("张三").substr(0, 4));
    ModuleLogger("kafka")->warn("stray byte: a\xff" "b");
    spdlog::default_logger()->flush();
    ModuleLogger("kafka")->flush();
    const std::string out = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(IsValidUtf8(out)) << json;
    EXPECT_NE(out.find("cut name: 张\xEF\xBF\xBD"), std::string::npos) << out;
    EXPECT_NE(out.find("stray byte: a\xEF\xBF\xBD" "b"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace complaints::common
