// The SLA timer's guarantees against the real Kafka and a Redis of the test's own: the sla_timer
// binary is killed in the middle of a burst, loses its Redis, and shares the work with a second
// instance; every deadline still alerts, with the same event id whenever it is fired again.
#include <signal.h>

#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_reader.h"
#include "libs/redis/redis_client.h"
#include "libs/testing/scratch_redis.h"
#include "tests/support/platform.h"
#include "tests/support/process.h"

namespace complaints {
namespace {

using testsupport::ChildProcess;
using testsupport::EnvOr;
using testsupport::FreePort;
using testsupport::Platform;
using testsupport::RedisServer;

// One real second is an hour of clock time.
constexpr double kClockFactor = 3600;

// The partitions of complaints.case.v1 a timer owns now, from its log: each "assigned" line
// adds its partitions, each "revoked" or "assignment lost" line takes them away.
std::set<int> OwnedCasePartitions(const std::string& log_file) {
  std::ifstream in(log_file);
  std::string line;
  std::set<int> owned;
  const std::regex change(R"(\b(assigned|revoked|assignment lost)\b.*)");
  const std::regex partition(R"(complaints\.case\.v1\[(\d+)\])");
  while (std::getline(in, line)) {
    std::smatch what;
    if (!std::regex_search(line, what, change)) continue;
    const bool assigned = what[1] == "assigned";
    const std::string rest = what[0];
    for (auto it = std::sregex_iterator(rest.begin(), rest.end(), partition);
         it != std::sregex_iterator(); ++it) {
      const int p = std::stoi((*it)[1]);
      if (assigned) {
        owned.insert(p);
      } else {
        owned.erase(p);
      }
    }
  }
  return owned;
}

constexpr int kCasePartitions = 6;  // deploy/topics.conf

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

std::string RunId() {
  std::random_device random;
  return std::to_string(random()) + std::to_string(random());
}

// A timer process of the test: its own gRPC port, the given Redis and consumer group, the
// fast test policy (accept within one clock hour, a warning at half, one escalation an hour
// after the breach) on a clock 3600 times real time.
class Timer {
 public:
  // `lease`: how long claimed alerts stay with this instance (real time). Short only where an
  // instance is killed: a slow publish beyond it fires the alert again (same id).
  // `instance_id`: a static group member's id (kafka.group_instance_id), or none.
  Timer(const std::string& name, int redis_port, const std::string& group, int64_t origin_ms,
        absl::Duration lease = absl::Seconds(60), const std::string& instance_id = "")
      : port_(FreePort()) {
    const std::string log_dir = EnvOr("TEST_LOG_DIR", "/tmp");
    log_ = log_dir + "/sla-resilience-" + group + "-" + name + ".log";
    // A killed member's partitions move to the others once its session times out: seconds here,
    // not the default 45.
    const std::string config = log_dir + "/sla-resilience-" + group + "-" + name + ".conf";
    std::ofstream(config) << "kafka.client.session.timeout.ms = 6000\n"
                          << "kafka.client.heartbeat.interval.ms = 1000\n";
    process_ = std::make_unique<ChildProcess>(
        std::string(COMPLAINTS_BINARY_DIR) + "/services/sla_timer/sla_timer",
        std::vector<std::string>{"--config", config},
        std::map<std::string, std::string>{
            {"COMPLAINTS_KAFKA_BOOTSTRAP", Platform::KafkaBootstrap()},
            {"COMPLAINTS_REDIS_PORT", std::to_string(redis_port)},
            {"COMPLAINTS_REDIS_CREDENTIALS_FILE", testsupport::RedisCredentialsFile("sla_timer")},
            {"COMPLAINTS_GRPC_ADDRESS", "127.0.0.1:" + std::to_string(port_)},
            {"COMPLAINTS_KAFKA_GROUP_ID", group},
            {"COMPLAINTS_SLA_POLICY_FILE",
             std::string(COMPLAINTS_SOURCE_DIR) + "/tests/e2e/fast-policy.textproto"},
            {"COMPLAINTS_SLA_LEASE_MS", std::to_string(absl::ToInt64Milliseconds(lease))},
            {"COMPLAINTS_CLOCK_FACTOR", std::to_string(static_cast<int>(kClockFactor))},
            {"COMPLAINTS_CLOCK_ORIGIN_UNIX_MS", std::to_string(origin_ms)},
            {"COMPLAINTS_KAFKA_GROUP_INSTANCE_ID", instance_id},
        },
        log_);
  }

  ChildProcess& process() { return *process_; }
  const std::string& log() const { return log_; }

 private:
  int port_;
  std::string log_;
  std::unique_ptr<ChildProcess> process_;
};

class SlaResilienceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.WaitUntilReady());
    kafka::KafkaConfig config;
    config.bootstrap_servers = Platform::KafkaBootstrap();
    auto producer = kafka::Producer::Create(config);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
  }

  // Alerts about `ids` on sla.alerts.v1 up to its end now.
  size_t CountAlertsAbout(const std::vector<std::string>& ids) {
    const std::set<std::string> wanted(ids.begin(), ids.end());
    auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kSlaAlertsTopic);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return 0;
    EXPECT_TRUE((*reader)->ReadToEnd(absl::Seconds(60)));
    return (*reader)
        ->Seen([&](const kafka::IncomingRecord& r) {
          return wanted.contains(kafka::FindHeader(r.headers, "ce_subject").value_or(""));
        })
        .size();
  }

  // The clock every timer of the test reads.
  absl::Time ClockNow() const { return origin_ + (absl::Now() - origin_) * kClockFactor; }

  // `n` complaints assigned now, as routing would announce them.
  std::vector<std::string> AssignComplaints(int n) {
    std::vector<kafka::OutgoingRecord> records;
    std::vector<std::string> ids;
    const absl::Time now = ClockNow();
    for (int i = 0; i < n; ++i) {
      const std::string id = "CMP-SLA-" + run_ + "-" + std::to_string(i);
      events::v1::CaseEvent event;
      event.set_complaint_id(id);
      event.set_unit("BJ-0101");
      *event.mutable_occurred_at() = common::ToProtoTime(now);
      auto* assigned = event.mutable_assigned();
      assigned->set_sequence(1);
      assigned->set_level(events::v1::LEVEL_ORDINARY);
      assigned->set_category("atm.card_retained");
      records.push_back(
          events::ToRecord(events::kCaseTopic, id, event, "assigned-" + id, "/test", id, now));
      ids.push_back(id);
    }
    EXPECT_TRUE(producer_->Publish(records).ok());
    return ids;
  }

  // Every alert about `ids` on sla.alerts.v1: read until each complaint has
  // `distinct_per_complaint` distinct alert ids or `timeout` passes, then `settle` longer (to
  // see any duplicate fired late).
  std::vector<kafka::IncomingRecord> AlertsAbout(const std::vector<std::string>& ids,
                                                 size_t distinct_per_complaint,
                                                 absl::Duration timeout,
                                                 absl::Duration settle = absl::Seconds(3)) {
    const std::set<std::string> wanted(ids.begin(), ids.end());
    auto about = [&](const kafka::IncomingRecord& r) {
      return wanted.contains(kafka::FindHeader(r.headers, "ce_subject").value_or(""));
    };
    auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kSlaAlertsTopic);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return {};
    std::map<std::string, std::set<std::string>> distinct;
    size_t complete = 0;
    (*reader)->WaitFor(
        [&](const kafka::IncomingRecord& r) {
          if (!about(r)) return false;
          auto& ce_ids = distinct[kafka::FindHeader(r.headers, "ce_subject").value_or("")];
          if (ce_ids.insert(kafka::FindHeader(r.headers, "ce_id").value_or("")).second &&
              ce_ids.size() == distinct_per_complaint) {
            ++complete;
          }
          return complete == wanted.size();
        },
        timeout);
    return (*reader)->All(about, settle);
  }

  const std::string run_ = RunId();
  const absl::Time origin_ = absl::Now();
  RedisServer redis_{EnvOr("TEST_LOG_DIR", "/tmp") + "/sla-resilience-redis-" + run_ + ".log"};
  std::unique_ptr<kafka::Producer> producer_;
};

// (complaint, kind, step) of an alert record.
std::tuple<std::string, int, int> AlertIdentity(const kafka::IncomingRecord& r) {
  events::v1::SlaAlert alert;
  alert.ParseFromString(r.value);
  return {alert.complaint_id(), alert.kind(), alert.step()};
}

// Per complaint the fast policy raises three alerts of the accept clock: the warning at half
// the hour, the breach, the first escalation step an hour later.
constexpr size_t kAlertsPerComplaint = 3;

TEST_F(SlaResilienceTest, KilledInTheMiddleOfABurstEveryDeadlineAlertsWithStableIds) {
  const std::string group = "sla-kill-" + run_;
  // A short lease, so that what the killed instance claimed fires again within seconds. The
  // second instance takes the first one's place as a StatefulSet pod would: the same static
  // member id, so the broker hands it the partitions without waiting for the dead session.
  auto first = std::make_unique<Timer>("first", redis_.port(), group, absl::ToUnixMillis(origin_),
                                       absl::Seconds(2), "sla-timer-0");
  ASSERT_TRUE(WaitUntil(
      [&] { return OwnedCasePartitions(first->log()).size() == kCasePartitions; },
      absl::Seconds(60)))
      << "see " << first->log();
  const auto ids = AssignComplaints(500);
  const size_t burst = ids.size() * kAlertsPerComplaint;
  // Warnings fall due half a second after the assignments, breaches after one, escalations a
  // second later: kill it as soon as some of the burst is on the topic.
  {
    const std::set<std::string> wanted(ids.begin(), ids.end());
    auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kSlaAlertsTopic);
    ASSERT_TRUE(reader.ok()) << reader.status();
    size_t seen = 0;
    ASSERT_TRUE((*reader)->WaitFor(
        [&](const kafka::IncomingRecord& r) {
          return wanted.contains(kafka::FindHeader(r.headers, "ce_subject").value_or("")) &&
                 ++seen >= 50;
        },
        absl::Seconds(60)))
        << "see " << first->log();
  }
  first->process().Kill(SIGKILL);
  first->process().Stop(5);
  // The kill landed in the middle of the burst: some of it was out, not all.
  const size_t before_kill = CountAlertsAbout(ids);
  EXPECT_GE(before_kill, 50u);
  EXPECT_LT(before_kill, burst);
  Timer second("second", redis_.port(), group, absl::ToUnixMillis(origin_), absl::Seconds(2),
               "sla-timer-0");

  const auto alerts = AlertsAbout(ids, kAlertsPerComplaint, absl::Seconds(90));
  std::map<std::tuple<std::string, int, int>, std::set<std::string>> ids_by_alert;
  for (const auto& r : alerts) {
    ids_by_alert[AlertIdentity(r)].insert(kafka::FindHeader(r.headers, "ce_id").value_or(""));
  }
  // Every deadline and step alerted, and a re-fired alert carries the first one's id: after
  // de-duplicating on ce_id, exactly one alert per deadline and step.
  EXPECT_EQ(ids_by_alert.size(), ids.size() * kAlertsPerComplaint) << "see " << second.log();
  for (const auto& [identity, ce_ids] : ids_by_alert) {
    EXPECT_EQ(ce_ids.size(), 1u) << std::get<0>(identity);
  }
}

TEST_F(SlaResilienceTest, RedisComesBackEmptyAndTheDeadlinesAreRebuiltFromKafka) {
  const std::string group = "sla-flush-" + run_;
  Timer timer("only", redis_.port(), group, absl::ToUnixMillis(origin_));
  ASSERT_TRUE(WaitUntil(
      [&] { return OwnedCasePartitions(timer.log()).size() == kCasePartitions; },
      absl::Seconds(60)))
      << "see " << timer.log();
  const auto ids = AssignComplaints(50);

  auto redis = redis::RedisClient::Connect(complaints::testing::TestRedisOptions(redis_.port()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  // How many of the complaints have their clocks in Redis (the store's `sla:c:<id>`).
  auto stored = [&] {
    int n = 0;
    for (const auto& id : ids) {
      auto reply = (*redis)->Command({"EXISTS", "sla:c:" + id});
      if (reply.ok() && reply->integer == 1) ++n;
    }
    return n;
  };
  // There is state to lose: every complaint's clocks are in Redis.
  ASSERT_TRUE(WaitUntil([&] { return stored() == static_cast<int>(ids.size()); },
                        absl::Seconds(60)))
      << "see " << timer.log();
  ASSERT_TRUE((*redis)->Command({"FLUSHALL"}).ok());
  EXPECT_EQ(stored(), 0);

  // Nothing is left in Redis, yet every deadline still alerts: rebuilt from complaints.case.v1.
  const auto alerts = AlertsAbout(ids, kAlertsPerComplaint, absl::Seconds(90));
  std::set<std::tuple<std::string, int, int>> fired;
  for (const auto& r : alerts) fired.insert(AlertIdentity(r));
  EXPECT_EQ(fired.size(), ids.size() * kAlertsPerComplaint) << "see " << timer.log();
  EXPECT_EQ(stored(), static_cast<int>(ids.size()));  // and the clocks are back in Redis
}

TEST_F(SlaResilienceTest, TwoInstancesFireEachDeadlineOnce) {
  const std::string group = "sla-two-" + run_;
  Timer a("a", redis_.port(), group, absl::ToUnixMillis(origin_));
  Timer b("b", redis_.port(), group, absl::ToUnixMillis(origin_));
  // Both joined and share the partitions: each owns some, together all, none twice.
  auto shared = [&] {
    const std::set<int> of_a = OwnedCasePartitions(a.log());
    const std::set<int> of_b = OwnedCasePartitions(b.log());
    std::set<int> all = of_a;
    all.insert(of_b.begin(), of_b.end());
    return !of_a.empty() && !of_b.empty() && all.size() == of_a.size() + of_b.size() &&
           all.size() == kCasePartitions;
  };
  ASSERT_TRUE(WaitUntil(shared, absl::Seconds(60))) << "see " << a.log() << " and " << b.log();
  const auto ids = AssignComplaints(300);

  const auto alerts = AlertsAbout(ids, kAlertsPerComplaint, absl::Seconds(60));
  std::map<std::tuple<std::string, int, int>, int> count;
  for (const auto& r : alerts) ++count[AlertIdentity(r)];
  EXPECT_EQ(count.size(), ids.size() * kAlertsPerComplaint);
  for (const auto& [identity, n] : count) EXPECT_EQ(n, 1) << std::get<0>(identity);
  EXPECT_TRUE(a.process().Running() && b.process().Running());
  EXPECT_TRUE(shared()) << "a rebalance moved partitions during the test";
}

}  // namespace
}  // namespace complaints
