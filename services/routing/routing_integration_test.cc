// Routing's registry of rules versions against the real Redis at 127.0.0.1:$REDIS_PORT (keys
// under a random prefix, deleted afterwards) and the real broker at $KAFKA_BOOTSTRAP (a topic of
// the test's own): after Redis lost the registry, numbering goes on from routing.rules.v1.
#include <random>

#include "absl/strings/str_cat.h"
#include "complaints/events/v1/rules.pb.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_catalogue.h"
#include "libs/testing/scratch_redis.h"
#include "services/routing/redis_rules_versions.h"
#include "services/routing/rules_announcements.h"

namespace complaints::routing {
namespace {

class RedisRulesVersionsTest : public ::testing::Test {
 protected:
  // What routing.rules.v1 holds, as the test says.
  absl::StatusOr<AnnouncedVersion> announced_ = AnnouncedVersion{};
  testing::ScratchRedis scratch_{"rules-versions"};
  RedisRulesVersions versions_{&scratch_.pool(), scratch_.prefix(), [this] { return announced_; }};

  void LoseTheRegistry() {
    auto redis = scratch_.pool().Acquire();
    ASSERT_TRUE(redis.ok());
    ASSERT_TRUE((*redis)->Command({"DEL", scratch_.prefix() + "rules:version"}).ok());
  }
};

TEST_F(RedisRulesVersionsTest, NumbersEachNewContentOnceInOrder) {
  EXPECT_EQ(*versions_.VersionFor("a"), 1);
  EXPECT_EQ(*versions_.VersionFor("a"), 1);  // another instance, or a retry: the same number
  EXPECT_EQ(*versions_.VersionFor("b"), 2);
  EXPECT_EQ(*versions_.VersionFor("a"), 3);  // back to A: a number never used before
}

TEST_F(RedisRulesVersionsTest, ARegistryLostGoesOnFromTheAnnouncedVersions) {
  announced_ = AnnouncedVersion{.version = 7, .digest = "g"};
  EXPECT_EQ(*versions_.VersionFor("g"), 7);  // the files in force when Redis was lost
  EXPECT_EQ(*versions_.VersionFor("h"), 8);
  announced_ = AnnouncedVersion{.version = 8, .digest = "h"};
  LoseTheRegistry();
  EXPECT_EQ(*versions_.VersionFor("h"), 8);
  EXPECT_EQ(*versions_.VersionFor("a"), 9);  // not 1, which named other rules
}

TEST_F(RedisRulesVersionsTest, ARegistryBehindTheAnnouncementsCatchesUp) {
  EXPECT_EQ(*versions_.VersionFor("c"), 1);
  // Redis failed over to a replica that had not seen versions 2 to 5.
  announced_ = AnnouncedVersion{.version = 5, .digest = "f"};
  EXPECT_EQ(*versions_.VersionFor("c"), 6);
  EXPECT_EQ(*versions_.VersionFor("f"), 7);  // f was 5, but 6 came since: f again is new
}

TEST_F(RedisRulesVersionsTest, AnnouncementsThatCannotBeReadNumberNothing) {
  EXPECT_EQ(*versions_.VersionFor("a"), 1);
  announced_ = absl::UnavailableError("broker down");
  EXPECT_EQ(versions_.VersionFor("b").status().code(), absl::StatusCode::kUnavailable);
  announced_ = AnnouncedVersion{};
  EXPECT_EQ(*versions_.VersionFor("b"), 2);  // the failed call took no number
}

kafka::KafkaConfig TestKafka() {
  kafka::KafkaConfig config;
  const char* bootstrap = std::getenv("KAFKA_BOOTSTRAP");
  config.bootstrap_servers = bootstrap != nullptr ? bootstrap : "127.0.0.1:9092";
  return config;
}

std::string MakeTopic() {
  std::mt19937_64 random{std::random_device{}()};
  const std::string name = absl::StrCat("it.rules.", absl::Hex(random()));
  EXPECT_TRUE(kafka::EnsureTopics(TestKafka(), {{.name = name, .partitions = 1}}, absl::Seconds(30))
                  .ok());
  return name;
}

kafka::OutgoingRecord Reloaded(const std::string& topic, int64_t version) {
  events::v1::RulesReloaded reloaded;
  reloaded.set_version(version);
  reloaded.set_digest(absl::StrCat("digest-", version));
  return events::ToRecord(topic, "rules", reloaded, absl::StrCat("reload-", version), "/test",
                          "rules", absl::Now());
}

TEST(ReadLatestAnnouncedTest, AnswersTheHighestVersionWhateverTheOrder) {
  const std::string topic = MakeTopic();
  auto empty = ReadLatestAnnounced(TestKafka(), topic, absl::Seconds(30));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->version, 0);
  EXPECT_EQ(empty->digest, "");

  auto producer = kafka::Producer::Create(TestKafka());
  ASSERT_TRUE(producer.ok()) << producer.status();
  // Two instances announced 3 and 2 out of order; a record that is no announcement is passed.
  kafka::OutgoingRecord junk = Reloaded(topic, 9);
  junk.value = "\xff not a protobuf";
  const std::vector<kafka::OutgoingRecord> records = {Reloaded(topic, 1), Reloaded(topic, 3), junk,
                                                      Reloaded(topic, 2)};
  ASSERT_TRUE((*producer)->Publish(records).ok());
  auto latest = ReadLatestAnnounced(TestKafka(), topic, absl::Seconds(30));
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->version, 3);
  EXPECT_EQ(latest->digest, "digest-3");
}

TEST(ReadLatestAnnouncedTest, ABrokerThatCannotBeReachedIsUnavailable) {
  kafka::KafkaConfig nowhere;
  nowhere.bootstrap_servers = "127.0.0.1:1";
  auto latest = ReadLatestAnnounced(nowhere, "routing.rules.v1", absl::Seconds(2));
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kUnavailable) << latest.status();
}

}  // namespace
}  // namespace complaints::routing
