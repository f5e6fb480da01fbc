// End-to-end: a service started with a Kafka credential the secured broker refuses stops at once
// and says why (whose credential, which file), never echoing the password, instead of retrying in
// the background while its health says SERVING.
#include <fstream>

#include "gtest/gtest.h"
#include "tests/support/platform.h"
#include "tests/support/process.h"

namespace complaints {
namespace {

using testsupport::Platform;

TEST(CredentialsTest, AServiceWithAWrongKafkaPasswordStopsAndSaysWhy) {
  const std::string wrong = ::testing::TempDir() + "kafka-intake-wrong";
  std::ofstream(wrong) << "security.protocol=SASL_PLAINTEXT\n"
                          "sasl.mechanisms=SCRAM-SHA-256\n"
                          "sasl.username=intake\n"
                          "sasl.password=wrong-password-7f3a\n";
  const std::string log = testsupport::EnvOr("TEST_LOG_DIR", "/tmp") + "/e2e-wrong-password.log";
  // Through env(1): the service's own environment, the test process's left as it is.
  const testsupport::CommandResult result = testsupport::RunCommand(
      "/usr/bin/env",
      {"COMPLAINTS_KAFKA_CREDENTIALS_FILE=" + wrong,
       "COMPLAINTS_KAFKA_BOOTSTRAP=" + Platform::KafkaBootstrap(),
       "COMPLAINTS_REDIS_PORT=" + Platform::RedisPort(), "COMPLAINTS_GRPC_ADDRESS=127.0.0.1:0",
       "COMPLAINTS_METRICS_ADDRESS=127.0.0.1:0", testsupport::ServiceBinary("intake")},
      log, /*timeout_seconds=*/60);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("refused the credential of user 'intake'"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find(wrong), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("wrong-password-7f3a"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace complaints
