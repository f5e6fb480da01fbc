// rebuild_bench: how long the services take to rebuild their Redis state from Kafka after Redis
// lost it (issue 7: in the 100,000-complaint fault run, Redis lost its data at 59k complaints and
// routing took 174 s to be ready again, follow-up ~240 s, analytics over 8 minutes).
//
//   1. fill: --complaints N complaints on complaints.received.v1 with their case history on
//      complaints.case.v1 (and complaints.assignments.v1), made by the real Router and
//      CaseLedger in memory, so the records are the bytes routing itself publishes: routed,
//      accepted, a contact logged, resolved, then closed as satisfied (80%) or reopened,
//      reassigned, accepted, resolved and closed (20%): ~5.8 case events a complaint.
//      Skipped with --no-fill (the topics hold a previous run's records).
//   2. raw: the same topics read whole by a kafka::Consumer whose handler does nothing (the
//      ceiling any consumer of them has on this machine).
//   3. per mode of --modes (batched, single: the services' routing.batched / followup.batched):
//      the real binaries of intake, routing, follow-up and analytics (--services narrows them;
//      not the SLA timer, whose health does not drop while it replays) are started on the
//      bench's Redis and consume the topics to their end (SERVING); then Redis is emptied
//      (FLUSHALL) and the time until each is SERVING again is printed: the rebuild. All rebuild
//      at once, as after a real loss.
//
// Needs a broker whose complaint topics it may fill (a scratch stack: bench/run-rebuild-bench.sh
// starts one) and a Redis of its own (FLUSHALLed). Exit status 0, or 1 on error.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/cases/case_ledger.h"
#include "spdlog/spdlog.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/redis/redis_client.h"
#include "services/routing/router.h"
#include "services/routing/rules.h"
#include "tests/support/process.h"

using namespace complaints;

namespace {

struct Flags {
  std::string bootstrap = "127.0.0.1:9092";
  int redis_port = 16403;
  int complaints = 60000;
  bool fill = true;
  std::vector<std::string> modes = {"batched", "single"};
  // Name -> binary, in start order (--services picks some; --<name>-binary replaces one). Not
  // the SLA timer: its health does not drop while it replays (a partition guard holds its
  // updates instead), so its time to SERVING would say nothing (tests/sla/ empty its Redis
  // mid-run and check every alert still fires).
  std::vector<std::pair<std::string, std::string>> services = {
      {"intake", COMPLAINTS_INTAKE_BINARY},
      {"routing", COMPLAINTS_ROUTING_BINARY},
      {"followup", COMPLAINTS_FOLLOWUP_BINARY},
      {"analytics", COMPLAINTS_ANALYTICS_BINARY}};
  int grpc_port = 0;  // the first service's; the others' follow; 0: free ports
  std::string log_dir = "/tmp";
  int timeout_s = 1200;
};

bool PickServices(const std::string& list, Flags& f) {
  std::vector<std::pair<std::string, std::string>> picked;
  for (const auto& [name, binary] : f.services) {
    for (absl::string_view wanted : absl::StrSplit(list, ',')) {
      if (wanted == name) picked.emplace_back(name, binary);
    }
  }
  if (picked.size() != static_cast<size_t>(std::count(list.begin(), list.end(), ',') + 1)) {
    return false;  // an unknown name
  }
  f.services = std::move(picked);
  return true;
}

bool ReplaceBinary(const std::string& name, const std::string& binary, Flags& f) {
  for (auto& [known, path] : f.services) {
    if (known == name) {
      path = binary;
      return true;
    }
  }
  return false;
}

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--no-fill") {
      f.fill = false;
      continue;
    }
    if (!arg.starts_with("--") || i + 1 >= argc) return false;
    const std::string value = argv[++i];
    bool ok = true;
    if (arg == "--bootstrap") f.bootstrap = value;
    else if (arg == "--redis-port") ok = absl::SimpleAtoi(value, &f.redis_port);
    else if (arg == "--complaints") ok = absl::SimpleAtoi(value, &f.complaints);
    else if (arg == "--modes") f.modes = absl::StrSplit(value, ',', absl::SkipEmpty());
    else if (arg == "--services") ok = PickServices(value, f);
    else if (arg.ends_with("-binary")) ok = ReplaceBinary(arg.substr(2, arg.size() - 9), value, f);
    else if (arg == "--grpc-port") ok = absl::SimpleAtoi(value, &f.grpc_port);
    else if (arg == "--log-dir") f.log_dir = value;
    else if (arg == "--timeout-s") ok = absl::SimpleAtoi(value, &f.timeout_s);
    else return false;
    if (!ok) return false;
  }
  return true;
}

// Keeps what the router and ledger publish, to send on to Kafka in large batches.
class Capture final : public kafka::Publisher {
 public:
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    records_.insert(records_.end(), records.begin(), records.end());
    return std::vector<kafka::Delivery>(records.size());
  }
  std::vector<kafka::OutgoingRecord> Take() { return std::exchange(records_, {}); }

 private:
  std::vector<kafka::OutgoingRecord> records_;
};

const char* const kCategories[] = {"fees.annual_fee", "atm.card_retained", "cards.fraud",
                                   "loans.interest", "queueing.long_wait", "online_banking.login"};

// A record as a consumer would hand it over.
kafka::IncomingRecord Incoming(const kafka::OutgoingRecord& r) {
  kafka::IncomingRecord in;
  in.topic = r.topic;
  in.key = r.key;
  in.value = r.value;
  in.headers = kafka::ToHeaders(r.event);
  return in;
}

// Fills the topics; returns how many records went to the two topics routing consumes.
absl::StatusOr<std::map<std::string, int64_t>> Fill(const Flags& flags, kafka::Producer& producer) {
  Capture capture;
  cases::MemoryCaseLedgerStore store;
  common::ManualClock clock(absl::FromUnixSeconds(1764115200));
  cases::CaseLedger ledger(&store, &capture, &clock, {.event_source = "/complaints/routing"});
  routing::Router router(&ledger, {.rules = routing::DefaultRules()});
  cases::CaseLedger followup_ledger(&store, &capture, &clock, {.event_source = "/complaints/followup"});
  const std::string run = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  std::map<std::string, int64_t> counts;
  std::vector<kafka::OutgoingRecord> pending;
  auto flush = [&]() -> absl::Status {
    for (const auto& r : pending) ++counts[r.topic];
    if (auto s = producer.Publish(pending); !s.ok()) return s;
    pending.clear();
    return absl::OkStatus();
  };
  auto check = [](const absl::StatusOr<routing::v1::Case>& c) {
    if (!c.ok()) std::fprintf(stderr, "fill: %s\n", c.status().ToString().c_str());
  };
  auto close_case = [&](const std::string& id, bool satisfied, const std::string& key) {
    cases::Command command;
    command.complaint_id = id;
    command.what = "followup-outcome";
    command.request_id = key;
    command.actor = "followup";
    command.decide = [satisfied](const routing::v1::Case&) -> absl::StatusOr<cases::Decision> {
      cases::Decision d;
      events::v1::CaseEvent& e = d.events.emplace_back();
      if (satisfied) {
        e.mutable_closed()->set_reason("customer satisfied at follow-up");
      } else {
        e.mutable_reopened()->set_reason("customer unsatisfied at follow-up");
      }
      return d;
    };
    check(followup_ledger.Execute(command));
  };
  auto work = [&](const std::string& id, const std::string& round) {
    const std::string unit = router.Get(id)->unit();
    routing::v1::AcceptCaseRequest accept;
    accept.set_complaint_id(id);
    accept.set_unit(unit);
    accept.set_responsible("bench clerk");
    accept.set_request_id("accept-" + round);
    check(router.Accept(accept));
    clock.Advance(absl::Minutes(20));
    routing::v1::LogContactRequest contact;
    contact.set_complaint_id(id);
    contact.set_unit(unit);
    contact.set_channel("phone");
    contact.set_request_id("contact-" + round);
    check(router.LogContact(contact));
    clock.Advance(absl::Hours(2));
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_complaint_id(id);
    resolve.set_unit(unit);
    resolve.set_resolution("explained and refunded");
    resolve.set_fault(events::v1::FAULT_PARTY_PROCESS);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
    resolve.set_business_problem_fixed(true);
    resolve.set_request_id("resolve-" + round);
    check(router.Resolve(resolve));
  };
  for (int i = 0; i < flags.complaints; ++i) {
    const std::string id = absl::StrCat("RB", run, "-", i);
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id(id);
    complaint.set_category(kCategories[i % 6]);
    complaint.set_branch_code(absl::StrCat("BJ-01", 10 + i % 40));
    complaint.set_level(i % 10 == 0 ? events::v1::LEVEL_MAJOR : events::v1::LEVEL_ORDINARY);
    *complaint.mutable_received_at() = common::ToProtoTime(clock.Now());
    const kafka::OutgoingRecord received =
        events::ToRecord(events::kReceivedTopic, id, complaint, common::DeterministicId({id, "received"}),
                         "/complaints/intake", id, clock.Now());
    capture.Publish(received).IgnoreError();
    if (auto s = router.HandleReceived(Incoming(received)); !s.ok()) return s;
    clock.Advance(absl::Minutes(5));
    work(id, "1");
    if (i % 5 == 4) {
      close_case(id, false, "task-1/OUTCOME_UNSATISFIED");
      // Routing's reaction to the reopening, as its consumer makes it.
      auto records = capture.Take();
      for (const auto& r : records) {
        if (r.topic == events::kCaseTopic && r.event.source == "/complaints/followup") {
          if (auto s = router.HandleCaseEvent(Incoming(r)); !s.ok()) return s;
        }
      }
      pending.insert(pending.end(), records.begin(), records.end());
      work(id, "2");
    }
    close_case(id, true, "task-2/OUTCOME_SATISFIED");
    clock.Advance(absl::Seconds(7));
    auto records = capture.Take();
    pending.insert(pending.end(), records.begin(), records.end());
    if (pending.size() >= 20000) {
      if (auto s = flush(); !s.ok()) return s;
    }
    if ((i + 1) % 10000 == 0) {
      std::printf("  fill: %d complaints\n", i + 1);
      std::fflush(stdout);
    }
  }
  if (auto s = flush(); !s.ok()) return s;
  return counts;
}

// The topics routing consumes, read whole by a consumer whose handler does nothing.
absl::StatusOr<absl::Duration> RawConsume(const Flags& flags, kafka::Producer& producer,
                                          int64_t records) {
  kafka::KafkaConfig config;
  config.bootstrap_servers = flags.bootstrap;
  kafka::ConsumerOptions options;
  options.group_id = absl::StrCat("rebuild-bench-raw-", absl::ToUnixMicros(absl::Now()));
  options.topics = {events::kReceivedTopic, events::kCaseTopic};
  auto consumer = kafka::Consumer::Create(config, options, &producer);
  if (!consumer.ok()) return consumer.status();
  int64_t seen = 0;
  const absl::Time start = absl::Now();
  absl::Status run = (*consumer)->RunBatches(
      [&](const std::vector<kafka::IncomingRecord>& batch) {
        seen += static_cast<int64_t>(batch.size());
        if (seen >= records || absl::Now() - start > absl::Seconds(flags.timeout_s)) {
          (*consumer)->Stop();
        }
        return std::vector<absl::Status>(batch.size());
      },
      500);
  if (!run.ok()) return run;
  if (seen < records) return absl::DeadlineExceededError(absl::StrCat("raw: read ", seen, " of ", records));
  return absl::Now() - start;
}

enum class Health { kServing, kNotServing, kDown };

Health Check(grpc::health::v1::Health::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  if (!stub.Check(&context, request, &response).ok()) return Health::kDown;
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? Health::kServing
                                                                               : Health::kNotServing;
}

struct Service {
  std::string name;
  std::unique_ptr<testsupport::ChildProcess> process;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
};

// Until every service has been seen not serving (when `must_drop`) and then SERVING; the time
// each took from `start`, or nothing for one that did not make it within the timeout.
std::map<std::string, absl::Duration> TimeUntilServing(std::vector<Service>& services, absl::Time start,
                                                       bool must_drop, const Flags& flags) {
  std::map<std::string, absl::Duration> ready;
  std::map<std::string, bool> dropped;
  absl::Time next_note = absl::Now() + absl::Seconds(30);
  while (ready.size() < services.size() && absl::Now() - start < absl::Seconds(flags.timeout_s)) {
    for (Service& s : services) {
      if (ready.contains(s.name)) continue;
      if (!s.process->Running()) {
        std::fprintf(stderr, "%s exited: see %s\n", s.name.c_str(), s.process->log_file().c_str());
        return ready;
      }
      const Health health = Check(*s.health);
      if (health != Health::kServing) dropped[s.name] = true;
      if (health == Health::kServing && (dropped[s.name] || !must_drop)) {
        ready[s.name] = absl::Now() - start;
      }
    }
    if (absl::Now() >= next_note) {
      std::printf("  ... %zu of %zu serving after %s\n", ready.size(), services.size(),
                  absl::FormatDuration(absl::Now() - start).c_str());
      std::fflush(stdout);
      next_note += absl::Seconds(30);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return ready;
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(d)); }

// "routing 8.7 s, followup 7.2 s, ..." in start order.
std::string Times(const std::map<std::string, absl::Duration>& by_service,
                  const std::vector<Service>& services) {
  std::vector<std::string> parts;
  for (const Service& s : services) parts.push_back(s.name + " " + Seconds(by_service.at(s.name)));
  return absl::StrJoin(parts, ", ");
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the generator's router logs every routing at info
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: rebuild_bench [--complaints N] [--no-fill] [--modes batched,single]\n"
                 "  [--services intake,routing,followup,analytics] [--<service>-binary B]\n"
                 "  [--bootstrap B] [--redis-port P] [--grpc-port P] [--log-dir D] [--timeout-s S]\n");
    return 1;
  }
  kafka::KafkaConfig kafka_config;
  kafka_config.bootstrap_servers = flags.bootstrap;
  auto producer = kafka::Producer::Create(kafka_config);
  if (!producer.ok()) {
    std::fprintf(stderr, "producer: %s\n", producer.status().ToString().c_str());
    return 1;
  }
  redis::RedisOptions redis_options;
  redis_options.port = flags.redis_port;
  // deploy/stack.sh's Redis has ACL users: the bench is admin, each service its own user.
  if (std::string admin = testsupport::RedisCredentialsFile("admin"); !admin.empty()) {
    if (absl::Status loaded = redis::LoadCredentials(admin, redis_options); !loaded.ok()) {
      std::fprintf(stderr, "redis: %s\n", loaded.ToString().c_str());
      return 1;
    }
  }
  auto redis = redis::RedisClient::Connect(redis_options);
  if (!redis.ok()) {
    std::fprintf(stderr, "redis: %s\n", redis.status().ToString().c_str());
    return 1;
  }

  int64_t total = 0;  // records on the two topics routing consumes (from this fill only)
  if (flags.fill) {
    const absl::Time start = absl::Now();
    auto counts = Fill(flags, **producer);
    if (!counts.ok()) {
      std::fprintf(stderr, "fill: %s\n", counts.status().ToString().c_str());
      return 1;
    }
    total = (*counts)[events::kReceivedTopic] + (*counts)[events::kCaseTopic];
    std::printf("fill: %d complaints: %lld received, %lld case events (%.1f a complaint), %lld "
                "assignments in %s\n",
                flags.complaints, static_cast<long long>((*counts)[events::kReceivedTopic]),
                static_cast<long long>((*counts)[events::kCaseTopic]),
                static_cast<double>((*counts)[events::kCaseTopic]) / flags.complaints,
                static_cast<long long>((*counts)[events::kAssignmentsTopic]),
                Seconds(absl::Now() - start).c_str());
    std::fflush(stdout);
    auto raw = RawConsume(flags, **producer, total);
    if (!raw.ok()) {
      std::fprintf(stderr, "raw: %s\n", raw.status().ToString().c_str());
      return 1;
    }
    std::printf("raw: both topics (%lld records) read by a consumer that does nothing: %s\n",
                static_cast<long long>(total), Seconds(*raw).c_str());
    std::fflush(stdout);
  }

  // One consumer group per service for the whole run: the first mode's services replay the
  // topics into an empty Redis (their first start); the next mode's find the state complete and
  // their groups at the end, so only their rebuild after FLUSHALL is timed.
  const std::string run = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  (*redis)->Command({"FLUSHALL"}).IgnoreError();
  bool first_mode = true;
  for (const std::string& mode : flags.modes) {
    if (mode != "batched" && mode != "single") {
      std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
      return 1;
    }
    std::vector<Service> services;
    int port = flags.grpc_port;
    for (const auto& [name, binary] : flags.services) {
      const int grpc_port = flags.grpc_port > 0 ? port++ : testsupport::FreePort();
      const std::string batched = mode == "batched" ? "true" : "false";
      std::map<std::string, std::string> env = {
          {"COMPLAINTS_KAFKA_BOOTSTRAP", flags.bootstrap},
          {"COMPLAINTS_REDIS_PORT", std::to_string(flags.redis_port)},
          {"COMPLAINTS_REDIS_CREDENTIALS_FILE", testsupport::RedisCredentialsFile(name)},
          {"COMPLAINTS_GRPC_ADDRESS", absl::StrCat("127.0.0.1:", grpc_port)},
          {"COMPLAINTS_METRICS_ADDRESS", "127.0.0.1:0"},  // any free port (and the dashboard's)
          // Plaintext on purpose: the figures compare with earlier runs; TLS costs are not measured here.
          {"COMPLAINTS_GRPC_PLAINTEXT", "true"},
          {"COMPLAINTS_KAFKA_GROUP_ID", absl::StrCat("rebuild-bench-", run, "-", name)},
          {"COMPLAINTS_LOG_LEVEL", "info"},
          {"COMPLAINTS_ROUTING_BATCHED", batched},
          {"COMPLAINTS_FOLLOWUP_BATCHED", batched},
      };
      Service s;
      s.name = name;
      s.process = std::make_unique<testsupport::ChildProcess>(
          binary, std::vector<std::string>{}, env,
          absl::StrCat(flags.log_dir, "/rebuild-bench-", run, "-", mode, "-", name, ".log"));
      s.health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials()));
      services.push_back(std::move(s));
    }
    // The first mode starts on an empty Redis with new groups: every partition is replayed.
    auto first = TimeUntilServing(services, absl::Now(), false, flags);
    if (first.size() < services.size()) {
      std::fprintf(stderr, "%s: not serving after its start\n", mode.c_str());
      return 1;
    }
    std::printf("%s: %s: %s\n", mode.c_str(),
                first_mode ? "first start (empty Redis, new groups)" : "start (state complete)",
                Times(first, services).c_str());
    first_mode = false;
    std::fflush(stdout);
    // Redis loses everything under the running services.
    const absl::Time lost = absl::Now();
    if (auto s = (*redis)->Command({"FLUSHALL"}); !s.ok()) {
      std::fprintf(stderr, "FLUSHALL: %s\n", s.status().ToString().c_str());
      return 1;
    }
    auto rebuilt = TimeUntilServing(services, lost, true, flags);
    if (rebuilt.size() < services.size()) {
      std::fprintf(stderr, "%s: not serving again after FLUSHALL\n", mode.c_str());
      return 1;
    }
    std::printf("%s: rebuild after FLUSHALL: %s\n", mode.c_str(), Times(rebuilt, services).c_str());
    std::fflush(stdout);
    for (Service& s : services) s.process->Stop();
  }
  return 0;
}
