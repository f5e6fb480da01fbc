// End-to-end: the routing rules reloaded over and over while complaints stream in through the
// real broker. Every complaint is assigned once, by one version of the rules, to the unit that
// version chooses; every version that chose is announced on routing.rules.v1 with its diff. And
// when Redis loses routing's state after the rules changed, the rebuilt cases keep the units the
// old version chose, and no version number is used twice.
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/rules.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/common/files.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_reader.h"
#include "libs/redis/redis_client.h"
#include "libs/testing/scratch_redis.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"

namespace complaints {
namespace {

using testsupport::Platform;

constexpr int kBatches = 10;
constexpr int kPerBatch = 200;

class RulesReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    run_ = std::to_string(random()) + std::to_string(random());
    dir_ = std::filesystem::temp_directory_path() / ("rules-reload-e2e-" + run_);
    std::filesystem::create_directories(dir_);
    const std::string shipped = std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/routing/";
    rules_a_ = *common::ReadFile(shipped + "rules.textproto");
    // Version B: ATM complaints go to Shenzhen's Nanshan sub-branch (支行) instead of the
    // outlet. (Shenzhen: the other suites' worklists, BJ-0101's, stay free of these complaints.)
    rules_b_ = rules_a_;
    const std::string atm = R"(match { category_prefix: "atm." } unit: "${branch}")";
    const size_t at = rules_b_.find(atm);
    ASSERT_NE(at, std::string::npos);
    rules_b_.replace(at, atm.size(), R"(match { category_prefix: "atm." } unit: "SZ-0410")");
    Write("units.textproto", *common::ReadFile(shipped + "units.textproto"));
    Write("rules.textproto", rules_a_);

    // A Redis of the test's own, which it may flush.
    redis_ = std::make_unique<testsupport::RedisServer>(
        testsupport::EnvOr("TEST_LOG_DIR", "/tmp") + "/rules-reload-redis.log");
    ASSERT_TRUE(redis_->WaitUntilReady());
    platform_ = std::make_unique<Platform>(
        Platform::Options{.env = {{"COMPLAINTS_ROUTING_RULES_DIR", dir_.string()},
                                  {"COMPLAINTS_REDIS_PORT", std::to_string(redis_->port())}}});
    ASSERT_TRUE(platform_->WaitUntilServing(absl::Seconds(60))) << platform_->LogTail("routing");
    admin_ = routing::v1::RoutingAdminService::NewStub(platform_->Channel("routing"));
    kafka::KafkaConfig kafka;
    kafka.bootstrap_servers = Platform::KafkaBootstrap();
    auto producer = kafka::Producer::Create(kafka);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Replaced whole (write, then rename), as an operator's deploy would: the file watch never
  // reads half a file.
  void Write(const std::string& name, const std::string& text) {
    const auto temp = dir_ / (name + ".tmp");
    std::ofstream(temp) << text;
    std::filesystem::rename(temp, dir_ / name);
  }

  // `count` ATM complaints of SZ-0401 (which version A sends to the outlet, B to its 支行),
  // published to complaints.received.v1 as intake would; their ids.
  std::set<std::string> PublishAtmComplaints(const std::string& batch, int count) {
    std::set<std::string> ids;
    std::vector<kafka::OutgoingRecord> records;
    for (int i = 0; i < count; ++i) {
      events::v1::ComplaintReceived c;
      c.set_complaint_id("RL-" + run_ + "-" + batch + "-" + std::to_string(i));
      c.set_source("e2e");
      c.set_external_id(c.complaint_id());
      c.set_category("atm.card_retained");
      c.set_branch_code("SZ-0401");
      c.set_channel(events::v1::CHANNEL_PHONE);
      c.set_level(events::v1::LEVEL_ORDINARY);
      c.set_urgency(events::v1::URGENCY_NORMAL);
      *c.mutable_received_at() = common::ToProtoTime(absl::Now());
      records.push_back(events::ToRecord(events::kReceivedTopic, c.complaint_id(), c,
                                         "received-" + c.complaint_id(), "/e2e", c.complaint_id(),
                                         absl::Now()));
      ids.insert(c.complaint_id());
    }
    EXPECT_TRUE(producer_->Publish(records).ok());
    return ids;
  }

  // Puts `rules` in force through RoutingAdminService.ReloadRules; the version in force after.
  // The file watch may put the change in force before the call does: then the call answers the
  // version in force, unchanged.
  int64_t Reload(const std::string& rules, const std::string& reason) {
    Write("rules.textproto", rules);
    routing::v1::ReloadRulesRequest request;
    request.set_actor("e2e-operator");
    request.set_reason(reason);
    routing::v1::ReloadRulesResponse reloaded;
    grpc::ClientContext context;
    const grpc::Status status = admin_->ReloadRules(&context, request, &reloaded);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reloaded.version();
  }

  // Every complaints.assignments.v1 record about `ids` up to the topic's end, once each of them
  // has one: ce_id -> the contents published under it.
  std::map<std::string, std::set<std::string>> AssignmentsOf(const std::set<std::string>& ids) {
    auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kAssignmentsTopic);
    EXPECT_TRUE(reader.ok());
    std::set<std::string> assigned;
    const auto all_seen = (*reader)->WaitFor(
        [&](const kafka::IncomingRecord& r) {
          const std::string subject = kafka::FindHeader(r.headers, "ce_subject").value_or("");
          if (ids.contains(subject)) assigned.insert(subject);
          return assigned.size() == ids.size();
        },
        absl::Seconds(180));
    EXPECT_TRUE(all_seen.has_value()) << "only " << assigned.size() << " of " << ids.size()
                                      << " complaints assigned\n"
                                      << platform_->LogTail("routing");
    EXPECT_TRUE((*reader)->ReadToEnd(absl::Seconds(30)));
    std::map<std::string, std::set<std::string>> contents;
    (*reader)->Seen([&](const kafka::IncomingRecord& r) {
      if (ids.contains(kafka::FindHeader(r.headers, "ce_subject").value_or(""))) {
        contents[kafka::FindHeader(r.headers, "ce_id").value_or("")].insert(r.value);
      }
      return false;
    });
    return contents;
  }

  std::unique_ptr<testsupport::RedisServer> redis_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<routing::v1::RoutingAdminService::Stub> admin_;
  std::unique_ptr<kafka::Producer> producer_;
  std::string run_;
  std::filesystem::path dir_;
  std::string rules_a_, rules_b_;
};

TEST_F(RulesReloadTest, AReloadDuringLoadLosesAndDuplicatesNothing) {
  // The unit each version sends an ATM complaint of SZ-0401 to.
  std::map<int64_t, std::string> unit_of_version;
  {
    grpc::ClientContext context;
    routing::v1::ListRulesResponse listed;
    ASSERT_TRUE(admin_->ListRules(&context, {}, &listed).ok());
    unit_of_version[listed.version()] = "SZ-0401";
  }
  auto progress = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kAssignmentsTopic);
  ASSERT_TRUE(progress.ok());
  std::set<std::string> ids;
  for (int batch = 0; batch < kBatches; ++batch) {
    const std::set<std::string> batch_ids = PublishAtmComplaints(std::to_string(batch), kPerBatch);
    ids.insert(batch_ids.begin(), batch_ids.end());
    // The reload lands while routing works on the batch: once its first assignment is out.
    ASSERT_TRUE((*progress)
                    ->WaitFor(
                        [&](const kafka::IncomingRecord& r) {
                          return batch_ids.contains(
                              kafka::FindHeader(r.headers, "ce_subject").value_or(""));
                        },
                        absl::Seconds(60))
                    .has_value());
    // Flip the rules while the batch is being routed.
    const bool to_b = batch % 2 == 0;
    unit_of_version[Reload(to_b ? rules_b_ : rules_a_, "flip " + std::to_string(batch))] =
        to_b ? "SZ-0410" : "SZ-0401";
  }

  // Every complaint's assignments: one ce_id each, one content per ce_id.
  std::map<std::string, int> ce_ids_of;  // complaint -> how many ce_ids assign it
  std::set<int64_t> versions_used;
  for (const auto& [ce_id, contents] : AssignmentsOf(ids)) {
    EXPECT_EQ(contents.size(), 1u) << "two contents for ce_id " << ce_id;
    for (const std::string& content : contents) {
      events::v1::Assignment a;
      ASSERT_TRUE(a.ParseFromString(content));
      const std::string& subject = a.complaint_id();
      ++ce_ids_of[subject];
      EXPECT_EQ(a.rule_id(), "atm") << subject;
      EXPECT_EQ(a.sequence(), 1) << subject;
      EXPECT_TRUE(unit_of_version.contains(a.rules_version()))
          << subject << " names version " << a.rules_version();
      if (unit_of_version.contains(a.rules_version())) {
        EXPECT_EQ(a.unit(), unit_of_version[a.rules_version()])
            << subject << " by version " << a.rules_version();
      }
      versions_used.insert(a.rules_version());
    }
  }
  EXPECT_EQ(ce_ids_of.size(), ids.size());
  for (const auto& [id, count] : ce_ids_of) EXPECT_EQ(count, 1) << id << " assigned twice";

  // Each version that chose a unit is on routing.rules.v1, with who and the diff.
  auto audit = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kRulesTopic);
  ASSERT_TRUE(audit.ok());
  ASSERT_TRUE((*audit)->ReadToEnd(absl::Seconds(30)));
  std::set<int64_t> announced;
  (*audit)->Seen([&](const kafka::IncomingRecord& r) {
    events::v1::RulesReloaded reload;
    EXPECT_TRUE(reload.ParseFromString(r.value));
    if (unit_of_version.contains(reload.version()) && reload.previous_version() != 0) {
      EXPECT_TRUE(reload.actor() == "e2e-operator" || reload.actor() == "file-watch")
          << reload.actor();
      EXPECT_EQ(reload.changed_size(), 1) << reload.DebugString();
      if (reload.changed_size() == 1) {
        EXPECT_EQ(reload.changed(0).after().id(), "atm");
      }
    }
    announced.insert(reload.version());
    return false;
  });
  for (int64_t version : versions_used) {
    EXPECT_TRUE(announced.contains(version)) << "version " << version << " never announced";
  }
  std::printf("%zu complaints, %zu rules versions in force during the run, %zu chose units\n",
              ids.size(), unit_of_version.size(), versions_used.size());
}

}  // namespace
}  // namespace complaints

namespace complaints {
namespace {

// As the ACL user admin, as the other tests (the services use their own users).
redis::RedisOptions RedisAt(int port) { return complaints::testing::TestRedisOptions(port); }

TEST_F(RulesReloadTest, RedisLostAfterARulesChangeKeepsEveryUnitAndNumbersNothingTwice) {
  // Routed by version A: to the outlet.
  int64_t version_a = 0;
  {
    grpc::ClientContext context;
    routing::v1::ListRulesResponse listed;
    ASSERT_TRUE(admin_->ListRules(&context, {}, &listed).ok());
    version_a = listed.version();
  }
  const std::set<std::string> before = PublishAtmComplaints("before", 60);
  ASSERT_EQ(AssignmentsOf(before).size(), before.size());
  // Version B would send them to the 支行; then Redis loses everything.
  const int64_t version_b = Reload(rules_b_, "to the sub-branch");
  ASSERT_GT(version_b, version_a);
  auto redis = redis::RedisClient::Connect(RedisAt(redis_->port()));
  ASSERT_TRUE(redis.ok());
  ASSERT_TRUE((*redis)->Command({"FLUSHALL"}).ok());

  // The cases rebuilt from Kafka are where version A put them...
  auto cases = routing::v1::CaseService::NewStub(platform_->Channel("routing"));
  for (const std::string& id : before) {
    routing::v1::GetCaseRequest request;
    request.set_complaint_id(id);
    routing::v1::GetCaseResponse response;
    ASSERT_TRUE(testsupport::Eventually([&] {
                  grpc::ClientContext c;
                  return cases->GetCase(&c, request, &response);
                }).ok())
        << platform_->LogTail("routing");
    EXPECT_EQ(response.case_().unit(), "SZ-0401") << id;
  }
  // ...new complaints go where version B sends them...
  const std::set<std::string> after = PublishAtmComplaints("after", 6);
  for (const auto& [ce_id, contents] : AssignmentsOf(after)) {
    ASSERT_EQ(contents.size(), 1u) << ce_id;
    events::v1::Assignment a;
    ASSERT_TRUE(a.ParseFromString(*contents.begin()));
    EXPECT_EQ(a.unit(), "SZ-0410");
    EXPECT_EQ(a.rules_version(), version_b);
  }
  // ...the next version is numbered after B, not from 1 again...
  EXPECT_EQ(Reload(rules_a_, "back to the outlet"), version_b + 1);
  // ...and no complaint was assigned again: one record per ce_id, one ce_id per complaint.
  const auto assignments = AssignmentsOf(before);
  EXPECT_EQ(assignments.size(), before.size());
  for (const auto& [ce_id, contents] : assignments) {
    EXPECT_EQ(contents.size(), 1u) << "ce_id " << ce_id << " published with other content";
    for (const std::string& content : contents) {
      events::v1::Assignment a;
      ASSERT_TRUE(a.ParseFromString(content));
      EXPECT_EQ(a.rules_version(), version_a) << ce_id;
    }
  }
}

}  // namespace
}  // namespace complaints
