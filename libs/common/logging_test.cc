#include "libs/common/logging.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "absl/time/clock.h"
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

// What a service writes to stderr (fd 2 on a pipe) until `want` appears or `timeout` passes.
std::string StderrUntil(const std::function<void()>& log, const std::string& want,
                        absl::Duration timeout) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  log();
  std::string out;
  const absl::Time give_up = absl::Now() + timeout;
  while (out.find(want) == std::string::npos && absl::Now() < give_up) {
    pollfd readable{.fd = fds[0], .events = POLLIN, .revents = 0};
    if (::poll(&readable, 1, 50) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n > 0) out.append(chunk, static_cast<size_t>(n));
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fds[0]);
  ::close(fds[1]);
  return out;
}

// Lines are written in blocks once a service has started logging, but none waits long: an info
// line reaches stderr within the flush interval, untouched by any explicit flush.
TEST(LoggingTest, AnInfoLineReachesStderrWithoutAFlush) {
  Config config;
  config.Set("log.flush_ms", "100");
  ASSERT_TRUE(InitLogging("test", config).ok());
  const std::string out =
      StderrUntil([] { spdlog::info("complaint accepted"); }, "complaint accepted",
                  absl::Seconds(5));
  EXPECT_NE(out.find("complaint accepted"), std::string::npos);
}

// A warning goes out at once (here long before the next flush is due), and with it the info
// lines logged before it, in their order.
TEST(LoggingTest, AWarningIsWrittenAtOnceAfterTheLinesBeforeIt) {
  Config config;
  config.Set("log.flush_ms", "600000");
  ASSERT_TRUE(InitLogging("test", config).ok());
  const std::string out = StderrUntil(
      [] {
        spdlog::info("first line");
        ModuleLogger("kafka")->warn("then a warning");
      },
      "then a warning", absl::Seconds(2));
  const size_t first = out.find("first line");
  const size_t warning = out.find("then a warning");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(warning, std::string::npos) << out;
  EXPECT_LT(first, warning);
}

TEST(LoggingTest, ANegativeFlushIntervalIsRefused) {
  Config config;
  config.Set("log.flush_ms", "-1");
  EXPECT_EQ(InitLogging("test", config).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace complaints::common
