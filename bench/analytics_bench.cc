// analytics_bench: the aggregates of the analytics service (issue 12, item 8) against the real
// Kafka and Redis. bench/run-analytics-bench.sh runs it with a Redis of its own.
//
//  1. Publishes --events events (default 10,000,000: ten per complaint — received, assigned,
//     accepted, a contact, three SLA warnings, resolved, closed, and a breach or a second
//     contact) to three topics of the run's own, keyed by complaint id, 6 partitions each.
//  2. raw: the broker's consume ceiling, kafka::Consumer::RunBatches with a no-op handler.
//  3. rebuild: a new consumer group replays every record into AggregatesConsumer::HandleBatch
//     (the service's path: parse, de-duplicate, fold into memory) — events per second from the
//     first record to the last. Target: >= 200,000 events/s.
//  4. the checkpoint of the loaded aggregates to Redis (AggregatesConsumer::SaveSnapshot).
//  5. queries with every complaint loaded, over gRPC (plaintext, loopback) to the service's
//     AnalyticsGrpcService: GetAggregates (month by category; day by unit), GetBacklog,
//     ListHotSpots, ExportMonthlyReport — p50 and p99 of --queries calls each. Target p99 <= 50 ms.
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

#include <librdkafka/rdkafkacpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_catalogue.h"
#include "libs/redis/redis_pool.h"
#include "services/analytics/aggregates_consumer.h"
#include "services/analytics/analytics_grpc.h"
#include "services/analytics/dashboard.h"
#include "spdlog/spdlog.h"

namespace {

using namespace complaints;

struct Flags {
  int64_t events = 10'000'000;
  int partitions = 6;
  int batch = 2000;
  int queries = 100;
  std::string redis_host = "127.0.0.1";
  int redis_port = 16402;
  std::string bootstrap = "127.0.0.1:9092";
};

constexpr char kUsage[] = R"(usage: analytics_bench [--flag value]...
  --events N       events published and replayed, ten per complaint (default 10000000)
  --partitions N   partitions of each bench topic (default 6)
  --batch N        records per batch (default 2000, as the service)
  --queries N      calls of each query kind (default 100; the report, 14 queries in one, a fifth)
  --redis-port P   Redis of the bench's own for the checkpoint (default 16402)
  --bootstrap B    Kafka (default 127.0.0.1:9092)
)";

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "analytics_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (!name.starts_with("--") || i + 1 >= argc) return false;
    name = name.substr(2);
    const std::string value = argv[++i];
    int64_t v = 0;
    if (name == "bootstrap") {
      f.bootstrap = value;
      continue;
    }
    if (!absl::SimpleAtoi(value, &v) || v <= 0) return false;
    if (name == "events") f.events = v;
    else if (name == "partitions") f.partitions = static_cast<int>(v);
    else if (name == "batch") f.batch = static_cast<int>(v);
    else if (name == "queries") f.queries = static_cast<int>(v);
    else if (name == "redis-port") f.redis_port = static_cast<int>(v);
    else return false;
  }
  return true;
}

kafka::KafkaConfig KafkaOf(const Flags& f, const std::string& client) {
  kafka::KafkaConfig config;
  config.bootstrap_servers = f.bootstrap;
  config.client_id = client;
  return config;
}

std::string Unique() {
  std::mt19937_64 random{std::random_device{}()};
  return absl::StrCat(absl::Hex(random()));
}

class NoPublisher final : public kafka::Publisher {
 public:
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    return std::vector<kafka::Delivery>(records.size());
  }
};

// Ten events of one complaint, as the platform would write them.
void ComplaintEvents(const analytics::AggregatorTopics& topics, int64_t n, std::mt19937& random,
                     absl::Time base, std::vector<kafka::OutgoingRecord>& out) {
  const std::string id = absl::StrCat("CMP-B-", n);
  const absl::Time at = base + absl::Seconds(random() % (365 * 86400));
  const std::string unit = absl::StrCat("U-", random() % 200);
  events::v1::ComplaintReceived received;
  received.set_complaint_id(id);
  received.set_source("ivr-95533");
  received.set_external_id(absl::StrCat("call-", n));
  received.mutable_customer()->set_name("张三");
  received.mutable_customer()->set_phone("13800000000");
  received.set_channel(static_cast<events::v1::Channel>(1 + random() % 6));
  received.set_category(absl::StrCat("cat", random() % 40, ".cause"));
  received.set_level(static_cast<events::v1::Level>(1 + random() % 3));
  received.set_urgency(events::v1::URGENCY_NORMAL);
  received.set_description("客户反映ATM吞卡，要求尽快处理。");
  received.set_product(absl::StrCat("prod", random() % 30));
  *received.mutable_received_at() = common::ToProtoTime(at);
  received.mutable_risk_tags()->set_repeat_count(1 + static_cast<int>(random() % 3));
  out.push_back(events::ToRecord(topics.received, id, received, "rcv-" + id,
                                 "/complaints/intake", id, at));
  const auto case_event = [&](absl::Duration after, const std::string& what,
                              const std::function<void(events::v1::CaseEvent&)>& fill) {
    events::v1::CaseEvent e;
    e.set_complaint_id(id);
    e.set_unit(unit);
    e.set_actor("bench");
    *e.mutable_occurred_at() = common::ToProtoTime(at + after);
    fill(e);
    out.push_back(events::ToRecord(topics.case_events, id, e, what + "-" + id,
                                   "/complaints/routing", id, at + after));
  };
  const auto alert = [&](absl::Duration after, events::v1::Clock clock, events::v1::AlertKind kind) {
    events::v1::SlaAlert a;
    a.set_complaint_id(id);
    a.set_unit(unit);
    a.set_clock(clock);
    a.set_kind(kind);
    *a.mutable_fired_at() = common::ToProtoTime(at + after);
    out.push_back(events::ToRecord(topics.alerts, id, a,
                                   absl::StrCat("alert-", id, "-", clock, "-", kind),
                                   "/complaints/sla", id, at + after));
  };
  case_event(absl::Minutes(1), "assigned", [](auto& e) { e.mutable_assigned()->set_sequence(1); });
  case_event(absl::Minutes(30), "accepted",
             [](auto& e) { e.mutable_accepted()->set_responsible("staff"); });
  case_event(absl::Hours(2), "contact",
             [](auto& e) { e.mutable_contact_logged()->set_channel("phone"); });
  alert(absl::Minutes(20), events::v1::CLOCK_ACCEPT, events::v1::ALERT_KIND_WARNING);
  alert(absl::Hours(20), events::v1::CLOCK_RESOLUTION, events::v1::ALERT_KIND_WARNING);
  alert(absl::Hours(200), events::v1::CLOCK_REGULATORY, events::v1::ALERT_KIND_WARNING);
  const absl::Duration resolve = absl::Minutes(60 + random() % (10 * 24 * 60));
  if (random() % 5 == 0) {
    alert(absl::Hours(48), events::v1::CLOCK_RESOLUTION, events::v1::ALERT_KIND_BREACH);
  } else {
    case_event(absl::Hours(3), "contact2",
               [](auto& e) { e.mutable_contact_logged()->set_channel("sms"); });
  }
  case_event(resolve, "resolved", [](auto& e) { e.mutable_resolved()->set_resolution("done"); });
  case_event(resolve + absl::Hours(30), "closed",
             [](auto& e) { e.mutable_closed()->set_reason("customer satisfied at follow-up"); });
}

void Publish(const Flags& f, const analytics::AggregatorTopics& topics) {
  auto producer = kafka::Producer::Create(KafkaOf(f, "analytics-bench-feed"));
  if (!producer.ok()) Die("producer", producer.status());
  const absl::Time start = absl::Now();
  const absl::Time base = absl::FromUnixSeconds(1735660800);  // 2025-01-01 (+08)
  std::mt19937 random(1);
  const int64_t complaints = f.events / 10;
  constexpr int64_t kChunk = 2'000;  // complaints per publish call
  std::vector<kafka::OutgoingRecord> records;
  for (int64_t first = 0; first < complaints; first += kChunk) {
    records.clear();
    for (int64_t n = first; n < std::min(complaints, first + kChunk); ++n) {
      ComplaintEvents(topics, n, random, base, records);
    }
    if (auto s = (*producer)->Publish(records); !s.ok()) Die("publish", s);
  }
  std::printf("published %lld events (%lld complaints) in %.1f s\n",
              static_cast<long long>(complaints * 10), static_cast<long long>(complaints),
              absl::ToDoubleSeconds(absl::Now() - start));
  std::fflush(stdout);
}

struct Progress {
  explicit Progress(int64_t target) : target(target) {}
  void Done(int64_t n) {
    if (!started.exchange(true)) first = absl::Now();
    if (done.fetch_add(n) + n >= target && !finished.exchange(true)) last = absl::Now();
  }
  const int64_t target;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  std::atomic<int64_t> done{0};
  absl::Time first;
  absl::Time last;
};

double Replay(const Flags& f, const analytics::AggregatorTopics& topics, kafka::Publisher* dlq,
              const kafka::BatchHandler& handler, Progress& progress) {
  kafka::ConsumerOptions options;
  options.group_id = "analytics-bench-" + Unique();
  options.topics = {topics.received, topics.case_events, topics.alerts};
  auto consumer = kafka::Consumer::Create(KafkaOf(f, "analytics-bench"), options, dlq);
  if (!consumer.ok()) Die("consumer", consumer.status());
  absl::Status result;
  std::thread thread([&] { result = (*consumer)->RunBatches(handler, f.batch); });
  int64_t seen = -1;
  absl::Time moved = absl::Now();
  while (!progress.finished.load()) {
    absl::SleepFor(absl::Milliseconds(20));
    if (const int64_t now = progress.done.load(); now != seen) {
      seen = now;
      moved = absl::Now();
    } else if (absl::Now() - moved > absl::Minutes(2)) {
      Die("consumer", absl::DeadlineExceededError(absl::StrCat("stuck at ", seen)));
    }
  }
  (*consumer)->Stop();
  thread.join();
  if (!result.ok()) Die("consumer", result);
  return static_cast<double>(progress.target) / absl::ToDoubleSeconds(progress.last - progress.first);
}

// The broker's raw consume ceiling: plain librdkafka, every partition assigned from its start
// (no group), each record only counted (nothing copied). What any consumer here can reach.
double RawCeiling(const Flags& f, const analytics::AggregatorTopics& topics, int64_t total) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", f.bootstrap, error);
  conf->set("group.id", "analytics-bench-raw-" + Unique(), error);
  conf->set("enable.auto.commit", "false", error);
  auto credentials = kafka::KafkaConfig().Credentials();
  if (!credentials.ok()) Die("credentials", credentials.status());
  for (const auto& [key, value] : *credentials) conf->set(key, value, error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (consumer == nullptr) Die("raw consumer", absl::InternalError(error));
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto& topic : {topics.received, topics.case_events, topics.alerts}) {
    for (int p = 0; p < f.partitions; ++p) {
      partitions.push_back(
          RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  int64_t seen = 0;
  absl::Time first, moved = absl::Now();
  while (seen < total) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(100));
    if (message->err() != RdKafka::ERR_NO_ERROR) {
      if (absl::Now() - moved > absl::Minutes(2)) {
        Die("raw consumer", absl::DeadlineExceededError(absl::StrCat("stuck at ", seen)));
      }
      continue;
    }
    if (seen++ == 0) first = absl::Now();
    moved = absl::Now();
  }
  const double rate = static_cast<double>(total) / absl::ToDoubleSeconds(absl::Now() - first);
  consumer->close();
  return rate;
}

struct Latency {
  double p50_ms, p99_ms, max_ms;
};

Latency Time(int n, const std::function<void()>& call) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const absl::Time start = absl::Now();
    call();
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
  };
  return {at(0.5), at(0.99), ms.back()};
}

int Run(const Flags& f) {
  if (auto s = common::InitLogging("analytics-bench", common::Config()); !s.ok()) Die("log", s);
  spdlog::set_level(spdlog::level::warn);
  const std::string run = Unique();
  analytics::AggregatorTopics topics;
  topics.received = "bench.analytics." + run + ".received";
  topics.case_events = "bench.analytics." + run + ".case";
  topics.alerts = "bench.analytics." + run + ".alerts";
  std::vector<kafka::TopicSpec> specs;
  for (const auto& name : {topics.received, topics.case_events, topics.alerts}) {
    for (const auto& topic : {name, name + ".dlq"}) {
      kafka::TopicSpec spec;
      spec.name = topic;
      spec.partitions = f.partitions;
      spec.retention_ms = 3'600'000;
      specs.push_back(spec);
    }
  }
  if (auto s = kafka::EnsureTopics(KafkaOf(f, "analytics-bench-admin"), specs, absl::Seconds(30));
      !s.ok()) {
    Die("topics", s);
  }
  std::printf("analytics_bench: kafka %s, %d partitions per topic, batches of %d\n",
              f.bootstrap.c_str(), f.partitions, f.batch);
  Publish(f, topics);
  const int64_t total = (f.events / 10) * 10;
  NoPublisher no_publisher;

  std::printf("raw consume ceiling (librdkafka, records counted, nothing copied): %.0f events/s\n",
              RawCeiling(f, topics, total));
  std::fflush(stdout);
  Progress raw(total);
  const double raw_rate = Replay(
      f, topics, &no_publisher,
      [&](const std::vector<kafka::IncomingRecord>& records) {
        raw.Done(static_cast<int64_t>(records.size()));
        return std::vector<absl::Status>(records.size());
      },
      raw);
  std::printf("kafka::Consumer ceiling (RunBatches, no-op handler): %.0f events/s\n", raw_rate);
  std::fflush(stdout);

  redis::RedisOptions redis_options;
  redis_options.host = f.redis_host;
  redis_options.port = f.redis_port;
  redis_options.command_timeout = absl::Seconds(60);
  redis::RedisPool pool(redis_options, 2);
  const common::SystemClock clock;
  analytics::AggregatesOptions options;
  options.topics = topics;
  options.snapshot_interval = absl::Hours(24);  // measured on its own below
  options.snapshot_key = "analytics-bench:" + run;
  analytics::AggregatesConsumer aggregates(&pool, &no_publisher, &clock, options);
  Progress rebuild(total);
  const double rebuild_rate = Replay(
      f, topics, &no_publisher,
      [&](const std::vector<kafka::IncomingRecord>& records) {
        auto statuses = aggregates.HandleBatch(records);
        for (const auto& s : statuses) {
          if (!s.ok()) Die("fold", s);
        }
        // The last batch: the clock stops once everything handed is folded, not just decoded.
        if (rebuild.done.load() + static_cast<int64_t>(records.size()) >= total &&
            aggregates.events_applied() < total) {
          Die("fold", absl::InternalError(absl::StrCat("only ", aggregates.events_applied(),
                                                       " of ", total, " events folded")));
        }
        rebuild.Done(static_cast<int64_t>(records.size()));
        return statuses;
      },
      rebuild);
  std::printf("rebuild (replay into the aggregates): %.0f events/s (target 200000): %s\n",
              rebuild_rate, rebuild_rate >= 200'000 ? "met" : "MISSED");
  std::fflush(stdout);

  const absl::Time snap = absl::Now();
  if (auto s = aggregates.SaveSnapshot(); !s.ok()) Die("checkpoint", s);
  std::printf("checkpoint of %lld complaints to Redis: %.2f s\n",
              static_cast<long long>(total / 10), absl::ToDoubleSeconds(absl::Now() - snap));
  std::fflush(stdout);

  analytics::AnalyticsGrpcService service(nullptr, &aggregates);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxSendMessageSize(64 << 20);
  auto server = builder.BuildAndStart();
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(64 << 20);
  auto stub = analytics::v1::AnalyticsService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), arguments));
  const auto check = [](const grpc::Status& s) {
    if (!s.ok()) Die("query", absl::InternalError(s.error_message()));
  };
  // The dashboard's page reads one JSON (every chart's data) over HTTP, as a browser would.
  auto dashboard = analytics::Dashboard::Start({.address = "127.0.0.1:0"}, &aggregates, nullptr);
  if (!dashboard.ok()) Die("dashboard", dashboard.status());
  httplib::Client browser("127.0.0.1", (*dashboard)->port());
  struct Query {
    std::string name;
    std::function<void()> call;
    int share = 1;  // calls = queries / share
  };
  std::mt19937 random(3);
  const std::vector<Query> queries = {
      {"GetAggregates month x category (one month)",
       [&] {
         grpc::ClientContext ctx;
         analytics::v1::GetAggregatesRequest r;
         r.set_period(analytics::v1::PERIOD_MONTH);
         const std::string month = absl::StrFormat("2025-%02d", 1 + random() % 12);
         r.set_from(month);
         r.set_to(month);
         r.add_group_by(analytics::v1::DIMENSION_CATEGORY);
         analytics::v1::GetAggregatesResponse out;
         check(stub->GetAggregates(&ctx, r, &out));
       }},
      {"GetAggregates day x unit (one unit, a year)",
       [&] {
         grpc::ClientContext ctx;
         analytics::v1::GetAggregatesRequest r;
         r.set_period(analytics::v1::PERIOD_DAY);
         r.set_unit(absl::StrCat("U-", random() % 200));
         analytics::v1::GetAggregatesResponse out;
         check(stub->GetAggregates(&ctx, r, &out));
       }},
      {"GetBacklog (every unit)",
       [&] {
         grpc::ClientContext ctx;
         analytics::v1::GetBacklogResponse out;
         check(stub->GetBacklog(&ctx, analytics::v1::GetBacklogRequest(), &out));
       }},
      {"ListHotSpots (100)",
       [&] {
         grpc::ClientContext ctx;
         analytics::v1::ListHotSpotsResponse out;
         check(stub->ListHotSpots(&ctx, analytics::v1::ListHotSpotsRequest(), &out));
       }},
      {"ExportMonthlyReport (CSV)",
       [&] {
         grpc::ClientContext ctx;
         analytics::v1::ExportMonthlyReportRequest r;
         r.set_month(absl::StrFormat("2025-%02d", 1 + random() % 12));
         analytics::v1::ExportMonthlyReportResponse out;
         check(stub->ExportMonthlyReport(&ctx, r, &out));
       },
       5},
      {"dashboard /api/summary.json (HTTP)",
       [&] {
         const auto got = browser.Get("/api/summary.json");
         if (!got || got->status != 200) Die("dashboard", absl::InternalError("no summary"));
       }},
  };
  std::printf("queries with %lld complaints loaded (gRPC over loopback):\n",
              static_cast<long long>(total / 10));
  for (const auto& q : queries) {
    const int calls = std::max(1, f.queries / q.share);
    const Latency l = Time(calls, q.call);
    std::printf("  %-46s %4d calls  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  %s\n",
                q.name.c_str(), calls, l.p50_ms, l.p99_ms, l.max_ms,
                l.p99_ms <= 50 ? "" : "(p99 over 50 ms)");
    std::fflush(stdout);
  }
  server->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  return Run(flags);
}
