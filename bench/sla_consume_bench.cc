// sla_consume_bench: the SLA timer's real consumer path, Kafka to Redis. One run:
//
//   1. publishes --events assignment events (complaints.case.v1 CaseEvents, one complaint each,
//      keyed by complaint id, as routing announces them) to a topic of the run's own
//      (bench.sla.case.<run>, --partitions partitions, and its .dlq twin);
//   2. baseline: consumes the topic from its beginning with kafka::Consumer and a handler that
//      does nothing, one record at a time (Run) and in batches (RunBatches): the ceiling the
//      timer cannot beat;
//   3. batch mode: the real SlaTimer (policy engine on --policy-file, business calendars of
//      --calendar-dir) + RedisDeadlineStore (guarded, as in the service) + Consumer::RunBatches
//      of --batch records, from the beginning of the topic with a fresh group and an empty
//      Redis: deadlines scheduled per second;
//   4. one-record mode: the same with Consumer::Run and SlaTimer::HandleCaseEvent, for the
//      first --single-events records (it is several times slower).
//
// Rates are measured from the first record handed to the handler to the last one done, so the
// group join (the broker delays a new group's first rebalance by up to 3 s) does not count.
// A deadline is a clock armed with an alert scheduled: each assignment arms the number printed
// (`clocks armed per event`, from the policy engine), so deadlines/s = events/s x that.
//
// Redis must be a server of its own (bench/run-sla-consume-bench.sh starts one on port 16401):
// each mode FLUSHALLs it first.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "complaints/events/v1/case.pb.h"
#include "libs/calendar/calendar_registry.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_catalogue.h"
#include "libs/redis/redis_client.h"
#include "libs/redis/redis_pool.h"
#include "services/sla_timer/policy/policy_set.h"
#include "services/sla_timer/store/redis_deadline_store.h"
#include "services/sla_timer/policy/regional_calendar.h"
#include "services/sla_timer/sla_timer.h"
#include "spdlog/spdlog.h"

namespace complaints::bench {
namespace {

struct Flags {
  int64_t events = 200'000;
  int64_t single_events = 20'000;
  int batch = 500;
  int partitions = 6;
  std::string redis_host = "127.0.0.1";
  int redis_port = 16401;
  std::string bootstrap = "127.0.0.1:9092";
  std::string policy_file = COMPLAINTS_DEFAULT_POLICY_FILE;
  std::string calendar_dir = COMPLAINTS_DEFAULT_CALENDAR_DIR;
  std::string log_level = "info";
  std::string modes = "raw,batch,single";
};

constexpr char kUsage[] = R"(usage: sla_consume_bench [--flag value]...
  --events N          assignment events published and consumed (default 200000)
  --single-events N   events handled in the one-record mode (default 20000; 0 skips it)
  --batch N           records per batch in the batch mode (default 500, as sla.consumer_batch)
  --partitions N      partitions of the bench topic (default 6)
  --redis-host H      Redis of the bench's own (default 127.0.0.1); FLUSHALLed by each mode
  --redis-port P      (default 16401)
  --bootstrap B       Kafka (default 127.0.0.1:9092)
  --policy-file F     (default the shipped deploy/policies/cn-default.textproto)
  --calendar-dir D    (default the shipped deploy/calendars)
  --log-level L       spdlog level while the timer runs (default info, as the service; each
                      clock the timer arms is a debug line)
  --modes M           comma-separated subset of raw,batch,single (default all three)
)";

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    if (!name.starts_with("--")) return false;
    name = name.substr(2);
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return false;
    }
    auto number = [&](auto& out) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return false;
      out = static_cast<std::decay_t<decltype(out)>>(v);
      return true;
    };
    bool ok = true;
    if (name == "events") {
      ok = number(f.events);
    } else if (name == "single-events") {
      ok = number(f.single_events);
    } else if (name == "batch") {
      ok = number(f.batch);
    } else if (name == "partitions") {
      ok = number(f.partitions);
    } else if (name == "redis-host") {
      f.redis_host = value;
    } else if (name == "redis-port") {
      ok = number(f.redis_port);
    } else if (name == "bootstrap") {
      f.bootstrap = value;
    } else if (name == "policy-file") {
      f.policy_file = value;
    } else if (name == "calendar-dir") {
      f.calendar_dir = value;
    } else if (name == "log-level") {
      f.log_level = value;
    } else if (name == "modes") {
      f.modes = value;
    } else {
      return false;
    }
    if (!ok) return false;
  }
  return f.events > 0 && f.single_events >= 0 && f.batch > 0 && f.partitions > 0;
}

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "sla_consume_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

kafka::KafkaConfig KafkaOf(const Flags& f, const std::string& client) {
  kafka::KafkaConfig config;
  config.bootstrap_servers = f.bootstrap;
  config.client_id = client;
  return config;
}

redis::RedisOptions RedisOf(const Flags& f) {
  redis::RedisOptions options;
  options.host = f.redis_host;
  options.port = f.redis_port;
  return options;
}

std::string Unique() {
  std::mt19937_64 random{std::random_device{}()};
  return absl::StrCat(absl::Hex(random()));
}

// An assignment as routing announces it: an ordinary ATM complaint of a Beijing branch.
events::v1::CaseEvent Assignment(const std::string& id, absl::Time at) {
  events::v1::CaseEvent event;
  event.set_complaint_id(id);
  event.set_unit("BJ-0101");
  *event.mutable_occurred_at() = common::ToProtoTime(at);
  auto* assigned = event.mutable_assigned();
  assigned->set_sequence(1);
  assigned->set_level(events::v1::LEVEL_ORDINARY);
  assigned->set_category("atm.card_retained");
  return event;
}

// Clocks one assignment arms with an alert scheduled (all events are alike).
int ArmedPerEvent(const sla_policy::PolicyEngine& engine, absl::Time at) {
  auto outcome = engine.Apply(sla::v1::SlaCaseState(), Assignment("CMP-PROBE", at), 0);
  if (!outcome.ok()) Die("policy engine", outcome.status());
  int armed = 0;
  for (const auto& change : outcome->updates) {
    armed += change.kind == sla_policy::ClockUpdate::Kind::kArmed && change.first.has_value();
  }
  return armed;
}

void Publish(const Flags& f, const std::string& topic, const std::string& run, absl::Time at) {
  auto producer = kafka::Producer::Create(KafkaOf(f, "sla-consume-bench-feed"));
  if (!producer.ok()) Die("producer", producer.status());
  const absl::Time start = absl::Now();
  constexpr int64_t kChunk = 20'000;
  for (int64_t first = 0; first < f.events; first += kChunk) {
    std::vector<kafka::OutgoingRecord> records;
    for (int64_t i = first; i < std::min(f.events, first + kChunk); ++i) {
      const std::string id = absl::StrCat("CMP-BENCH-", run, "-", i);
      records.push_back(events::ToRecord(topic, id, Assignment(id, at), "assigned-" + id,
                                         "/complaints/routing", id, at));
    }
    if (auto s = (*producer)->Publish(records); !s.ok()) Die("publish", s);
  }
  std::printf("published %lld assignment events to %s in %.1f s\n",
              static_cast<long long>(f.events), topic.c_str(),
              absl::ToDoubleSeconds(absl::Now() - start));
  std::fflush(stdout);
}

// Counts what a consumer has done, and when the first and the target-th record were handled.
struct Progress {
  explicit Progress(int64_t target) : target(target) {}
  void Begin() {
    if (!started.exchange(true)) first = absl::Now();
  }
  void Done(int64_t n) {
    if (done.fetch_add(n) + n >= target && !finished.exchange(true)) last = absl::Now();
  }
  const int64_t target;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> failed{0};
  std::string last_key;  // of the last record handled (written on the consumer thread only)
  absl::Time first;
  absl::Time last;
};

// Runs `consumer` until `progress` reaches its target (or two minutes without progress); the
// records handled per second between the first and the last.
double Measure(std::unique_ptr<kafka::Consumer> consumer, Progress& progress,
               const std::function<absl::Status(kafka::Consumer&)>& run) {
  absl::Status result;
  std::thread thread([&] { result = run(*consumer); });
  int64_t seen = -1;
  absl::Time moved = absl::Now();
  while (!progress.finished.load()) {
    absl::SleepFor(absl::Milliseconds(20));
    if (const int64_t now = progress.done.load(); now != seen) {
      seen = now;
      moved = absl::Now();
    } else if (absl::Now() - moved > absl::Minutes(2)) {
      consumer->Stop();
      thread.join();
      Die("consumer", absl::DeadlineExceededError(
                          absl::StrCat("stuck at ", seen, " of ", progress.target, " records")));
    }
  }
  consumer->Stop();
  thread.join();
  if (!result.ok()) Die("consumer", result);
  return progress.target / absl::ToDoubleSeconds(progress.last - progress.first);
}

std::unique_ptr<kafka::Consumer> NewConsumer(const Flags& f, const std::string& topic,
                                             kafka::Publisher* dead_letters) {
  kafka::ConsumerOptions options;
  options.group_id = "sla-consume-bench-" + Unique();
  options.topics = {topic};
  auto consumer = kafka::Consumer::Create(KafkaOf(f, "sla-consume-bench"), options, dead_letters);
  if (!consumer.ok()) Die("consumer", consumer.status());
  return *std::move(consumer);
}

int Run(const Flags& f) {
  // The service's loggers (stderr, its format), quiet outside the timer's own phases.
  if (auto s = common::InitLogging("sla-consume-bench", common::Config()); !s.ok()) {
    Die("logging", s);
  }
  spdlog::set_level(spdlog::level::warn);
  const auto log_level = spdlog::level::from_str(f.log_level);
  const std::string run = Unique();
  const std::string topic = "bench.sla.case." + run;
  const auto has_mode = [&](const std::string& m) {
    return ("," + f.modes + ",").find("," + m + ",") != std::string::npos;
  };

  const auto policies = sla_policy::LoadPolicyFile(f.policy_file);
  if (!policies.ok()) Die("policy " + f.policy_file, policies.status());
  const auto calendars = calendar::CalendarRegistry::LoadDirectory(f.calendar_dir);
  if (!calendars.ok()) Die("calendars " + f.calendar_dir, calendars.status());
  const sla_timer::RegionalCalendar work_calendar(&calendars->ForRegion(policies->region()));
  const sla_policy::PolicyEngine engine(&*policies, &work_calendar);
  const absl::Time assigned_at = absl::Now();
  const int armed = ArmedPerEvent(engine, assigned_at);

  auto admin = redis::RedisClient::Connect(RedisOf(f));
  if (!admin.ok()) Die("redis at port " + std::to_string(f.redis_port), admin.status());
  auto producer = kafka::Producer::Create(KafkaOf(f, "sla-consume-bench"));
  if (!producer.ok()) Die("producer", producer.status());

  std::vector<kafka::TopicSpec> specs(2);
  specs[0].name = topic;
  specs[0].partitions = f.partitions;
  specs[0].retention_ms = 3'600'000;
  specs[1].name = topic + ".dlq";
  specs[1].retention_ms = 3'600'000;
  if (auto s = kafka::EnsureTopics(KafkaOf(f, "sla-consume-bench-admin"), specs, absl::Seconds(30));
      !s.ok()) {
    Die("topic " + topic, s);
  }
  std::printf(
      "sla_consume_bench: kafka %s, redis %s:%d, %d partitions, policy %s: %d clocks "
      "armed per event, log level %s\n",
      f.bootstrap.c_str(), f.redis_host.c_str(), f.redis_port, f.partitions, f.policy_file.c_str(),
      armed, f.log_level.c_str());
  Publish(f, topic, run, assigned_at);

  struct Row {
    std::string mode;
    int64_t events;
    double events_per_s;
    bool deadlines;
  };
  std::vector<Row> rows;

  if (has_mode("raw")) {
    Progress one(f.events);
    const double rate = Measure(NewConsumer(f, topic, producer->get()), one, [&](auto& c) {
      return c.Run([&](const kafka::IncomingRecord&) {
        one.Begin();
        one.Done(1);
        return absl::OkStatus();
      });
    });
    rows.push_back({"raw consume, Run (no-op handler)", f.events, rate, false});
    Progress batched(f.events);
    const double batch_rate =
        Measure(NewConsumer(f, topic, producer->get()), batched, [&](auto& c) {
          return c.RunBatches(
              [&](const std::vector<kafka::IncomingRecord>& records) {
                batched.Begin();
                batched.Done(static_cast<int64_t>(records.size()));
                return std::vector<absl::Status>(records.size());
              },
              static_cast<size_t>(f.batch));
        });
    rows.push_back({absl::StrCat("raw consume, RunBatches(", f.batch, ") (no-op handler)"),
                    f.events, batch_rate, false});
  }

  // The timer as the service wires it: guarded store, every partition marked (as a first
  // replay would leave them), the service's pool size.
  const common::SystemClock clock;
  auto timer_mode = [&](int64_t events,
                        const std::function<double(sla_timer::SlaTimer&, Progress&)>& go) {
    if (auto s = (*admin)->Command({"FLUSHALL"}); !s.ok()) Die("FLUSHALL", s.status());
    redis::RedisPool pool(RedisOf(f), 16);
    sla_timer::RedisDeadlineStore store(&pool, "sla", {.guard_partitions = true});
    std::vector<int32_t> all;
    for (int32_t p = 0; p < f.partitions; ++p) all.push_back(p);
    if (auto s = store.MarkPartitions(all); !s.ok()) Die("mark partitions", s);
    sla_timer::SlaTimer timer(&store, &engine, &clock, /*ledger=*/nullptr, absl::Hours(24 * 30));
    Progress progress(events);
    spdlog::set_level(log_level);
    const double rate = go(timer, progress);
    spdlog::set_level(spdlog::level::warn);
    if (progress.failed > 0) {
      std::printf("  %lld records failed (see the log)\n",
                  static_cast<long long>(progress.failed.load()));
    }
    // Spot check: the last complaint handled has its clocks.
    auto stored = store.Load(progress.last_key);
    if (!stored.ok() || stored->clocks.size() != static_cast<size_t>(armed)) {
      std::printf("  warning: %s does not have its %d clocks stored\n", progress.last_key.c_str(),
                  armed);
    }
    return rate;
  };

  if (has_mode("batch")) {
    const double rate = timer_mode(f.events, [&](sla_timer::SlaTimer& timer, Progress& p) {
      return Measure(NewConsumer(f, topic, producer->get()), p, [&](auto& c) {
        return c.RunBatches(
            [&](const std::vector<kafka::IncomingRecord>& records) {
              p.Begin();
              std::vector<absl::Status> statuses = timer.HandleCaseEvents(records);
              int64_t ok = 0;
              for (const absl::Status& s : statuses) ok += s.ok();
              p.failed += static_cast<int64_t>(statuses.size()) - ok;
              p.last_key = records.back().key;
              p.Done(ok);
              return statuses;
            },
            static_cast<size_t>(f.batch));
      });
    });
    rows.push_back({absl::StrCat("SlaTimer, RunBatches(", f.batch, ")"), f.events, rate, true});
  }

  if (has_mode("single") && f.single_events > 0) {
    const int64_t events = std::min(f.single_events, f.events);
    const double rate = timer_mode(events, [&](sla_timer::SlaTimer& timer, Progress& p) {
      return Measure(NewConsumer(f, topic, producer->get()), p, [&](auto& c) {
        return c.Run([&](const kafka::IncomingRecord& record) {
          p.Begin();
          absl::Status status = timer.HandleCaseEvent(record);
          p.last_key = record.key;
          if (status.ok()) {
            p.Done(1);
          } else {
            ++p.failed;
          }
          return status;
        });
      });
    });
    rows.push_back({"SlaTimer, Run (one record at a time)", events, rate, true});
  }

  std::printf("\n%-44s %10s %14s %16s\n", "mode", "events", "events/s", "deadlines/s");
  for (const Row& r : rows) {
    std::printf(
        "%-44s %10lld %14.0f %16s\n", r.mode.c_str(), static_cast<long long>(r.events),
        r.events_per_s,
        r.deadlines ? absl::StrCat(static_cast<int64_t>(r.events_per_s * armed)).c_str() : "-");
  }
  std::printf(
      "(deadlines/s = events/s x %d clocks armed per event; target >= 50000 in batch "
      "mode)\n",
      armed);
  return 0;
}

}  // namespace
}  // namespace complaints::bench

int main(int argc, char** argv) {
  complaints::bench::Flags flags;
  if (argc == 2 && std::string(argv[1]) == "--help") {
    std::fputs(complaints::bench::kUsage, stdout);
    return 0;
  }
  if (!complaints::bench::ParseFlags(argc, argv, flags)) {
    std::fputs(complaints::bench::kUsage, stderr);
    return 64;
  }
  return complaints::bench::Run(flags);
}
