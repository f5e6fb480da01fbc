// routing_bench: how fast one routing instance consumes complaints.received.v1, and how long a
// complaint waits from its record to its assignment at a steady rate (issue 9, item 8: at least
// 20,000 complaints/s consumed from a pre-filled topic; received -> assignment p99 <= 50 ms at
// 1,000 complaints/s), with the broker's raw consume ceiling of the same topic beside them.
//
//   1. routing: the real binary of this build on an empty Redis (FLUSHALLed) with a new
//      consumer group, SERVING once it has caught up with what the topics already hold (earlier
//      runs' complaints), then frozen (SIGSTOP).
//   2. fill: --complaints N new complaints on complaints.received.v1 (the bytes intake
//      publishes: categories of the catalogue, branches of the hierarchy).
//   3. raw: that topic read whole by a kafka::Consumer whose handler does nothing.
//   4. consume: routing resumed (SIGCONT) routes the pre-filled backlog in its steady state:
//      time from the first assignment of this run's N complaints to the last (their Kafka
//      timestamps, read from the assignment topic), and from the resumption.
//   5. latency: with routing caught up, --rate new complaints a second for --seconds, open loop
//      (each due at its slot whether or not routing keeps up); latency = the Kafka timestamp of
//      the complaint's Assignment (set by routing's producer) - the complaint's slot.
//
// Needs a broker whose complaint topics it may fill (bench/run-routing-bench.sh starts a scratch
// stack) and a Redis of its own (FLUSHALLed). Exit status 0, or 1 on error.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafkacpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_catalogue.h"
#include "libs/redis/redis_client.h"
#include "bench/cpu_meter.h"
#include "tests/support/platform.h"
#include "tests/support/process.h"

using namespace complaints;

namespace {

struct Flags {
  std::string bootstrap = "127.0.0.1:9092";
  int redis_port = 16404;
  int complaints = 100000;
  int rate = 1000;
  int seconds = 20;
  std::string routing_binary = COMPLAINTS_ROUTING_BINARY;
  std::string log_dir = "/tmp";
  int timeout_s = 900;
  int broker_pid = -1;  // the Kafka broker's process on this machine, for the CPU figures
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.starts_with("--") || i + 1 >= argc) return false;
    const std::string value = argv[++i];
    bool ok = true;
    if (arg == "--bootstrap") f.bootstrap = value;
    else if (arg == "--redis-port") ok = absl::SimpleAtoi(value, &f.redis_port);
    else if (arg == "--complaints") ok = absl::SimpleAtoi(value, &f.complaints);
    else if (arg == "--rate") ok = absl::SimpleAtoi(value, &f.rate);
    else if (arg == "--seconds") ok = absl::SimpleAtoi(value, &f.seconds);
    else if (arg == "--routing-binary") f.routing_binary = value;
    else if (arg == "--log-dir") f.log_dir = value;
    else if (arg == "--timeout-s") ok = absl::SimpleAtoi(value, &f.timeout_s);
    else if (arg == "--broker-pid") ok = absl::SimpleAtoi(value, &f.broker_pid);
    else return false;
    if (!ok || f.complaints <= 0 || f.rate <= 0 || f.seconds <= 0) return false;
  }
  return true;
}

const char* const kCategories[] = {"fees.annual_fee", "atm.card_retained", "cards.fraud",
                                   "loans.rate",      "queueing.long_wait", "online_banking.login",
                                   "mis_selling.wealth", "branch_service.attitude"};
const char* const kBranches[] = {"BJ-0101", "BJ-0102", "BJ-0202", "SH-0201", "SH-0202", "SH-0203",
                                 "GZ-0301", "GZ-0302", "SZ-0401", "SZ-0417"};

kafka::OutgoingRecord Complaint(const std::string& id, int i, absl::Time at) {
  events::v1::ComplaintReceived complaint;
  complaint.set_complaint_id(id);
  complaint.set_category(kCategories[i % 8]);
  complaint.set_branch_code(kBranches[i % 10]);
  complaint.set_channel(events::v1::CHANNEL_PHONE);
  complaint.set_level(i % 10 == 0 ? events::v1::LEVEL_MAJOR : events::v1::LEVEL_ORDINARY);
  complaint.set_urgency(i % 20 == 0 ? events::v1::URGENCY_VERY_URGENT : events::v1::URGENCY_NORMAL);
  *complaint.mutable_received_at() = common::ToProtoTime(at);
  return events::ToRecord(events::kReceivedTopic, id, complaint,
                          common::DeterministicId({id, "received"}), "/complaints/intake", id, at);
}

// The sum of a topic's partitions' high watermarks: how many records it has taken in.
class Watermarks {
 public:
  static absl::StatusOr<std::unique_ptr<Watermarks>> Open(const std::string& bootstrap) {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    if (conf->set("bootstrap.servers", bootstrap, err) != RdKafka::Conf::CONF_OK ||
        conf->set("group.id", "routing-bench-watermarks", err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(err);
    }
    auto credentials = kafka::KafkaConfig().Credentials();
    if (!credentials.ok()) return credentials.status();
    for (const auto& [key, value] : *credentials) conf->set(key, value, err);
    auto w = std::unique_ptr<Watermarks>(new Watermarks());
    w->bootstrap_ = bootstrap;
    w->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!w->consumer_) return absl::UnavailableError(err);
    return w;
  }
  // How far `group` has committed on `topic`, summed over its partitions (uncommitted: 0).
  absl::StatusOr<int64_t> Committed(const std::string& group, const std::string& topic) {
    auto total = Total(topic);  // learns the partition count
    if (!total.ok()) return total.status();
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", bootstrap_, err);
    conf->set("group.id", group, err);
    auto credentials = kafka::KafkaConfig().Credentials();
    if (!credentials.ok()) return credentials.status();
    for (const auto& [key, value] : *credentials) conf->set(key, value, err);
    // Not subscribed: committed() only asks the group coordinator, the group is not joined.
    std::unique_ptr<RdKafka::KafkaConsumer> asker(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!asker) return absl::UnavailableError(err);
    std::vector<RdKafka::TopicPartition*> partitions;
    for (int p = 0; p < partitions_[topic]; ++p) {
      partitions.push_back(RdKafka::TopicPartition::create(topic, p));
    }
    const RdKafka::ErrorCode code = asker->committed(partitions, 5000);
    int64_t committed = 0;
    for (const RdKafka::TopicPartition* tp : partitions) {
      if (tp->offset() >= 0) committed += tp->offset();
    }
    RdKafka::TopicPartition::destroy(partitions);
    asker->close();
    if (code != RdKafka::ERR_NO_ERROR) return absl::UnavailableError("committed offsets of " + group);
    return committed;
  }

  absl::StatusOr<int64_t> Total(const std::string& topic) {
    if (partitions_.find(topic) == partitions_.end()) {
      RdKafka::Metadata* metadata = nullptr;
      if (consumer_->metadata(true, nullptr, &metadata, 10000) != RdKafka::ERR_NO_ERROR) {
        return absl::UnavailableError("metadata");
      }
      std::unique_ptr<RdKafka::Metadata> owned(metadata);
      for (const auto* t : *metadata->topics()) {
        if (t->topic() == topic) partitions_[topic] = static_cast<int>(t->partitions()->size());
      }
      if (partitions_.find(topic) == partitions_.end()) return absl::NotFoundError(topic);
    }
    int64_t total = 0;
    for (int p = 0; p < partitions_[topic]; ++p) {
      int64_t low = 0, high = 0;
      if (consumer_->query_watermark_offsets(topic, p, &low, &high, 5000) != RdKafka::ERR_NO_ERROR) {
        return absl::UnavailableError("watermarks of " + topic);
      }
      total += high;
    }
    return total;
  }

 private:
  Watermarks() = default;
  std::string bootstrap_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::map<std::string, int> partitions_;
};

double PerSecond(int64_t n, absl::Duration d) { return n / std::max(1e-9, absl::ToDoubleSeconds(d)); }
std::string Ms(absl::Duration d) { return absl::StrFormat("%.1f ms", absl::ToDoubleMilliseconds(d)); }


// The two records routing writes for a complaint it routes: its assignment and the case event
// that says so, with the fields routing fills.
std::vector<kafka::OutgoingRecord> RoutedRecords(const events::v1::ComplaintReceived& complaint,
                                                 const std::string& assignments_topic,
                                                 const std::string& case_topic) {
  events::v1::Assignment a;
  a.set_complaint_id(complaint.complaint_id());
  a.set_unit(complaint.branch_code());
  a.set_rule_id("branch-of-record");
  a.set_level(complaint.level());
  a.set_urgency(complaint.urgency());
  a.set_category(complaint.category());
  a.set_sequence(1);
  *a.mutable_assigned_at() = complaint.received_at();
  a.set_rules_version(1);
  events::v1::CaseEvent e;
  e.set_complaint_id(complaint.complaint_id());
  e.set_unit(complaint.branch_code());
  e.set_actor("routing");
  *e.mutable_occurred_at() = complaint.received_at();
  auto* assigned = e.mutable_assigned();
  assigned->set_sequence(1);
  assigned->set_level(complaint.level());
  assigned->set_urgency(complaint.urgency());
  assigned->set_category(complaint.category());
  assigned->set_rule_id("branch-of-record");
  *assigned->mutable_received_at() = complaint.received_at();
  const absl::Time at = common::FromProtoTime(complaint.received_at());
  const std::string& id = complaint.complaint_id();
  return {events::ToRecord(assignments_topic, id, a, common::DeterministicId({id, "assignment"}),
                           "/complaints/routing", id, at),
          events::ToRecord(case_topic, id, e, common::DeterministicId({id, "assigned"}),
                           "/complaints/routing", id, at)};
}

// Reads complaints.received.v1 whole (`on_topic` records) with a new consumer group, 500
// records a batch, handing each batch to `each`: the time from the first batch to the end.
absl::StatusOr<absl::Duration> ReadReceivedWhole(
    const kafka::KafkaConfig& config, kafka::Publisher* dead_letters, const std::string& group,
    int64_t on_topic, absl::Duration timeout,
    const std::function<absl::Status(const std::vector<kafka::IncomingRecord>&)>& each) {
  kafka::ConsumerOptions options;
  options.group_id = group;
  options.topics = {events::kReceivedTopic};
  auto consumer = kafka::Consumer::Create(config, options, dead_letters);
  if (!consumer.ok()) return consumer.status();
  int64_t seen = 0;
  absl::Time first = absl::InfiniteFuture();
  const absl::Time start = absl::Now();
  absl::Status failed;
  absl::Status ran = (*consumer)->RunBatches(
      [&](const std::vector<kafka::IncomingRecord>& records) {
        if (seen == 0) first = absl::Now();
        if (failed.ok()) failed = each(records);
        seen += static_cast<int64_t>(records.size());
        if (!failed.ok() || seen >= on_topic || absl::Now() - start > timeout) {
          (*consumer)->Stop();
        }
        return std::vector<absl::Status>(records.size());
      },
      500);
  if (!ran.ok()) return ran;
  if (!failed.ok()) return failed;
  if (seen < on_topic) {
    return absl::DeadlineExceededError(absl::StrCat("read ", seen, " of ", on_topic));
  }
  return absl::Now() - first;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: routing_bench [--complaints 100000] [--rate 1000] [--seconds 20]\n"
                 "  [--bootstrap B] [--redis-port P] [--routing-binary path] [--log-dir D]\n"
                 "  [--broker-pid N: the broker's process, for the CPU figures]\n");
    return 1;
  }
  kafka::KafkaConfig kafka_config;
  kafka_config.bootstrap_servers = flags.bootstrap;
  auto producer = kafka::Producer::Create(kafka_config);
  redis::RedisOptions redis_options;
  redis_options.port = flags.redis_port;
  auto redis = redis::RedisClient::Connect(redis_options);
  auto watermarks = Watermarks::Open(flags.bootstrap);
  if (!producer.ok() || !redis.ok() || !watermarks.ok()) {
    std::fprintf(stderr, "set-up: kafka %s, redis %s\n", producer.status().ToString().c_str(),
                 redis.status().ToString().c_str());
    return 1;
  }
  const std::string run = absl::StrCat(absl::ToUnixSeconds(absl::Now()));

  // 1. routing: the real binary on an empty Redis (FLUSHALLed) with a new group, SERVING once
  // it has caught up with whatever the topics hold (earlier runs' complaints), then frozen
  // (SIGSTOP) while the topic is filled. Resumed, it meets a pre-filled topic in its steady
  // state, as an instance that fell behind does; a first start would replay instead, partition
  // after partition behind its rebuild guard. Its assignments are counted for this run's
  // complaints only (ids RT<run>-*).
  (*redis)->Command({"FLUSHALL"}).IgnoreError();
  const std::string own_prefix = absl::StrCat("RT", run, "-");
  std::mutex consume_mu;
  std::set<std::string> routed;
  absl::Time first_assignment = absl::InfiniteFuture();
  absl::Time last_assignment = absl::InfinitePast();
  kafka::ConsumerOptions counting;
  counting.group_id = absl::StrCat("routing-bench-count-", run);
  counting.topics = {events::kAssignmentsTopic};
  auto counter = kafka::Consumer::Create(kafka_config, counting, producer->get());
  if (!counter.ok()) return 1;
  std::thread count_thread([&] {
    (*counter)->RunBatches(
        [&](const std::vector<kafka::IncomingRecord>& records) {
          std::lock_guard lock(consume_mu);
          for (const auto& r : records) {
            events::v1::Assignment a;
            if (!a.ParseFromString(r.value) || !a.complaint_id().starts_with(own_prefix)) continue;
            if (!routed.insert(a.complaint_id()).second) continue;
            first_assignment = std::min(first_assignment, r.timestamp);
            last_assignment = std::max(last_assignment, r.timestamp);
          }
          return std::vector<absl::Status>(records.size());
        },
        500).IgnoreError();
  });
  const std::string routing_address = absl::StrCat("127.0.0.1:", testsupport::FreePort());
  testsupport::ChildProcess routing(
      flags.routing_binary, {},
      {{"COMPLAINTS_KAFKA_BOOTSTRAP", flags.bootstrap},
       {"COMPLAINTS_REDIS_PORT", std::to_string(flags.redis_port)},
       {"COMPLAINTS_GRPC_ADDRESS", routing_address},
       {"COMPLAINTS_KAFKA_GROUP_ID", absl::StrCat("routing-bench-", run)},
       {"COMPLAINTS_LOG_LEVEL", "warn"}},
      absl::StrCat(flags.log_dir, "/routing-bench-", run, ".log"));
  if (!testsupport::WaitUntilServing(routing_address, routing, absl::Seconds(flags.timeout_s))) {
    std::fprintf(stderr, "routing is not SERVING: see %s\n", routing.log_file().c_str());
    return 1;
  }
  routing.Kill(SIGSTOP);

  // 2. fill
  auto received_before = (*watermarks)->Total(events::kReceivedTopic);
  if (!received_before.ok()) {
    std::fprintf(stderr, "%s\n", received_before.status().ToString().c_str());
    return 1;
  }
  {
    const absl::Time start = absl::Now();
    std::vector<kafka::OutgoingRecord> batch;
    for (int i = 0; i < flags.complaints; ++i) {
      batch.push_back(Complaint(absl::StrCat("RT", run, "-", i), i, absl::Now()));
      if (batch.size() == 10000 || i + 1 == flags.complaints) {
        if (auto s = (*producer)->Publish(batch); !s.ok()) {
          std::fprintf(stderr, "fill: %s\n", s.ToString().c_str());
          return 1;
        }
        batch.clear();
      }
    }
    std::printf("fill: %d complaints on %s in %.1f s\n", flags.complaints, events::kReceivedTopic,
                absl::ToDoubleSeconds(absl::Now() - start));
    std::fflush(stdout);
  }
  const int64_t on_topic = *received_before + flags.complaints;

  // Where the CPU goes, per complaint, in the relay and consume phases.
  const bench::CpuMeter cpu({{"routing", routing.pid()},
                            {"kafka broker", flags.broker_pid},
                            {"bench (relay, or counting assignments)", getpid()}},
                           redis->get());
  // 3. raw
  const absl::Duration timeout = absl::Seconds(flags.timeout_s);
  auto raw = ReadReceivedWhole(kafka_config, producer->get(), "routing-bench-raw-" + run, on_topic,
                               timeout, [](const std::vector<kafka::IncomingRecord>&) {
                                 return absl::OkStatus();
                               });
  if (!raw.ok()) {
    std::fprintf(stderr, "raw: %s\n", raw.status().ToString().c_str());
    return 1;
  }
  std::printf("raw ceiling: %lld records of %s read by a consumer that does nothing: %.1f s, "
              "%.0f records/s\n",
              static_cast<long long>(on_topic), events::kReceivedTopic,
              absl::ToDoubleSeconds(*raw), PerSecond(on_topic, *raw));
  std::fflush(stdout);

  // 3b. relay: the broker's ceiling for what routing must write. The topic read again, and for
  // each complaint the two records routing writes published to scratch topics, one acks=all
  // publish per batch of 500, with the platform's own consumer and producer and no Redis: no
  // routing can go faster on this machine with these libraries, one consumer per instance.
  {
    const std::string assignments = absl::StrCat("bench.relay.assignments.", run);
    const std::string cases = absl::StrCat("bench.relay.case.", run);
    std::vector<kafka::TopicSpec> scratch = {{.name = assignments, .partitions = 6},
                                             {.name = cases, .partitions = 6}};
    if (auto s = kafka::EnsureTopics(kafka_config, scratch, absl::Seconds(30)); !s.ok()) {
      std::fprintf(stderr, "relay topics: %s\n", s.ToString().c_str());
      return 1;
    }
    const bench::CpuMeter::Sample relay_before = cpu.Take();
    auto relay = ReadReceivedWhole(
        kafka_config, producer->get(), "routing-bench-relay-" + run, on_topic, timeout,
        [&](const std::vector<kafka::IncomingRecord>& records) {
          std::vector<kafka::OutgoingRecord> out;
          out.reserve(2 * records.size());
          for (const kafka::IncomingRecord& r : records) {
            events::v1::ComplaintReceived complaint;
            if (!complaint.ParseFromString(r.value)) continue;
            for (auto& record : RoutedRecords(complaint, assignments, cases)) {
              out.push_back(std::move(record));
            }
          }
          return (*producer)->Publish(out);
        });
    kafka::DeleteTopics(kafka_config, {assignments, cases}, absl::Seconds(30)).IgnoreError();
    if (!relay.ok()) {
      std::fprintf(stderr, "relay: %s\n", relay.status().ToString().c_str());
      return 1;
    }
    std::printf("relay ceiling: %lld complaints read and their 2 records each published (acks=all, "
                "a publish per batch of 500, no Redis): %.1f s, %.0f complaints/s\n",
                static_cast<long long>(on_topic), absl::ToDoubleSeconds(*relay),
                PerSecond(on_topic, *relay));
    std::printf("%s\n", cpu.Line(relay_before, cpu.Take(), on_topic).c_str());
    std::fflush(stdout);
  }

  // 4. consume: routing resumed; timed from the first assignment of this run's complaints to the
  // last (their Kafka timestamps), and from the resumption.
  const bench::CpuMeter::Sample cpu_before = cpu.Take();
  routing.Kill(SIGCONT);
  const absl::Time started = absl::Now();
  size_t done = 0;
  while (absl::Now() - started < absl::Seconds(flags.timeout_s)) {
    if (!routing.Running()) {
      std::fprintf(stderr, "routing exited: see %s\n", routing.log_file().c_str());
      return 1;
    }
    {
      std::lock_guard lock(consume_mu);
      done = routed.size();
    }
    if (done >= static_cast<size_t>(flags.complaints)) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  (*counter)->Stop();
  count_thread.join();
  if (done < static_cast<size_t>(flags.complaints)) {
    std::fprintf(stderr, "consume: %zu of this run's %d complaints assigned within %d s\n", done,
                 flags.complaints, flags.timeout_s);
    return 1;
  }
  const absl::Duration routing_span = last_assignment - first_assignment;
  std::printf("routing consume: this run's %d complaints, pre-filled, routed in %.1f s from the "
              "first of their assignments to the last: %.0f complaints/s (after catching up with "
              "%lld earlier complaints; %.1f s from its resumption)\n",
              flags.complaints, absl::ToDoubleSeconds(routing_span),
              PerSecond(flags.complaints, routing_span),
              static_cast<long long>(*received_before),
              absl::ToDoubleSeconds(last_assignment - started));
  std::printf("%s\n", cpu.Line(cpu_before, cpu.Take(), flags.complaints).c_str());
  std::fflush(stdout);

  // Routing also reads back the case events it wrote for them: the latency phase starts once
  // its committed offsets have reached the end of both topics, or it would time that backlog.
  const std::string routing_group = absl::StrCat("routing-bench-", run);
  for (const absl::Time until = absl::Now() + absl::Seconds(flags.timeout_s);;) {
    bool caught_up = true;
    for (const char* topic : {events::kReceivedTopic, events::kCaseTopic}) {
      auto end = (*watermarks)->Total(topic);
      auto committed = (*watermarks)->Committed(routing_group, topic);
      caught_up = caught_up && end.ok() && committed.ok() && *committed >= *end;
    }
    if (caught_up) break;
    if (absl::Now() > until || !routing.Running()) {
      std::fprintf(stderr, "routing did not catch up with its topics: see %s\n",
                   routing.log_file().c_str());
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }

  // 5. latency at a steady rate: a consumer of the assignment topic matches the complaints.
  std::mutex mu;
  std::map<std::string, absl::Time> slots;  // complaint id -> when it was due
  std::vector<absl::Duration> latencies;
  const int total_latency = flags.rate * flags.seconds;
  kafka::ConsumerOptions options;
  options.group_id = absl::StrCat("routing-bench-latency-", run);
  options.topics = {events::kAssignmentsTopic};
  auto reader = kafka::Consumer::Create(kafka_config, options, producer->get());
  if (!reader.ok()) return 1;
  std::atomic<int64_t> read{0};
  std::thread reading([&] {
    (*reader)->RunBatches(
        [&](const std::vector<kafka::IncomingRecord>& records) {
          std::lock_guard lock(mu);
          for (const auto& r : records) {
            ++read;
            events::v1::Assignment a;
            if (!a.ParseFromString(r.value)) continue;
            auto it = slots.find(a.complaint_id());
            if (it == slots.end()) continue;
            latencies.push_back(r.timestamp - it->second);
            slots.erase(it);
          }
          if (static_cast<int>(latencies.size()) >= total_latency) (*reader)->Stop();
          return std::vector<absl::Status>(records.size());
        },
        500).IgnoreError();
  });
  // The reader first catches up with the topic (the consume phase's assignments).
  auto assigned_now = (*watermarks)->Total(events::kAssignmentsTopic);
  while (assigned_now.ok() && read.load() < *assigned_now) absl::SleepFor(absl::Milliseconds(100));
  const absl::Time begin = absl::Now() + absl::Milliseconds(100);
  const absl::Duration interval = absl::Seconds(1) / flags.rate;
  int sent = 0;
  while (sent < total_latency) {
    // Everything due by now, in one publish (open loop: a slow publish makes the next batch
    // bigger, not later).
    const absl::Time now = absl::Now();
    std::vector<kafka::OutgoingRecord> due;
    {
      std::lock_guard lock(mu);
      while (sent < total_latency && begin + interval * sent <= now) {
        const std::string id = absl::StrCat("RL", run, "-", sent);
        const absl::Time slot = begin + interval * sent;
        slots[id] = slot;
        due.push_back(Complaint(id, sent, slot));
        ++sent;
      }
    }
    if (!due.empty()) {
      if (auto s = (*producer)->Publish(due); !s.ok()) {
        std::fprintf(stderr, "latency publish: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  const absl::Time wait_until = absl::Now() + absl::Seconds(60);
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (static_cast<int>(latencies.size()) >= total_latency || absl::Now() > wait_until) break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  (*reader)->Stop();
  reading.join();
  routing.Stop();
  std::sort(latencies.begin(), latencies.end());
  if (latencies.empty()) {
    std::fprintf(stderr, "latency: no assignment seen\n");
    return 1;
  }
  const auto at = [&](double q) {
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(q * latencies.size()))];
  };
  std::printf("received -> assignment at %d/s for %d s (%zu of %d assigned): p50 %s, p99 %s, "
              "max %s\n",
              flags.rate, flags.seconds, latencies.size(), total_latency, Ms(at(0.5)).c_str(),
              Ms(at(0.99)).c_str(), Ms(latencies.back()).c_str());
  return static_cast<int>(latencies.size()) == total_latency ? 0 : 1;
}
