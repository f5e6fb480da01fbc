// sla_bench: the SLA timer's storage and firing at scale, against a real Redis and Kafka
// (issue 3, item 8). One run:
//
//   1. a plain redis-benchmark ZADD / ZRANGEBYSCORE ceiling of the same Redis;
//   2. schedules --deadlines live deadlines (3 clocks per complaint, due 12 h to 15 days out)
//      through RedisDeadlineStore::Update from --load-threads threads (Load + Update per
//      complaint, as SlaTimer does): the scheduling rate;
//   3. Redis used_memory before and after: bytes per live deadline;
//   4. starts the timer (this program with --timer, a separate process: RedisDeadlineStore,
//      AlertFirer, Poller owning every partition, the idempotent Kafka producer), reads the
//      alerts back from Kafka, and warms it up with 100 alerts (not measured);
//   5. steady state: --steady-rate deadlines a second due 1-5 s out, for --steady-seconds;
//      lateness = when the alert became durable in Kafka (the bench topic stamps records
//      with the broker's append time) - due time;
//   6. burst: --burst deadlines due in the same millisecond; time until all are in Kafka;
//   7. restart: SIGKILL the timer, let --restart-overdue deadlines fall due while it is down,
//      start a new timer process; time until it fires again (first alert, all of them).
//
// Redis must be a server of its own (e.g. bench/run-sla-bench.sh starts one on port 16400):
// the run fills it with millions of keys and --flush empties it first.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/numbers.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/sla/v1/clock_state.pb.h"
#include "libs/calendar/calendar_registry.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_catalogue.h"
#include "libs/redis/redis_pool.h"
#include "services/sla_timer/firing/firer.h"
#include "services/sla_timer/policy/policy_set.h"
#include "services/sla_timer/store/redis_deadline_store.h"
#include "services/sla_timer/policy/regional_calendar.h"

extern char** environ;

namespace complaints::bench {
namespace {

using sla_timer::CaseUpdate;
using sla_timer::ClockChange;
using sla_timer::ClockEntry;
using sla_timer::ClockKind;

// ---------------------------------------------------------------------------------------------
// Flags: --name=value or --name value.

struct Flags {
  int64_t deadlines = 10'000'000;
  std::string redis_host = "127.0.0.1";
  int redis_port = 16400;
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "bench.sla.alerts.v1";
  int partitions = 6;
  int load_threads = 8;
  int load_batch = 64;
  int64_t per_record_sample = 20000;
  int live_window_hours = 12;  // live complaints are armed over this window, from 12 h ago  //
                               // complaints scheduled one a round trip, for information
  int steady_seconds = 30;
  int steady_rate = 1000;
  int burst = 100000;
  int restart_overdue = 10000;
  // What each complaint stores for the policy engine: "engine" (an SlaCaseState of four clocks
  // as the engine writes one after an assignment, ~350 bytes), "none", or a number of random
  // (incompressible) bytes.
  std::string policy_state = "engine";
  // The store reads the clocks from the engine state instead of keeping them twice
  // (RedisDeadlineStore::Options::clocks_from_policy_state), as the service does.
  bool clocks_in_policy_state = true;
  int fire_batch = 1000;
  int publishers = 2;
  int in_flight = 4;
  int linger_ms = -1;  // -1: the producer's default
  int bucket_capacity = 128;
  std::string prefix = "sla";
  bool flush = false;
  bool ceiling = true;
  bool load_only = false;  // stop after scheduling and measuring memory
  bool timer = false;      // child mode: run the timer until SIGTERM / SIGKILL
  std::string redis_benchmark = "redis-benchmark";
};

bool ParseFlags(int argc, char** argv, Flags& f, std::vector<std::string>& raw) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    raw.push_back(arg);
    if (!arg.starts_with("--")) return false;
    arg = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take = [&](auto& out) {
      if (!has_value) {
        if (i + 1 >= argc) return false;
        value = argv[++i];
        raw.push_back(value);
      }
      if constexpr (std::is_same_v<std::decay_t<decltype(out)>, std::string>) {
        out = value;
        return true;
      } else {
        int64_t v = 0;
        if (!absl::SimpleAtoi(value, &v)) return false;
        out = static_cast<std::decay_t<decltype(out)>>(v);
        return true;
      }
    };
    if (arg == "flush") {
      f.flush = true;
    } else if (arg == "no-ceiling") {
      f.ceiling = false;
    } else if (arg == "clocks-stored-twice") {
      f.clocks_in_policy_state = false;
    } else if (arg == "load-only") {
      f.load_only = true;
    } else if (arg == "timer") {
      f.timer = true;
    } else if (arg == "deadlines") {
      if (!take(f.deadlines)) return false;
    } else if (arg == "redis-host") {
      if (!take(f.redis_host)) return false;
    } else if (arg == "redis-port") {
      if (!take(f.redis_port)) return false;
    } else if (arg == "bootstrap") {
      if (!take(f.bootstrap)) return false;
    } else if (arg == "topic") {
      if (!take(f.topic)) return false;
    } else if (arg == "partitions") {
      if (!take(f.partitions)) return false;
    } else if (arg == "load-threads") {
      if (!take(f.load_threads)) return false;
    } else if (arg == "load-batch") {
      if (!take(f.load_batch)) return false;
    } else if (arg == "live-window-hours") {
      if (!take(f.live_window_hours)) return false;
    } else if (arg == "per-record-sample") {
      if (!take(f.per_record_sample)) return false;
    } else if (arg == "steady-seconds") {
      if (!take(f.steady_seconds)) return false;
    } else if (arg == "steady-rate") {
      if (!take(f.steady_rate)) return false;
    } else if (arg == "burst") {
      if (!take(f.burst)) return false;
    } else if (arg == "restart-overdue") {
      if (!take(f.restart_overdue)) return false;
    } else if (arg == "policy-state") {
      if (!take(f.policy_state)) return false;
    } else if (arg == "fire-batch") {
      if (!take(f.fire_batch)) return false;
    } else if (arg == "publishers") {
      if (!take(f.publishers)) return false;
    } else if (arg == "in-flight") {
      if (!take(f.in_flight)) return false;
    } else if (arg == "linger-ms") {
      if (!take(f.linger_ms)) return false;
    } else if (arg == "bucket-capacity") {
      if (!take(f.bucket_capacity)) return false;
    } else if (arg == "prefix") {
      if (!take(f.prefix)) return false;
    } else if (arg == "redis-benchmark") {
      if (!take(f.redis_benchmark)) return false;
    } else {
      return false;
    }
  }
  return f.deadlines >= 0 && f.partitions > 0 && f.load_threads > 0 && f.load_batch > 0 &&
         f.live_window_hours > 0 && f.fire_batch > 0;
}

constexpr char kUsage[] = R"(usage: sla_bench [--deadlines N] [--redis-port P] [--flush] ...
  --deadlines N          live deadlines to schedule (default 10000000; 3 per complaint)
  --redis-host H         Redis of the bench's own (default 127.0.0.1)
  --redis-port P         (default 16400); --flush empties it first (FLUSHALL)
  --bootstrap B          Kafka (default 127.0.0.1:9092)
  --topic T              alerts topic of the bench (default bench.sla.alerts.v1, created)
  --partitions N         partitions of complaints.case.v1 served (default 6)
  --load-threads N       scheduling threads (default 8)
  --load-batch N         complaints per round trip (LoadCases + UpdateCases; default 64,
                         1 = Load + Update per complaint as SlaTimer does today)
  --per-record-sample N  then N more complaints one a round trip, for information (20000)
  --live-window-hours N  live complaints are armed over N hours from 12 h ago (default 12: all
                         in the last 12 h; more spreads due times thinner, buckets emptier)
  --steady-seconds N     steady-state phase (default 30) at --steady-rate per second (1000)
  --burst N              deadlines due in the same millisecond (default 100000)
  --restart-overdue N    deadlines falling due while the timer is down (default 10000)
  --policy-state S       per complaint: "engine" (an SlaCaseState of 4 clocks as the policy
                         engine writes it, ~350 bytes; default), "none", or N random bytes
  --clocks-stored-twice  the store keeps the clocks beside the engine state as well (by
                         default it reads them from the engine state, as the service does)
  --fire-batch N         alerts claimed per round trip (default 1000)
  --publishers N         publishing threads per partition (default 2, sla.publishers)
  --in-flight N          batches per partition queued ahead (default 4, sla.batches_in_flight)
  --linger-ms N          the timer producer's linger.ms (default: the service default, 5)
  --bucket-capacity N    alerts per bucket (default 128 = zset-max-listpack-entries)
  --no-ceiling           skip redis-benchmark
  --load-only            stop after scheduling and the memory figure
)";

redis::RedisOptions RedisOptionsOf(const Flags& f) {
  redis::RedisOptions o;
  o.host = f.redis_host;
  o.port = f.redis_port;
  o.command_timeout = absl::Seconds(60);
  return o;
}

kafka::KafkaConfig KafkaOf(const Flags& f, const std::string& client) {
  kafka::KafkaConfig config;
  config.bootstrap_servers = f.bootstrap;
  config.client_id = client;
  return config;
}

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "sla_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

// The process's Kafka credentials (COMPLAINTS_KAFKA_CREDENTIALS_FILE), for the raw clients.
std::map<std::string, std::string> Credentials() {
  auto credentials = kafka::KafkaConfig().Credentials();
  if (!credentials.ok()) Die("kafka credentials", credentials.status());
  return *credentials;
}

// The bench topic stamps records with the broker's append time, so a record's timestamp is
// when it became durable (one broker: appended = acknowledged to an acks=all producer).
void UseLogAppendTime(const Flags& f) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", f.bootstrap.c_str(), error, sizeof error);
  for (const auto& [key, value] : Credentials()) {
    rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (rk == nullptr) Die("admin client", absl::InternalError(error));
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, f.topic.c_str());
  rd_kafka_ConfigResource_set_config(resource, "message.timestamp.type", "LogAppendTime");
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AlterConfigs(rk, &resource, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  std::string failure;
  if (event == nullptr) {
    failure = "timed out";
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failure = rd_kafka_event_error_string(event);
  } else {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count);
    if (count == 1 && rd_kafka_ConfigResource_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = rd_kafka_ConfigResource_error_string(results[0]);
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_ConfigResource_destroy(resource);
  rd_kafka_destroy(rk);
  if (!failure.empty()) Die("message.timestamp.type of " + f.topic, absl::InternalError(failure));
}

// The store's view of an engine state's clocks, as SlaTimer's ToClockEntry makes them (with the
// due time the state keeps instead of recomputing it from the calendar).
absl::StatusOr<std::map<ClockKind, ClockEntry>> ClocksOfEngineState(const std::string& bytes) {
  sla::v1::SlaCaseState state;
  if (!state.ParseFromString(bytes)) return absl::DataLossError("SlaCaseState does not parse");
  std::map<ClockKind, ClockEntry> out;
  for (const sla::v1::ClockState& c : state.clocks()) {
    out[c.clock()] =
        ClockEntry{c.clock(),
                   c.status() == sla::v1::CLOCK_STATUS_RUNNING ? ClockEntry::State::kRunning
                                                               : ClockEntry::State::kStopped,
                   absl::FromUnixMillis(absl::ToUnixMillis(common::FromProtoTime(c.due_at()))),
                   c.version(),
                   absl::FromUnixMillis(absl::ToUnixMillis(common::FromProtoTime(c.started_at()))),
                   c.unit()};
  }
  return out;
}

// Clocks can be read from an engine state only: not from none or random bytes.
bool ClocksInEngineState(const Flags& f) {
  return f.clocks_in_policy_state && f.policy_state == "engine";
}

sla_timer::RedisDeadlineStore::Options StoreOptions(const Flags& f) {
  sla_timer::RedisDeadlineStore::Options options;
  options.bucket_capacity = f.bucket_capacity;
  if (ClocksInEngineState(f)) options.clocks_from_policy_state = ClocksOfEngineState;
  return options;
}

// ---------------------------------------------------------------------------------------------
// The timer process.

// Sends the firer's alerts to the bench's topic instead of sla.alerts.v1.
class TopicRewriter final : public kafka::Publisher {
 public:
  TopicRewriter(kafka::Publisher* inner, std::string topic)
      : inner_(inner), topic_(std::move(topic)) {}
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    std::vector<kafka::OutgoingRecord> copy(records.begin(), records.end());
    for (auto& r : copy) r.topic = topic_;
    const absl::Time start = absl::Now();
    auto result = inner_->PublishWithOffsets(copy);
    if (std::getenv("SLA_BENCH_TRACE") != nullptr) {
      std::fprintf(stderr, "publish %zu records: %.1f ms\n", copy.size(),
                   absl::ToDoubleMilliseconds(absl::Now() - start));
    }
    return result;
  }

 private:
  kafka::Publisher* inner_;
  const std::string topic_;
};

int RunTimer(const Flags& f) {
  spdlog::set_level(spdlog::level::warn);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  redis::RedisPool pool(RedisOptionsOf(f), 8);
  sla_timer::RedisDeadlineStore store(&pool, f.prefix, StoreOptions(f));
  kafka::KafkaConfig kafka_config = KafkaOf(f, "sla-bench-timer");
  if (f.linger_ms >= 0) kafka_config.extra["linger.ms"] = std::to_string(f.linger_ms);
  if (const char* debug = std::getenv("SLA_BENCH_KAFKA_DEBUG"); debug != nullptr) {
    kafka_config.extra["debug"] = debug;
    spdlog::set_level(spdlog::level::debug);
  }
  auto producer = kafka::Producer::Create(kafka_config);
  if (!producer.ok()) Die("timer producer", producer.status());
  TopicRewriter publisher(producer->get(), f.topic);
  const common::SystemClock clock;
  sla_timer::FiringOptions options;
  options.batch = f.fire_batch;
  options.publishers = f.publishers;
  options.in_flight = f.in_flight;
  // As the service fires: the engine decides each alert's successor from the complaint's
  // engine state (the shipped policy and calendars). Without engine states (--policy-state
  // none or random bytes, --clocks-stored-twice) there is nothing to decide from: breach only.
  auto policies = sla_policy::LoadPolicyFile(COMPLAINTS_DEFAULT_POLICY_FILE);
  if (!policies.ok()) Die("policy file", policies.status());
  auto calendars = calendar::CalendarRegistry::LoadDirectory(COMPLAINTS_DEFAULT_CALENDAR_DIR);
  if (!calendars.ok()) Die("calendars", calendars.status());
  auto region = sla_timer::CalendarForPolicy(*calendars, *policies, COMPLAINTS_DEFAULT_POLICY_FILE,
                                             COMPLAINTS_DEFAULT_CALENDAR_DIR);
  if (!region.ok()) Die("calendar", region.status());
  const sla_timer::RegionalCalendar work_calendar(*region);
  const sla_policy::PolicyEngine engine(&*policies, &work_calendar);
  std::unique_ptr<sla_timer::AlertFirer> firer =
      ClocksInEngineState(f)
          ? std::make_unique<sla_timer::AlertFirer>(&store, &publisher, &clock, &engine, options)
          : std::make_unique<sla_timer::AlertFirer>(
                &store, &publisher, &clock,
                // Clocks kept apart from the engine's state: the breach alone.
                [](const sla_timer::StoredCase&, const ClockEntry&, events::v1::AlertKind,
                   int32_t) -> std::optional<sla_timer::Firing> { return std::nullopt; },
                options);
  sla_timer::Poller poller(firer.get(), &store, &clock, options);
  poller.Start();
  std::vector<int32_t> all;
  for (int p = 0; p < f.partitions; ++p) all.push_back(p);
  poller.Assign(all);  // as the case consumer's on_assigned does

  int signal = 0;
  sigwait(&signals, &signal);
  poller.Stop();
  (void)(*producer)->Flush(absl::Seconds(10));
  return 0;
}

// Starts this program again with --timer; returns its pid.
pid_t SpawnTimer(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/proc/self/exe"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--timer");
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  pid_t pid = 0;
  if (int err = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, c_argv.data(), environ);
      err != 0) {
    Die("spawn timer", absl::InternalError(std::strerror(err)));
  }
  return pid;
}

void KillTimer(pid_t pid, int signal) {
  if (pid <= 0) return;
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
}

// ---------------------------------------------------------------------------------------------
// Reading the alerts back.

struct Seen {
  absl::Time due;
  absl::Time fired;    // fired_at in the alert: when the timer claimed it
  absl::Time durable;  // the record's timestamp: when the broker appended it
  absl::Time visible;  // when this process read it from Kafka
};

class AlertWatcher {
 public:
  static std::unique_ptr<AlertWatcher> Start(const Flags& f) {
    std::string error;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    const std::map<std::string, std::string> settings = {
        {"bootstrap.servers", f.bootstrap},
        {"group.id", "sla-bench-watch-" + std::to_string(getpid())},
        {"enable.auto.commit", "false"},
        {"fetch.wait.max.ms", "5"},
        {"fetch.error.backoff.ms", "10"},
        {"isolation.level", "read_uncommitted"},
        {"log_level", "3"}};
    std::map<std::string, std::string> all = Credentials();
    all.insert(settings.begin(), settings.end());
    for (const auto& [k, v] : all) {
      if (conf->set(k, v, error) != RdKafka::Conf::CONF_OK) {
        Die("consumer " + k, absl::InvalidArgumentError(error));
      }
    }
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(
        RdKafka::KafkaConsumer::create(conf.get(), error));
    if (!consumer) Die("consumer", absl::InternalError(error));
    // From the current end of every partition: only this run's alerts.
    std::vector<RdKafka::TopicPartition*> assignment;
    for (int p = 0; p < f.partitions; ++p) {
      int64_t low = 0;
      int64_t high = 0;
      const RdKafka::ErrorCode err =
          consumer->query_watermark_offsets(f.topic, p, &low, &high, 10000);
      if (err != RdKafka::ERR_NO_ERROR) {
        Die("watermarks of " + f.topic, absl::UnavailableError(RdKafka::err2str(err)));
      }
      assignment.push_back(RdKafka::TopicPartition::create(f.topic, p, high));
    }
    consumer->assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    auto watcher = std::unique_ptr<AlertWatcher>(new AlertWatcher(std::move(consumer)));
    watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
    return watcher;
  }

  ~AlertWatcher() {
    stop_ = true;
    thread_.join();
    consumer_->close();
  }

  // Alerts about complaints of `tag` are recorded under it.
  void Expect(const std::string& complaint_id, int tag) {
    std::lock_guard lock(mu_);
    tags_[complaint_id] = tag;
  }

  // Distinct alerts (by ce_id) of `tag` seen so far.
  size_t Count(int tag) {
    std::lock_guard lock(mu_);
    return seen_[tag].size();
  }
  std::vector<Seen> Take(int tag) {
    std::lock_guard lock(mu_);
    std::vector<Seen> out;
    for (const auto& [id, s] : seen_[tag]) out.push_back(s);
    return out;
  }
  int64_t duplicates() {
    std::lock_guard lock(mu_);
    return duplicates_;
  }
  int64_t unexpected() {
    std::lock_guard lock(mu_);
    return unexpected_;
  }
  // Waits until `count` alerts of `tag` were seen or `timeout` passed.
  bool WaitFor(int tag, size_t count, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (Count(tag) < count) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return true;
  }

 private:
  explicit AlertWatcher(std::unique_ptr<RdKafka::KafkaConsumer> consumer)
      : consumer_(std::move(consumer)) {}

  void Run() {
    while (!stop_) {
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(20));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      const absl::Time visible = absl::Now();
      events::v1::SlaAlert alert;
      if (!alert.ParseFromArray(m->payload(), static_cast<int>(m->len()))) continue;
      std::string ce_id;
      if (RdKafka::Headers* headers = m->headers()) {
        for (const auto& h : headers->get("ce_id")) {
          ce_id.assign(static_cast<const char*>(h.value()), h.value_size());
        }
      }
      std::lock_guard lock(mu_);
      auto tag = tags_.find(alert.complaint_id());
      if (tag == tags_.end()) {
        ++unexpected_;
        continue;
      }
      auto [it, inserted] = seen_[tag->second].try_emplace(
          ce_id,
          Seen{common::FromProtoTime(alert.due_at()), common::FromProtoTime(alert.fired_at()),
               absl::FromUnixMillis(m->timestamp().timestamp), visible});
      if (!inserted) ++duplicates_;
    }
  }

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::unordered_map<std::string, int> tags_;
  std::map<int, std::unordered_map<std::string, Seen>> seen_;
  int64_t duplicates_ = 0;
  int64_t unexpected_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Scheduling.

// What a clock schedules first here: its breach (the benchmark measures the store, not policy).
sla_timer::Firing BreachAt(const ClockEntry& entry) {
  return sla_timer::Firing{events::v1::ALERT_KIND_BREACH, 0, entry.due};
}

// One complaint's clocks armed by its first case event, written as SlaTimer writes them.
absl::Status ScheduleComplaint(sla_timer::RedisDeadlineStore& store, int32_t partition,
                               const std::string& id, int64_t offset, absl::Time armed_at,
                               const std::vector<std::pair<ClockKind, absl::Duration>>& clocks,
                               const std::string& unit, const std::string& policy_state) {
  auto current = store.Load(id);  // as SlaTimer::HandleCaseEvent does
  if (!current.ok()) return current.status();
  CaseUpdate update;
  update.expected_last_offset = current->last_offset;
  update.last_offset = offset;
  update.assignment_sequence = 1;
  std::map<ClockKind, ClockEntry> after = current->clocks;
  for (const auto& [clock, span] : clocks) {
    ClockEntry entry{clock, ClockEntry::State::kRunning, armed_at + span, offset, armed_at, unit};
    CaseUpdate::Change change;
    change.change.kind = ClockChange::Kind::kArm;
    change.change.entry = entry;
    change.first = BreachAt(entry);
    update.changes.push_back(std::move(change));
    after[clock] = std::move(entry);
  }
  update.clocks = std::move(after);
  if (!policy_state.empty()) update.policy_state = policy_state;
  return store.Update(partition, id, update);
}

// The same for many complaints, `batch` to a round trip (LoadCases, then UpdateCases).
struct NewComplaint {
  int32_t partition;
  std::string id;
  int64_t offset;
  absl::Time armed_at;
  std::string unit;
  size_t clocks;             // the first `clocks` of the clock list
  std::string policy_state;  // empty: none
};
absl::Status ScheduleComplaints(sla_timer::RedisDeadlineStore& store,
                                const std::vector<NewComplaint>& complaints,
                                const std::vector<std::pair<ClockKind, absl::Duration>>& clocks) {
  std::vector<std::string> ids;
  for (const NewComplaint& c : complaints) ids.push_back(c.id);
  const auto current = store.LoadCases(ids);
  std::vector<sla_timer::CaseWrite> writes;
  writes.reserve(complaints.size());
  for (size_t i = 0; i < complaints.size(); ++i) {
    if (!current[i].ok()) return current[i].status();
    const NewComplaint& c = complaints[i];
    sla_timer::CaseWrite w{c.partition, c.id, {}};
    w.update.expected_last_offset = current[i]->clocks.last_offset;
    w.update.last_offset = c.offset;
    w.update.assignment_sequence = 1;
    std::map<ClockKind, ClockEntry> after = current[i]->clocks.clocks;
    for (size_t k = 0; k < std::min(c.clocks, clocks.size()); ++k) {
      const auto& [clock, span] = clocks[k];
      ClockEntry entry{clock, ClockEntry::State::kRunning, c.armed_at + span, c.offset, c.armed_at,
                       c.unit};
      CaseUpdate::Change change;
      change.change.kind = ClockChange::Kind::kArm;
      change.change.entry = entry;
      change.first = BreachAt(entry);
      w.update.changes.push_back(std::move(change));
      after[clock] = std::move(entry);
    }
    if (!c.policy_state.empty()) {
      // As the engine leaves it: the ACCEPT clock of the assignment already stopped.
      after[events::v1::CLOCK_ACCEPT] = ClockEntry{events::v1::CLOCK_ACCEPT,
                                                   ClockEntry::State::kStopped,
                                                   c.armed_at + absl::Hours(2),
                                                   c.offset,
                                                   c.armed_at,
                                                   c.unit};
      w.update.policy_state = c.policy_state;
    }
    w.update.clocks = std::move(after);
    writes.push_back(std::move(w));
  }
  for (const absl::Status& s : store.UpdateCases(writes)) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// The policy engine's state of a complaint assigned at `armed` (as services/sla_timer/
// policy_engine.cc writes it with deploy/policies/cn-default.textproto): ACCEPT already stopped
// (unless `accept_running`: then due 2 h after `armed`), FIRST_CONTACT, RESOLUTION and
// REGULATORY running.
std::string EngineState(int64_t version, absl::Time armed, const std::string& unit,
                        bool accept_running = false) {
  sla::v1::SlaCaseState state;
  state.set_applied_version(version + 7);
  state.set_phase(sla::v1::CASE_PHASE_OPEN);
  state.set_unit(unit);
  state.set_level(events::v1::LEVEL_ORDINARY);
  state.set_category("card.fees");
  state.set_assignment_sequence(1);
  *state.mutable_received_at() = common::ToProtoTime(armed - absl::Minutes(3));
  struct Clock {
    ClockKind kind;
    absl::Duration span;
    bool stopped;
  };
  for (const Clock& c : {Clock{events::v1::CLOCK_ACCEPT, absl::Hours(2), !accept_running},
                         Clock{events::v1::CLOCK_FIRST_CONTACT, absl::Hours(24), false},
                         Clock{events::v1::CLOCK_RESOLUTION, absl::Hours(7 * 24), false},
                         Clock{events::v1::CLOCK_REGULATORY, absl::Hours(15 * 24), false}}) {
    sla::v1::ClockState* clock = state.add_clocks();
    clock->set_clock(c.kind);
    clock->set_status(c.stopped ? sla::v1::CLOCK_STATUS_STOPPED : sla::v1::CLOCK_STATUS_RUNNING);
    clock->set_version(version);
    clock->set_unit(unit);
    *clock->mutable_due_at() = common::ToProtoTime(armed + c.span);
    *clock->mutable_started_at() = common::ToProtoTime(armed);
    if (c.stopped) *clock->mutable_stopped_at() = common::ToProtoTime(armed + absl::Minutes(40));
    if (c.kind == events::v1::CLOCK_REGULATORY) {
      clock->mutable_span()->set_calendar_days(15);
    } else if (c.kind == events::v1::CLOCK_ACCEPT) {
      clock->mutable_span()->set_working_hours(2);
    } else {
      clock->mutable_span()->set_working_days(c.kind == events::v1::CLOCK_RESOLUTION ? 5 : 1);
    }
    clock->add_warn_at(0.5);
    clock->add_warn_at(0.8);
    clock->add_escalation()->set_working_hours(2);
    clock->add_escalation()->set_working_hours(4);
    clock->add_escalation()->set_working_days(1);
    clock->set_rule("base");
  }
  return state.SerializeAsString();
}

std::string PolicyStateFor(const std::string& mode, int64_t version, absl::Time armed,
                           const std::string& unit) {
  thread_local std::mt19937_64 random(std::hash<std::thread::id>()(std::this_thread::get_id()));
  if (mode == "engine") return EngineState(version, armed, unit);
  if (mode == "none") return "";
  int64_t n = 0;
  if (!absl::SimpleAtoi(mode, &n) || n < 0) return "";
  std::string bytes(static_cast<size_t>(n), '\0');
  for (char& b : bytes) b = static_cast<char>(random());
  return bytes;
}

// The state of the deadlines the timer fires during the run (an ACCEPT clock due at `due`): an
// engine state to decode on every Lookup, with that ACCEPT clock running when the store reads
// the clocks from it.
std::string ShortLivedState(const Flags& f, int64_t version, absl::Time due,
                            const std::string& unit) {
  if (ClocksInEngineState(f)) {
    return EngineState(version, due - absl::Hours(2), unit, /*accept_running=*/true);
  }
  return PolicyStateFor(f.policy_state, version, due, unit);
}

std::string ComplaintId(const std::string& run, const std::string& what, int64_t i) {
  return common::ComplaintIdFor("sla-bench-" + run + "-" + what, std::to_string(i));
}

// ---------------------------------------------------------------------------------------------
// Reporting.

int64_t UsedMemory(redis::RedisClient& redis) {
  auto reply = redis.Command({"INFO", "memory"});
  if (!reply.ok()) Die("INFO memory", reply.status());
  const std::string& text = reply->str;
  const std::string key = "used_memory:";
  auto at = text.find(key);
  int64_t value = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(text.substr(at + key.size(), text.find('\r', at) - at - key.size()),
                        &value)) {
    Die("INFO memory", absl::DataLossError("no used_memory"));
  }
  return value;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5));
  return values[at];
}

struct Row {
  std::string figure;
  std::string value;
  std::string target;
  bool pass;
};

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "(could not run: " + command + ")";
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  pclose(pipe);
  return out;
}

// redis-benchmark -q prints "CMD: N requests per second, p50=... msec" lines, with progress
// lines separated by '\r' before it: keep the last segment of each line.
std::string LastSegments(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (auto cr = line.rfind('\r'); cr != std::string::npos) line = line.substr(cr + 1);
    if (!line.empty()) out += "    " + line + "\n";
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

int RunBench(const Flags& f, const std::vector<std::string>& raw_args) {
  spdlog::set_level(spdlog::level::warn);
  const std::string run = std::to_string(absl::ToUnixMillis(absl::Now()));
  std::vector<Row> rows;
  auto admin_or = redis::RedisClient::Connect(RedisOptionsOf(f));
  if (!admin_or.ok()) Die("redis at port " + std::to_string(f.redis_port), admin_or.status());
  auto& admin = **admin_or;
  if (f.flush) {
    if (auto s = admin.Command({"FLUSHALL"}); !s.ok()) Die("FLUSHALL", s.status());
  }
  auto dbsize = admin.Command({"DBSIZE"});
  if (!dbsize.ok()) Die("DBSIZE", dbsize.status());
  std::printf("sla_bench: redis %s:%d (%lld keys before the run), kafka %s, topic %s\n",
              f.redis_host.c_str(), f.redis_port, static_cast<long long>(dbsize->integer),
              f.bootstrap.c_str(), f.topic.c_str());
  for (const char* setting : {"zset-max-listpack-entries", "zset-max-listpack-value"}) {
    auto reply = admin.Command({"CONFIG", "GET", setting});
    if (reply.ok() && reply->elements.size() == 2) {
      std::printf("  %s %s\n", setting, reply->elements[1].str.c_str());
    }
  }
  if (auto s =
          kafka::EnsureTopics(KafkaOf(f, "sla-bench-admin"),
                              {{.name = f.topic, .partitions = f.partitions}}, absl::Seconds(30));
      !s.ok()) {
    Die("topic " + f.topic, s);
  }
  UseLogAppendTime(f);

  // 1. The ceiling of the same Redis for single commands.
  std::string ceiling;
  if (f.ceiling) {
    const std::string base = f.redis_benchmark + " -h " + f.redis_host + " -p " +
                             std::to_string(f.redis_port) + " -q -c 50 -n 300000 ";
    ceiling += LastSegments(
        RunCommand(base + "-r 100000000 ZADD sla-bench:ceiling __rand_int__ __rand_int__ 2>&1"));
    ceiling += LastSegments(RunCommand(
        base + "-P 16 -r 100000000 ZADD sla-bench:ceiling __rand_int__ __rand_int__ 2>&1"));
    ceiling +=
        LastSegments(RunCommand(base + "ZRANGEBYSCORE sla-bench:ceiling -inf +inf LIMIT 0 1 2>&1"));
    ceiling += LastSegments(
        RunCommand(base + "ZRANGEBYSCORE sla-bench:ceiling -inf +inf LIMIT 0 100 2>&1"));
    (void)admin.Command({"DEL", "sla-bench:ceiling"});
    std::printf("\nredis-benchmark ceiling (50 clients; -P 16 = pipelined 16 deep):\n%s",
                ceiling.c_str());
  }

  // 2. + 3. The live deadlines, and what they cost.
  // Three clocks a complaint; the last complaint has what remains.
  const int64_t complaints = (f.deadlines + 2) / 3;
  const int64_t deadlines = f.deadlines;
  const int64_t before = UsedMemory(admin);
  const absl::Time now = absl::Now();
  const std::vector<std::pair<ClockKind, absl::Duration>> kLiveClocks = {
      {events::v1::CLOCK_FIRST_CONTACT, absl::Hours(24)},
      {events::v1::CLOCK_RESOLUTION, absl::Hours(7 * 24)},
      {events::v1::CLOCK_REGULATORY, absl::Hours(15 * 24)}};
  redis::RedisPool pool(RedisOptionsOf(f), f.load_threads + 8);
  sla_timer::RedisDeadlineStore store(&pool, f.prefix, StoreOptions(f));
  std::printf(
      "\nscheduling %lld deadlines (%lld complaints, 3 clocks each) from %d threads, "
      "%d complaint(s) a round trip...\n",
      static_cast<long long>(deadlines), static_cast<long long>(complaints), f.load_threads,
      f.load_batch);
  std::fflush(stdout);
  // Schedules complaints [from, to) of `what` (3 clocks each, the last of the live set fewer)
  // from f.load_threads threads, `batch` complaints a round trip; returns the seconds taken.
  auto schedule = [&](const std::string& what, int64_t from_index, int64_t to_index, int batch,
                      int64_t total_deadlines, bool progress) {
    std::atomic<int64_t> next{from_index};
    std::atomic<int64_t> failures{0};
    const absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (int t = 0; t < f.load_threads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 random(t + from_index);
        for (;;) {
          const int64_t first = next.fetch_add(256);
          if (first >= to_index) return;
          const int64_t last = std::min(first + 256, to_index);
          for (int64_t from = first; from < last; from += batch) {
            std::vector<NewComplaint> complaints_batch;
            for (int64_t i = from; i < std::min<int64_t>(from + batch, last); ++i) {
              // Armed from 12 hours ago on (in the last 12 hours by default): every clock
              // (24 h, 7 d, 15 d) is still running.
              const absl::Time armed =
                  now - absl::Hours(12) +
                  absl::Milliseconds(static_cast<int64_t>(
                      random() % (static_cast<uint64_t>(f.live_window_hours) * 3'600'000)));
              char unit[16];
              std::snprintf(unit, sizeof unit, "BR-%04d", static_cast<int>(i % 2000));
              complaints_batch.push_back(
                  {static_cast<int32_t>(i % f.partitions), ComplaintId(run, what, i),
                   100'000'000 + i, armed, unit,
                   static_cast<size_t>(std::min<int64_t>(3, total_deadlines - 3 * i)),
                   PolicyStateFor(f.policy_state, 100'000'000 + i, armed, unit)});
            }
            absl::Status s = ScheduleComplaints(store, complaints_batch, kLiveClocks);
            if (!s.ok() && failures.fetch_add(1) < 5) {
              std::fprintf(stderr, "schedule: %s\n", s.ToString().c_str());
            }
          }
          if (progress && first % 1'000'000 < 256 && first > 0) {
            std::printf("  %lld complaints, %.0f deadlines/s\n", static_cast<long long>(first),
                        3.0 * first / absl::ToDoubleSeconds(absl::Now() - start));
            std::fflush(stdout);
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    if (failures > 0) Die("scheduling", absl::InternalError(std::to_string(failures) + " failed"));
    return absl::ToDoubleSeconds(absl::Now() - start);
  };
  const double load_seconds =
      schedule("live", 0, complaints, f.load_batch, deadlines, /*progress=*/true);
  const double schedule_rate = deadlines / load_seconds;
  const int64_t after = UsedMemory(admin);
  const double per_deadline = deadlines == 0 ? 0 : static_cast<double>(after - before) / deadlines;
  int64_t buckets = 0;
  for (int p = 0; p < f.partitions; ++p) {
    auto reply = admin.Command({"ZCARD", store.IndexKey(p)});
    if (reply.ok()) buckets += reply->integer;
  }
  std::printf("  %lld deadlines in %.1f s: %.0f deadlines/s\n", static_cast<long long>(deadlines),
              load_seconds, schedule_rate);
  std::printf(
      "  used_memory %lld -> %lld: %.1f bytes per deadline (%.1f per complaint); "
      "%lld buckets, %.1f alerts per bucket\n",
      static_cast<long long>(before), static_cast<long long>(after), per_deadline,
      complaints == 0 ? 0.0 : static_cast<double>(after - before) / complaints,
      static_cast<long long>(buckets),
      buckets == 0 ? 0.0 : static_cast<double>(deadlines) / buckets);
  if (complaints > 0) {
    const std::string sample = ComplaintId(run, "live", complaints / 2);
    auto usage = admin.Command({"MEMORY", "USAGE", store.CaseKey(sample)});
    auto index = admin.Command({"ZRANGE", store.IndexKey(0), "0", "0"});
    if (usage.ok() && index.ok() && !index->elements.empty()) {
      const std::string bucket = store.BucketKey(0, index->elements[0].str);
      auto bucket_usage = admin.Command({"MEMORY", "USAGE", bucket});
      auto bucket_card = admin.Command({"ZCARD", bucket});
      auto encoding = admin.Command({"OBJECT", "ENCODING", bucket});
      std::printf("  sample: complaint key %lld bytes; bucket %s: %lld alerts, %lld bytes, %s\n",
                  static_cast<long long>(usage->integer), index->elements[0].str.c_str(),
                  static_cast<long long>(bucket_card.ok() ? bucket_card->integer : -1),
                  static_cast<long long>(bucket_usage.ok() ? bucket_usage->integer : -1),
                  encoding.ok() ? encoding->str.c_str() : "?");
    }
  }
  rows.push_back({"scheduling rate (" + std::to_string(f.load_batch) + "/round trip)",
                  Format("%.0f deadlines/s", schedule_rate), ">= 50000 deadlines/s",
                  schedule_rate >= 50000});
  rows.push_back({"memory (" + std::to_string(deadlines) + " live)",
                  Format("%.1f bytes/deadline", per_deadline), "<= 150 bytes/deadline",
                  per_deadline <= 150});
  // The same, one complaint a round trip (Load, then Update), as SlaTimer handles one record at
  // a time; not a target figure: a consumer thread doing this is bound by round trips.
  if (f.per_record_sample > 0 && f.load_batch != 1) {
    const double seconds =
        schedule("per-record", 0, f.per_record_sample, 1, 3 * f.per_record_sample, false);
    const double rate = 3.0 * f.per_record_sample / seconds;
    std::printf(
        "  one complaint a round trip (Load + Update), %d threads: %.0f deadlines/s "
        "(%lld more live deadlines)\n",
        f.load_threads, rate, static_cast<long long>(3 * f.per_record_sample));
    rows.push_back({"  same, 1/round trip (info)", Format("%.0f deadlines/s", rate), "-", true});
  }
  std::fflush(stdout);
  if (f.load_only) {
    for (const Row& r : rows) {
      std::printf("%-34s %-22s %-22s %s\n", r.figure.c_str(), r.value.c_str(), r.target.c_str(),
                  r.pass ? "ok" : "MISSED");
    }
    return 0;
  }

  // 4. The timer, and the alerts read back.
  auto watcher = AlertWatcher::Start(f);
  std::vector<std::string> child_args;
  for (const char* name :
       {"redis-host", "redis-port", "bootstrap", "topic", "partitions", "fire-batch",
        "bucket-capacity", "prefix", "publishers", "in-flight", "linger-ms"}) {
    for (size_t i = 0; i < raw_args.size(); ++i) {
      if (raw_args[i] == std::string("--") + name && i + 1 < raw_args.size()) {
        child_args.push_back(raw_args[i]);
        child_args.push_back(raw_args[i + 1]);
      } else if (raw_args[i].starts_with(std::string("--") + name + "=")) {
        child_args.push_back(raw_args[i]);
      }
    }
  }
  if (!f.clocks_in_policy_state) child_args.push_back("--clocks-stored-twice");
  pid_t timer = SpawnTimer(child_args);
  enum Tag { kWarmUp = 0, kSteady = 1, kBurst = 2, kRestart = 3 };
  const std::vector<std::pair<ClockKind, absl::Duration>> kAccept = {
      {events::v1::CLOCK_ACCEPT, absl::ZeroDuration()}};
  int64_t offset = 800'000'000;

  // Warm-up, not measured: a fresh producer's first records to a topic wait up to a second for
  // librdkafka's periodic topic scan (see the restart figure, which includes it).
  {
    const absl::Time due = absl::Now() + absl::Seconds(1);
    for (int i = 0; i < 100; ++i) {
      const std::string id = ComplaintId(run, "warm-up", i);
      watcher->Expect(id, kWarmUp);
      ++offset;
      const absl::Time at = due + absl::Milliseconds(10 * i);
      auto s = ScheduleComplaint(store, i % f.partitions, id, offset, at, kAccept, "BR-0000",
                                 ShortLivedState(f, offset, at, "BR-0000"));
      if (!s.ok()) Die("warm-up schedule", s);
    }
    if (!watcher->WaitFor(kWarmUp, 100, absl::Seconds(30))) {
      Die("warm-up", absl::DeadlineExceededError("the timer fired nothing in 30 s"));
    }
  }

  // 5. Steady state.
  std::printf("\nsteady state: %d deadlines/s due 1-5 s out, for %d s...\n", f.steady_rate,
              f.steady_seconds);
  std::fflush(stdout);
  const int64_t steady_total = static_cast<int64_t>(f.steady_rate) * f.steady_seconds;
  {
    std::mt19937_64 random(42);
    const absl::Time start = absl::Now();
    for (int64_t i = 0; i < steady_total; ++i) {
      const absl::Time at = start + absl::Seconds(1) * (static_cast<double>(i) / f.steady_rate);
      if (const absl::Duration ahead = at - absl::Now(); ahead > absl::ZeroDuration()) {
        absl::SleepFor(ahead);
      }
      const std::string id = ComplaintId(run, "steady", i);
      watcher->Expect(id, kSteady);
      const absl::Time due =
          absl::Now() + absl::Milliseconds(1000 + static_cast<int64_t>(random() % 4000));
      ++offset;
      auto s = ScheduleComplaint(store, static_cast<int32_t>(i % f.partitions), id, offset, due,
                                 kAccept, "BR-0001", ShortLivedState(f, offset, due, "BR-0001"));
      if (!s.ok()) Die("steady schedule", s);
    }
  }
  const bool steady_done =
      watcher->WaitFor(kSteady, static_cast<size_t>(steady_total), absl::Seconds(60));
  std::vector<double> lateness;  // durable in Kafka - due
  std::vector<double> claimed;   // claimed by the timer - due
  std::vector<double> read;      // read back by this process - due
  for (const Seen& s : watcher->Take(kSteady)) {
    lateness.push_back(absl::ToDoubleMilliseconds(s.durable - s.due));
    claimed.push_back(absl::ToDoubleMilliseconds(s.fired - s.due));
    read.push_back(absl::ToDoubleMilliseconds(s.visible - s.due));
  }
  auto describe = [](const std::vector<double>& v) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "p50 %.1f ms, p99 %.1f ms, max %.1f ms", Percentile(v, 0.5),
                  Percentile(v, 0.99), v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
    return std::string(buf);
  };
  const double p99 = Percentile(lateness, 0.99);
  const double max = lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end());
  std::printf(
      "  %zu/%lld alerted\n  lateness, durable in Kafka (broker append time): %s\n"
      "  claimed by the timer: %s\n  read back by the bench: %s\n",
      lateness.size(), static_cast<long long>(steady_total), describe(lateness).c_str(),
      describe(claimed).c_str(), describe(read).c_str());
  rows.push_back(
      {"steady lateness p99", Format("%.1f ms", p99), "<= 100 ms", steady_done && p99 <= 100});
  rows.push_back(
      {"steady lateness max", Format("%.1f ms", max), "<= 1000 ms", steady_done && max <= 1000});
  std::fflush(stdout);

  // 6. Burst: all due in the same millisecond.
  std::printf("\nburst: %d deadlines due at the same millisecond...\n", f.burst);
  std::fflush(stdout);
  double burst_seconds = -1;
  {
    const absl::Time due =
        absl::FromUnixMillis(absl::ToUnixMillis(absl::Now() + absl::Seconds(15)));
    const absl::Time start = absl::Now();
    std::atomic<int64_t> n{0};
    std::vector<std::thread> threads;
    const int64_t base_offset = offset;
    for (int t = 0; t < f.load_threads; ++t) {
      threads.emplace_back([&] {
        for (int64_t i; (i = n.fetch_add(1)) < f.burst;) {
          const std::string id = ComplaintId(run, "burst", i);
          watcher->Expect(id, kBurst);
          auto s = ScheduleComplaint(store, static_cast<int32_t>(i % f.partitions), id,
                                     base_offset + 1 + i, due, kAccept, "BR-0002",
                                     ShortLivedState(f, base_offset + 1 + i, due, "BR-0002"));
          if (!s.ok()) Die("burst schedule", s);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    offset += f.burst;
    const double scheduled_in = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf("  scheduled in %.1f s (%.0f/s), %.1f s before they are due\n", scheduled_in,
                f.burst / scheduled_in, absl::ToDoubleSeconds(due - absl::Now()));
    std::fflush(stdout);
    if (watcher->WaitFor(kBurst, static_cast<size_t>(f.burst),
                         (due - absl::Now()) + absl::Seconds(60))) {
      absl::Time last = absl::InfinitePast();
      for (const Seen& s : watcher->Take(kBurst)) last = std::max(last, s.durable);
      burst_seconds = absl::ToDoubleSeconds(last - due);
    }
    std::printf("  %zu/%d alerted; the last %.2f s after they fell due\n", watcher->Count(kBurst),
                f.burst, burst_seconds);
  }
  rows.push_back({"burst of " + std::to_string(f.burst) + " all in Kafka",
                  burst_seconds < 0 ? "not all" : Format("%.2f s", burst_seconds), "<= 5 s",
                  burst_seconds >= 0 && burst_seconds <= 5});
  std::fflush(stdout);

  // 7. Restart: SIGKILL, deadlines fall due meanwhile, a new timer process.
  std::printf("\nrestart: SIGKILL the timer, %d deadlines fall due, start a new one...\n",
              f.restart_overdue);
  std::fflush(stdout);
  KillTimer(timer, SIGKILL);
  timer = -1;
  double first_seconds = -1;
  double all_seconds = -1;
  {
    const absl::Time due = absl::Now() + absl::Seconds(1);
    for (int64_t i = 0; i < f.restart_overdue; ++i) {
      const std::string id = ComplaintId(run, "restart", i);
      watcher->Expect(id, kRestart);
      ++offset;
      const absl::Time at = due + absl::Milliseconds(i % 1000);
      auto s = ScheduleComplaint(store, static_cast<int32_t>(i % f.partitions), id, offset, at,
                                 kAccept, "BR-0003", ShortLivedState(f, offset, at, "BR-0003"));
      if (!s.ok()) Die("restart schedule", s);
    }
    absl::SleepFor((due + absl::Seconds(2)) - absl::Now());
    const absl::Time start = absl::Now();
    timer = SpawnTimer(child_args);
    if (watcher->WaitFor(kRestart, 1, absl::Seconds(60))) {
      absl::Time first = absl::InfiniteFuture();
      for (const Seen& s : watcher->Take(kRestart)) first = std::min(first, s.durable);
      first_seconds = absl::ToDoubleSeconds(first - start);
    }
    if (watcher->WaitFor(kRestart, static_cast<size_t>(f.restart_overdue), absl::Seconds(60))) {
      absl::Time last = absl::InfinitePast();
      for (const Seen& s : watcher->Take(kRestart)) last = std::max(last, s.durable);
      all_seconds = absl::ToDoubleSeconds(last - start);
    }
    auto live = admin.Command({"DBSIZE"});
    std::printf(
        "  %zu/%d alerted; first %.2f s, all %.2f s after the new process started "
        "(%lld keys in Redis)\n",
        watcher->Count(kRestart), f.restart_overdue, first_seconds, all_seconds,
        static_cast<long long>(live.ok() ? live->integer : -1));
  }
  rows.push_back({"restart: firing again",
                  first_seconds < 0 ? "never" : Format("%.2f s", first_seconds), "<= 5 s",
                  first_seconds >= 0 && first_seconds <= 5});
  rows.push_back({"restart: all " + std::to_string(f.restart_overdue) + " overdue in Kafka",
                  all_seconds < 0 ? "not all" : Format("%.2f s", all_seconds), "<= 5 s",
                  all_seconds >= 0 && all_seconds <= 5});

  absl::SleepFor(absl::Seconds(1));
  KillTimer(timer, SIGTERM);
  const int64_t duplicates = watcher->duplicates();
  const int64_t unexpected = watcher->unexpected();
  const int64_t remaining_live = [&] {
    int64_t total = 0;
    for (int p = 0; p < f.partitions; ++p) {
      auto next_due = store.NextDue(p);
      if (next_due.ok() && next_due->has_value() && **next_due < absl::Now()) ++total;
    }
    return total;
  }();
  watcher.reset();

  std::printf("\n%-34s %-22s %-22s %s\n", "figure", "measured", "target", "");
  for (const Row& r : rows) {
    std::printf("%-34s %-22s %-22s %s\n", r.figure.c_str(), r.value.c_str(), r.target.c_str(),
                r.pass ? "ok" : "MISSED");
  }
  std::printf(
      "\nduplicate alerts read (same ce_id): %lld; alerts of no scheduled deadline: %lld; "
      "partitions with overdue alerts left: %lld\n",
      static_cast<long long>(duplicates), static_cast<long long>(unexpected),
      static_cast<long long>(remaining_live));
  if (f.ceiling) std::printf("redis-benchmark ceiling of the same server:\n%s", ceiling.c_str());
  bool all = unexpected == 0;
  for (const Row& r : rows) all = all && r.pass;
  return all ? 0 : 2;
}

}  // namespace
}  // namespace complaints::bench

int main(int argc, char** argv) {
  complaints::bench::Flags flags;
  std::vector<std::string> raw;
  if (argc == 2 && std::string(argv[1]) == "--help") {
    std::fputs(complaints::bench::kUsage, stdout);
    return 0;
  }
  if (!complaints::bench::ParseFlags(argc, argv, flags, raw)) {
    std::fputs(complaints::bench::kUsage, stderr);
    return 64;
  }
  if (flags.timer) return complaints::bench::RunTimer(flags);
  return complaints::bench::RunBench(flags, raw);
}
