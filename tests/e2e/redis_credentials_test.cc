// A service binary whose Redis credentials are refused stops at start with a message that names
// the user and the credentials file, never the password, instead of retrying for ever behind
// NOT_SERVING (the test stack's Redis runs with the ACL users of deploy/redis-credentials.sh).
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/files.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"
#include "tests/support/process.h"

namespace complaints {
namespace {

using testsupport::ChildProcess;
using testsupport::EnvOr;
using testsupport::Platform;

struct Exit {
  int code = 0;
  std::string log;
};

// Runs `service` with `credentials_file` until it exits (or 30 s pass: it is killed, code -9).
Exit RunService(const std::string& service, const std::string& credentials_file,
                const std::string& name) {
  const std::string log =
      absl::StrCat(EnvOr("TEST_LOG_DIR", "/tmp"), "/redis-credentials-", name, "-", getpid(),
                   ".log");
  std::remove(log.c_str());
  Exit result;
  {
    ChildProcess process(
        std::string(COMPLAINTS_BINARY_DIR) + "/services/" + service + "/" + service, {},
        {{"COMPLAINTS_KAFKA_BOOTSTRAP", Platform::KafkaBootstrap()},
         {"COMPLAINTS_REDIS_PORT", Platform::RedisPort()},
         {"COMPLAINTS_REDIS_CREDENTIALS_FILE", credentials_file},
         {"COMPLAINTS_GRPC_ADDRESS", absl::StrCat("127.0.0.1:", testsupport::FreePort())},
         {"COMPLAINTS_METRICS_ADDRESS", "127.0.0.1:0"}},
        log);
    if (!testsupport::WaitFor([&] { return !process.Running(); }, absl::Seconds(30))) {
      process.Kill(SIGKILL);
    }
    result.code = process.Stop();
  }
  result.log = common::ReadFile(log).value_or("");
  return result;
}

TEST(RedisCredentialsTest, AServiceWithAWrongPasswordExitsNamingTheUserAndFile) {
  const std::string file =
      absl::StrCat(EnvOr("TEST_LOG_DIR", "/tmp"), "/redis-credentials-wrong-", getpid());
  std::ofstream(file) << "user=routing\npassword=swordfish-4711\n";
  const Exit exit = RunService("routing", file, "wrong-password");
  EXPECT_EQ(exit.code, 2) << exit.log;
  EXPECT_NE(exit.log.find("cannot start"), std::string::npos) << exit.log;
  EXPECT_NE(exit.log.find("refused user 'routing'"), std::string::npos) << exit.log;
  EXPECT_NE(exit.log.find("WRONGPASS"), std::string::npos) << exit.log;
  EXPECT_NE(exit.log.find(file), std::string::npos) << exit.log;
  EXPECT_EQ(exit.log.find("swordfish"), std::string::npos) << exit.log;
}

TEST(RedisCredentialsTest, AnUnreadableCredentialsFileStopsTheServiceNamingIt) {
  const Exit exit = RunService("intake", "/nonexistent/redis-intake", "missing-file");
  EXPECT_EQ(exit.code, 2) << exit.log;
  EXPECT_NE(exit.log.find("/nonexistent/redis-intake"), std::string::npos) << exit.log;
}

TEST(RedisCredentialsTest, AServiceWithoutCredentialsIsRefusedByTheStacksRedis) {
  if (testsupport::RedisCredentialsFile("admin").empty()) {
    GTEST_SKIP() << "STACK_CREDENTIALS_DIR is unset: the test Redis runs without ACL";
  }
  const Exit exit = RunService("analytics", "", "no-credentials");
  EXPECT_EQ(exit.code, 2) << exit.log;
  EXPECT_NE(exit.log.find("cannot start"), std::string::npos) << exit.log;
  EXPECT_NE(exit.log.find("NOAUTH"), std::string::npos) << exit.log;
  EXPECT_NE(exit.log.find("set redis.credentials_file"), std::string::npos) << exit.log;
}

}  // namespace
}  // namespace complaints
