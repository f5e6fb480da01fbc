#include "libs/kafka/kafka_config.h"

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

}  // namespace
}  // namespace complaints::kafka
