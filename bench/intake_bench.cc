// intake_bench: the intake service's throughput and latency against a real Kafka and Redis
// (issue 8, item 7). It starts the real `intake` binary on a free port (or measures one given
// with --target), waits for its gRPC health to say SERVING, and runs, in order:
//
//   1. ceiling: the broker's raw produce ceiling, measured now: raw librdkafka (the settings of
//      libs/kafka's Producer: idempotent, acks=all, murmur2_random; linger.ms 5), asynchronous
//      with delivery reports, ComplaintReceived records as intake publishes them (value, key
//      and CloudEvents headers), to a topic of the bench's own; then the round trip of one
//      record at a time (what a caller that waits for its own acknowledgement pays);
//      optionally a redis-benchmark ceiling of the intake's Redis;
//   2. unary: --unary complaints through SubmitComplaint, --unary-in-flight calls outstanding
//      over --channels channels (async client, a CompletionQueue per channel);
//   3. stream: --streams concurrent SubmitComplaints client streams of --stream-items each;
//      every per-item result is checked;
//   4. latency: open-loop unary arrivals at --rate a second for --rate-seconds (after a warm-up);
//      each call is timed from its scheduled send time, so a client or server that falls behind
//      shows in the figures instead of hiding them (no coordinated omission).
//
// Every complaint is a new one (distinct source + external_id, a customer of its own); every
// non-OK answer is counted by code and printed. Exit status: 0 when every target is met, 2 when
// one is missed, 1 on error. bench/run-intake-bench.sh runs it with a Redis of its own.
#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "libs/kafka/cloud_event.h"
#include "libs/kafka/kafka_config.h"
#include "libs/kafka/topic_catalogue.h"
#include "libs/redis/redis_client.h"
#include "bench/cpu_meter.h"
#include "services/intake/customer_history.h"
#include "services/intake/submission.h"
#include "tests/support/process.h"

namespace complaints::bench {
namespace {

using intake::v1::IntakeService;
using intake::v1::SubmitComplaintRequest;
using intake::v1::SubmitComplaintResponse;

// ---------------------------------------------------------------------------------------------
// Flags: --name=value or --name value.

struct Flags {
  std::string target;  // host:port of a running intake; empty: start one
  int intake_pid = -1;  // with --target: its process, for the CPU figures
  int broker_pid = -1;  // the Kafka broker's process on this machine, for the CPU figures
  std::string intake_binary = COMPLAINTS_INTAKE_BINARY;
  std::string intake_log;  // default /tmp/intake-bench-<run>.log
  std::string intake_log_level = "info";
  std::string intake_config;  // a config file for the intake started (--config), e.g. kafka.client.*
  int serving_timeout_s = 600;
  std::string bootstrap = "127.0.0.1:9092";
  std::string redis_host = "127.0.0.1";
  int redis_port = 16402;
  bool flush = false;
  std::string phases = "ceiling,unary,stream,latency";
  // ceiling
  std::string ceiling_topic = "bench.intake.ceiling.v1";
  int partitions = 6;
  int64_t ceiling_messages = 200'000;
  int ceiling_linger_ms = 5;
  int ceiling_sync = 300;
  int ceiling_value_bytes = 0;  // 0: the ComplaintReceived as it is; N: padded to N bytes
  bool redis_ceiling = true;
  std::string redis_benchmark = "redis-benchmark";
  // unary
  int64_t unary = 50'000;
  int unary_in_flight = 256;
  int channels = 4;
  // stream
  int streams = 4;
  int64_t stream_items = 40'000;
  int stream_flush_every = 64;  // writes per flush: the others carry gRPC's buffer hint
  // latency
  int rate = 1'000;
  int rate_seconds = 20;
  int warmup_seconds = 2;
  int latency_channels = 2;
  // all
  int deadline_ms = 60'000;
  int settle_timeout_s = 60;
  // targets
  double target_unary = 5'000;
  double target_stream = 20'000;
  double target_p99_ms = 20;
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
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
      }
      using T = std::decay_t<decltype(out)>;
      if constexpr (std::is_same_v<T, std::string>) {
        out = value;
        return true;
      } else if constexpr (std::is_same_v<T, double>) {
        return absl::SimpleAtod(value, &out);
      } else {
        int64_t v = 0;
        if (!absl::SimpleAtoi(value, &v)) return false;
        out = static_cast<T>(v);
        return true;
      }
    };
    bool ok = true;
    if (arg == "flush") {
      f.flush = true;
    } else if (arg == "no-redis-ceiling") {
      f.redis_ceiling = false;
    } else if (arg == "target") {
      ok = take(f.target);
    } else if (arg == "broker-pid") {
      ok = take(f.broker_pid);
    } else if (arg == "intake-pid") {
      ok = take(f.intake_pid);
    } else if (arg == "intake-binary") {
      ok = take(f.intake_binary);
    } else if (arg == "intake-log") {
      ok = take(f.intake_log);
    } else if (arg == "intake-log-level") {
      ok = take(f.intake_log_level);
    } else if (arg == "intake-config") {
      ok = take(f.intake_config);
    } else if (arg == "serving-timeout-s") {
      ok = take(f.serving_timeout_s);
    } else if (arg == "bootstrap") {
      ok = take(f.bootstrap);
    } else if (arg == "redis-host") {
      ok = take(f.redis_host);
    } else if (arg == "redis-port") {
      ok = take(f.redis_port);
    } else if (arg == "phases") {
      ok = take(f.phases);
    } else if (arg == "ceiling-topic") {
      ok = take(f.ceiling_topic);
    } else if (arg == "partitions") {
      ok = take(f.partitions);
    } else if (arg == "ceiling-messages") {
      ok = take(f.ceiling_messages);
    } else if (arg == "ceiling-linger-ms") {
      ok = take(f.ceiling_linger_ms);
    } else if (arg == "ceiling-value-bytes") {
      ok = take(f.ceiling_value_bytes);
    } else if (arg == "ceiling-sync") {
      ok = take(f.ceiling_sync);
    } else if (arg == "redis-benchmark") {
      ok = take(f.redis_benchmark);
    } else if (arg == "unary") {
      ok = take(f.unary);
    } else if (arg == "unary-in-flight") {
      ok = take(f.unary_in_flight);
    } else if (arg == "channels") {
      ok = take(f.channels);
    } else if (arg == "streams") {
      ok = take(f.streams);
    } else if (arg == "stream-items") {
      ok = take(f.stream_items);
    } else if (arg == "stream-flush-every") {
      ok = take(f.stream_flush_every);
    } else if (arg == "rate") {
      ok = take(f.rate);
    } else if (arg == "rate-seconds") {
      ok = take(f.rate_seconds);
    } else if (arg == "warmup-seconds") {
      ok = take(f.warmup_seconds);
    } else if (arg == "latency-channels") {
      ok = take(f.latency_channels);
    } else if (arg == "deadline-ms") {
      ok = take(f.deadline_ms);
    } else if (arg == "settle-timeout-s") {
      ok = take(f.settle_timeout_s);
    } else if (arg == "target-unary") {
      ok = take(f.target_unary);
    } else if (arg == "target-stream") {
      ok = take(f.target_stream);
    } else if (arg == "target-p99-ms") {
      ok = take(f.target_p99_ms);
    } else {
      return false;
    }
    if (!ok) return false;
  }
  return f.partitions > 0 && f.ceiling_messages >= 0 && f.ceiling_sync >= 0 && f.unary >= 0 &&
         f.unary_in_flight > 0 && f.channels > 0 && f.streams > 0 && f.stream_items >= 0 &&
         f.stream_flush_every > 0 &&
         f.rate > 0 && f.rate_seconds > 0 && f.warmup_seconds >= 0 && f.latency_channels > 0 &&
         f.deadline_ms > 0;
}

constexpr char kUsage[] = R"(usage: intake_bench [flags]   (bench/run-intake-bench.sh runs it with a Redis of its own)
  --target HOST:PORT       measure a running intake instead of starting one (--intake-pid N:
                           its process, for the CPU figures)
  --intake-binary PATH     the intake to start (default: this build's services/intake/intake)
  --intake-log FILE        its log (default /tmp/intake-bench-<run>.log)
  --intake-log-level L     its log.level (default info, as in production)
  --intake-config FILE     a config file for it (--config; e.g. kafka.client.* settings to
                           compare: the environment cannot set those)
  --serving-timeout-s N    wait up to N s for its health to say SERVING (default 600: a fresh
                           Redis makes it replay complaints.received.v1 first)
  --bootstrap B            Kafka (default 127.0.0.1:9092); --broker-pid N: the broker's
                           process, if on this machine, for the CPU figures
  --redis-host H --redis-port P   the intake's Redis (default 127.0.0.1:16402); --flush
                           empties it (FLUSHALL) before the intake starts
  --phases LIST            any of ceiling,unary,stream,latency (default all four)
  --ceiling-topic T        the ceiling's topic (default bench.intake.ceiling.v1, created with
                           --partitions, default 6, 1 h retention)
  --ceiling-messages N     records of the async ceiling (default 200000)
  --ceiling-linger-ms N    its linger.ms (default 5, for a burst's full batches; the platform's
                           producer lingers 1 ms, as its services batch themselves)
  --ceiling-value-bytes N  pad each value to N bytes (default 0: the record as intake makes it,
                           ~400 bytes of value and ~220 of headers)
  --ceiling-sync N         then N records one at a time, each waited for (default 300)
  --no-redis-ceiling       skip redis-benchmark SET/GET against the intake's Redis
  --unary N                complaints through SubmitComplaint (default 50000)
  --unary-in-flight N      calls outstanding (default 256), over --channels N channels (4)
  --streams N              concurrent SubmitComplaints streams (default 4) ...
  --stream-items N         ... of N complaints each (default 40000)
  --stream-flush-every N   a stream's writes go out N at a time, as a bulk client sends them
                           (gRPC's buffer hint on the others; default 64, 1: each on its own)
  --rate N                 open-loop unary arrivals a second (default 1000) ...
  --rate-seconds N         ... for N seconds (default 20), after --warmup-seconds (2) at the
                           same rate that are not counted; over --latency-channels (2)
  --deadline-ms N          every call's deadline (default 60000)
  --settle-timeout-s N     before each intake phase, wait up to N s (default 60) for intake's
                           own consumer of complaints.received.v1 to catch up
  --target-unary X --target-stream X --target-p99-ms X   the targets (5000, 20000, 20)
)";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "intake_bench: %s\n", what.c_str());
  std::exit(1);
}

// The process's Kafka credentials (COMPLAINTS_KAFKA_CREDENTIALS_FILE), for the raw clients.
std::map<std::string, std::string> KafkaCredentials() {
  auto credentials = kafka::KafkaConfig().Credentials();
  if (!credentials.ok()) Die("kafka credentials: " + credentials.status().ToString());
  return *credentials;
}

std::string Thousands(double value) {
  std::string digits = std::to_string(static_cast<int64_t>(value + 0.5));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Complaints: new ones, each with a customer of its own, as telephony would send them.

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Story {
  const char* category;
  const char* product;
  const char* problem;
};

constexpr const char* kOpenings[] = {
    "我于上周三下午在贵行朝阳支行门口的自助取款机取款时，",
    "昨天晚上我通过手机银行给家人转账，",
    "本月初我收到了信用卡账单，",
    "今天上午我到网点办理业务，",
    "上个月我在贵行申请了个人消费贷款，",
    "前天我在小区附近的自助设备上存款时，",
};
constexpr Story kStories[] = {
    {"atm.card_retained", "debit_card",
     "银行卡被机器吞了，打了客服电话等了半个多小时也没有工作人员来处理。"},
    {"fees.annual_fee", "credit_card", "发现被多扣了一笔年费，之前客服明确答应过可以免除。"},
    // Empty: the category is left to intake's classifier, as IVR menus often cannot tell.
    {"", "mobile_banking", "转账页面显示成功，但对方到现在都没有收到这笔款项，"},
    {"branch_service.attitude", "counter", "柜员态度非常恶劣，还让我在大厅排了两个多小时的队。"},
    {"", "mobile_banking", "手机银行APP反复闪退，无法按时还款，导致我的贷款逾期。"},
    {"mis_selling.wealth", "wealth", "理财经理推销产品时没有说明风险，现在本金亏损严重。"},
    {"cards.lost", "debit_card", "发现银行卡丢失后立即挂失，但挂失前还是被盗刷了两笔。"},
};
constexpr const char* kDemands[] = {
    "请尽快处理并给我一个明确的答复。",
    "要求退还多收的费用并给出书面解释。",
    "希望银行核实情况并向我道歉。",
    "请告诉我具体的处理时限和负责人的联系方式。",
    "如果三天内还不解决，我将向12378银保监投诉热线反映。",  // escalation: very urgent
};
constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"};
constexpr const char* kGivenNames[] = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊",
                                       "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"};
constexpr const char* kRegions[] = {"110105", "310104", "440305", "320102", "510107", "330106"};
constexpr const char* kBranches[] = {"BJ-0101", "BJ-0102", "SH-0203", "GZ-0301", "CD-0402"};

template <typename T, size_t N>
const T& Pick(const T (&items)[N], uint64_t& r) {
  r = SplitMix(r);
  return items[r % N];
}

std::string Digits(uint64_t value, int width) {
  std::string s(width, '0');
  for (int i = width - 1; i >= 0; --i, value /= 10) s[i] = static_cast<char>('0' + value % 10);
  return s;
}

class ComplaintMaker {
 public:
  ComplaintMaker(std::string source, uint64_t salt) : source_(std::move(source)), salt_(salt) {}

  // Complaint `k` of a phase of the run: the same k makes the same complaint. Distinct k have
  // distinct external ids and distinct customers (the phone's last nine digits are a bijection
  // of k), and each phase has customers of its own (a few may meet another phase's by chance):
  // a stream measured after the unary phase is not a stream of every customer's second
  // complaint.
  SubmitComplaintRequest Make(const std::string& phase, int64_t k) const {
    uint64_t r = SplitMix(salt_ ^ static_cast<uint64_t>(k));
    const uint64_t phase_salt = salt_ + std::hash<std::string>()(phase);
    SubmitComplaintRequest request;
    request.set_source(source_);
    request.set_external_id(absl::StrCat(phase, "-", k));
    request.set_channel(events::v1::CHANNEL_PHONE);
    auto* customer = request.mutable_customer();
    customer->set_name(absl::StrCat(Pick(kSurnames, r), Pick(kGivenNames, r)));
    const uint64_t serial = (static_cast<uint64_t>(k) * 7'654'321 + phase_salt) % 1'000'000'000;
    customer->set_phone(absl::StrCat("1", 3 + k % 7, Digits(serial, 9)));
    r = SplitMix(r);
    if (r % 2 == 0) {
      std::string id = absl::StrCat(Pick(kRegions, r), 1950 + r % 53, Digits(1 + r % 12, 2),
                                    Digits(1 + (r >> 8) % 28, 2), Digits((r >> 16) % 1000, 3));
      id.push_back(intake::IdNumberCheckCharacter(id));
      customer->set_id_number(std::move(id));
    }
    r = SplitMix(r);
    if (r % 3 == 0) {
      // 19 digits, the last Luhn's check digit over the first 18.
      std::string card = absl::StrCat("622202", Digits(r >> 8, 12));
      for (char check = '0'; check <= '9'; ++check) {
        if (intake::LuhnValid(card + check)) {
          card.push_back(check);
          break;
        }
      }
      customer->set_card_number(std::move(card));
    }
    const Story& story = Pick(kStories, r);
    request.set_category(story.category);
    request.set_product(story.product);
    request.set_branch_code(Pick(kBranches, r));
    r = SplitMix(r);
    // One in ten threatens to escalate (the last demand), as the classifier's trigger.
    const char* demand = r % 10 == 0 ? kDemands[4] : kDemands[r % 4];
    request.set_description(absl::StrCat(Pick(kOpenings, r), story.problem, demand));
    return request;
  }

 private:
  std::string source_;
  uint64_t salt_;
};

// ---------------------------------------------------------------------------------------------
// Counting outcomes.

class Outcomes {
 public:
  void Ok() { ok_.fetch_add(1, std::memory_order_relaxed); }
  void Error(int code, const std::string& message) {
    std::lock_guard lock(mu_);
    auto& [count, first] = errors_[code];
    if (count++ == 0) first = message;
  }
  int64_t ok() const { return ok_.load(); }
  int64_t errors() const {
    std::lock_guard lock(mu_);
    int64_t n = 0;
    for (const auto& [code, e] : errors_) n += e.first;
    return n;
  }
  // "none", or "UNAVAILABLE 12 (first: ...), ..."
  std::string Describe() const {
    std::lock_guard lock(mu_);
    if (errors_.empty()) return "none";
    std::string out;
    for (const auto& [code, e] : errors_) {
      absl::StrAppend(&out, out.empty() ? "" : "; ", CodeName(code), " ", e.first, " (first: \"",
                      e.second.substr(0, 160), "\")");
    }
    return out;
  }
  static std::string CodeName(int code) {
    static const char* kNames[] = {"OK",        "CANCELLED",          "UNKNOWN",
                                   "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                                   "ALREADY_EXISTS",   "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                   "FAILED_PRECONDITION", "ABORTED",         "OUT_OF_RANGE",
                                   "UNIMPLEMENTED",    "INTERNAL",           "UNAVAILABLE",
                                   "DATA_LOSS",        "UNAUTHENTICATED"};
    if (code >= 0 && code < 17) return kNames[code];
    if (code == kNoId) return "RESPONSE_WITHOUT_ID";
    if (code == kDuplicate) return "UNEXPECTED_DUPLICATE";
    if (code == kMissing) return "NO_RESULT";
    if (code == kBadIndex) return "RESULT_INDEX_MISMATCH";
    return absl::StrCat("code ", code);
  }
  // Answers that are OK to gRPC but wrong for a new complaint.
  static constexpr int kNoId = 100, kDuplicate = 101, kMissing = 102, kBadIndex = 103;

 private:
  std::atomic<int64_t> ok_{0};
  mutable std::mutex mu_;
  std::map<int, std::pair<int64_t, std::string>> errors_;
};

void Check(const SubmitComplaintResponse& response, Outcomes& outcomes) {
  if (response.complaint_id().empty()) {
    outcomes.Error(Outcomes::kNoId, "OK without a complaint id");
  } else if (response.duplicate()) {
    outcomes.Error(Outcomes::kDuplicate, "a new complaint answered duplicate = true: " +
                                             response.complaint_id());
  } else {
    outcomes.Ok();
  }
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * sorted.size()));
  return sorted[i];
}

std::string LatencyLine(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  char line[200];
  std::snprintf(line, sizeof line, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                Percentile(ms, 50), Percentile(ms, 90), Percentile(ms, 99),
                ms.empty() ? 0.0 : ms.back());
  return line;
}

// ---------------------------------------------------------------------------------------------
// The intake under test.

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  // A connection of its own: channels with equal arguments would share one subchannel.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

bool WaitUntilServing(const std::string& address, absl::Duration timeout,
                      testsupport::ChildProcess* process) {
  auto stub = grpc::health::v1::Health::NewStub(NewChannel(address));
  const absl::Time deadline = absl::Now() + timeout;
  absl::Time next_note = absl::Now() + absl::Seconds(30);
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
    if (absl::Now() >= next_note) {
      std::printf("  ... not SERVING yet (replaying complaints.received.v1?)\n");
      std::fflush(stdout);
      next_note += absl::Seconds(30);
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// How far the intake's own consumer of complaints.received.v1 is behind (by its committed
// offsets), or -1 if unknown. It handles every complaint the bench submits once more
// (HandleStateRecord), so a phase started while it catches up would pay for the previous one.
int64_t ReceivedLag(const Flags& f, const std::string& group) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", f.bootstrap, error);
  conf->set("group.id", group, error);
  conf->set("enable.auto.commit", "false", error);
  for (const auto& [key, value] : KafkaCredentials()) conf->set(key, value, error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (consumer == nullptr) return -1;
  RdKafka::Metadata* metadata = nullptr;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(consumer.get(), "complaints.received.v1", nullptr, error));
  if (consumer->metadata(false, topic.get(), &metadata, 10000) != RdKafka::ERR_NO_ERROR ||
      metadata->topics()->empty()) {
    delete metadata;
    consumer->close();
    return -1;
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* p : *metadata->topics()->at(0)->partitions()) {
    partitions.push_back(RdKafka::TopicPartition::create("complaints.received.v1", p->id()));
  }
  delete metadata;
  int64_t lag = -1;
  if (consumer->committed(partitions, 10000) == RdKafka::ERR_NO_ERROR) {
    lag = 0;
    for (auto* p : partitions) {
      int64_t low = 0, high = 0;
      if (consumer->query_watermark_offsets(p->topic(), p->partition(), &low, &high, 10000) !=
          RdKafka::ERR_NO_ERROR) {
        lag = -1;
        break;
      }
      lag += high - std::max<int64_t>(p->offset() < 0 ? low : p->offset(), low);
    }
  }
  RdKafka::TopicPartition::destroy(partitions);
  consumer->close();
  return lag;
}

void Settle(const Flags& f, const std::string& group) {
  if (group.empty()) return;
  const absl::Time start = absl::Now();
  int64_t lag = ReceivedLag(f, group);
  while (lag > 0 && absl::Now() - start < absl::Seconds(f.settle_timeout_s)) {
    absl::SleepFor(absl::Seconds(1));
    lag = ReceivedLag(f, group);
  }
  // Offsets are committed every few seconds: a last moment for the records after the commit.
  absl::SleepFor(absl::Seconds(1));
  std::printf("  (intake's consumer of complaints.received.v1: %s after %.0f s)\n",
              lag < 0 ? "lag unknown" : lag == 0 ? "caught up" : ("still " + Thousands(lag) +
                                                                   " behind").c_str(),
              absl::ToDoubleSeconds(absl::Now() - start));
}

// ---------------------------------------------------------------------------------------------
// 1. The broker's raw produce ceiling.

class CountingReports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ok.fetch_add(1, std::memory_order_relaxed);
    } else {
      std::lock_guard lock(mu);
      if (failed++ == 0) first_error = message.errstr();
    }
    last = absl::Now();
  }
  int64_t done() {
    std::lock_guard lock(mu);
    return ok.load() + failed;
  }
  std::atomic<int64_t> ok{0};
  std::mutex mu;
  int64_t failed = 0;
  std::string first_error;
  absl::Time last;
};

struct CeilingResult {
  double per_second = 0;
  std::string line;
};

CeilingResult RunCeiling(const Flags& f, const ComplaintMaker& maker) {
  if (auto s = kafka::EnsureTopics(
          {.bootstrap_servers = f.bootstrap, .client_id = "intake-bench-admin", .extra = {}},
          {{.name = f.ceiling_topic,
            .partitions = f.partitions,
            .replication_factor = 1,
            .cleanup_policy = "delete",
            .retention_ms = 3'600'000}},
          absl::Seconds(60));
      !s.ok()) {
    Die("topic " + f.ceiling_topic + ": " + s.ToString());
  }
  // Records as intake publishes them: a ComplaintReceived as the classifier and the customer's
  // history leave it, keyed by complaint id, with the CloudEvents headers.
  struct Prepared {
    std::string value;
    kafka::Headers headers;
  };
  std::vector<Prepared> prepared;
  size_t value_bytes = 0, header_bytes = 0;
  for (int k = 0; k < 1024; ++k) {
    const SubmitComplaintRequest request = maker.Make("ceiling", k);
    const std::string id = common::ComplaintIdFor(request.source(), request.external_id());
    events::v1::ComplaintReceived event = intake::ToReceivedEvent(request, id, absl::Now());
    event.mutable_risk_tags()->set_customer_key(
        intake::CustomerKeyFor(event.customer(), "intake-bench"));
    event.set_short_id(id.substr(id.size() - 8));
    const kafka::OutgoingRecord record =
        events::ToRecord(f.ceiling_topic, id, event, common::DeterministicId({id, "received"}),
                         "/complaints/intake", id, absl::Now());
    Prepared p{record.value, kafka::ToHeaders(record.event)};
    if (p.value.size() < static_cast<size_t>(f.ceiling_value_bytes)) {
      p.value.resize(static_cast<size_t>(f.ceiling_value_bytes), 'x');
    }
    value_bytes += p.value.size();
    for (const auto& [name, value] : p.headers) header_bytes += name.size() + value.size();
    prepared.push_back(std::move(p));
  }

  CountingReports reports;
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", f.bootstrap},
           {"client.id", "intake-bench-ceiling"},
           {"enable.idempotence", "true"},
           {"acks", "all"},
           {"partitioner", "murmur2_random"},
           {"linger.ms", std::to_string(f.ceiling_linger_ms)},
           {"message.timeout.ms", "30000"}}) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) Die(name + ": " + error);
  }
  for (const auto& [key, value] : KafkaCredentials()) conf->set(key, value, error);
  if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&reports), error) !=
      RdKafka::Conf::CONF_OK) {
    Die(error);
  }
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (producer == nullptr) Die("producer: " + error);

  auto produce = [&](int64_t i) {
    const Prepared& p = prepared[static_cast<size_t>(i) % prepared.size()];
    const std::string key = common::ComplaintIdFor("ceiling", std::to_string(i));
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : p.headers) headers->add(name, value);
    for (;;) {
      const RdKafka::ErrorCode err = producer->produce(
          f.ceiling_topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(p.value.data()), p.value.size(), key.data(), key.size(), 0, headers,
          nullptr);
      if (err == RdKafka::ERR_NO_ERROR) return;
      if (err != RdKafka::ERR__QUEUE_FULL) {
        delete headers;
        Die("produce: " + RdKafka::err2str(err));
      }
      producer->poll(1);
    }
  };
  // The first records wait for the topic's metadata: warm up first, not measured.
  for (int i = 0; i < 100; ++i) produce(-1 - i);
  producer->flush(30000);
  const int64_t warm = reports.done();

  const absl::Time start = absl::Now();
  for (int64_t i = 0; i < f.ceiling_messages; ++i) {
    produce(i);
    if (i % 1000 == 0) producer->poll(0);
  }
  while (reports.done() < warm + f.ceiling_messages &&
         absl::Now() - start < absl::Seconds(120)) {
    producer->poll(100);
  }
  const double seconds = std::max(0.0, absl::ToDoubleSeconds(reports.last - start));
  const int64_t ok = reports.ok.load() - std::min<int64_t>(warm, reports.ok.load());

  // One at a time: the acknowledgement round trip a call that waits for its own record pays.
  std::vector<double> sync_ms;
  for (int i = 0; i < f.ceiling_sync; ++i) {
    const int64_t before = reports.done();
    const absl::Time t0 = absl::Now();
    produce(f.ceiling_messages + i);
    while (reports.done() == before) producer->poll(10);
    sync_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  producer->flush(30000);

  CeilingResult result;
  result.per_second = seconds > 0 ? static_cast<double>(ok) / seconds : 0;
  result.line = absl::StrFormat(
      "%s records/s (%.1f MB/s of values) async, %s in %.1f s, %lld failed%s",
      Thousands(result.per_second), result.per_second * static_cast<double>(value_bytes) / 1024 /
                                        1e6,
      Thousands(static_cast<double>(ok)), seconds, static_cast<long long>(reports.failed),
      reports.failed > 0 ? " (first: " + reports.first_error + ")" : "");
  std::printf("[1] ceiling   %s\n", result.line.c_str());
  std::printf("    raw librdkafka, acks=all, idempotent, linger.ms %d, murmur2_random, topic %s "
              "(%d partitions); values %zu bytes on average (a ComplaintReceived%s), headers %zu "
              "bytes, keyed by complaint id\n",
              f.ceiling_linger_ms, f.ceiling_topic.c_str(), f.partitions,
              value_bytes / prepared.size(), f.ceiling_value_bytes > 0 ? ", padded" : "",
              header_bytes / prepared.size());
  if (!sync_ms.empty()) {
    std::printf("    one record at a time, each waited for (%d): %s\n", f.ceiling_sync,
                LatencyLine(sync_ms).c_str());
  }
  return result;
}

std::string RunCommand(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  pclose(pipe);
  return out;
}

void RunRedisCeiling(const Flags& f) {
  // -q prints "SET: N requests per second, p50=..." after progress lines ending in '\r'.
  const std::string out = RunCommand(
      absl::StrCat(f.redis_benchmark, " -h ", f.redis_host, " -p ", f.redis_port,
                   " -q -c 50 -n 200000 -r 1000000 -t set,get 2>&1"));
  for (absl::string_view line : absl::StrSplit(out, absl::ByAnyChar("\r\n"))) {
    if (absl::StrContains(line, "requests per second") && !absl::StrContains(line, "rps=")) {
      std::printf("    redis-benchmark (50 clients): %.*s\n", static_cast<int>(line.size()),
                  line.data());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Unary submits, many in flight.

struct UnaryCall {
  grpc::ClientContext context;
  SubmitComplaintResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<SubmitComplaintResponse>> reader;
  absl::Time scheduled;
  absl::Time sent;
};

void Record(UnaryCall* call, bool ok, Outcomes& outcomes) {
  if (!ok) {
    outcomes.Error(grpc::StatusCode::UNKNOWN, "completion queue: call not completed");
  } else if (!call->status.ok()) {
    outcomes.Error(call->status.error_code(), call->status.error_message());
  } else {
    Check(call->response, outcomes);
  }
}

struct ThroughputResult {
  double per_second = 0;
  int64_t ok = 0, errors = 0;
  std::string line;
};

ThroughputResult RunUnary(const Flags& f, const std::string& address, const ComplaintMaker& maker,
                          const std::string& phase) {
  Outcomes outcomes;
  std::atomic<int64_t> next{0};
  std::mutex latencies_mu;
  std::vector<double> latencies;
  const int per_channel = std::max(1, f.unary_in_flight / f.channels);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < f.channels; ++c) {
    channels.push_back(NewChannel(address));
    channels.back()->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int c = 0; c < f.channels; ++c) {
    threads.emplace_back([&, c] {
      auto stub = IntakeService::NewStub(channels[c]);
      grpc::CompletionQueue cq;
      std::vector<double> mine;
      auto start_next = [&]() -> bool {
        const int64_t k = next.fetch_add(1);
        if (k >= f.unary) return false;
        auto* call = new UnaryCall;
        call->context.set_deadline(std::chrono::system_clock::now() +
                                   std::chrono::milliseconds(f.deadline_ms));
        const SubmitComplaintRequest request = maker.Make(phase, k);
        call->sent = absl::Now();
        call->reader = stub->AsyncSubmitComplaint(&call->context, request, &cq);
        call->reader->Finish(&call->response, &call->status, call);
        return true;
      };
      int outstanding = 0;
      for (int i = 0; i < per_channel && start_next(); ++i) ++outstanding;
      while (outstanding > 0) {
        void* tag = nullptr;
        bool ok = false;
        if (!cq.Next(&tag, &ok)) break;
        auto* call = static_cast<UnaryCall*>(tag);
        mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - call->sent));
        Record(call, ok, outcomes);
        delete call;
        --outstanding;
        if (start_next()) ++outstanding;
      }
      cq.Shutdown();
      void* tag = nullptr;
      bool ok = false;
      while (cq.Next(&tag, &ok)) {
      }
      std::lock_guard lock(latencies_mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  ThroughputResult result;
  result.ok = outcomes.ok();
  result.errors = outcomes.errors();
  result.per_second = static_cast<double>(result.ok) / seconds;
  result.line = absl::StrFormat("%s complaints/s (target >= %s): %s OK in %.1f s, %d in flight "
                                "over %d channels; errors: %s",
                                Thousands(result.per_second), Thousands(f.target_unary),
                                Thousands(static_cast<double>(result.ok)), seconds,
                                per_channel * f.channels, f.channels, outcomes.Describe());
  std::printf("[2] unary     %s\n", result.line.c_str());
  std::printf("    call latency under this load (from send): %s\n", LatencyLine(latencies).c_str());
  return result;
}

// ---------------------------------------------------------------------------------------------
// 3. Client streams.

ThroughputResult RunStream(const Flags& f, const std::string& address,
                           const ComplaintMaker& maker) {
  Outcomes outcomes;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int s = 0; s < f.streams; ++s) {
    channels.push_back(NewChannel(address));
    channels.back()->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  // The requests exist before the clock starts: the figure is the service's, not the maker's.
  std::vector<std::vector<SubmitComplaintRequest>> requests(f.streams);
  for (int s = 0; s < f.streams; ++s) {
    requests[s].reserve(f.stream_items);
    for (int64_t i = 0; i < f.stream_items; ++i) {
      requests[s].push_back(maker.Make("stream", s * f.stream_items + i));
    }
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::mutex times_mu;
  absl::Time first_write = absl::InfiniteFuture(), last_response = absl::InfinitePast();
  std::vector<double> stream_seconds(f.streams);
  std::vector<std::thread> threads;
  for (int s = 0; s < f.streams; ++s) {
    threads.emplace_back([&, s] {
      auto stub = IntakeService::NewStub(channels[s]);
      grpc::ClientContext context;
      // A stream of thousands of acknowledged publishes takes a while: a deadline per item.
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(f.deadline_ms) +
                           std::chrono::milliseconds(100) * f.stream_items);
      intake::v1::SubmitComplaintsResponse response;
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      const absl::Time begin = absl::Now();
      auto writer = stub->SubmitComplaints(&context, &response);
      int64_t written = 0;
      for (const auto& request : requests[s]) {
        // A bulk client lets gRPC gather its writes into fewer frames and system calls.
        grpc::WriteOptions options;
        if ((written + 1) % f.stream_flush_every != 0) options.set_buffer_hint();
        if (!writer->Write(request, options)) break;  // the call ended early: Finish says why
        ++written;
      }
      writer->WritesDone();
      const grpc::Status status = writer->Finish();
      const absl::Time end = absl::Now();
      {
        std::lock_guard lock(times_mu);
        first_write = std::min(first_write, begin);
        last_response = std::max(last_response, end);
        stream_seconds[s] = absl::ToDoubleSeconds(end - begin);
      }
      // Every item must have its result, in order; the items without one failed with the call.
      int64_t checked = 0;
      if (status.ok()) {
        for (const auto& result : response.results()) {
          if (result.index() != checked) {
            outcomes.Error(Outcomes::kBadIndex,
                           absl::StrCat("result ", checked, " has index ", result.index()));
          } else if (result.error_code() != 0) {
            outcomes.Error(result.error_code(), result.error_message());
          } else {
            Check(result.response(), outcomes);
          }
          ++checked;
        }
      }
      for (; checked < f.stream_items; ++checked) {
        if (!status.ok()) {
          outcomes.Error(status.error_code(),
                         absl::StrCat("stream failed (", written, " of ", f.stream_items,
                                      " written): ", status.error_message()));
        } else {
          outcomes.Error(Outcomes::kMissing, "the stream's response has no result for an item");
        }
      }
    });
  }
  while (ready.load() < f.streams) std::this_thread::yield();
  go.store(true);
  for (auto& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(last_response - first_write);
  ThroughputResult result;
  result.ok = outcomes.ok();
  result.errors = outcomes.errors();
  result.per_second = seconds > 0 ? static_cast<double>(result.ok) / seconds : 0;
  std::sort(stream_seconds.begin(), stream_seconds.end());
  result.line = absl::StrFormat(
      "%s complaints/s (target >= %s): %s OK in %.1f s, %d streams of %s written %d at a time "
      "(each took %.1f-%.1f s); errors: %s",
      Thousands(result.per_second), Thousands(f.target_stream),
      Thousands(static_cast<double>(result.ok)), seconds, f.streams,
      Thousands(static_cast<double>(f.stream_items)), f.stream_flush_every, stream_seconds.front(),
      stream_seconds.back(), outcomes.Describe());
  std::printf("[3] stream    %s\n", result.line.c_str());
  return result;
}

// ---------------------------------------------------------------------------------------------
// 4. Latency at a fixed, open-loop rate.

struct LatencyResult {
  double p99 = 0;
  int64_t errors = 0;
  std::string line;
};

LatencyResult RunLatency(const Flags& f, const std::string& address, const ComplaintMaker& maker) {
  Outcomes outcomes;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<IntakeService::Stub>> stubs;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues;
  for (int c = 0; c < f.latency_channels; ++c) {
    channels.push_back(NewChannel(address));
    channels.back()->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stubs.push_back(IntakeService::NewStub(channels.back()));
    queues.push_back(std::make_unique<grpc::CompletionQueue>());
  }
  const int64_t warmup = static_cast<int64_t>(f.rate) * f.warmup_seconds;
  const int64_t total = warmup + static_cast<int64_t>(f.rate) * f.rate_seconds;
  // Built ahead so that the sending thread does nothing but send on time.
  std::vector<SubmitComplaintRequest> requests;
  requests.reserve(total);
  for (int64_t k = 0; k < total; ++k) requests.push_back(maker.Make("latency", k));

  std::mutex mu;
  std::vector<double> latencies;  // ms from the scheduled send time, measured calls only
  std::vector<double> send_lag;   // ms the sender was late, measured calls only
  // The schedule starts shortly after the receivers do.
  const absl::Time start = absl::Now() + absl::Milliseconds(100);
  std::vector<std::thread> receivers;
  for (int c = 0; c < f.latency_channels; ++c) {
    receivers.emplace_back([&, c] {
      void* tag = nullptr;
      bool ok = false;
      std::vector<double> mine, lag;
      while (queues[c]->Next(&tag, &ok)) {
        auto* call = static_cast<UnaryCall*>(tag);
        if (call->scheduled >= start + absl::Seconds(f.warmup_seconds)) {
          Record(call, ok, outcomes);
          if (ok && call->status.ok()) {
            mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - call->scheduled));
          }
          lag.push_back(absl::ToDoubleMilliseconds(call->sent - call->scheduled));
        }
        delete call;
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      send_lag.insert(send_lag.end(), lag.begin(), lag.end());
    });
  }
  const absl::Duration period = absl::Seconds(1) / f.rate;
  for (int64_t k = 0; k < total; ++k) {
    auto* call = new UnaryCall;
    call->scheduled = start + period * k;
    const absl::Duration wait = call->scheduled - absl::Now();
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::milliseconds(f.deadline_ms));
    const size_t c = static_cast<size_t>(k) % queues.size();
    call->sent = absl::Now();
    call->reader = stubs[c]->AsyncSubmitComplaint(&call->context, requests[k], queues[c].get());
    call->reader->Finish(&call->response, &call->status, call);
  }
  const absl::Time sent_all = absl::Now();
  for (auto& q : queues) q->Shutdown();
  for (auto& t : receivers) t.join();
  const double send_seconds =
      absl::ToDoubleSeconds(sent_all - (start + absl::Seconds(f.warmup_seconds)));

  LatencyResult result;
  result.errors = outcomes.errors();
  std::vector<double> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  result.p99 = Percentile(sorted, 99);
  result.line = absl::StrFormat(
      "%s (target p99 <= %.0f ms) at %s/s for %d s: %s OK; errors: %s", LatencyLine(latencies),
      f.target_p99_ms, Thousands(f.rate), f.rate_seconds,
      Thousands(static_cast<double>(outcomes.ok())), outcomes.Describe());
  std::printf("[4] latency   %s\n", result.line.c_str());
  std::sort(send_lag.begin(), send_lag.end());
  std::printf("    timed from each call's scheduled send time (open loop, after a %d s warm-up); "
              "sending took %.1f s for %d s of schedule, sender late by p99 %.1f ms, max %.1f "
              "ms\n",
              f.warmup_seconds, send_seconds, f.rate_seconds, Percentile(send_lag, 99),
              send_lag.empty() ? 0.0 : send_lag.back());
  return result;
}

// ---------------------------------------------------------------------------------------------

bool HasPhase(const Flags& f, absl::string_view phase) {
  for (absl::string_view p : absl::StrSplit(f.phases, ',')) {
    if (p == phase) return true;
  }
  return false;
}

int Run(const Flags& f) {
  const std::string run = std::to_string(absl::ToUnixMillis(absl::Now()));
  const uint64_t salt = SplitMix(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
                                 static_cast<uint64_t>(getpid()));
  const ComplaintMaker maker("bench-" + run, salt);

  std::unique_ptr<redis::RedisClient> redis;
  {
    redis::RedisOptions options;
    options.host = f.redis_host;
    options.port = f.redis_port;
    auto client = redis::RedisClient::Connect(options);
    if (client.ok()) redis = *std::move(client);
  }
  if (f.flush) {
    if (redis == nullptr) Die("--flush: no Redis at port " + std::to_string(f.redis_port));
    if (auto s = redis->Command({"FLUSHALL"}); !s.ok()) Die("FLUSHALL: " + s.status().ToString());
  }

  // The intake under test.
  std::unique_ptr<testsupport::ChildProcess> intake;
  std::string address = f.target;
  std::string group;
  if (address.empty()) {
    address = "127.0.0.1:" + std::to_string(testsupport::FreePort());
    group = "intake-bench-" + run;
    const std::string log = f.intake_log.empty() ? "/tmp/intake-bench-" + run + ".log" : f.intake_log;
    intake = std::make_unique<testsupport::ChildProcess>(
        f.intake_binary,
        f.intake_config.empty() ? std::vector<std::string>{}
                                : std::vector<std::string>{"--config", f.intake_config},
        std::map<std::string, std::string>{
            {"COMPLAINTS_KAFKA_BOOTSTRAP", f.bootstrap},
            {"COMPLAINTS_REDIS_HOST", f.redis_host},
            {"COMPLAINTS_REDIS_PORT", std::to_string(f.redis_port)},
            {"COMPLAINTS_GRPC_ADDRESS", address},
            // Plaintext on purpose: the figures compare with earlier runs; TLS costs are not measured here.
            {"COMPLAINTS_GRPC_PLAINTEXT", "true"},
            {"COMPLAINTS_KAFKA_GROUP_ID", group},
            {"COMPLAINTS_LOG_LEVEL", f.intake_log_level},
            {"COMPLAINTS_INTAKE_CUSTOMER_KEY_SECRET", "intake-bench-" + run},
        },
        log);
    group += "-received";  // the consumer of complaints.received.v1 (main.cc)
    std::printf("intake_bench: started %s (pid %d) on %s, log %s\n", f.intake_binary.c_str(),
                intake->pid(), address.c_str(), log.c_str());
  }
  std::printf("intake_bench: kafka %s, redis %s:%d, source bench-%s\n", f.bootstrap.c_str(),
              f.redis_host.c_str(), f.redis_port, run.c_str());
  std::fflush(stdout);
  const absl::Time wait_start = absl::Now();
  if (!WaitUntilServing(address, absl::Seconds(f.serving_timeout_s), intake.get())) {
    Die("intake at " + address + " is not SERVING" +
        (intake != nullptr ? " (see " + intake->log_file() + ")" : ""));
  }
  std::printf("intake_bench: intake SERVING after %.1f s\n\n",
              absl::ToDoubleSeconds(absl::Now() - wait_start));
  std::fflush(stdout);
  const pid_t pid = intake != nullptr ? intake->pid() : f.intake_pid;
  const CpuMeter cpu({{"intake", pid}, {"bench client", getpid()}, {"kafka broker", f.broker_pid}},
                     redis.get());

  struct Row {
    std::string phase, figure, target;
    bool has_target = false, met = true;
  };
  std::vector<Row> rows;
  std::string ceiling_figure = "not measured";
  if (HasPhase(f, "ceiling")) {
    const CeilingResult ceiling = RunCeiling(f, maker);
    ceiling_figure = Thousands(ceiling.per_second) + " records/s";
    rows.push_back({"ceiling", ceiling_figure + " (broker, acks=all)", "-", false, true});
    if (f.redis_ceiling && redis != nullptr) RunRedisCeiling(f);
    std::fflush(stdout);
  }
  if (HasPhase(f, "unary")) {
    Settle(f, group);
    const CpuMeter::Sample a = cpu.Take();
    const ThroughputResult r = RunUnary(f, address, maker, "unary");
    std::printf("%s\n", cpu.Line(a, cpu.Take(), r.ok + r.errors).c_str());
    rows.push_back({"unary", Thousands(r.per_second) + " complaints/s" +
                                 (r.errors > 0 ? ", " + Thousands(r.errors) + " errors" : ""),
                    ">= " + Thousands(f.target_unary) + "/s, no errors", true,
                    r.per_second >= f.target_unary && r.errors == 0});
    std::fflush(stdout);
  }
  if (HasPhase(f, "stream")) {
    Settle(f, group);
    const CpuMeter::Sample a = cpu.Take();
    const ThroughputResult r = RunStream(f, address, maker);
    std::printf("%s\n", cpu.Line(a, cpu.Take(), r.ok + r.errors).c_str());
    rows.push_back({"stream", Thousands(r.per_second) + " complaints/s" +
                                  (r.errors > 0 ? ", " + Thousands(r.errors) + " errors" : ""),
                    ">= " + Thousands(f.target_stream) + "/s, no errors", true,
                    r.per_second >= f.target_stream && r.errors == 0});
    std::fflush(stdout);
  }
  if (HasPhase(f, "latency")) {
    Settle(f, group);
    const CpuMeter::Sample a = cpu.Take();
    const LatencyResult r = RunLatency(f, address, maker);
    std::printf("%s\n", cpu.Line(a, cpu.Take(),
                                static_cast<int64_t>(f.rate) * (f.rate_seconds + f.warmup_seconds))
                            .c_str());
    rows.push_back({"latency", absl::StrFormat("p99 %.1f ms at %s/s", r.p99, Thousands(f.rate)) +
                                   (r.errors > 0 ? ", " + Thousands(r.errors) + " errors" : ""),
                    absl::StrFormat("p99 <= %.0f ms, no errors", f.target_p99_ms), true,
                    r.p99 <= f.target_p99_ms && r.errors == 0});
  }

  int status = 0;
  if (intake != nullptr) {
    status = intake->Stop(30);
    std::printf("\nintake_bench: intake stopped (exit status %d)\n", status);
  }
  std::printf("\nsummary (this run; broker's raw produce ceiling %s):\n", ceiling_figure.c_str());
  std::printf("  %-8s %-42s %-28s %s\n", "phase", "figure", "target", "");
  bool missed = false;
  for (const Row& row : rows) {
    std::printf("  %-8s %-42s %-28s %s\n", row.phase.c_str(), row.figure.c_str(),
                row.target.c_str(), !row.has_target ? "" : row.met ? "met" : "MISSED");
    missed = missed || (row.has_target && !row.met);
  }
  std::fflush(stdout);
  return missed ? 2 : 0;
}

}  // namespace
}  // namespace complaints::bench

int main(int argc, char** argv) {
  complaints::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::fputs(complaints::bench::kUsage, stdout);
      return 0;
    }
  }
  if (!complaints::bench::ParseFlags(argc, argv, flags)) {
    std::fputs(complaints::bench::kUsage, stderr);
    return 1;
  }
  return complaints::bench::Run(flags);
}
