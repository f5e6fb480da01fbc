#include "libs/kafka/rdkafka_util.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::kafka::internal {
namespace {

TEST(KafkaErrorTest, MapsToAbslCodes) {
  EXPECT_TRUE(KafkaError(RdKafka::ERR_NO_ERROR, "x").ok());
  EXPECT_EQ(KafkaError(RdKafka::ERR__MSG_TIMED_OUT, "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(KafkaError(RdKafka::ERR__TRANSPORT, "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(KafkaError(RdKafka::ERR_NOT_ENOUGH_REPLICAS, "x").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(KafkaError(RdKafka::ERR_MSG_SIZE_TOO_LARGE, "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KafkaError(RdKafka::ERR__UNKNOWN_TOPIC, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(KafkaError(RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED, "x").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(KafkaError(RdKafka::ERR__QUEUE_FULL, "x").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(KafkaError(RdKafka::ERR__FATAL, "x").code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(KafkaError(RdKafka::ERR__TRANSPORT, "produce to t").message()),
              ::testing::StartsWith("produce to t: "));
}

TEST(MakeConfTest, LayersDefaultsExtraAndFixed) {
  KafkaConfig config;
  config.bootstrap_servers = "b:1";
  config.extra = {{"linger.ms", "50"}, {"acks", "all"}};
  auto conf = MakeConf(config, {{"linger.ms", "5"}, {"message.timeout.ms", "30000"}},
                       {{"acks", "all"}}, nullptr);
  ASSERT_TRUE(conf.ok()) << conf.status();
  std::string value;
  ASSERT_EQ((*conf)->get("linger.ms", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "50");
  ASSERT_EQ((*conf)->get("message.timeout.ms", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "30000");
  ASSERT_EQ((*conf)->get("bootstrap.servers", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "b:1");
}

TEST(MakeConfTest, RejectsOverridingFixedSettingsAndUnknownKeys) {
  KafkaConfig config;
  config.extra = {{"enable.idempotence", "false"}};
  auto conf = MakeConf(config, {}, {{"enable.idempotence", "true"}}, nullptr);
  EXPECT_EQ(conf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(conf.status().message()), ::testing::HasSubstr("kafka.client.enable.idempotence"));

  config.extra = {{"no.such.setting", "1"}};
  EXPECT_EQ(MakeConf(config, {}, {}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace complaints::kafka::internal
