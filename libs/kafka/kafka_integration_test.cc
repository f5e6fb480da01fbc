// Against the real broker at $KAFKA_BOOTSTRAP (default 127.0.0.1:9092). Every test creates its
// own randomly named topics and consumer groups, so runs never see each other's records.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/utf8.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/partitioner.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_catalogue.h"

namespace complaints::kafka {
namespace {

using ::testing::ElementsAre;

KafkaConfig BrokerConfig() {
  KafkaConfig config;
  const char* bootstrap = std::getenv("KAFKA_BOOTSTRAP");
  config.bootstrap_servers = bootstrap != nullptr && *bootstrap ? bootstrap : "127.0.0.1:9092";
  config.client_id = "kafka_integration_test";
  return config;
}

std::string Unique(const std::string& prefix) {
  static std::mt19937_64 random{std::random_device{}()};
  return absl::StrCat("it.", prefix, ".", absl::Hex(random()));
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

OutgoingRecord Record(const std::string& topic, std::string key, std::string value) {
  OutgoingRecord record;
  record.topic = topic;
  record.key = std::move(key);
  record.value = value;
  record.event.id = absl::StrCat("id-", value);
  record.event.type = "complaints.test.v1.Thing";
  record.event.source = "/complaints/test";
  record.event.subject = record.key;
  record.event.time = absl::FromUnixMillis(1710491400123);
  return record;
}

// The last record of a test's partition: once a consumer has seen it, it has seen everything
// published to that partition before it, so "nothing else shows up" can be checked without a
// sleep.
constexpr char kSentinel[] = "sentinel";

// Thread-safe list of what a handler saw.
class Seen {
 public:
  void Add(const IncomingRecord& record) {
    std::lock_guard lock(mu_);
    records_.push_back(record);
  }
  // A handler that takes every record.
  RecordHandler Taker() {
    return [this](const IncomingRecord& record) {
      Add(record);
      return absl::OkStatus();
    };
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return records_.size();
  }
  std::vector<IncomingRecord> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  std::vector<std::string> values() const {
    std::vector<std::string> out;
    for (const IncomingRecord& record : records()) out.push_back(record.value);
    return out;
  }
  bool Contains(const std::string& value) const {
    const auto all = values();
    return std::find(all.begin(), all.end(), value) != all.end();
  }

 private:
  mutable std::mutex mu_;
  std::vector<IncomingRecord> records_;
};

// A consumer running Run() on its own thread.
class RunningConsumer {
 public:
  RunningConsumer(std::unique_ptr<Consumer> consumer, RecordHandler handler)
      : consumer_(std::move(consumer)),
        thread_([this, handler = std::move(handler)] { result_ = consumer_->Run(handler); }) {}
  RunningConsumer(std::unique_ptr<Consumer> consumer, BatchHandler handler, size_t max_batch)
      : consumer_(std::move(consumer)), thread_([this, handler = std::move(handler), max_batch] {
          result_ = consumer_->RunBatches(handler, max_batch);
        }) {}
  ~RunningConsumer() { Stop().IgnoreError(); }
  void Rewind(const std::vector<TopicPartition>& partitions) { consumer_->Rewind(partitions); }
  void Defer(const std::vector<TopicPartition>& partitions) { consumer_->Defer(partitions); }
  absl::Status Stop() {
    if (thread_.joinable()) {
      consumer_->Stop();
      thread_.join();
    }
    return result_;
  }

 private:
  std::unique_ptr<Consumer> consumer_;
  absl::Status result_;
  std::thread thread_;
};

class KafkaIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto producer = Producer::Create(config_);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
  }

  // A fresh topic and its `.dlq` twin, as the catalogue would declare them.
  std::string MakeTopic(const std::string& prefix, int partitions = 3) {
    std::string name = Unique(prefix);
    auto specs = ParseTopicCatalogue(
        absl::StrCat(name, " partitions=", partitions, " retention=1d\ndlq retention=1d\n"));
    EXPECT_TRUE(specs.ok()) << specs.status();
    std::vector<TopicOutcome> outcomes;
    const absl::Status status = EnsureTopics(config_, *specs, absl::Seconds(30), &outcomes);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(outcomes.size(), 2u);
    for (const TopicOutcome& outcome : outcomes) EXPECT_TRUE(outcome.created) << outcome.name;
    return name;
  }

  std::unique_ptr<RunningConsumer> Consume(ConsumerOptions options, RecordHandler handler,
                                           Publisher* dead_letters = nullptr,
                                           const KafkaConfig* config = nullptr) {
    auto consumer = Consumer::Create(config ? *config : config_, std::move(options),
                                     dead_letters ? dead_letters : producer_.get());
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return nullptr;
    return std::make_unique<RunningConsumer>(*std::move(consumer), std::move(handler));
  }

  std::unique_ptr<RunningConsumer> ConsumeBatches(ConsumerOptions options, BatchHandler handler,
                                                  size_t max_batch,
                                                  const KafkaConfig* config = nullptr) {
    auto consumer = Consumer::Create(config ? *config : config_, std::move(options), producer_.get());
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return nullptr;
    return std::make_unique<RunningConsumer>(*std::move(consumer), std::move(handler), max_batch);
  }

  static ConsumerOptions Options(std::string topic, std::string group = Unique("group")) {
    ConsumerOptions options;
    options.group_id = std::move(group);
    options.topics = {std::move(topic)};
    options.retry_backoff = absl::Milliseconds(50);
    options.max_retry_backoff = absl::Milliseconds(400);
    return options;
  }

  // The config of a static group member (group.instance.id). The range assignor hands a
  // topic's partitions out in the order of the members' ids, which for static members begin
  // with the instance id: a test that needs a given member to get a partition names them so.
  KafkaConfig StaticMember(const std::string& instance_id) const {
    KafkaConfig config = config_;
    config.extra["group.instance.id"] = absl::StrCat(instance_id, "-", Unique("member"));
    return config;
  }

  KafkaConfig config_ = BrokerConfig();
  std::unique_ptr<Producer> producer_;
};

TEST_F(KafkaIntegrationTest, EnsureTopicsIsIdempotent) {
  const std::string topic = MakeTopic("ensure");
  std::vector<TopicSpec> specs = {{.name = topic, .partitions = 3}};
  std::vector<TopicOutcome> outcomes;
  ASSERT_TRUE(EnsureTopics(config_, specs, absl::Seconds(30), &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_FALSE(outcomes[0].created);
  EXPECT_EQ(outcomes[0].partitions, 3);

  specs[0].partitions = 4;  // co-partitioning would silently break: refuse
  EXPECT_EQ(EnsureTopics(config_, specs, absl::Seconds(30)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(KafkaIntegrationTest, RoundTripWithCloudEventHeaders) {
  const std::string topic = MakeTopic("roundtrip");
  std::vector<OutgoingRecord> records = {Record(topic, "c-1", "one"), Record(topic, "c-1", "two"),
                                         Record(topic, "c-2", "three")};
  records[0].extra_headers = {{"trace", "t-1"}};
  ASSERT_TRUE(producer_->Publish(records).ok());

  Seen seen;
  auto running = Consume(Options(topic), [&](const IncomingRecord& record) {
    seen.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 3; }));
  EXPECT_TRUE(running->Stop().ok());

  std::map<std::string, IncomingRecord> by_value;
  for (const IncomingRecord& record : seen.records()) by_value[record.value] = record;
  ASSERT_EQ(by_value.size(), 3u);
  const IncomingRecord& one = by_value["one"];
  EXPECT_EQ(one.topic, topic);
  EXPECT_EQ(one.key, "c-1");
  EXPECT_EQ(FindHeader(one.headers, "trace"), "t-1");
  auto event = FromHeaders(one.headers);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->id, "id-one");
  EXPECT_EQ(event->subject, "c-1");
  EXPECT_EQ(event->time, absl::FromUnixMillis(1710491400123));
  EXPECT_EQ(event->content_type, "application/protobuf");
  // Same key, same partition, in order.
  EXPECT_EQ(by_value["two"].partition, one.partition);
  EXPECT_EQ(by_value["two"].offset, one.offset + 1);
}

TEST_F(KafkaIntegrationTest, ConcurrentPublishers) {
  const std::string topic = MakeTopic("concurrent");
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!producer_->Publish(Record(topic, absl::StrCat("k", i % 7), absl::StrCat(t, "-", i)))
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  Seen seen;
  auto running = Consume(Options(topic), [&](const IncomingRecord& record) {
    seen.Add(record);
    return absl::OkStatus();
  });
  EXPECT_TRUE(WaitFor([&] { return seen.size() >= 200; }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_EQ(seen.size(), 200u);
}

TEST_F(KafkaIntegrationTest, BadRecordGoesToDeadLetterTopicAndPartitionMovesOn) {
  const std::string topic = MakeTopic("dlq");
  ASSERT_TRUE(
      producer_->Publish(std::vector{Record(topic, "c-1", "bad"), Record(topic, "c-1", "good")})
          .ok());
  Seen seen;
  ConsumerOptions options = Options(topic);
  const std::string group = options.group_id;
  auto running = Consume(options, [&](const IncomingRecord& record) {
    seen.Add(record);
    return record.value == "bad" ? absl::InvalidArgumentError("no such branch code")
                                 : absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 2; }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(seen.values(), ElementsAre("bad", "good"));

  Seen dead;
  auto dlq_reader = Consume(Options(topic + ".dlq"), [&](const IncomingRecord& record) {
    dead.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return dead.size() >= 1; }));
  EXPECT_TRUE(dlq_reader->Stop().ok());
  ASSERT_EQ(dead.size(), 1u);
  const IncomingRecord letter = dead.records()[0];
  const IncomingRecord original = seen.records()[0];
  EXPECT_EQ(letter.key, "c-1");
  EXPECT_EQ(letter.value, "bad");
  EXPECT_EQ(letter.partition, original.partition);  // same key, same partition count
  EXPECT_EQ(FindHeader(letter.headers, "ce_id"), "id-bad");
  EXPECT_EQ(FindHeader(letter.headers, "dlq_reason"), "no such branch code");
  EXPECT_EQ(FindHeader(letter.headers, "dlq_code"), "INVALID_ARGUMENT");
  EXPECT_EQ(FindHeader(letter.headers, "dlq_topic"), topic);
  EXPECT_EQ(FindHeader(letter.headers, "dlq_partition"), absl::StrCat(original.partition));
  EXPECT_EQ(FindHeader(letter.headers, "dlq_offset"), absl::StrCat(original.offset));
  EXPECT_EQ(FindHeader(letter.headers, "dlq_group"), group);
  EXPECT_TRUE(FindHeader(letter.headers, "dlq_time").has_value());
  // Only one copy of the CloudEvents headers.
  int ce_ids = 0;
  for (const auto& header : letter.headers) ce_ids += header.first == "ce_id";
  EXPECT_EQ(ce_ids, 1);
}

// A Publisher that fails a few times before passing records on: a DLQ outage.
class FlakyPublisher final : public Publisher {
 public:
  FlakyPublisher(Publisher* next, int failures) : next_(next), failures_(failures) {}
  absl::StatusOr<std::vector<Delivery>> PublishWithOffsets(
      std::span<const OutgoingRecord> records) override {
    ++calls;
    if (failures_-- > 0) return absl::NotFoundError("dlq topic missing");
    return next_->PublishWithOffsets(records);
  }
  std::atomic<int> calls = 0;

 private:
  Publisher* next_;
  std::atomic<int> failures_;
};

TEST_F(KafkaIntegrationTest, FailedDeadLetterPublishIsRetriedNotSkipped) {
  const std::string topic = MakeTopic("dlqretry");
  ASSERT_TRUE(
      producer_->Publish(std::vector{Record(topic, "c-1", "bad"), Record(topic, "c-1", "good")})
          .ok());
  FlakyPublisher flaky(producer_.get(), 2);
  Seen seen;
  std::atomic<int> dlq_calls_before_good = -1;
  auto running = Consume(
      Options(topic),
      [&](const IncomingRecord& record) {
        seen.Add(record);
        if (record.value == "good") dlq_calls_before_good = flaky.calls.load();
        return record.value == "bad" ? absl::InvalidArgumentError("bad") : absl::OkStatus();
      },
      &flaky);
  ASSERT_TRUE(WaitFor([&] { return seen.values().size() >= 2; }));
  EXPECT_TRUE(running->Stop().ok());
  // The handler ran once; the dead letter was retried until it went through.
  EXPECT_THAT(seen.values(), ElementsAre("bad", "good"));
  EXPECT_EQ(dlq_calls_before_good, 3);
}

TEST_F(KafkaIntegrationTest, TransientErrorIsRetriedUntilSuccess) {
  const std::string topic = MakeTopic("transient");
  ASSERT_TRUE(
      producer_->Publish(std::vector{Record(topic, "c-1", "first"), Record(topic, "c-1", "second")})
          .ok());
  Seen seen;
  std::atomic<int> failures_left = 3;
  const absl::Time start = absl::Now();
  auto running = Consume(Options(topic), [&](const IncomingRecord& record) {
    seen.Add(record);
    if (record.value == "first" && failures_left-- > 0) {
      return absl::UnavailableError("redis down");
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 5; }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(seen.values(), ElementsAre("first", "first", "first", "first", "second"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50 + 100 + 200));  // the backoff doubled
}

TEST_F(KafkaIntegrationTest, RewindReplaysThePartitionFromItsBeginning) {
  const std::string topic = MakeTopic("rewind", 1);
  ASSERT_TRUE(producer_
                  ->Publish(std::vector{Record(topic, "c-1", "a"), Record(topic, "c-1", "b"),
                                        Record(topic, "c-1", "c")})
                  .ok());
  Seen seen;
  auto running = Consume(Options(topic), [&](const IncomingRecord& record) {
    seen.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 3; }));
  running->Rewind({{topic, 0}});
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 6; }));
  ASSERT_TRUE(producer_->Publish(Record(topic, "c-1", "d")).ok());
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 7; }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(seen.values(), ElementsAre("a", "b", "c", "a", "b", "c", "d"));
}

TEST_F(KafkaIntegrationTest, RewindAbandonsARecordBeingRetried) {
  const std::string topic = MakeTopic("rewindretry", 1);
  ASSERT_TRUE(
      producer_->Publish(std::vector{Record(topic, "c-1", "a"), Record(topic, "c-1", "b")}).ok());
  Seen seen;
  std::atomic<bool> lost = true;  // state outside Kafka is gone until the replay starts
  std::atomic<RunningConsumer*> self = nullptr;
  auto running = Consume(Options(topic), [&](const IncomingRecord& record) {
    seen.Add(record);
    if (record.value == "b" && lost.exchange(false)) {
      self.load()->Rewind({{record.topic, record.partition}});
      return absl::UnavailableError("state lost: replaying");
    }
    return absl::OkStatus();
  });
  self = running.get();
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 4; }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(seen.values(), ElementsAre("a", "b", "a", "b"));
}

TEST_F(KafkaIntegrationTest, DeferPausesAPartitionUntilItIsRewound) {
  // Two topics of one consumer: `later`'s replay waits for something the test decides; `other`
  // goes on meanwhile (a record of `later` being retried would otherwise pause it too).
  const std::string later = MakeTopic("deferred", 1), other = MakeTopic("undeferred", 1);
  ASSERT_TRUE(producer_->Publish(std::vector{Record(later, "c-1", "b1"), Record(other, "c-2", "a1")})
                  .ok());
  Seen seen;
  std::atomic<bool> deferred = false;
  std::atomic<RunningConsumer*> self = nullptr;
  ConsumerOptions options = Options(later);
  options.topics.push_back(other);
  auto running = Consume(options, [&](const IncomingRecord& record) {
    seen.Add(record);
    if (record.topic == later && !deferred.exchange(true)) {
      self.load()->Defer({{record.topic, record.partition}});
      return absl::UnavailableError("waits for another replay");
    }
    return absl::OkStatus();
  });
  self = running.get();
  ASSERT_TRUE(WaitFor([&] { return deferred.load() && seen.Contains("a1"); }));
  // What arrives meanwhile: `other`'s records are handled, `later`'s wait.
  ASSERT_TRUE(producer_->Publish(Record(later, "c-1", "b2")).ok());
  ASSERT_TRUE(producer_->Publish(Record(other, "c-2", "a2")).ok());
  ASSERT_TRUE(WaitFor([&] { return seen.Contains("a2"); }));
  const auto values_of = [&](const std::string& topic) {
    std::vector<std::string> out;
    for (const IncomingRecord& r : seen.records()) {
      if (r.topic == topic) out.push_back(r.value);
    }
    return out;
  };
  EXPECT_THAT(values_of(later), ElementsAre("b1"));
  // The rewind resumes it from its beginning.
  running->Rewind({{later, 0}});
  ASSERT_TRUE(WaitFor([&] { return values_of(later).size() >= 3; }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(values_of(later), ElementsAre("b1", "b1", "b2"));
  EXPECT_THAT(values_of(other), ElementsAre("a1", "a2"));
}

TEST_F(KafkaIntegrationTest, OffsetsAreStoredOnlyAfterSuccess) {
  const std::string topic = MakeTopic("offsets");
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 5; ++i) records.push_back(Record(topic, "c-1", absl::StrCat("r", i)));
  ASSERT_TRUE(producer_->Publish(records).ok());
  const ConsumerOptions options = Options(topic);

  // The first member handles r0..r2, then stops while r3 keeps failing transiently.
  Seen first;
  std::unique_ptr<RunningConsumer> running;
  std::atomic<bool> failed_r3 = false;
  running = Consume(options, [&](const IncomingRecord& record) {
    first.Add(record);
    if (record.value == "r3") {
      failed_r3 = true;
      return absl::UnavailableError("downstream down");
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return failed_r3.load(); }));
  EXPECT_TRUE(running->Stop().ok());
  std::vector<std::string> values = first.values();
  values.erase(std::unique(values.begin(), values.end()), values.end());
  EXPECT_THAT(values, ElementsAre("r0", "r1", "r2", "r3"));

  // The next member of the group resumes at the record that was never handled.
  Seen second;
  running = Consume(options, [&](const IncomingRecord& record) {
    second.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(producer_->Publish(Record(topic, "c-1", kSentinel)).ok());
  ASSERT_TRUE(WaitFor([&] { return second.Contains(kSentinel); }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(second.values(), ElementsAre("r3", "r4", kSentinel));
}

TEST_F(KafkaIntegrationTest, RevokedPartitionStopsRetrying) {
  // The first member reads two one-partition topics; the second reads only `stuck`, and its id
  // sorts first, so the range assignor moves `stuck`'s partition to it, in the middle of a retry.
  const KafkaConfig first_member = StaticMember("b");
  const KafkaConfig second_member = StaticMember("a");
  const std::string stuck = MakeTopic("stuck", 1);
  const std::string other = MakeTopic("other", 1);
  ASSERT_TRUE(producer_->Publish(Record(stuck, "c-1", "poison-for-now")).ok());
  const std::string group = Unique("group");

  ConsumerOptions first_options = Options(stuck, group);
  first_options.topics.push_back(other);
  std::atomic<bool> stuck_revoked = false;
  first_options.on_revoked = [&](const std::vector<TopicPartition>& partitions) {
    for (const TopicPartition& tp : partitions) stuck_revoked = stuck_revoked || tp.topic == stuck;
  };
  std::atomic<int> first_attempts = 0;
  std::atomic<int> attempts_after_revocation = 0;
  std::atomic<bool> first_saw_sentinel = false;
  auto first = Consume(
      first_options,
      [&](const IncomingRecord& record) {
        if (record.topic == other) {
          first_saw_sentinel = true;
          return absl::OkStatus();
        }
        ++first_attempts;
        if (stuck_revoked) ++attempts_after_revocation;
        return absl::UnavailableError("dependency down");
      },
      nullptr, &first_member);
  ASSERT_TRUE(WaitFor([&] { return first_attempts >= 2; }));

  Seen second_seen;
  auto second = Consume(Options(stuck, group), second_seen.Taker(), nullptr, &second_member);
  ASSERT_TRUE(WaitFor([&] { return stuck_revoked.load(); }));
  // Handed over, not lost: the retried record's offset was never stored.
  ASSERT_TRUE(WaitFor([&] { return second_seen.size() >= 1; }));
  EXPECT_THAT(second_seen.values(), ElementsAre("poison-for-now"));
  EXPECT_EQ(second_seen.records()[0].offset, 0);
  // And the first member gave up retrying it: while it retries, every partition it owns is
  // paused, so handling a record of `other` proves it left the retry; and the handler (on the
  // consumer's thread, like the revocation callback) never saw `stuck` again after revocation.
  ASSERT_TRUE(producer_->Publish(Record(other, "c-1", kSentinel)).ok());
  EXPECT_TRUE(WaitFor([&] { return first_saw_sentinel.load(); }));
  EXPECT_TRUE(first->Stop().ok());
  EXPECT_EQ(attempts_after_revocation, 0);
  EXPECT_TRUE(second->Stop().ok());
}

// ---------------------------------------------------------------------------------------------
// Static membership (kafka.group_instance_id: StatefulSet pods, the fault suite).

// Starts `argv[0]` with `argv` and its stdout in the file `out`; its pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out) {
  // Built before fork: the child of a threaded process may only exec.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, STDOUT_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A key the producer sends to `partition` of a topic with `count` partitions.
std::string KeyFor(int32_t partition, int32_t count) {
  for (int i = 0;; ++i) {
    std::string key = absl::StrCat("key-", i);
    if (PartitionForKey(key, count) == partition) return key;
  }
}

TEST_F(KafkaIntegrationTest, AStaticMemberKilledWhileGivingUpPartitionsLeavesNoneUnread) {
  // Seen in the fault suite: a static member SIGKILLed right after giving up partitions to a
  // member that had just joined, and restarted under its id, got its own partitions back at once
  // (KIP-345: no rebalance), while those it had given up were never assigned again: their records
  // went unread for good. The cooperative protocol hands partitions over in two rebalances, the
  // second started by the member that gave them up; the eager one assigns every partition in
  // every generation.
  constexpr int32_t kPartitions = 6;
  const std::string topic = MakeTopic("static", kPartitions);
  const std::string group = Unique("group");
  const std::string member = Unique("member");
  const std::string out = ::testing::TempDir() + member + ".out";
  const pid_t dying = Spawn({MEMBER_THAT_DIES_ON_REVOKE, topic, group, member}, out);
  ASSERT_GT(dying, 0);
  bool died = false;
  absl::Cleanup reap = [&] {  // a failed test leaves no member behind
    if (died) return;
    kill(dying, SIGKILL);
    waitpid(dying, nullptr, 0);
  };
  ASSERT_TRUE(WaitFor([&] {
    return absl::StrContains(ReadFile(out), absl::StrCat("assigned ", kPartitions));
  })) << ReadFile(out);

  Seen seen;
  auto joining = Consume(Options(topic, group), seen.Taker());
  ASSERT_TRUE(WaitFor([&] { return died = waitpid(dying, nullptr, WNOHANG) == dying; }))
      << "the first member was never asked to give up partitions";

  KafkaConfig restarted_config = config_;  // back under the same id, as a restarted pod
  restarted_config.extra["group.instance.id"] = member;
  auto restarted = Consumer::Create(restarted_config, Options(topic, group), producer_.get());
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  RunningConsumer back(*std::move(restarted), seen.Taker());

  // One record per partition, published after the hand-over: each reaches one of the members.
  for (int32_t partition = 0; partition < kPartitions; ++partition) {
    ASSERT_TRUE(producer_
                    ->Publish(Record(topic, KeyFor(partition, kPartitions),
                                     absl::StrCat("partition-", partition)))
                    .ok());
  }
  EXPECT_TRUE(WaitFor([&] { return seen.size() >= kPartitions; }, absl::Seconds(60)))
      << "read only " << testing::PrintToString(seen.values());
  EXPECT_TRUE(back.Stop().ok());
  EXPECT_TRUE(joining->Stop().ok());
}

TEST_F(KafkaIntegrationTest, ARetryEndsAtARevocationEvenIfThePartitionComesBack) {
  // A member joins the group for another topic: the eager protocol revokes `stuck` from the
  // first member and gives it straight back. The retry in progress must end there (the record
  // is fetched again from its committed offset); carried on, it would be handled twice.
  const std::string stuck = MakeTopic("back", 1);
  const std::string elsewhere = MakeTopic("elsewhere", 1);
  ASSERT_TRUE(producer_->Publish(Record(stuck, "c-1", "poison-for-now")).ok());
  const std::string group = Unique("group");
  std::atomic<bool> dependency_up = false;
  std::atomic<int> revocations = 0;
  std::atomic<int> attempts = 0;
  Seen done;
  ConsumerOptions options = Options(stuck, group);
  options.on_revoked = [&](const std::vector<TopicPartition>&) { ++revocations; };
  auto first = Consume(options, [&](const IncomingRecord& record) {
    ++attempts;
    if (!dependency_up) return absl::UnavailableError("dependency down");
    done.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return attempts >= 2; }));
  auto other = Consume(Options(elsewhere, group),
                       [](const IncomingRecord&) { return absl::OkStatus(); });
  ASSERT_TRUE(WaitFor([&] { return revocations >= 1; }));
  dependency_up = true;
  ASSERT_TRUE(producer_->Publish(Record(stuck, "c-1", kSentinel)).ok());
  ASSERT_TRUE(WaitFor([&] { return done.Contains(kSentinel); }));
  EXPECT_THAT(done.values(), ElementsAre("poison-for-now", kSentinel));
  EXPECT_TRUE(first->Stop().ok());
  EXPECT_TRUE(other->Stop().ok());
}

// ---------------------------------------------------------------------------------------------
// Batches (RunBatches).

// Records each batch the consumer hands over (the values) and answers per record with a verdict
// given the record and the batch's number (from 0). Thread-safe.
class BatchLog {
 public:
  using Verdict = std::function<absl::Status(const IncomingRecord&, size_t batch)>;

  BatchHandler Handler(Verdict verdict) {
    return [this, verdict = std::move(verdict)](const std::vector<IncomingRecord>& batch) {
      std::lock_guard lock(mu_);
      const size_t number = batches_.size();
      batches_.emplace_back();
      std::vector<absl::Status> out;
      for (const IncomingRecord& r : batch) {
        batches_.back().push_back(r.value);
        out.push_back(verdict(r, number));
      }
      return out;
    };
  }
  std::vector<std::vector<std::string>> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  // Every value handed over, in order, retries included.
  std::vector<std::string> values() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> all;
    for (const auto& b : batches_) all.insert(all.end(), b.begin(), b.end());
    return all;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<std::string>> batches_;
};

TEST_F(KafkaIntegrationTest, BatchesTakeWhatIsFetchedUpToTheCap) {
  const std::string topic = MakeTopic("batches", 2);
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 300; ++i) {
    records.push_back(Record(topic, absl::StrCat("c-", i % 5), absl::StrCat(i)));
  }
  ASSERT_TRUE(producer_->Publish(records).ok());
  std::mutex mu;
  std::vector<size_t> sizes;
  std::map<int32_t, std::vector<int64_t>> offsets;  // per partition, in handling order
  auto running = ConsumeBatches(
      Options(topic),
      [&](const std::vector<IncomingRecord>& batch) {
        std::lock_guard lock(mu);
        sizes.push_back(batch.size());
        for (const IncomingRecord& r : batch) offsets[r.partition].push_back(r.offset);
        return std::vector<absl::Status>(batch.size());
      },
      64);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& [p, o] : offsets) n += o.size();
    return n >= 300;
  }));
  EXPECT_TRUE(running->Stop().ok());
  std::lock_guard lock(mu);
  size_t total = 0;
  for (const auto& [p, o] : offsets) {
    total += o.size();
    for (size_t i = 0; i < o.size(); ++i) EXPECT_EQ(o[i], static_cast<int64_t>(i));  // in order
  }
  EXPECT_EQ(total, 300u);
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), 64u);
  EXPECT_GT(*std::max_element(sizes.begin(), sizes.end()), 1u);  // already fetched: batched
}

TEST_F(KafkaIntegrationTest, BatchRetriesOnlyWhatIsNotDoneAndStoresOffsetsBeforeIt) {
  const std::string topic = MakeTopic("batchretry", 1);
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 6; ++i) records.push_back(Record(topic, "c-1", absl::StrCat("r", i)));
  ASSERT_TRUE(producer_->Publish(records).ok());
  const ConsumerOptions options = Options(topic);

  // r2 keeps failing transiently, r4 is bad: everything else is handled once, r4 dead-lettered,
  // and r2 comes again alone.
  BatchLog log;
  std::atomic<int> r2_attempts = 0;
  auto running = ConsumeBatches(options, log.Handler([&](const IncomingRecord& r, size_t) {
    if (r.value == "r2") {
      ++r2_attempts;
      return absl::UnavailableError("redis down");
    }
    return r.value == "r4" ? absl::InvalidArgumentError("bad") : absl::OkStatus();
  }),
                                100);
  ASSERT_TRUE(WaitFor([&] { return r2_attempts >= 3; }));
  EXPECT_TRUE(running->Stop().ok());
  std::map<std::string, int> times;
  for (const std::string& v : log.values()) ++times[v];
  // After the first attempt only r2 is handed to the handler again.
  const auto batches = log.batches();
  ASSERT_GE(batches.size(), 3u);
  EXPECT_THAT(batches.back(), ElementsAre("r2"));
  for (const std::string v : {"r0", "r1", "r3", "r4", "r5"}) EXPECT_EQ(times[v], 1) << v;

  // Nothing was stored past r2: the next member of the group starts there, and gets r3..r5
  // again (done, but after a record not done).
  Seen second;
  running = Consume(options, [&](const IncomingRecord& record) {
    second.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(producer_->Publish(Record(topic, "c-1", kSentinel)).ok());
  ASSERT_TRUE(WaitFor([&] { return second.Contains(kSentinel); }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(second.values(), ElementsAre("r2", "r3", "r4", "r5", kSentinel));

  // r4 went to the dead-letter topic once.
  Seen dead;
  auto dlq_reader = Consume(Options(topic + ".dlq"), [&](const IncomingRecord& record) {
    dead.Add(record);
    return absl::OkStatus();
  });
  // Dead letters keep their key, so the sentinel lands on the same partition after them.
  ASSERT_TRUE(producer_->Publish(Record(topic + ".dlq", "c-1", kSentinel)).ok());
  ASSERT_TRUE(WaitFor([&] { return dead.Contains(kSentinel); }));
  EXPECT_TRUE(dlq_reader->Stop().ok());
  EXPECT_THAT(dead.values(), ElementsAre("r4", kSentinel));
  EXPECT_EQ(FindHeader(dead.records()[0].headers, "dlq_offset"), "4");
}

TEST_F(KafkaIntegrationTest, BatchRetryEndsWhenTheRecordsAreDone) {
  const std::string topic = MakeTopic("batchdone", 1);
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 4; ++i) records.push_back(Record(topic, "c-1", absl::StrCat("r", i)));
  ASSERT_TRUE(producer_->Publish(records).ok());
  const ConsumerOptions options = Options(topic);
  // r1 and r3 fail in the first two batches: retried together, in order.
  BatchLog log;
  auto running = ConsumeBatches(options, log.Handler([](const IncomingRecord& r, size_t batch) {
    return batch < 2 && (r.value == "r1" || r.value == "r3")
               ? absl::AbortedError("changed concurrently")
               : absl::OkStatus();
  }),
                                100);
  ASSERT_TRUE(WaitFor([&] { return log.batches().size() >= 3; }));
  EXPECT_TRUE(running->Stop().ok());
  // The four records were published in one call, so they share one record batch in the log,
  // which the broker never splits: the first fetch holds them all, and the consumer's first
  // batch is all four. The retries are r1 and r3, together and in order, and then no more.
  const auto batches = log.batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_THAT(batches[0], ElementsAre("r0", "r1", "r2", "r3"));
  EXPECT_THAT(batches[1], ElementsAre("r1", "r3"));
  EXPECT_THAT(batches[2], ElementsAre("r1", "r3"));
  // Everything stored: the next member of the group gets nothing before the sentinel.
  Seen more;
  running = Consume(options, [&](const IncomingRecord& record) {
    more.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(producer_->Publish(Record(topic, "c-1", kSentinel)).ok());
  ASSERT_TRUE(WaitFor([&] { return more.Contains(kSentinel); }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_THAT(more.values(), ElementsAre(kSentinel));
}

TEST_F(KafkaIntegrationTest, RewindDropsTheBatchOfThePartition) {
  const std::string topic = MakeTopic("batchrewind", 1);
  ASSERT_TRUE(producer_
                  ->Publish(std::vector{Record(topic, "c-1", "a"), Record(topic, "c-1", "b"),
                                        Record(topic, "c-1", "c")})
                  .ok());
  Seen seen;
  std::atomic<bool> lost = true;  // state outside Kafka is gone until the replay starts
  std::atomic<RunningConsumer*> self = nullptr;
  auto running = ConsumeBatches(
      Options(topic),
      [&](const std::vector<IncomingRecord>& batch) {
        std::vector<absl::Status> out;
        for (const IncomingRecord& record : batch) {
          seen.Add(record);
          if (record.value == "b" && lost.exchange(false)) {
            self.load()->Rewind({{record.topic, record.partition}});
            out.push_back(absl::UnavailableError("state lost: replaying"));
          } else {
            out.push_back(absl::OkStatus());
          }
        }
        return out;
      },
      100);
  self = running.get();
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 6; }));
  ASSERT_TRUE(producer_->Publish(Record(topic, "c-1", kSentinel)).ok());
  ASSERT_TRUE(WaitFor([&] { return seen.Contains(kSentinel); }));
  EXPECT_TRUE(running->Stop().ok());
  // Whatever the batches were, the replay starts from the beginning after b failed, and then
  // nothing is handed over twice.
  const std::vector<std::string> values = seen.values();
  ASSERT_GE(values.size(), 7u);
  EXPECT_THAT(std::vector<std::string>(values.end() - 4, values.end()),
              ElementsAre("a", "b", "c", kSentinel));
  EXPECT_EQ(std::count(values.begin(), values.end(), "b"), 2);
}

TEST_F(KafkaIntegrationTest, RevokedPartitionLeavesTheBatchRetry) {
  // As RevokedPartitionStopsRetrying, with batches.
  const KafkaConfig first_member = StaticMember("b");
  const KafkaConfig second_member = StaticMember("a");
  const std::string stuck = MakeTopic("bstuck", 1);
  const std::string other = MakeTopic("bother", 1);
  ASSERT_TRUE(producer_->Publish(Record(stuck, "c-1", "poison-for-now")).ok());
  const std::string group = Unique("group");
  ConsumerOptions first_options = Options(stuck, group);
  first_options.topics.push_back(other);
  std::atomic<bool> stuck_revoked = false;
  first_options.on_revoked = [&](const std::vector<TopicPartition>& partitions) {
    for (const TopicPartition& tp : partitions) stuck_revoked = stuck_revoked || tp.topic == stuck;
  };
  std::atomic<int> first_attempts = 0;
  std::atomic<int> attempts_after_revocation = 0;
  std::atomic<bool> first_saw_sentinel = false;
  auto first = ConsumeBatches(
      first_options,
      [&](const std::vector<IncomingRecord>& batch) {
        std::vector<absl::Status> out;
        for (const IncomingRecord& record : batch) {
          if (record.topic == other) {
            first_saw_sentinel = true;
            out.push_back(absl::OkStatus());
            continue;
          }
          ++first_attempts;
          if (stuck_revoked) ++attempts_after_revocation;
          out.push_back(absl::UnavailableError("down"));
        }
        return out;
      },
      100, &first_member);
  ASSERT_TRUE(WaitFor([&] { return first_attempts >= 2; }));
  Seen second_seen;
  auto second = Consume(Options(stuck, group), second_seen.Taker(), nullptr, &second_member);
  ASSERT_TRUE(WaitFor([&] { return stuck_revoked.load(); }));
  ASSERT_TRUE(WaitFor([&] { return second_seen.size() >= 1; }));
  EXPECT_EQ(second_seen.records()[0].offset, 0);
  // The first member left the retry (it pauses everything it owns while retrying, so it handles
  // `other`'s sentinel only after) and never handed `stuck`'s record over again once revoked.
  ASSERT_TRUE(producer_->Publish(Record(other, "c-1", kSentinel)).ok());
  EXPECT_TRUE(WaitFor([&] { return first_saw_sentinel.load(); }));
  EXPECT_TRUE(first->Stop().ok());
  EXPECT_EQ(attempts_after_revocation, 0);
  EXPECT_TRUE(second->Stop().ok());
}

TEST_F(KafkaIntegrationTest, PublishToUnknownTopicFailsInsteadOfHanging) {
  // Auto topic creation is off on the broker: a missing topic must fail the call, bounded by
  // message.timeout.ms or, when librdkafka gives up on the topic first,
  // topic.metadata.propagation.max.ms; either way Unavailable (an operator creates the topic).
  KafkaConfig config = config_;
  config.extra["message.timeout.ms"] = "3000";
  auto producer = Producer::Create(config);
  ASSERT_TRUE(producer.ok()) << producer.status();
  absl::Time start = absl::Now();
  absl::Status status = (*producer)->Publish(Record(Unique("missing"), "k", "v"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));

  config.extra["message.timeout.ms"] = "20000";
  config.extra["topic.metadata.propagation.max.ms"] = "1000";
  producer = Producer::Create(config);
  ASSERT_TRUE(producer.ok()) << producer.status();
  start = absl::Now();
  status = (*producer)->Publish(Record(Unique("missing"), "k", "v"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("Unknown topic"), std::string_view::npos) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
}

// Passes records on to the real producer, counting them: what a consumer dead-letters.
class CountingPublisher final : public Publisher {
 public:
  explicit CountingPublisher(Publisher* next) : next_(next) {}
  absl::StatusOr<std::vector<Delivery>> PublishWithOffsets(
      std::span<const OutgoingRecord> records) override {
    calls += static_cast<int>(records.size());
    return next_->PublishWithOffsets(records);
  }
  std::atomic<int> calls = 0;

 private:
  Publisher* next_;
};

// What on_retrying reported, in order.
class RetryLog {
 public:
  std::function<void(bool)> Callback() {
    return [this](bool retrying) {
      std::lock_guard lock(mu_);
      events_.push_back(retrying);
    };
  }
  std::vector<bool> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<bool> events_;
};

// A handler whose publish fails because its topic does not exist (auto-creation is off on the
// broker, as in production): an operator creates the topic, so the record waits for that and is
// never dead-lettered; the consumer reports the outage while it lasts.
TEST_F(KafkaIntegrationTest, PublishToAMissingTopicIsRetriedUntilTheTopicExists) {
  const std::string topic = MakeTopic("missing.in", 1);
  const std::string missing = Unique("missing.out");
  KafkaConfig out_config = config_;
  out_config.extra["topic.metadata.propagation.max.ms"] = "500";
  out_config.extra["message.timeout.ms"] = "5000";
  auto out = Producer::Create(out_config);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE(producer_->Publish(Record(topic, "c-1", "forward me")).ok());

  CountingPublisher dead_letters(producer_.get());
  RetryLog retries;
  std::atomic<int> attempts = 0;
  std::atomic<bool> done = false;
  absl::Status first_failure;
  std::mutex mu;
  ConsumerOptions options = Options(topic);
  options.on_retrying = retries.Callback();
  auto running = Consume(
      options,
      [&](const IncomingRecord& record) {
        absl::Status status = (*out)->Publish(Record(missing, record.key, record.value));
        if (++attempts == 1) {
          std::lock_guard lock(mu);
          first_failure = status;
        }
        done = status.ok();
        return status;
      },
      &dead_letters);
  ASSERT_TRUE(WaitFor([&] { return attempts >= 3; }, absl::Seconds(60)));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(first_failure.code(), absl::StatusCode::kUnavailable) << first_failure;
  }
  EXPECT_EQ(dead_letters.calls, 0);
  EXPECT_FALSE(done);
  EXPECT_EQ(retries.events(), std::vector<bool>{true});

  auto specs = ParseTopicCatalogue(absl::StrCat(missing, " partitions=1 retention=1d\n"));
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_TRUE(EnsureTopics(config_, *specs, absl::Seconds(30)).ok());
  ASSERT_TRUE(WaitFor([&] { return done.load(); }, absl::Seconds(60)));
  ASSERT_TRUE(WaitFor([&] { return retries.events().size() == 2; }));
  EXPECT_TRUE(running->Stop().ok());
  EXPECT_EQ(dead_letters.calls, 0);
  EXPECT_EQ(retries.events(), (std::vector<bool>{true, false}));
}

// A topic deleted under a running consumer (an operator's mistake, a cluster rebuilt) and
// created again, as ensure_topics would: the consumer neither stops nor dead-letters anything,
// reports the topic missing while it is gone, and consumes the re-created topic.
TEST_F(KafkaIntegrationTest, ATopicDeletedAndCreatedAgainIsConsumedAgain) {
  const std::string topic = MakeTopic("deleted", 2);
  CountingPublisher dead_letters(producer_.get());
  RetryLog missing;
  RetryLog retries;
  Seen seen;
  ConsumerOptions options = Options(topic);
  options.on_topics_missing = missing.Callback();
  options.on_retrying = retries.Callback();
  auto consumer = Consumer::Create(config_, options, &dead_letters);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  RunningConsumer running(
      *std::move(consumer),
      [&](const std::vector<IncomingRecord>& records) {
        for (const auto& r : records) seen.Add(r);
        return std::vector<absl::Status>(records.size());
      },
      100);
  ASSERT_TRUE(producer_->Publish(Record(topic, "k1", "before")).ok());
  ASSERT_TRUE(WaitFor([&] { return seen.Contains("before"); }));

  ASSERT_TRUE(DeleteTopics(config_, {topic}, absl::Seconds(30)).ok());
  ASSERT_TRUE(WaitFor([&] { return missing.events() == std::vector<bool>{true}; },
                      absl::Seconds(60)))
      << "the missing topic was not reported";

  auto specs = ParseTopicCatalogue(absl::StrCat(topic, " partitions=2 retention=1d\n"));
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_TRUE(EnsureTopics(config_, *specs, absl::Seconds(30)).ok());
  // The producer learns of the new topic on its own metadata refresh: retried until it does.
  // The first record goes to the partition the consumer had read a record of, at the offset
  // the deleted topic gave that one: a consumer going on from its old position skips it.
  ASSERT_TRUE(WaitFor([&] { return producer_->Publish(Record(topic, "k1", "after-1")).ok(); },
                      absl::Seconds(60)));
  ASSERT_TRUE(producer_->Publish(Record(topic, "k2", "after-2")).ok());
  ASSERT_TRUE(WaitFor([&] { return seen.Contains("after-1") && seen.Contains("after-2"); },
                      absl::Seconds(60)))
      << "the re-created topic was not consumed: " << testing::PrintToString(seen.values());
  ASSERT_TRUE(WaitFor([&] { return missing.events() == std::vector<bool>{true, false}; }))
      << "the topic's return was not reported";
  EXPECT_TRUE(running.Stop().ok());
  EXPECT_EQ(dead_letters.calls, 0);
  EXPECT_TRUE(retries.events().empty());
}

// The broker refuses a record above its message.max.bytes (1 MB by default), which an operator
// can raise: the record is not bad in itself, so the failure is transient.
TEST_F(KafkaIntegrationTest, RecordTooLargeForTheBrokerIsUnavailable) {
  const std::string topic = MakeTopic("too.large", 1);
  KafkaConfig config = config_;
  config.extra["message.max.bytes"] = "4000000";  // the client would send it
  config.extra["compression.type"] = "none";
  auto producer = Producer::Create(config);
  ASSERT_TRUE(producer.ok()) << producer.status();
  std::string value(2'000'000, 'x');
  std::mt19937 random(7);
  for (char& c : value) c = static_cast<char>(random());
  const absl::Status status = (*producer)->Publish(Record(topic, "k", value));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(IsTransient(status));
}

// The reason header is cut at kMaxReasonBytes on a character boundary and is valid UTF-8 even
// when the handler's message is not.
TEST_F(KafkaIntegrationTest, DeadLetterReasonIsValidUtf8) {
  const std::string topic = MakeTopic("dlq.utf8", 1);
  ASSERT_TRUE(producer_->Publish(Record(topic, "c-1", "bad")).ok());
  std::string reason = "xy";  // so that the cut at 1024 falls inside a character
  for (int i = 0; i < 500; ++i) reason += "张";
  reason[5] = '\xff';  // the second character's first byte
  Seen seen;
  auto running = Consume(Options(topic), [&](const IncomingRecord& record) {
    seen.Add(record);
    return absl::InvalidArgumentError(reason);
  });
  ASSERT_TRUE(WaitFor([&] { return seen.size() >= 1; }));
  Seen dead;
  auto dlq_reader = Consume(Options(topic + ".dlq"), [&](const IncomingRecord& record) {
    dead.Add(record);
    return absl::OkStatus();
  });
  ASSERT_TRUE(WaitFor([&] { return dead.size() >= 1; }));
  EXPECT_TRUE(dlq_reader->Stop().ok());
  EXPECT_TRUE(running->Stop().ok());
  const std::string header = FindHeader(dead.records()[0].headers, "dlq_reason").value_or("");
  EXPECT_TRUE(common::IsValidUtf8(header));
  EXPECT_LE(header.size(), 1024u);
  EXPECT_GE(header.size(), 1024u - 3);
  EXPECT_EQ(header.substr(0, 2), "xy");
}

}  // namespace
}  // namespace complaints::kafka
