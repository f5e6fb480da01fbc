#include "libs/kafka/rdkafka_util.h"

#include "libs/kafka/consumer.h"

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
  EXPECT_EQ(KafkaError(RdKafka::ERR_INVALID_RECORD, "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KafkaError(RdKafka::ERR__QUEUE_FULL, "x").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(KafkaError(RdKafka::ERR__FATAL, "x").code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(KafkaError(RdKafka::ERR__TRANSPORT, "produce to t").message()),
              ::testing::StartsWith("produce to t: "));
}

// What an operator fixes without touching the record is retried, never dead-lettered.
TEST(KafkaErrorTest, MissingTopicsAuthorizationAndSizeLimitsAreTransient) {
  for (RdKafka::ErrorCode code :
       {RdKafka::ERR__UNKNOWN_TOPIC, RdKafka::ERR__UNKNOWN_PARTITION,
        RdKafka::ERR_UNKNOWN_TOPIC_OR_PART, RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED,
        RdKafka::ERR_GROUP_AUTHORIZATION_FAILED, RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED,
        RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, RdKafka::ERR__AUTHENTICATION,
        RdKafka::ERR_SASL_AUTHENTICATION_FAILED, RdKafka::ERR_MSG_SIZE_TOO_LARGE,
        RdKafka::ERR_RECORD_LIST_TOO_LARGE, RdKafka::ERR__ALL_BROKERS_DOWN,
        RdKafka::ERR_COORDINATOR_NOT_AVAILABLE}) {
    const absl::Status status = KafkaError(code, "produce to t");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_TRUE(IsTransient(status)) << status;
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(RdKafka::err2str(code)));
  }
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
