// intake: accepts complaints over gRPC (IntakeService) and from telephony's ivr.calls.v1, and
// publishes each, durably, to complaints.received.v1.
#include "libs/events/topics.h"
#include "libs/runtime/periodic_task.h"
#include "services/intake/classifier/classifier.h"
#include "libs/runtime/service_runtime.h"
#include "services/intake/intake.h"
#include "services/intake/intake_grpc.h"
#include <filesystem>

#include "libs/common/files.h"
#include "libs/common/logging.h"
#include "services/intake/redis_complaint_store.h"
#include "services/intake/redis_history_store.h"

using namespace complaints;

namespace {

// The key of the customer keys' HMAC, from a file (intake.customer_key_secret_file) or the
// environment (COMPLAINTS_INTAKE_CUSTOMER_KEY_SECRET), never the command line. Without either, a
// development secret, said loudly: keys made with it are guessable by anyone with the source.
std::string CustomerKeySecret(const common::Config& config) {
  const std::string file = config.GetString("intake.customer_key_secret_file", "");
  if (!file.empty()) {
    std::string secret = runtime::ValueOrDie(common::ReadFile(file));
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) runtime::CheckOk(absl::InvalidArgumentError("intake.customer_key_secret_file is empty"));
    return secret;
  }
  std::string secret = config.GetString("intake.customer_key_secret", "");
  if (secret.empty()) {
    spdlog::warn("intake.customer_key_secret(_file) not set: customer keys use the development "
                 "secret; set one in production");
    secret = "complaints-development-customer-key";
  }
  return secret;
}

}  // namespace

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("intake", argc, argv));
  redis::RedisPool redis_pool(ctx.redis, 16);
  const auto key_ttl_days = runtime::ValueOrDie(ctx.config.GetInt("intake.key_ttl_days", 90));
  if (key_ttl_days <= 0) {
    runtime::CheckOk(absl::InvalidArgumentError("config intake.key_ttl_days: must be positive"));
  }
  intake::RedisComplaintStore store(&redis_pool, "intake:", absl::Hours(24 * key_ttl_days));
  intake::IntakeOptions options;
  options.claim_lease = absl::Milliseconds(runtime::ValueOrDie(ctx.config.GetInt(
      "intake.claim_lease_ms", absl::ToInt64Milliseconds(options.claim_lease))));
  options.busy_wait = absl::Milliseconds(runtime::ValueOrDie(
      ctx.config.GetInt("intake.busy_wait_ms", absl::ToInt64Milliseconds(options.busy_wait))));
  // The claims are rebuilt from complaints.received.v1 after Redis loses them; until a
  // partition is replayed, submissions and reads of its complaints answer Unavailable.
  const auto window_days =
      runtime::ValueOrDie(ctx.config.GetInt("intake.history_window_days", 90));
  if (window_days <= 0) {
    runtime::CheckOk(absl::InvalidArgumentError("config intake.history_window_days: must be positive"));
  }
  options.history.window = absl::Hours(24 * window_days);
  options.customer_key_secret = CustomerKeySecret(ctx.config);
  // A history outlives its window by the longest regulatory clock (60 days), so that a
  // complaint still open at the window's end is found for merging.
  intake::RedisHistoryStore history(&redis_pool, "intake:", options.history.window + absl::Hours(24 * 60),
                                    absl::Hours(24 * key_ttl_days));
  runtime::RebuildGuard guard(
      &redis_pool,
      {.marker_prefix = "intake:", .topics = {events::kReceivedTopic, events::kCaseTopic}});
  options.check_ready = [&guard](const std::string& id) {
    return guard.readiness().CheckReady(id);
  };
  options.check_all_ready = [&guard] { return guard.readiness().CheckAllReady(); };
  // The replay consumer skips what this process wrote itself, until a replay is asked for.
  options.state_epoch = [&guard] { return guard.replays_started(); };
  // The classifier's files (`intake.classifier_dir`), checked for changes every few seconds: a
  // good change is in force at once, a bad one is logged with its lines and the old rules stay.
  const std::string classifier_dir =
      ctx.config.GetString("intake.classifier_dir", COMPLAINTS_DEFAULT_CLASSIFIER_DIR);
  auto classifier = runtime::ValueOrDie(classifier::ClassifierHolder::Create(
      {.config = classifier_dir + "/classifier.textproto",
       .taxonomy = classifier_dir + "/taxonomy.textproto",
       .t2s = classifier_dir + "/t2s.tsv"}));

  spdlog::info("classifier config {} loaded from {}", classifier->Get()->version(), classifier_dir);
  const std::vector<std::string> classifier_files = {classifier_dir + "/classifier.textproto",
                                                     classifier_dir + "/taxonomy.textproto",
                                                     classifier_dir + "/t2s.tsv"};
  auto modified = [&classifier_files] {
    std::vector<std::filesystem::file_time_type> times;
    for (const auto& file : classifier_files) {
      std::error_code error;  // a file being replaced may be missing for a moment
      times.push_back(std::filesystem::last_write_time(file, error));
    }
    return times;
  };
  auto loaded_times = modified();
  runtime::PeriodicTask reload_classifier(absl::Seconds(2), [&] {
    const auto times = modified();
    if (times == loaded_times) return;
    loaded_times = times;  // one attempt (and one log line) per change
    const std::string before = classifier->Get()->version();
    if (absl::Status s = classifier->Reload(); !s.ok()) {
      spdlog::error("classifier config in {} not reloaded, the rules of {} stay: {}",
                    classifier_dir, before, std::string(s.message()));
    } else {
      spdlog::info("classifier config {} in force (was {})", classifier->Get()->version(), before);
    }
  });
  options.classifier = [&classifier] { return classifier->Get(); };
  options.category_known = [&classifier](std::string_view code) {
    return classifier->Get()->KnownCategory(code);
  };
  intake::Intake logic(ctx.producer.get(), &store, &history, ctx.clock.get(), options);

  intake::IntakeGrpcService grpc_service(&logic);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50051", {&grpc_service});

  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions calls;
  calls.topics = {events::kIvrCallsTopic};
  consumers.push_back(runtime::ValueOrDie(runtime::StartConsumer(
      ctx, calls, [&logic](const kafka::IncomingRecord& r) { return logic.HandleCall(r); })));
  // A group of its own: every intake instance's claims come from the whole topic's partitions
  // it owns, independently of who reads the calls.
  kafka::ConsumerOptions received;
  received.topics = {events::kReceivedTopic, events::kCaseTopic};
  received.group_id = ctx.config.GetString("kafka.group_id", "complaints-intake") + "-received";
  // Its records need no haste (the submitting call has applied them already, OwnWrites;
  // case changes only feed the history): a fetch of 64 KB or 50 ms rather than one a record
  // spares the broker a request per submission (at 1,000/s: broker CPU 286 -> 154 us a
  // complaint, submit p99 21 -> 13 ms; bench/README.md, intake_bench).
  received.client_settings = {{"fetch.min.bytes", "65536"}, {"fetch.wait.max.ms", "50"}};
  consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedBatchConsumer(
      ctx, received,
      [&logic](const std::vector<kafka::IncomingRecord>& records) {
        return logic.HandleStateRecords(records);
      },
      &guard, 500)));
  return runtime::RunUntilShutdown(ctx, *server, consumers,
                                   {.before_drain = nullptr, .after_drain = [&guard] { guard.Stop(); }});
}
