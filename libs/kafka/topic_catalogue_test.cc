#include "libs/kafka/topic_catalogue.h"

#include "absl/algorithm/container.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/files.h"

namespace complaints::kafka {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kDay = 24 * 3600 * 1000;

TEST(TopicCatalogueTest, ParsesTopicsAndGeneratesDlqTwins) {
  auto topics = ParseTopicCatalogue(R"(
# comment
defaults replication=3
dlq retention=14d

a.v1 partitions=6 retention=7d   # trailing comment
b.v1 partitions=6 replication=1 cleanup=compact retention=forever
c.v1	partitions=2 retention=90000ms
)");
  ASSERT_TRUE(topics.ok()) << topics.status();
  ASSERT_EQ(topics->size(), 6u);
  const TopicSpec& a = (*topics)[0];
  EXPECT_EQ(a.name, "a.v1");
  EXPECT_EQ(a.partitions, 6);
  EXPECT_EQ(a.replication_factor, 3);
  EXPECT_EQ(a.cleanup_policy, "delete");
  EXPECT_EQ(a.retention_ms, 7 * kDay);
  const TopicSpec& a_dlq = (*topics)[1];
  EXPECT_EQ(a_dlq.name, "a.v1.dlq");
  EXPECT_EQ(a_dlq.partitions, 6);
  EXPECT_EQ(a_dlq.replication_factor, 3);
  EXPECT_EQ(a_dlq.retention_ms, 14 * kDay);
  const TopicSpec& b = (*topics)[2];
  EXPECT_EQ(b.replication_factor, 1);
  EXPECT_EQ(b.cleanup_policy, "compact");
  EXPECT_EQ(b.retention_ms, -1);
  EXPECT_EQ((*topics)[3].cleanup_policy, "delete");  // the twin of a compacted topic
  EXPECT_EQ((*topics)[4].retention_ms, 90000);
}

TEST(TopicCatalogueTest, Defaults) {
  auto topics = ParseTopicCatalogue("t partitions=1\n");
  ASSERT_TRUE(topics.ok()) << topics.status();
  EXPECT_EQ((*topics)[0].replication_factor, 1);
  EXPECT_EQ((*topics)[0].retention_ms, -1);
  EXPECT_EQ((*topics)[1].retention_ms, 30 * kDay);
  EXPECT_TRUE(ParseTopicCatalogue("# nothing\n\n")->empty());
}

TEST(TopicCatalogueTest, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"t retention=1d", "line 1: partitions=<n> is required"},
      {"\nt partitions=0", "line 2: partitions must be"},
      {"t partitions=x", "partitions must be"},
      {"t partitions=3 replication=0", "replication must be"},
      {"t partitions=3 retention=7w", "bad retention"},
      {"t partitions=3 retention=-1d", "bad retention"},
      {"t partitions=3 cleanup=gone", "bad cleanup policy"},
      {"t partitions=3 colour=red", "unknown attribute `colour`"},
      {"t partitions=3 partitions=4", "`partitions` given twice"},
      {"t partitions", "expected key=value"},
      {"t partitions=1\nt partitions=1", "line 2: topic `t` listed twice"},
      {"t.dlq partitions=1", "dead-letter topics are generated"},
      {"t/x partitions=1", "bad character"},
      {"defaults replication=1\ndefaults replication=2", "line 2: second `defaults`"},
      {"defaults", "needs replication"},
      {"defaults retention=1d", "unknown attribute"},
      {"dlq retention=soon", "bad retention"},
      {"dlq retention=1d\ndlq retention=2d", "second `dlq`"},
      {"t partitions=1 owner=a,,b", "bad principal ``"},
      {"t partitions=1 owner=a,a", "principal `a` named twice"},
      {"t partitions=1 owner=User:a", "bad principal `User:a`"},
      {"readers", "needs a principal"},
      {"readers a\nreaders b", "line 2: second `readers`"},
  };
  for (const Case& c : cases) {
    auto topics = ParseTopicCatalogue(c.text);
    EXPECT_EQ(topics.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(topics.status().message()), HasSubstr(c.message)) << c.text;
  }
  EXPECT_THAT(
      std::string(ParseTopicCatalogue(std::string(246, 'x') + " partitions=1").status().message()),
      HasSubstr("bad topic name"));
}

// Owners write their topics, readers read every topic, join groups and write the twins they
// dead-letter into; nobody else is granted anything.
TEST(TopicCatalogueTest, AclsFollowTheOwnersAndTheReaders) {
  auto topics = ParseTopicCatalogue(
      "readers svc-a svc-b\n"
      "in.v1 partitions=1 owner=telephony readers=branch\n"
      "out.v1 partitions=1 owner=svc-a,svc-b\n");
  ASSERT_TRUE(topics.ok()) << topics.status();
  EXPECT_EQ((*topics)[1].writers, (std::vector<std::string>{"svc-a", "svc-b"}));  // in.v1.dlq
  using R = AclGrant::Resource;
  using O = AclGrant::Operation;
  const std::vector<AclGrant> expected = {
      {R::kTopic, "in.v1", "User:telephony", O::kWrite},
      {R::kTopic, "in.v1", "User:svc-a", O::kRead},
      {R::kTopic, "in.v1", "User:svc-b", O::kRead},
      {R::kTopic, "in.v1", "User:branch", O::kRead},
      {R::kTopic, "in.v1.dlq", "User:svc-a", O::kWrite},
      {R::kTopic, "in.v1.dlq", "User:svc-b", O::kWrite},
      {R::kTopic, "in.v1.dlq", "User:svc-a", O::kRead},
      {R::kTopic, "in.v1.dlq", "User:svc-b", O::kRead},
      {R::kTopic, "out.v1", "User:svc-a", O::kWrite},
      {R::kTopic, "out.v1", "User:svc-b", O::kWrite},
      {R::kTopic, "out.v1", "User:svc-a", O::kRead},
      {R::kTopic, "out.v1", "User:svc-b", O::kRead},
      {R::kTopic, "out.v1.dlq", "User:svc-a", O::kWrite},
      {R::kTopic, "out.v1.dlq", "User:svc-b", O::kWrite},
      {R::kTopic, "out.v1.dlq", "User:svc-a", O::kRead},
      {R::kTopic, "out.v1.dlq", "User:svc-b", O::kRead},
      {R::kGroup, "*", "User:branch", O::kRead},
      {R::kGroup, "*", "User:svc-a", O::kRead},
      {R::kGroup, "*", "User:svc-b", O::kRead},
  };
  EXPECT_EQ(AclPlan(*topics), expected);
}

// The deployed catalogue holds the platform's contract: every topic, co-partitioned.
TEST(TopicCatalogueTest, DeployedCatalogue) {
  auto text = common::ReadFile(std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/topics.conf");
  ASSERT_TRUE(text.ok()) << text.status();
  auto topics = ParseTopicCatalogue(*text);
  ASSERT_TRUE(topics.ok()) << topics.status();
  std::map<std::string, TopicSpec> by_name;
  for (const TopicSpec& topic : *topics) by_name[topic.name] = topic;
  for (const char* name : {"ivr.calls.v1", "complaints.received.v1", "complaints.assignments.v1",
                           "complaints.case.v1", "sla.alerts.v1", "followup.tasks.v1"}) {
    ASSERT_TRUE(by_name.contains(name)) << name;
    ASSERT_TRUE(by_name.contains(std::string(name) + ".dlq")) << name;
    EXPECT_EQ(by_name[name].partitions, 6) << name;
  }
  ASSERT_TRUE(by_name.contains("routing.rules.v1.dlq"));
  ASSERT_TRUE(by_name.contains("ops.redrives.v1.dlq"));
  EXPECT_EQ(by_name["ops.redrives.v1"].partitions, 1);  // the order of claims decides
  EXPECT_EQ(by_name["ops.redrives.v1"].retention_ms, -1);
  // Every topic has its dead-letter twin, and nothing else is there.
  for (const auto& [name, spec] : by_name) {
    if (name.ends_with(".dlq")) {
      EXPECT_TRUE(by_name.contains(name.substr(0, name.size() - 4))) << name;
    } else {
      EXPECT_TRUE(by_name.contains(name + ".dlq")) << name;
    }
  }
  EXPECT_EQ(by_name["complaints.received.v1"].retention_ms, -1);
  EXPECT_EQ(by_name["ivr.calls.v1"].retention_ms, 7 * kDay);
  EXPECT_EQ(by_name["followup.tasks.v1"].retention_ms, 30 * kDay);
  // Every topic has an owner; the SLA timer alone raises alerts, intake alone receives.
  for (const auto& [name, spec] : by_name) EXPECT_FALSE(spec.writers.empty()) << name;
  EXPECT_EQ(by_name["sla.alerts.v1"].writers, std::vector<std::string>{"sla_timer"});
  EXPECT_EQ(by_name["complaints.received.v1"].writers, std::vector<std::string>{"intake"});
  EXPECT_EQ(by_name["ivr.calls.v1"].writers, std::vector<std::string>{"telephony"});
  // The branch systems read the assignments, and nothing else.
  for (const auto& [name, spec] : by_name) {
    EXPECT_EQ(absl::c_linear_search(spec.readers, "branch"), name == "complaints.assignments.v1")
        << name;
  }
}

}  // namespace
}  // namespace complaints::kafka
