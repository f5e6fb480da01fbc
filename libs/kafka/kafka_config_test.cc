#include "libs/kafka/kafka_config.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace complaints::kafka {
namespace {

TEST(KafkaConfigTest, DefaultsWithoutConfig) {
  const KafkaConfig config = KafkaConfig::FromConfig(common::Config());
  EXPECT_EQ(config.bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(config.client_id, "complaints");
  EXPECT_TRUE(config.extra.empty());
}

TEST(KafkaConfigTest, ReadsKeysAndPassThrough) {
  auto parsed = common::Config::Parse(
      "kafka.bootstrap = k1:9093,k2:9093\n"
      "kafka.client_id = routing\n"
      "kafka.client.security.protocol = SASL_SSL\n"
      "kafka.client.sasl.mechanism = SCRAM-SHA-512\n"
      "redis.host = r\n");
  ASSERT_TRUE(parsed.ok());
  const KafkaConfig config = KafkaConfig::FromConfig(*parsed);
  EXPECT_EQ(config.bootstrap_servers, "k1:9093,k2:9093");
  EXPECT_EQ(config.client_id, "routing");
  EXPECT_EQ(config.extra, (std::map<std::string, std::string>{
                              {"sasl.mechanism", "SCRAM-SHA-512"},
                              {"security.protocol", "SASL_SSL"}}));
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(KafkaConfigTest, CredentialsComeFromTheirFile) {
  auto parsed = common::Config::Parse(
      "kafka.credentials_file = " +
      WriteTemp("kafka-routing", "# routing's SCRAM credential\n"
                                 "security.protocol=SASL_PLAINTEXT\n"
                                 "sasl.mechanisms=SCRAM-SHA-256\n"
                                 "sasl.username=routing\n"
                                 "sasl.password=s3cret-value\n"));
  ASSERT_TRUE(parsed.ok());
  const KafkaConfig config = KafkaConfig::FromConfig(*parsed);
  auto credentials = config.Credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->at("sasl.username"), "routing");
  EXPECT_EQ(credentials->at("sasl.password"), "s3cret-value");
  EXPECT_EQ(credentials->at("security.protocol"), "SASL_PLAINTEXT");
}

TEST(KafkaConfigTest, ABadCredentialsFileIsNamedWithoutItsSecrets) {
  KafkaConfig missing;
  missing.credentials_file = ::testing::TempDir() + "no-such-credentials";
  const absl::Status unreadable = missing.Credentials().status();
  EXPECT_FALSE(unreadable.ok());
  EXPECT_NE(unreadable.message().find("no-such-credentials"), std::string::npos) << unreadable;

  KafkaConfig broken;
  broken.credentials_file = WriteTemp("kafka-broken", "sasl.username=x\ns3cret-value\n");
  const absl::Status bad = broken.Credentials().status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("line 2"), std::string::npos) << bad;
  EXPECT_EQ(bad.message().find("s3cret"), std::string::npos) << bad;
}

TEST(KafkaConfigTest, NoCredentialsFileNoCredentials) {
  KafkaConfig config;
  config.credentials_file = "";
  auto credentials = config.Credentials();
  ASSERT_TRUE(credentials.ok());
  EXPECT_TRUE(credentials->empty());
}

}  // namespace
}  // namespace complaints::kafka
