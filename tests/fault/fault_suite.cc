// The fault suite: complaints flow through two instances of every service on the live local
// stack while every instance is SIGKILLed and restarted, the Kafka broker is restarted and
// Redis comes back empty; a ground truth kept by the load generator is then checked against the
// topics read whole, the analytics counters and the logs. See tests/fault/README.md.
//
//   fault_suite --mode short|full [--complaints N] [--seed S] [--workers W] [--kills K]
//               [--pace-seconds P] [--settle-seconds S]
//
// Needs KAFKA_BOOTSTRAP (the test stack) and, for the broker restart, STACK_DIR, KAFKA_PORT,
// KAFKA_CONTROLLER_PORT (as deploy/run-tests.sh exports them for deploy/stack.sh).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/events/v1/ops.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/followup/v1/followup.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/grpcutil/client_credentials.h"
#include "libs/cases/case_machine.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/consumer.h"
#include "services/intake/submission.h"
#include "tests/support/eventually.h"
#include "tests/support/log_scan.h"
#include "tests/support/process.h"
#include "tests/support/topic_tail.h"

namespace complaints::fault {
namespace {

using testsupport::ChildProcess;
using testsupport::EnvOr;
using testsupport::FreePort;
using testsupport::RedisServer;
using testsupport::TopicTail;

const std::vector<std::string> kServices = {"intake", "routing", "sla_timer", "followup",
                                            "analytics"};
// Every topic analytics counts by event kind (ops.redrives.v1: operators' dead-letter re-drives).
const std::vector<std::string> kTopics = {"complaints.received.v1", "complaints.assignments.v1",
                                          "complaints.case.v1", "sla.alerts.v1",
                                          "followup.tasks.v1", "ops.redrives.v1"};
constexpr int kInstances = 2;

// The fast test policy gives one calendar hour to accept; on a clock 120 times real time that
// is 30 real seconds: long enough for the generator to accept in time between faults, short
// enough that the complaints it leaves unaccepted breach within the run.
constexpr double kClockFactor = 120;
constexpr absl::Duration kAcceptWindow = absl::Hours(1);
// Clock time the policy engine may round by, and an event's occurred_at may lag its command.
constexpr absl::Duration kAcceptSlack = absl::Minutes(2);

std::string Header(const kafka::IncomingRecord& r, const std::string& name) {
  return kafka::FindHeader(r.headers, name).value_or("");
}

void Say(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cout << absl::FormatTime("%H:%M:%E3S ", absl::Now(), absl::LocalTimeZone()) << line
            << std::endl;
}

struct Options {
  std::string mode = "short";
  int complaints = 400;
  uint64_t seed = 1;
  int workers = 24;
  int kills_per_instance = 1;
  // Whether Redis is restarted empty among the faults (--redis-loss no leaves it out).
  bool redis_loss = true;
  // Submissions are spread over at least this long, so that the faults fall among them.
  absl::Duration pace = absl::Seconds(80);
  // How long one step of a complaint's workflow may wait (a Kafka restart included).
  absl::Duration step_timeout = absl::Seconds(150);
  absl::Duration settle_timeout = absl::Seconds(75);
  std::string log_level = "debug";
};

// ---------------------------------------------------------------------------------------------
// The platform: two instances of every service, one consumer group per service.

class Instance {
 public:
  Instance(std::string service, int index, std::map<std::string, std::string> env,
           const std::string& log_dir, const std::string& run)
      : service_(std::move(service)), index_(index), port_(FreePort()), env_(std::move(env)) {
    const std::string base = log_dir + "/fault-" + run + "-" + service_ + "-" + std::to_string(index);
    log_ = base + ".log";
    config_ = base + ".conf";
    // A killed member's partitions go to the other instance once its session times out:
    // seconds here, not the default 45. A restarted instance comes back under the same static
    // member id (kafka.group_instance_id), as a StatefulSet pod would, and gets them back at once.
    std::ofstream(config_) << "kafka.client.session.timeout.ms = 6000\n"
                           << "kafka.client.heartbeat.interval.ms = 1000\n";
    // Both instances of a service share its consumer group; each service has its own.
    env_["COMPLAINTS_KAFKA_GROUP_ID"] += "-" + service_;
    env_["COMPLAINTS_GRPC_ADDRESS"] = "127.0.0.1:" + std::to_string(port_);
    env_["COMPLAINTS_METRICS_ADDRESS"] = "127.0.0.1:0";  // any free port: not scraped here
    // The service's own Redis ACL user (the suite's Redis loads the test stack's users).
    env_["COMPLAINTS_REDIS_CREDENTIALS_FILE"] = testsupport::RedisCredentialsFile(service_);
    env_["COMPLAINTS_KAFKA_GROUP_INSTANCE_ID"] = service_ + "-" + std::to_string(index_);
    // As the platform's administrator (mutual TLS): the suite plays every role at once.
    channel_ = grpcutil::ClientChannel("127.0.0.1:" + std::to_string(port_));
  }

  void Start() {
    std::lock_guard lock(mu_);
    StartLocked();
  }
  // SIGKILL, then a new process at once (a fault).
  void KillAndRestart() {
    std::lock_guard lock(mu_);
    process_->Kill(SIGKILL);
    process_->Stop(10);
    StartLocked();
  }
  // As a supervisor (a Kubernetes pod's restart policy) would: a process that exited on its own
  // (a fatal client error stops it on purpose) is started again. True if it had exited.
  bool ReviveIfExited() {
    std::lock_guard lock(mu_);
    if (stopped_ || !process_ || process_->Running()) return false;
    StartLocked();
    return true;
  }
  void Stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    if (process_) process_->Stop(20);
  }
  bool Running() { return process_ && process_->Running(); }

  // The standard health check of the whole server ("" service name).
  bool Serving() {
    auto stub = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, request, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  const std::string& service() const { return service_; }
  std::string name() const { return service_ + "-" + std::to_string(index_); }
  const std::string& log() const { return log_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  std::string service_;
  int index_;
  int port_;
  std::map<std::string, std::string> env_;
  std::string log_;
  std::string config_;
  std::shared_ptr<grpc::Channel> channel_;
  void StartLocked() {
    process_ = std::make_unique<ChildProcess>(
        std::string(COMPLAINTS_BINARY_DIR) + "/services/" + service_ + "/" + service_,
        std::vector<std::string>{"--config", config_}, env_, log_);
  }

  std::mutex mu_;
  bool stopped_ = false;
  std::unique_ptr<ChildProcess> process_;
};

class Fleet {
 public:
  Fleet(const std::map<std::string, std::string>& env, const std::string& log_dir,
        const std::string& run) {
    for (const std::string& service : kServices) {
      for (int i = 0; i < kInstances; ++i) {
        instances_[service].push_back(std::make_unique<Instance>(service, i, env, log_dir, run));
      }
    }
  }
  ~Fleet() {
    for (auto& [service, list] : instances_) {
      for (auto& instance : list) instance->Stop();
    }
  }
  void StartAll() {
    for (auto& [service, list] : instances_) {
      for (auto& instance : list) instance->Start();
    }
  }
  Instance& At(const std::string& service, int i) { return *instances_.at(service)[i % kInstances]; }
  // Spreads calls over both instances: the k-th call (or attempt) goes to instance k % 2.
  std::shared_ptr<grpc::Channel> Channel(const std::string& service, uint64_t k) {
    return At(service, static_cast<int>(k % kInstances)).channel();
  }
  // Starts again every instance whose process exited on its own; returns how many.
  int ReviveExited() {
    int revived = 0;
    for (auto& [service, list] : instances_) {
      for (auto& instance : list) revived += instance->ReviveIfExited();
    }
    return revived;
  }
  bool AllServing() {
    for (auto& [service, list] : instances_) {
      for (auto& instance : list) {
        if (!instance->Serving()) return false;
      }
    }
    return true;
  }
  std::string NotServing() {
    std::string out;
    for (auto& [service, list] : instances_) {
      for (auto& instance : list) {
        if (!instance->Serving()) out += " " + instance->name();
      }
    }
    return out;
  }
  std::vector<std::string> Logs() const {
    std::vector<std::string> logs;
    for (const auto& [service, list] : instances_) {
      for (const auto& instance : list) logs.push_back(instance->log());
    }
    return logs;
  }

 private:
  std::map<std::string, std::vector<std::unique_ptr<Instance>>> instances_;
};

// ---------------------------------------------------------------------------------------------
// Calls with retries: the same request (same request id, same source + external id) again and
// again while the platform says it cannot answer now.

// CANCELLED too: an instance that stops (SIGTERM after a fatal Kafka error, as after the broker
// restart) cancels the calls still in flight when its drain deadline passes; a client cannot
// tell whether the command was applied, and the same request id makes the retry safe.
bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::ABORTED ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::CANCELLED;
}

// `call(attempt, context)` until OK, a code that is neither retryable nor in `also`, or
// `timeout`. Returns the last status.
grpc::Status Retry(const std::function<grpc::Status(uint64_t, grpc::ClientContext*)>& call,
                   absl::Duration timeout, std::set<grpc::StatusCode> also = {}) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(50);
  for (uint64_t attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status = call(attempt, &context);
    if (status.ok()) return status;
    if (!Retryable(status.error_code()) && !also.contains(status.error_code())) return status;
    if (absl::Now() >= deadline) return status;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

// ---------------------------------------------------------------------------------------------
// Ground truth: what the generator did and was told.

struct Truth {
  std::string complaint_id;  // empty until acknowledged
  bool probe = false;
  int accepts = 0, contacts = 0, transfers = 0, resolves = 0;
  int satisfied = 0, unsatisfied = 0, unreachable = 0;
  bool left_unaccepted = false;  // on purpose: its accept deadline must breach
  // Commands given up on without an acknowledgement (the generator's "stuck"), by the case
  // event kind they would make: they may or may not have taken effect.
  std::map<std::string, int> unacknowledged;
};

struct Customer {
  std::string name, phone, id_number, card_number;
};

// Distinct customer values per complaint, made up from its index: four characters from a set of
// 32 for the name, digits for the rest (an ID number ending in X).
Customer CustomerFor(uint64_t seed, int index) {
  static const std::vector<std::string> kChars = {
      "赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈", "褚", "卫", "蒋", "沈", "韩", "杨",
      "朱", "秦", "尤", "许", "何", "吕", "施", "张", "孔", "曹", "严", "华", "金", "魏", "陶", "姜"};
  Customer c;
  int v = index;
  for (int i = 0; i < 4; ++i) {
    c.name += kChars[v % 32];
    v /= 32;
  }
  const uint64_t salt = seed % 1000;
  c.phone = absl::StrFormat("139%03d%05d", salt, index % 100000);
  // Valid as intake checks: a real birth date (one per index for 20000 days from 1950), the
  // GB 11643 check character, and a card number with its Luhn digit.
  const absl::CivilDay birth = absl::CivilDay(1950, 1, 1) + index % 20000;
  c.id_number = absl::StrFormat("110105%04d%02d%02d%03d", birth.year(), birth.month(), birth.day(),
                                (salt + index / 20000) % 1000);
  c.id_number += intake::IdNumberCheckCharacter(c.id_number);
  c.card_number = absl::StrFormat("622202%03d%09d", salt, index);
  for (char digit = '0'; digit <= '9'; ++digit) {
    if (intake::LuhnValid(c.card_number + digit)) {
      c.card_number += digit;
      break;
    }
  }
  return c;
}

// What the tails have seen so far, for the generator's waits and the settle conditions.
class Seen {
 public:
  void OnAssignment(const kafka::IncomingRecord& r) {
    events::v1::Assignment a;
    if (!a.ParseFromString(r.value)) return;
    std::lock_guard lock(mu_);
    if (a.sequence() == 1) assigned_.insert(a.complaint_id());
    cv_.notify_all();
  }
  void OnTask(const kafka::IncomingRecord& r) {
    events::v1::FollowUpTask t;
    if (!t.ParseFromString(r.value)) return;
    std::lock_guard lock(mu_);
    auto& list = tasks_[t.complaint_id()];
    for (const auto& known : list) {
      if (known.task_id() == t.task_id()) return;
    }
    list.push_back(t);
    cv_.notify_all();
  }
  void OnAlert(const kafka::IncomingRecord& r) {
    events::v1::SlaAlert a;
    if (!a.ParseFromString(r.value)) return;
    if (a.kind() != events::v1::ALERT_KIND_BREACH || a.clock() != events::v1::CLOCK_ACCEPT) return;
    std::lock_guard lock(mu_);
    accept_breached_.insert(a.complaint_id());
  }

  bool Assigned(const std::string& id) {
    std::lock_guard lock(mu_);
    return assigned_.contains(id);
  }
  bool AcceptBreached(const std::string& id) {
    std::lock_guard lock(mu_);
    return accept_breached_.contains(id);
  }
  size_t TaskCount(const std::string& id, int attempt) {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& t : tasks_[id]) n += t.attempt() == attempt;
    return n;
  }
  // Waits for an attempt-1 task of `id` other than those in `known`.
  std::optional<events::v1::FollowUpTask> WaitForNewTask(const std::string& id,
                                                         const std::set<std::string>& known,
                                                         absl::Duration timeout) {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
    for (;;) {
      for (const auto& t : tasks_[id]) {
        if (t.attempt() == 1 && !known.contains(t.task_id())) return t;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
    }
  }
  bool WaitAssigned(const std::string& id, absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                        [&] { return assigned_.contains(id); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<std::string> assigned_;
  std::unordered_set<std::string> accept_breached_;
  std::unordered_map<std::string, std::vector<events::v1::FollowUpTask>> tasks_;
};

// Follows the assignment, alert and task topics in the background.
class Tails {
 public:
  Tails(const std::string& bootstrap, Seen* seen) : seen_(seen) {
    for (const std::string topic :
         {"complaints.assignments.v1", "followup.tasks.v1", "sla.alerts.v1"}) {
      auto tail = TopicTail::Open(bootstrap, topic);
      if (!tail.ok()) {
        Say("cannot follow " + topic + ": " + tail.status().ToString());
        std::exit(2);
      }
      threads_.emplace_back([this, topic, t = std::shared_ptr<TopicTail>(*std::move(tail))] {
        auto handle = [&](const kafka::IncomingRecord& r) {
          if (topic == "complaints.assignments.v1") seen_->OnAssignment(r);
          if (topic == "followup.tasks.v1") seen_->OnTask(r);
          if (topic == "sla.alerts.v1") seen_->OnAlert(r);
        };
        while (!stop_) t->Poll(handle, absl::Milliseconds(200));
      });
    }
  }
  ~Tails() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  Seen* seen_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------------------
// The load generator: one complaint's whole workflow per task, on a pool of workers.

class Generator {
 public:
  Generator(const Options& options, Fleet* fleet, Seen* seen, const std::string& run)
      : options_(options),
        fleet_(fleet),
        seen_(seen),
        run_(run),
        // Customers of their own per run: intake rebuilds customer history from the topics, so
        // a second run on the same broker with the same customers would have its complaints
        // merged into the first run's open cases.
        customer_seed_(options.seed ^ std::hash<std::string>{}(run)),
        truth_(options.complaints) {}

  // Runs every complaint's workflow; returns when all are done.
  void Run() {
    start_ = absl::Now();
    std::vector<std::thread> workers;
    for (int w = 0; w < options_.workers; ++w) {
      workers.emplace_back([this] {
        for (;;) {
          const int i = next_++;
          if (i >= options_.complaints) return;
          const absl::Time not_before = start_ + options_.pace * i / options_.complaints;
          if (absl::Now() < not_before) absl::SleepFor(not_before - absl::Now());
          Workflow(i);
          ++done_;
        }
      });
    }
    for (auto& w : workers) w.join();
  }

  // A complaint submitted now, for a recovery probe: its id once acknowledged (empty if not).
  std::string SubmitProbe(absl::Duration timeout) {
    const int index = options_.complaints + probes_++;
    Truth truth;
    truth.probe = true;
    const std::string id = Submit(index, &truth, timeout);
    std::lock_guard lock(mu_);
    probe_truth_.push_back(truth);
    return id;
  }

  int submitted() const { return submitted_; }
  int done() const { return done_; }
  std::vector<Truth> AllTruth() {
    std::lock_guard lock(mu_);
    std::vector<Truth> all = truth_;
    all.insert(all.end(), probe_truth_.begin(), probe_truth_.end());
    return all;
  }
  std::vector<testsupport::CustomerValue> CustomerValues() {
    std::vector<testsupport::CustomerValue> values;
    for (int i = 0; i < options_.complaints + probes_; ++i) {
      const Customer c = CustomerFor(customer_seed_, i);
      values.push_back({"name", c.name});
      values.push_back({"phone", c.phone});
      values.push_back({"id_number", c.id_number});
      values.push_back({"card_number", c.card_number});
    }
    return values;
  }
  std::vector<std::string> Stuck() {
    std::lock_guard lock(mu_);
    return stuck_;
  }

 private:
  void NoteStuck(int index, const std::string& step, const grpc::Status& status) {
    std::lock_guard lock(mu_);
    stuck_.push_back(absl::StrCat("complaint #", index, " ", step, ": ",
                                  static_cast<int>(status.error_code()), " ",
                                  status.error_message()));
  }

  std::string Submit(int index, Truth* truth, absl::Duration timeout) {
    static const std::vector<std::pair<std::string, std::string>> kKinds = {
        {"atm.card_retained", "BJ-0101"},  {"queueing.long_wait", "SH-0201"},
        {"fees.annual_fee", "GZ-0301"},    {"loans.rate", "BJ-0101"},
        {"mis_selling.wealth", "SZ-0401"}, {"online_banking.login", ""}};
    const Customer customer = CustomerFor(customer_seed_, index);
    const auto& [category, branch] = kKinds[index % kKinds.size()];
    intake::v1::SubmitComplaintRequest request;
    request.set_source("fault-suite");
    request.set_external_id(absl::StrCat(run_, "-", index));
    request.mutable_customer()->set_name(customer.name);
    request.mutable_customer()->set_phone(customer.phone);
    request.mutable_customer()->set_id_number(customer.id_number);
    request.mutable_customer()->set_card_number(customer.card_number);
    request.set_category(category);
    request.set_description("客户反映问题, 要求尽快处理");
    if (!branch.empty()) request.set_branch_code(branch);
    intake::v1::SubmitComplaintResponse response;
    const grpc::Status status = Retry(
        [&](uint64_t attempt, grpc::ClientContext* context) {
          auto stub = intake::v1::IntakeService::NewStub(fleet_->Channel("intake", index + attempt));
          return stub->SubmitComplaint(context, request, &response);
        },
        timeout);
    if (!status.ok()) {
      NoteStuck(index, "submit", status);
      return "";
    }
    ++submitted_;
    truth->complaint_id = response.complaint_id();
    return response.complaint_id();
  }

  // The case as routing has it, once `ready` holds for it.
  std::optional<routing::v1::Case> WaitCase(int index, const std::string& id,
                                            const std::function<bool(const routing::v1::Case&)>& ready,
                                            const std::string& step) {
    routing::v1::Case found;
    const grpc::Status status = Retry(
        [&](uint64_t attempt, grpc::ClientContext* context) {
          auto stub = routing::v1::CaseService::NewStub(fleet_->Channel("routing", index + attempt));
          routing::v1::GetCaseRequest request;
          request.set_complaint_id(id);
          routing::v1::GetCaseResponse response;
          grpc::Status s = stub->GetCase(context, request, &response);
          if (s.ok() && !ready(response.case_())) {
            return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not there yet");
          }
          found = response.case_();
          return s;
        },
        options_.step_timeout,
        {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::FAILED_PRECONDITION});
    if (!status.ok()) {
      NoteStuck(index, step, status);
      return std::nullopt;
    }
    return found;
  }

  // One CaseService command with its request id, retried with the same id.
  template <typename Request, typename Response>
  bool Command(int index, const std::string& step, const std::string& kind, Truth* truth,
               Request request,
               grpc::Status (routing::v1::CaseService::Stub::*method)(grpc::ClientContext*,
                                                                       const Request&, Response*)) {
    Response response;
    const grpc::Status status = Retry(
        [&](uint64_t attempt, grpc::ClientContext* context) {
          auto stub = routing::v1::CaseService::NewStub(fleet_->Channel("routing", index + attempt));
          return ((*stub).*method)(context, request, &response);
        },
        options_.step_timeout);
    if (!status.ok()) {
      NoteStuck(index, step, status);
      ++truth->unacknowledged[kind];
    }
    return status.ok();
  }

  // RecordOutcome, retried: NOT_FOUND and FAILED_PRECONDITION too for a while, since follow-up
  // may still be applying the resolution (or rebuilding after Redis lost it).
  std::optional<followup::v1::RecordOutcomeResponse> Outcome(int index, Truth* truth,
                                                             const std::string& id,
                                                             const std::string& task_id,
                                                             followup::v1::Outcome outcome) {
    followup::v1::RecordOutcomeRequest request;
    request.set_complaint_id(id);
    request.set_task_id(task_id);
    request.set_outcome(outcome);
    request.set_comment("fault suite");
    followup::v1::RecordOutcomeResponse response;
    const grpc::Status status = Retry(
        [&](uint64_t attempt, grpc::ClientContext* context) {
          auto stub =
              followup::v1::FollowUpService::NewStub(fleet_->Channel("followup", index + attempt));
          return stub->RecordOutcome(context, request, &response);
        },
        options_.step_timeout,
        {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::FAILED_PRECONDITION});
    if (!status.ok()) {
      NoteStuck(index, "outcome " + followup::v1::Outcome_Name(outcome), status);
      ++truth->unacknowledged[outcome == followup::v1::OUTCOME_SATISFIED     ? "case.closed"
                              : outcome == followup::v1::OUTCOME_UNSATISFIED ? "case.reopened"
                                                                             : "retry task"];
      return std::nullopt;
    }
    return response;
  }

  void Workflow(int index) {
    Truth& truth = truth_[index];
    std::mt19937_64 rng(options_.seed * 1000003 + index);
    std::uniform_real_distribution<double> p(0, 1);
    const std::string id = Submit(index, &truth, options_.step_timeout);
    if (id.empty()) return;
    const std::string rid = "fault-" + id + "-";
    auto assigned = WaitCase(index, id, [](const routing::v1::Case& c) {
      return c.state() == routing::v1::CASE_STATE_ASSIGNED;
    }, "wait for assignment");
    if (!assigned) return;
    if (p(rng) < 0.12) {
      truth.left_unaccepted = true;
      return;
    }
    std::string unit = assigned->unit();
    std::set<std::string> known_tasks;
    const bool transfer = p(rng) < 0.2;
    const bool contact = p(rng) < 0.7;
    const bool resolve = p(rng) < 0.85;
    const double outcome_draw = p(rng);
    for (int round = 1; round <= 2; ++round) {
      const std::string r = rid + std::to_string(round) + "-";
      routing::v1::AcceptCaseRequest accept;
      accept.set_complaint_id(id);
      accept.set_unit(unit);
      accept.set_actor("fault-suite");
      accept.set_responsible("fault-suite");
      accept.set_request_id(r + "accept");
      if (!Command(index, "accept", "case.accepted", &truth, accept, &routing::v1::CaseService::Stub::AcceptCase)) return;
      ++truth.accepts;
      if (transfer && round == 1) {
        const std::string to = unit == "SH-0201" ? "BJ-0101" : "SH-0201";
        routing::v1::TransferCaseRequest t;
        t.set_complaint_id(id);
        t.set_unit(unit);
        t.set_to_unit(to);
        t.set_reason("belongs to another branch");
        t.set_actor("fault-suite");
        t.set_request_id(r + "transfer");
        if (!Command(index, "transfer", "case.transferred", &truth, t, &routing::v1::CaseService::Stub::TransferCase)) return;
        ++truth.transfers;
        unit = to;
        accept.set_unit(unit);
        accept.set_request_id(r + "accept-after-transfer");
        if (!Command(index, "accept after transfer", "case.accepted", &truth, accept,
                     &routing::v1::CaseService::Stub::AcceptCase)) {
          return;
        }
        ++truth.accepts;
      }
      if (contact) {
        routing::v1::LogContactRequest c;
        c.set_complaint_id(id);
        c.set_unit(unit);
        c.set_channel("phone");
        c.set_summary("called the customer");
        c.set_actor("fault-suite");
        c.set_request_id(r + "contact");
        if (!Command(index, "log contact", "case.contact_logged", &truth, c, &routing::v1::CaseService::Stub::LogContact)) return;
        ++truth.contacts;
      }
      if (!resolve) return;
      routing::v1::ResolveCaseRequest res;
      res.set_complaint_id(id);
      res.set_unit(unit);
      res.set_resolution("explained and refunded");
      res.set_fault(events::v1::FAULT_PARTY_PROCESS);
      res.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
      res.set_business_problem_fixed(true);  // satisfied closes (跟归档)
      res.set_actor("fault-suite");
      res.set_request_id(r + "resolve");
      if (!Command(index, "resolve", "case.resolved", &truth, res, &routing::v1::CaseService::Stub::ResolveCase)) return;
      ++truth.resolves;

      auto task = seen_->WaitForNewTask(id, known_tasks, options_.step_timeout);
      if (!task) {
        NoteStuck(index, "wait for follow-up task", grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""));
        return;
      }
      known_tasks.insert(task->task_id());
      // Satisfied 60%, unsatisfied 20% (the case is reopened and handled once more), unreachable
      // 20% (a retry task, then satisfied). A second round always ends satisfied.
      if (round == 1 && outcome_draw < 0.2) {
        const int sequence = assigned->assignment_sequence();
        if (!Outcome(index, &truth, id, task->task_id(), followup::v1::OUTCOME_UNSATISFIED)) return;
        ++truth.unsatisfied;
        auto again = WaitCase(index, id, [&](const routing::v1::Case& c) {
          return c.state() == routing::v1::CASE_STATE_ASSIGNED && c.assignment_sequence() > sequence;
        }, "wait for reassignment after reopen");
        if (!again) return;
        unit = again->unit();
        continue;
      }
      std::string task_id = task->task_id();
      if (round == 1 && outcome_draw < 0.4) {
        auto effect = Outcome(index, &truth, id, task_id, followup::v1::OUTCOME_UNREACHABLE);
        if (!effect) return;
        ++truth.unreachable;
        if (effect->next_task_id().empty()) return;  // closed after the last attempt
        task_id = effect->next_task_id();
      }
      if (!Outcome(index, &truth, id, task_id, followup::v1::OUTCOME_SATISFIED)) return;
      ++truth.satisfied;
      return;
    }
  }

  const Options& options_;
  Fleet* fleet_;
  Seen* seen_;
  std::string run_;
  uint64_t customer_seed_;
  absl::Time start_;
  std::mutex mu_;
  std::vector<Truth> truth_;
  std::vector<Truth> probe_truth_;
  std::vector<std::string> stuck_;
  std::atomic<int> next_{0};
  std::atomic<int> submitted_{0};
  std::atomic<int> done_{0};
  std::atomic<int> probes_{0};
};

// ---------------------------------------------------------------------------------------------
// Faults.

struct Fault {
  std::string what;  // "kill routing-1", "kafka restart", "redis restart"
  std::string service;
  int instance = -1;
  double at_fraction = 0;  // of the complaints submitted
};

struct Recovery {
  std::string what;
  double serving_s = -1;
  double probe_s = -1;
};

// The Kafka broker of deploy/stack.sh, stopped cleanly (SIGTERM: a single broker without
// replicas loses acknowledged records to a SIGKILL, which no client could prevent) and started
// again with the same data by the script.
bool RestartKafka() {
  const std::string stack_dir = EnvOr("STACK_DIR", "");
  if (stack_dir.empty()) {
    Say("STACK_DIR is not set: cannot restart the broker");
    return false;
  }
  std::ifstream pid_file(stack_dir + "/kafka/pid");
  pid_t pid = 0;
  if (!(pid_file >> pid) || pid <= 0) {
    Say("no broker pid in " + stack_dir + "/kafka/pid");
    return false;
  }
  kill(pid, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (kill(pid, 0) == 0) {
    if (absl::Now() >= deadline) {
      kill(pid, SIGKILL);
      Say("broker did not stop in 90s: killed");
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  const std::string command =
      std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/stack.sh start >>" + stack_dir +
      "/fault-stack.log 2>&1";
  return std::system(command.c_str()) == 0;
}

// ---------------------------------------------------------------------------------------------
// The checks, over the topics read whole.

uint64_t ContentHash(const kafka::IncomingRecord& r) {
  const std::string content = r.value + '\0' + Header(r, "ce_time");
  return std::hash<std::string>{}(content);
}

std::string CaseKind(const events::v1::CaseEvent& e) {
  switch (e.event_case()) {
    case events::v1::CaseEvent::kAssigned: return "case.assigned";
    case events::v1::CaseEvent::kAccepted: return "case.accepted";
    case events::v1::CaseEvent::kContactLogged: return "case.contact_logged";
    case events::v1::CaseEvent::kTransferred: return "case.transferred";
    case events::v1::CaseEvent::kExtensionRequested: return "case.extension_requested";
    case events::v1::CaseEvent::kResolved: return "case.resolved";
    case events::v1::CaseEvent::kReopened: return "case.reopened";
    case events::v1::CaseEvent::kClosed: return "case.closed";
    case events::v1::CaseEvent::kPaused: return "case.paused";
    case events::v1::CaseEvent::kResumed: return "case.resumed";
    case events::v1::CaseEvent::kNewFactsRecorded: return "case.new_facts";
    case events::v1::CaseEvent::kExtensionApproved: return "case.extension_approved";
    case events::v1::CaseEvent::kExtensionRefused: return "case.extension_refused";
    case events::v1::CaseEvent::kEscalated: return "case.escalated";
    case events::v1::CaseEvent::kAwaitingFix: return "case.awaiting_fix";
    case events::v1::CaseEvent::kFixReported: return "case.fix_reported";
    default: return "case.other";
  }
}

// Everything the final checks need from the topics, filled record by record.
struct Ledger {
  // Per topic, ce_id -> content hash (first seen); conflicting ce_ids counted once each.
  std::map<std::string, std::unordered_map<std::string, uint64_t>> content;
  std::set<std::pair<std::string, std::string>> conflicting;  // (topic, ce_id)
  // For the report: per (topic, ce_id) the first record's ce_time and broker timestamp.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, absl::Time>> first_seen;
  std::vector<std::string> conflict_details;
  // Analytics' truth: distinct (complaint, ce_id) per kind, category (received) and unit
  // (assignments).
  std::set<std::pair<std::string, std::string>> counted;
  std::map<std::string, int64_t> by_kind, by_category, by_unit;
  // Per complaint.
  std::unordered_set<std::string> received;
  std::unordered_map<std::string, std::set<std::string>> first_assignments;  // ce_ids
  std::unordered_map<std::string, std::vector<events::v1::CaseEvent>> case_events;  // de-duplicated
  std::unordered_map<std::string, std::map<std::string, int>> case_kinds;
  std::unordered_map<std::string, std::map<int, int>> tasks_by_attempt;
  std::unordered_set<std::string> accept_breached;
  int64_t dead_letters = 0;

  void Add(const kafka::IncomingRecord& r, absl::Time since) {
    if (r.topic.size() > 4 && r.topic.substr(r.topic.size() - 4) == ".dlq") {
      if (r.timestamp >= since) ++dead_letters;
      return;
    }
    const std::string ce_id = Header(r, "ce_id");
    const uint64_t hash = ContentHash(r);
    auto [it, fresh] = content[r.topic].emplace(ce_id, hash);
    if (fresh) first_seen[{r.topic, ce_id}] = {Header(r, "ce_time"), r.timestamp};
    if (!fresh) {
      // Only what this run wrote twice: a reused stack holds records of earlier runs and tests,
      // whose platforms ran other policies and clocks, and this run's SLA timer, replaying the
      // whole topic, fires their old complaints' alerts again under its own schedule.
      if (it->second != hash && r.timestamp >= since &&
          first_seen[{r.topic, ce_id}].second >= since &&
          conflicting.insert({r.topic, ce_id}).second) {
        const auto& [ce_time, ts] = first_seen[{r.topic, ce_id}];
        conflict_details.push_back(absl::StrCat(
            "conflicting: ", r.topic, " ce_id ", ce_id, " subject ", Header(r, "ce_subject"),
            ": ce_time ", ce_time, " (written ", absl::FormatTime("%H:%M:%E3S", ts, absl::UTCTimeZone()),
            ") then ", Header(r, "ce_time"), " (written ",
            absl::FormatTime("%H:%M:%E3S", r.timestamp, absl::UTCTimeZone()), ", p", r.partition,
            " o", r.offset, ")"));
      }
      return;  // a duplicate: consumers de-duplicate on ce_id, and so do the checks
    }
    std::string subject = Header(r, "ce_subject");
    std::string kind, category, unit;
    if (r.topic == "complaints.received.v1") {
      events::v1::ComplaintReceived m;
      if (!m.ParseFromString(r.value)) return;
      if (subject.empty()) subject = m.complaint_id();
      kind = "received";
      received.insert(subject);
      category = m.category();
    } else if (r.topic == "complaints.assignments.v1") {
      events::v1::Assignment m;
      if (!m.ParseFromString(r.value)) return;
      if (subject.empty()) subject = m.complaint_id();
      kind = "assignment";
      if (m.sequence() == 1) first_assignments[subject].insert(ce_id);
      unit = m.unit();
    } else if (r.topic == "complaints.case.v1") {
      events::v1::CaseEvent m;
      if (!m.ParseFromString(r.value)) return;
      if (subject.empty()) subject = m.complaint_id();
      kind = CaseKind(m);
      case_events[subject].push_back(m);
      ++case_kinds[subject][kind];
    } else if (r.topic == "sla.alerts.v1") {
      events::v1::SlaAlert m;
      if (!m.ParseFromString(r.value)) return;
      if (subject.empty()) subject = m.complaint_id();
      std::string k = events::v1::AlertKind_Name(m.kind());
      for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      kind = "sla." + k.substr(std::string("alert_kind_").size());
      if (m.kind() == events::v1::ALERT_KIND_BREACH && m.clock() == events::v1::CLOCK_ACCEPT) {
        accept_breached.insert(subject);
      }
    } else if (r.topic == "followup.tasks.v1") {
      events::v1::FollowUpTask m;
      if (!m.ParseFromString(r.value)) return;
      if (subject.empty()) subject = m.complaint_id();
      kind = "followup.task";
      ++tasks_by_attempt[subject][m.attempt()];
    } else if (r.topic == "ops.redrives.v1") {
      events::v1::DeadLetterRedrive m;
      if (!m.ParseFromString(r.value)) return;
      // As analytics: only a finished re-drive of a complaint's record counts (a claim may lose).
      if (m.phase() != events::v1::DeadLetterRedrive::DONE || m.complaint_id().empty()) return;
      if (subject.empty()) subject = m.complaint_id();
      kind = "ops.redrive";
    }
    // Analytics counts a (complaint, ce_id) once, whatever the topic.
    if (!counted.insert({subject, ce_id}).second) return;
    ++by_kind[kind];
    if (!category.empty()) ++by_category[category];
    if (!unit.empty()) ++by_unit[unit];
  }
};

// Reads every topic (and its dead-letter twin) to its end into `ledger`, continuing where the
// previous call stopped.
class Reader {
 public:
  explicit Reader(const std::string& bootstrap) {
    for (const std::string& topic : kTopics) {
      for (const std::string& name : {topic, topic + ".dlq"}) {
        auto tail = TopicTail::Open(bootstrap, name);
        if (!tail.ok()) {
          Say("cannot read " + name + ": " + tail.status().ToString());
          std::exit(2);
        }
        tails_.push_back(*std::move(tail));
      }
    }
  }
  bool CatchUp(Ledger* ledger, absl::Time since, absl::Duration timeout) {
    bool all = true;
    for (auto& tail : tails_) {
      all &= tail->ReadToEnd([&](const kafka::IncomingRecord& r) { ledger->Add(r, since); },
                             timeout);
    }
    return all;
  }

 private:
  std::vector<std::unique_ptr<TopicTail>> tails_;
};

int64_t Get(const std::map<std::string, int64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

// Keys whose count differs between analytics and the topics, described.
std::vector<std::string> CountDiffs(const analytics::v1::GetCountsResponse& got, const Ledger& l) {
  std::vector<std::string> diffs;
  auto compare = [&](const std::string& what, const google::protobuf::Map<std::string, int64_t>& a,
                     const std::map<std::string, int64_t>& want) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a) keys.insert(k);
    for (const auto& [k, v] : want) keys.insert(k);
    for (const std::string& k : keys) {
      const int64_t have = a.contains(k) ? a.at(k) : 0;
      if (have != Get(want, k)) {
        diffs.push_back(absl::StrCat(what, "[", k, "]: analytics ", have, ", topics ", Get(want, k)));
      }
    }
  };
  compare("by_event_type", got.by_event_type(), l.by_kind);
  compare("by_category", got.by_category(), l.by_category);
  compare("by_unit", got.by_unit(), l.by_unit);
  return diffs;
}

// When the accept clock of a case must have breached, from its case events in topic order: a
// clock armed by an Assigned and stopped by an Accepted more than the window later (or never).
bool MustHaveBreachedAccept(const std::vector<events::v1::CaseEvent>& events, absl::Time now) {
  std::optional<absl::Time> armed;
  for (const auto& e : events) {
    const absl::Time at = common::FromProtoTime(e.occurred_at());
    if (e.has_assigned()) armed = at;
    if (e.has_accepted() && armed) {
      if (at > *armed + kAcceptWindow + kAcceptSlack) return true;
      armed.reset();
    }
  }
  return armed && now > *armed + kAcceptWindow + kAcceptSlack;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  if (flags.contains("--mode")) o.mode = flags["--mode"];
  if (o.mode == "full") {
    o.complaints = 100000;
    o.workers = 64;
    o.kills_per_instance = 3;
    o.pace = absl::ZeroDuration();
    o.step_timeout = absl::Seconds(300);
    o.settle_timeout = absl::Seconds(600);
    o.log_level = "info";
  } else if (o.mode != "short") {
    std::cerr << "usage: fault_suite --mode short|full [--complaints N] [--seed S] [--workers W]"
                 " [--kills K] [--pace-seconds P] [--settle-seconds S] [--redis-loss yes|no]\n";
    std::exit(2);
  }
  if (flags.contains("--complaints")) o.complaints = std::stoi(flags["--complaints"]);
  if (flags.contains("--seed")) o.seed = std::stoull(flags["--seed"]);
  if (flags.contains("--workers")) o.workers = std::stoi(flags["--workers"]);
  if (flags.contains("--kills")) o.kills_per_instance = std::stoi(flags["--kills"]);
  if (flags.contains("--redis-loss")) o.redis_loss = flags["--redis-loss"] != "no";
  if (flags.contains("--pace-seconds")) o.pace = absl::Seconds(std::stoi(flags["--pace-seconds"]));
  if (flags.contains("--settle-seconds")) {
    o.settle_timeout = absl::Seconds(std::stoi(flags["--settle-seconds"]));
  }
  return o;
}

int Main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  const std::string bootstrap = EnvOr("KAFKA_BOOTSTRAP", "127.0.0.1:9092");
  const std::string log_dir = EnvOr("TEST_LOG_DIR", "/tmp");
  const std::string run = absl::StrCat(options.seed, "-", getpid());
  const absl::Time suite_start = absl::Now();
  Say(absl::StrCat("fault suite (", options.mode, "): ", options.complaints, " complaints, seed ",
                   options.seed, ", ", options.workers, " workers, kafka ", bootstrap));

  // A Redis of the suite's own, without persistence, so that a restart loses its data. The two
  // zset limits are pinned as deploy/stack.sh pins them (the SLA timer's buckets are sized for them).
  RedisServer redis(log_dir + "/fault-" + run + "-redis.log",
                    {"--zset-max-listpack-entries", "128", "--zset-max-listpack-value", "64"});
  if (!redis.WaitUntilReady()) {
    Say("redis did not start");
    return 2;
  }
  const absl::Time origin = absl::Now();
  auto clock_now = [&] { return origin + (absl::Now() - origin) * kClockFactor; };
  std::map<std::string, std::string> env = {
      {"COMPLAINTS_KAFKA_BOOTSTRAP", bootstrap},
      {"COMPLAINTS_REDIS_PORT", std::to_string(redis.port())},
      {"COMPLAINTS_KAFKA_GROUP_ID", "fault-" + run},  // + "-<service>" (Instance)
      {"COMPLAINTS_LOG_LEVEL", options.log_level},
      {"COMPLAINTS_SLA_POLICY_FILE",
       std::string(COMPLAINTS_SOURCE_DIR) + "/tests/e2e/fast-policy.textproto"},
      {"COMPLAINTS_CLOCK_FACTOR", std::to_string(static_cast<int>(kClockFactor))},
      {"COMPLAINTS_CLOCK_ORIGIN_UNIX_MS", std::to_string(absl::ToUnixMillis(origin))},
      // sla.lease_ms stays at its default (60 s, longer than a publish's timeout): a shorter
      // lease re-fires alerts whose publish is merely slow during the broker restart.
  };
  auto fleet = std::make_unique<Fleet>(env, log_dir, run);
  fleet->StartAll();
  {
    const absl::Time deadline = absl::Now() + absl::Seconds(90);
    while (!fleet->AllServing()) {
      if (absl::Now() >= deadline) {
        Say("not serving after 90s:" + fleet->NotServing());
        return 2;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  Say(absl::StrCat("ten instances serving after ", absl::FormatDuration(absl::Now() - suite_start)));

  Seen seen;
  Tails tails(bootstrap, &seen);
  Generator generator(options, fleet.get(), &seen, run);

  // The faults, in a seeded random order at seeded random points of the load.
  std::mt19937_64 rng(options.seed);
  std::vector<Fault> faults;
  for (const std::string& service : kServices) {
    for (int i = 0; i < kInstances; ++i) {
      for (int k = 0; k < options.kills_per_instance; ++k) {
        faults.push_back({"kill " + service + "-" + std::to_string(i), service, i});
      }
    }
  }
  faults.push_back({"kafka restart", "", -1});
  if (options.redis_loss) faults.push_back({"redis restart (data lost)", "", -1});
  std::shuffle(faults.begin(), faults.end(), rng);
  std::uniform_real_distribution<double> where(0.03, 0.9);
  std::vector<double> points;
  for (size_t i = 0; i < faults.size(); ++i) points.push_back(where(rng));
  std::sort(points.begin(), points.end());
  for (size_t i = 0; i < faults.size(); ++i) faults[i].at_fraction = points[i];

  std::vector<Recovery> recoveries;
  std::atomic<bool> load_done{false};
  std::thread injector([&] {
    for (const Fault& fault : faults) {
      while (!load_done && generator.submitted() < fault.at_fraction * options.complaints) {
        absl::SleepFor(absl::Milliseconds(50));
      }
      Say(absl::StrCat("fault: ", fault.what, " (", generator.submitted(), " submitted)"));
      const absl::Time at = absl::Now();
      if (fault.what == "kafka restart") {
        if (!RestartKafka()) Say("the broker did not come back");
      } else if (fault.what.starts_with("redis")) {
        redis.Restart();
        redis.WaitUntilReady();
      } else {
        fleet->At(fault.service, fault.instance).KillAndRestart();
      }
      Recovery recovery{fault.what};
      const absl::Time deadline = at + absl::Seconds(180);
      auto serving = [&] {
        return fault.service.empty() ? fleet->AllServing()
                                     : fleet->At(fault.service, fault.instance).Serving();
      };
      // Health is read once per poll: a service that has not yet noticed a Redis restart still
      // says SERVING, then rebuilds; reading it twice could see both answers.
      auto wait_serving = [&] {
        return testsupport::WaitFor(serving, deadline - absl::Now(), absl::Milliseconds(100));
      };
      if (wait_serving()) recovery.serving_s = absl::ToDoubleSeconds(absl::Now() - at);
      const std::string probe = generator.SubmitProbe(deadline - absl::Now());
      if (!probe.empty() && seen.WaitAssigned(probe, deadline - absl::Now())) {
        recovery.probe_s = absl::ToDoubleSeconds(absl::Now() - at);
      }
      // Recovered means the probe went through and the services are serving afterwards (a rebuild
      // begun after the first look must also have finished).
      if (!wait_serving()) recovery.serving_s = -1;
      Say(absl::StrFormat("recovered from %s: serving after %.1fs, probe assigned after %.1fs",
                          fault.what, recovery.serving_s, recovery.probe_s));
      recoveries.push_back(recovery);
    }
  });
  // The supervisor a deployment has (a pod's restart policy): a service that stops itself on a
  // fatal client error is started again. Counted and printed, not a failure in itself.
  std::atomic<bool> supervising{true};
  std::atomic<int> self_restarts{0};
  std::thread supervisor([&] {
    while (supervising.load()) {
      self_restarts += fleet->ReviveExited();
      absl::SleepFor(absl::Milliseconds(500));
    }
  });
  generator.Run();
  load_done = true;
  Say(absl::StrCat("load done: ", generator.submitted(), " complaints acknowledged in ",
                   absl::FormatDuration(absl::Now() - suite_start)));
  injector.join();

  // Settle: wait (with a deadline) until what the truth says must happen has happened.
  std::vector<Truth> truth = generator.AllTruth();
  const absl::Time settle_deadline = absl::Now() + options.settle_timeout;
  auto pending = [&] {
    int missing = 0;
    for (const Truth& t : truth) {
      if (t.complaint_id.empty()) continue;
      if (!seen.Assigned(t.complaint_id)) ++missing;
      if (static_cast<int>(seen.TaskCount(t.complaint_id, 1)) < t.resolves) ++missing;
    }
    return missing;
  };
  while (pending() > 0 && absl::Now() < settle_deadline) absl::SleepFor(absl::Milliseconds(500));
  Ledger final_ledger;
  auto unalerted_now = [&](Ledger& l) {
    int n = 0;
    for (const Truth& t : truth) {
      if (t.complaint_id.empty()) continue;
      auto it = l.case_events.find(t.complaint_id);
      if (it == l.case_events.end()) continue;
      if (MustHaveBreachedAccept(it->second, clock_now()) && !l.accept_breached.contains(t.complaint_id)) ++n;
    }
    return n;
  };
  // Every unaccepted complaint's deadline must pass (with the slack) before its breach is due:
  // the last assignments' accept deadlines are the window and slack away, in real time.
  const absl::Duration breach_wait = (kAcceptWindow + kAcceptSlack) / kClockFactor + absl::Seconds(5);
  const absl::Time breaches_due = absl::Now() + breach_wait;
  std::unique_ptr<Reader> final_reader = std::make_unique<Reader>(bootstrap);
  analytics::v1::GetCountsResponse counts;
  std::vector<std::string> count_diffs;
  for (uint64_t attempt = 0;; ++attempt) {
    final_reader->CatchUp(&final_ledger, suite_start, absl::Seconds(60));
    const bool breaches_settled = absl::Now() >= breaches_due && unalerted_now(final_ledger) == 0;
    counts.Clear();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stub = analytics::v1::AnalyticsService::NewStub(fleet->Channel("analytics", attempt));
    const grpc::Status s = stub->GetCounts(&context, analytics::v1::GetCountsRequest(), &counts);
    count_diffs = s.ok() ? CountDiffs(counts, final_ledger)
                         : std::vector<std::string>{"GetCounts: " + s.error_message()};
    if ((breaches_settled && count_diffs.empty()) || absl::Now() >= settle_deadline) break;
    absl::SleepFor(absl::Seconds(1));
  }
  Say(absl::StrCat("settled after ", absl::FormatDuration(absl::Now() - suite_start)));

  // The checks.
  int lost = 0, duplicates = 0, illegal = 0, unalerted = 0, unfollowed = 0;
  int breaches_due_count = 0, resolutions = 0;
  // At most 15 lines of each kind, so that a flood of one kind hides no other.
  std::map<std::string, std::vector<std::string>> details_by_kind;
  auto detail = [&](const std::string& line) {
    auto& list = details_by_kind[line.substr(0, line.find(':'))];
    if (list.size() < 15) list.push_back(line);
  };
  const Ledger& l = final_ledger;
  for (const Truth& t : truth) {
    const std::string& id = t.complaint_id;
    if (id.empty()) continue;
    if (!l.received.contains(id)) {
      ++lost;
      detail("lost: " + id + " acknowledged but not on complaints.received.v1");
    }
    const auto fa = l.first_assignments.find(id);
    const size_t first = fa == l.first_assignments.end() ? 0 : fa->second.size();
    if (first == 0) {
      ++lost;
      detail("lost: " + id + " has no sequence-1 assignment");
    } else if (first > 1) {
      duplicates += static_cast<int>(first - 1);
      detail(absl::StrCat("duplicate: ", id, " has ", first, " sequence-1 assignments (distinct ce_ids)"));
    }
    // Every acknowledged command is on the case topic once; no more than the generator asked.
    std::map<std::string, int> want = {{"case.assigned", 1 + t.transfers + t.unsatisfied},
                                       {"case.accepted", t.accepts},
                                       {"case.contact_logged", t.contacts},
                                       {"case.transferred", t.transfers},
                                       {"case.resolved", t.resolves},
                                       {"case.closed", t.satisfied},
                                       {"case.reopened", t.unsatisfied}};
    const auto ck = l.case_kinds.find(id);
    for (const auto& [kind, n] : want) {
      const int have = ck == l.case_kinds.end() || !ck->second.contains(kind) ? 0 : ck->second.at(kind);
      if (have < n) {
        lost += n - have;
        detail(absl::StrCat("lost: ", id, " ", kind, ": ", n, " acknowledged, ", have, " on the topic"));
      } else if (have > n + (t.unacknowledged.contains(kind) ? t.unacknowledged.at(kind) : 0)) {
        duplicates += have - n;
        detail(absl::StrCat("duplicate: ", id, " ", kind, ": ", n, " acknowledged, ", have, " on the topic"));
      }
    }
    resolutions += t.resolves;
    const auto tk = l.tasks_by_attempt.find(id);
    const int first_tasks = tk == l.tasks_by_attempt.end() || !tk->second.contains(1) ? 0 : tk->second.at(1);
    if (first_tasks < t.resolves) {
      unfollowed += t.resolves - first_tasks;
      detail(absl::StrCat("unfollowed: ", id, ": ", t.resolves, " resolutions, ", first_tasks, " first tasks"));
    } else if (first_tasks > t.resolves + (t.unacknowledged.contains("case.resolved")
                                               ? t.unacknowledged.at("case.resolved")
                                               : 0)) {
      duplicates += first_tasks - t.resolves;
      detail(absl::StrCat("duplicate: ", id, ": ", t.resolves, " resolutions, ", first_tasks, " first tasks"));
    }
    const int retry_tasks = tk == l.tasks_by_attempt.end() || !tk->second.contains(2) ? 0 : tk->second.at(2);
    if (retry_tasks < t.unreachable) {
      lost += t.unreachable - retry_tasks;
      detail(absl::StrCat("lost: ", id, ": ", t.unreachable, " unreachable outcomes, ", retry_tasks, " retry tasks"));
    }
    // The case's events replay legally.
    if (auto ev = l.case_events.find(id); ev != l.case_events.end()) {
      routing::v1::Case c;
      for (const auto& e : ev->second) {
        if (absl::Status s = cases::ApplyCaseEvent(e, &c); !s.ok()) {
          ++illegal;
          detail("illegal: " + id + " " + cases::EventKind(e) + ": " + std::string(s.message()));
          break;
        }
      }
      const bool must_breach = MustHaveBreachedAccept(ev->second, clock_now());
      breaches_due_count += must_breach;
      if (must_breach && !l.accept_breached.contains(id)) {
        ++unalerted;
        detail("unalerted: " + id + " accept deadline passed without a BREACH alert");
      }
    } else if (t.left_unaccepted) {
      ++lost;
      detail("lost: " + id + " has no case events");
    }
  }
  for (const std::string& c : l.conflict_details) detail(c);
  std::map<std::string, int> conflicting_by_topic;
  for (const auto& [topic, ce_id] : l.conflicting) ++conflicting_by_topic[topic];
  for (const auto& [topic, n] : conflicting_by_topic) {
    detail(absl::StrCat("conflicting by topic: ", n, " ce_ids on ", topic));
  }
  for (const std::string& d : count_diffs) detail("count: " + d);
  const int count_mismatch = static_cast<int>(count_diffs.size());
  const int conflicting = static_cast<int>(l.conflicting.size());

  // Stop the services so that their logs are complete, then scan them whole.
  supervising = false;  // before the fleet stops: nothing is revived any more
  supervisor.join();
  fleet.reset();
  std::vector<std::string> logs;
  for (const std::string& service : kServices) {
    for (int i = 0; i < kInstances; ++i) {
      logs.push_back(log_dir + "/fault-" + run + "-" + service + "-" + std::to_string(i) + ".log");
    }
  }
  const auto leaks = testsupport::ScanLogs(logs, generator.CustomerValues());
  for (const auto& leak : leaks) detail("log: " + leak);
  const auto stuck = generator.Stuck();
  for (const auto& s : stuck) detail("stuck: " + s);

  for (const auto& [kind, lines] : details_by_kind) {
    for (const auto& d : lines) std::cout << "  " << d << "\n";
  }
  for (const Recovery& r : recoveries) {
    std::cout << absl::StrFormat("recovery %-28s serving %6.1fs  probe assigned %6.1fs\n", r.what,
                                 r.serving_s, r.probe_s);
  }
  int no_recovery = 0;
  for (const Recovery& r : recoveries) no_recovery += r.serving_s < 0 || r.probe_s < 0;
  const std::string summary = absl::StrFormat(
      "lost=%d duplicates=%d conflicting=%d illegal=%d unalerted=%d unfollowed=%d "
      "count_mismatch=%d leaks=%d dead_letters=%d stuck=%d unrecovered=%d",
      lost, duplicates, conflicting, illegal, unalerted, unfollowed, count_mismatch,
      static_cast<int>(leaks.size()), static_cast<int>(l.dead_letters), static_cast<int>(stuck.size()),
      no_recovery);
  std::cout << summary << "\n";
  std::cout << absl::StrFormat(
      "complaints acknowledged=%d accept_breaches_due=%d resolutions=%d faults=%d "
      "self_restarts=%d duration=%s\n",
      generator.submitted(), breaches_due_count, resolutions, static_cast<int>(recoveries.size()),
      self_restarts.load(), absl::FormatDuration(absl::Now() - suite_start));
  const bool clean = lost + duplicates + conflicting + illegal + unalerted + unfollowed +
                         count_mismatch + static_cast<int>(leaks.size()) + l.dead_letters +
                         static_cast<int>(stuck.size()) + no_recovery ==
                     0;
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace complaints::fault

int main(int argc, char** argv) { return complaints::fault::Main(argc, argv); }
