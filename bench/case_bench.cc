// case_bench: CaseService command latency against the real routing binary, Kafka and Redis
// (issue 9, item 8: commands p99 <= 20 ms at 500/s). It starts the `routing` binary of this build
// on a free port (or measures one given with --target), routes --cases complaints by publishing
// them to complaints.received.v1, and then drives each case through the handling step, one
// command at a time per case: AcceptCase, LogContact, RequestExtension, ApproveExtension,
// ResolveCase. Arrivals are open-loop at --rate a second for --seconds (after --warmup-seconds
// not counted): each call is timed from its scheduled send time, so a service that falls behind
// shows in the figures (no coordinated omission). Each command is a compare-and-set in Redis and
// a durable publish (acks=all) to Kafka before it answers.
//
// Beside the figures, the ceilings of the same run: the round trip of one Kafka record published
// and acknowledged at a time (the producer routing uses), and one Redis PING, both at the same
// rate. ListCases of a unit is sampled a few times a second during the run (for information).
//
// Exit status: 0 when the target is met, 2 when it is missed, 1 on error.
// bench/run-case-bench.sh runs it with a Redis of its own.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/kafka/producer.h"
#include "libs/redis/redis_client.h"
#include "tests/support/process.h"

using namespace complaints;

namespace {

struct Flags {
  std::string bootstrap = "127.0.0.1:9092";
  std::string redis_host = "127.0.0.1";
  int redis_port = 6379;
  std::string routing_binary = COMPLAINTS_ROUTING_BINARY;
  std::string target;  // host:port of a routing already running
  int cases = 0;       // 0: enough for the run
  int rate = 500;
  int seconds = 30;
  int warmup_seconds = 3;
  int workers = 32;
  double target_p99_ms = 20;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "case_bench: %s\n", what.c_str());
  std::exit(1);
}

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") return false;
    if (!arg.starts_with("--") || i + 1 >= argc) return false;
    const std::string name = arg.substr(2), value = argv[++i];
    bool ok = true;
    if (name == "bootstrap") f.bootstrap = value;
    else if (name == "redis-host") f.redis_host = value;
    else if (name == "redis-port") ok = absl::SimpleAtoi(value, &f.redis_port);
    else if (name == "routing-binary") f.routing_binary = value;
    else if (name == "target") f.target = value;
    else if (name == "cases") ok = absl::SimpleAtoi(value, &f.cases);
    else if (name == "rate") ok = absl::SimpleAtoi(value, &f.rate);
    else if (name == "seconds") ok = absl::SimpleAtoi(value, &f.seconds);
    else if (name == "warmup-seconds") ok = absl::SimpleAtoi(value, &f.warmup_seconds);
    else if (name == "workers") ok = absl::SimpleAtoi(value, &f.workers);
    else return false;
    if (!ok) return false;
  }
  return f.rate > 0 && f.seconds > 0 && f.workers > 0;
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

bool WaitUntilServing(const std::string& address, absl::Duration timeout,
                      testsupport::ChildProcess* process) {
  auto stub = grpc::health::v1::Health::NewStub(NewChannel(address));
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    if (absl::Now() >= deadline || (process != nullptr && !process->Running())) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// Latencies in microseconds, summarised.
struct Summary {
  std::vector<int64_t> us;
  double Percentile(double p) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    const size_t i = std::min(us.size() - 1, static_cast<size_t>(p / 100.0 * us.size()));
    return us[i] / 1000.0;
  }
  std::string Line() {
    return absl::StrFormat("n=%zu p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms", us.size(),
                           Percentile(50), Percentile(90), Percentile(99), Percentile(100));
  }
};

constexpr const char* kSteps[] = {"AcceptCase", "LogContact", "RequestExtension",
                                  "ApproveExtension", "ResolveCase"};
constexpr int kStepCount = 5;

std::string UnitOf(const std::string& run, int i) { return "BENCH" + run + "-" + std::to_string(i % 20); }

// One command of the handling step, as a branch system would send it.
grpc::Status Step(routing::v1::CaseService::Stub& stub, int step, const std::string& id,
                  const std::string& unit) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const std::string key = "bench-" + std::to_string(step);
  switch (step) {
    case 0: {
      routing::v1::AcceptCaseRequest r;
      r.set_complaint_id(id);
      r.set_unit(unit);
      r.set_responsible("网点主任");
      r.set_request_id(key);
      routing::v1::AcceptCaseResponse out;
      return stub.AcceptCase(&context, r, &out);
    }
    case 1: {
      routing::v1::LogContactRequest r;
      r.set_complaint_id(id);
      r.set_unit(unit);
      r.set_channel("phone");
      r.set_summary("called the customer back");
      r.set_request_id(key);
      routing::v1::LogContactResponse out;
      return stub.LogContact(&context, r, &out);
    }
    case 2: {
      routing::v1::RequestExtensionRequest r;
      r.set_complaint_id(id);
      r.set_unit(unit);
      r.set_days(15);
      r.set_reason("waiting for the ATM vendor's journal");
      r.set_request_id(key);
      routing::v1::RequestExtensionResponse out;
      return stub.RequestExtension(&context, r, &out);
    }
    case 3: {
      routing::v1::ApproveExtensionRequest r;
      r.set_complaint_id(id);
      r.set_unit("HO-COMPLAINTS");
      r.set_actor("supervisor");
      r.set_customer_notified(true);
      r.set_request_id(key);
      routing::v1::ApproveExtensionResponse out;
      return stub.ApproveExtension(&context, r, &out);
    }
    default: {
      routing::v1::ResolveCaseRequest r;
      r.set_complaint_id(id);
      r.set_unit(unit);
      r.set_resolution("card returned, fee refunded");
      r.set_fault(events::v1::FAULT_PARTY_SYSTEM);
      r.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
      r.mutable_compensation()->set_amount_minor(2000);
      r.mutable_compensation()->set_currency("CNY");
      r.set_business_problem_fixed(true);
      r.set_request_id(key);
      routing::v1::ResolveCaseResponse out;
      return stub.ResolveCase(&context, r, &out);
    }
  }
}

// Runs `call` at `rate` a second for `seconds` from `workers` threads, each call timed from its
// scheduled time; returns the latencies (microseconds).
Summary OpenLoop(int rate, int seconds, int workers, const std::function<void(int64_t)>& call) {
  Summary summary;
  std::mutex mu;
  std::atomic<int64_t> next{0};
  const int64_t total = static_cast<int64_t>(rate) * seconds;
  const absl::Time start = absl::Now() + absl::Milliseconds(50);
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (;;) {
        const int64_t k = next.fetch_add(1);
        if (k >= total) return;
        const absl::Time scheduled = start + absl::Seconds(1) * k / rate;
        const absl::Time now = absl::Now();
        if (scheduled > now) absl::SleepFor(scheduled - now);
        call(k);
        const int64_t us = absl::ToInt64Microseconds(absl::Now() - scheduled);
        std::lock_guard lock(mu);
        summary.us.push_back(us);
      }
    });
  }
  for (auto& t : threads) t.join();
  return summary;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, f)) {
    std::fprintf(stderr,
                 "usage: case_bench [--bootstrap host:port] [--redis-host h] [--redis-port p]\n"
                 "  [--target host:port | --routing-binary path] [--rate 500] [--seconds 30]\n"
                 "  [--warmup-seconds 3] [--cases N] [--workers 32]\n");
    return 1;
  }
  std::mt19937_64 random{std::random_device{}()};
  const std::string run = absl::StrCat(absl::Hex(random() & 0xffffff));
  const int64_t commands = static_cast<int64_t>(f.rate) * (f.seconds + f.warmup_seconds);
  // Each case takes five commands; a case's next command waits for its previous one, so there
  // are plenty more cases than commands in flight.
  const int cases = f.cases > 0 ? f.cases : static_cast<int>(commands / kStepCount + f.rate);

  std::unique_ptr<testsupport::ChildProcess> routing;
  std::string address = f.target;
  if (address.empty()) {
    address = "127.0.0.1:" + std::to_string(testsupport::FreePort());
    const std::string log = "/tmp/case-bench-" + run + ".log";
    routing = std::make_unique<testsupport::ChildProcess>(
        f.routing_binary, std::vector<std::string>{},
        std::map<std::string, std::string>{
            {"COMPLAINTS_KAFKA_BOOTSTRAP", f.bootstrap},
            {"COMPLAINTS_REDIS_HOST", f.redis_host},
            {"COMPLAINTS_REDIS_PORT", std::to_string(f.redis_port)},
            {"COMPLAINTS_GRPC_ADDRESS", address},
            // Plaintext on purpose: the figures compare with earlier runs; TLS costs are not measured here.
            {"COMPLAINTS_GRPC_PLAINTEXT", "true"},
            {"COMPLAINTS_KAFKA_GROUP_ID", "case-bench-" + run},
            {"COMPLAINTS_LOG_LEVEL", "warn"},
        },
        log);
    std::printf("case_bench: started routing (pid %d) on %s, log %s\n", routing->pid(),
                address.c_str(), log.c_str());
  }
  std::fflush(stdout);
  if (!WaitUntilServing(address, absl::Minutes(10), routing.get())) {
    Die("routing at " + address + " is not SERVING");
  }

  kafka::KafkaConfig kafka_config;
  kafka_config.bootstrap_servers = f.bootstrap;
  kafka_config.client_id = "case-bench";
  auto producer = kafka::Producer::Create(kafka_config);
  if (!producer.ok()) Die("producer: " + producer.status().ToString());

  // The cases: complaints received, routed by the service to their branches.
  std::vector<std::string> ids;
  {
    std::vector<kafka::OutgoingRecord> records;
    for (int i = 0; i < cases; ++i) {
      const std::string id = absl::StrCat("BENCH-", run, "-", i);
      events::v1::ComplaintReceived complaint;
      complaint.set_complaint_id(id);
      complaint.set_category("atm.card_retained");
      complaint.set_branch_code(UnitOf(run, i));
      complaint.set_level(events::v1::LEVEL_ORDINARY);
      complaint.set_urgency(i % 10 == 0 ? events::v1::URGENCY_VERY_URGENT
                                        : events::v1::URGENCY_NORMAL);
      records.push_back(events::ToRecord(events::kReceivedTopic, id, complaint, "received-" + id,
                                         "/bench", id, absl::Now()));
      ids.push_back(id);
    }
    if (auto s = (*producer)->Publish(records); !s.ok()) Die("publish: " + s.ToString());
  }
  auto channel = NewChannel(address);
  auto stub = routing::v1::CaseService::NewStub(channel);
  const absl::Time routed_by = absl::Now() + absl::Minutes(5);
  for (const std::string& id : ids) {
    for (;;) {
      grpc::ClientContext context;
      routing::v1::GetCaseRequest get;
      get.set_complaint_id(id);
      routing::v1::GetCaseResponse got;
      if (stub->GetCase(&context, get, &got).ok()) break;
      if (absl::Now() > routed_by) Die("case " + id + " not routed within 5 minutes");
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  std::printf("case_bench: %d cases routed; %d commands at %d/s (%d s warm-up, %d s measured), "
              "%d client threads\n",
              cases, static_cast<int>(commands), f.rate, f.warmup_seconds, f.seconds, f.workers);
  std::fflush(stdout);

  // The ceilings, at the same rate: one Kafka record acknowledged at a time (as the ledger
  // publishes a command's records), and one Redis round trip.
  redis::RedisOptions redis_options;
  redis_options.host = f.redis_host;
  redis_options.port = f.redis_port;
  Summary kafka_ceiling = OpenLoop(f.rate, 5, f.workers, [&](int64_t k) {
    events::v1::Assignment a;
    a.set_complaint_id("BENCH-CEILING");
    a.set_unit("BENCH-CEILING");
    (void)(*producer)->Publish(events::ToRecord(events::kAssignmentsTopic, "BENCH-CEILING", a,
                                                absl::StrCat("ceiling-", run, "-", k), "/bench",
                                                "BENCH-CEILING", absl::Now()));
  });
  std::vector<std::unique_ptr<redis::RedisClient>> redis_clients;
  std::mutex redis_mu;
  Summary redis_ceiling = OpenLoop(f.rate, 5, f.workers, [&](int64_t) {
    std::unique_ptr<redis::RedisClient> client;
    {
      std::lock_guard lock(redis_mu);
      if (!redis_clients.empty()) {
        client = std::move(redis_clients.back());
        redis_clients.pop_back();
      }
    }
    if (client == nullptr) {
      auto connected = redis::RedisClient::Connect(redis_options);
      if (!connected.ok()) Die("redis: " + connected.status().ToString());
      client = *std::move(connected);
    }
    (void)client->Command({"PING"});
    std::lock_guard lock(redis_mu);
    redis_clients.push_back(std::move(client));
  });

  // The handling step: a ready queue of cases, each at its next step.
  std::mutex mu;
  std::deque<std::pair<int, int>> ready;  // (case, step)
  for (int i = 0; i < cases; ++i) ready.emplace_back(i, 0);
  std::map<std::string, Summary> by_step;
  Summary all;
  std::map<std::string, int> errors;
  std::atomic<int64_t> starved{0};
  const int64_t warmup = static_cast<int64_t>(f.rate) * f.warmup_seconds;
  std::vector<std::unique_ptr<routing::v1::CaseService::Stub>> stubs;
  for (int c = 0; c < 4; ++c) stubs.push_back(routing::v1::CaseService::NewStub(NewChannel(address)));

  std::atomic<bool> sampling{true};
  Summary list_cases;
  std::thread sampler([&] {
    auto list_stub = routing::v1::CaseService::NewStub(NewChannel(address));
    int n = 0;
    while (sampling.load()) {
      routing::v1::ListCasesRequest request;
      request.set_unit(UnitOf(run, n++));
      routing::v1::ListCasesResponse response;
      grpc::ClientContext context;
      const absl::Time t = absl::Now();
      if (list_stub->ListCases(&context, request, &response).ok()) {
        list_cases.us.push_back(absl::ToInt64Microseconds(absl::Now() - t));
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  });

  Summary measured = OpenLoop(f.rate, f.seconds + f.warmup_seconds, f.workers, [&](int64_t k) {
    std::pair<int, int> next;
    {
      std::lock_guard lock(mu);
      if (ready.empty()) {
        ++starved;
        return;
      }
      next = ready.front();
      ready.pop_front();
    }
    const auto [i, step] = next;
    const absl::Time scheduled_ish = absl::Now();
    const grpc::Status s = Step(*stubs[k % stubs.size()], step, ids[i], UnitOf(run, i));
    const int64_t us = absl::ToInt64Microseconds(absl::Now() - scheduled_ish);
    std::lock_guard lock(mu);
    if (!s.ok()) ++errors[absl::StrCat(kSteps[step], " ", s.error_code(), " ", s.error_message())];
    if (k >= warmup) by_step[kSteps[step]].us.push_back(us);
    if (s.ok() && step + 1 < kStepCount) ready.emplace_back(i, step + 1);
  });
  sampling = false;
  sampler.join();
  // `measured` times each call from its scheduled send; drop the warm-up's.
  for (size_t k = static_cast<size_t>(warmup); k < measured.us.size(); ++k) {
    all.us.push_back(measured.us[k]);
  }

  std::printf("\nceilings (same run, %d/s):\n", f.rate);
  std::printf("  kafka: one record published and acknowledged at a time  %s\n",
              kafka_ceiling.Line().c_str());
  std::printf("  redis: one PING round trip                               %s\n",
              redis_ceiling.Line().c_str());
  std::printf("\nCaseService commands (each timed from its scheduled send):\n");
  std::printf("  all                %s\n", all.Line().c_str());
  for (auto& [name, summary] : by_step) {
    std::printf("  %-18s %s (call only)\n", name.c_str(), summary.Line().c_str());
  }
  std::printf("  ListCases (sampled, a unit of ~%d cases)  %s\n", cases / 20,
              list_cases.Line().c_str());
  if (starved > 0) std::printf("  %lld slots found no case ready\n", static_cast<long long>(starved.load()));
  int error_count = 0;
  for (const auto& [what, n] : errors) {
    std::printf("  error x%d: %s\n", n, what.c_str());
    error_count += n;
  }
  const double p99 = all.Percentile(99);
  const bool met = p99 <= f.target_p99_ms && error_count == 0;
  std::printf("\ntarget: commands p99 <= %.0f ms at %d/s: p99 %.2f ms, %d errors: %s\n",
              f.target_p99_ms, f.rate, p99, error_count, met ? "MET" : "MISSED");
  if (routing != nullptr) routing->Stop();
  return met ? 0 : 2;
}
