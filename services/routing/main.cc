// routing: assigns each new complaint to its handling unit and serves the case workflow
// (CaseService) to branch systems; publishes complaints.assignments.v1 and complaints.case.v1.
#include <fstream>
#include <sstream>

#include "libs/cases/redis_case_ledger_store.h"
#include "libs/common/logging.h"
#include "libs/events/topics.h"
#include "libs/runtime/periodic_task.h"
#include "libs/runtime/service_runtime.h"
#include "services/routing/router.h"
#include "services/routing/routing_grpc.h"
#include "services/routing/redis_merge_parking.h"
#include "services/routing/rules.h"

using namespace complaints;

namespace {

// `routing.rules_file` if set, else the shipped defaults.
absl::StatusOr<std::vector<routing::v1::Rule>> LoadRules(const common::Config& config) {
  const std::string path = config.GetString("routing.rules_file");
  if (path.empty()) return routing::DefaultRules();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("routing.rules_file: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return routing::ParseRules(text.str());
}

}  // namespace

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("routing", argc, argv));
  routing::RouterSettings settings;
  settings.rules = runtime::ValueOrDie(LoadRules(ctx.config));
  settings.fallback_unit = ctx.config.GetString("routing.fallback_unit", settings.fallback_unit);

  redis::RedisPool redis_pool(ctx.redis, 16);
  // The cases are rebuilt from both topics after Redis loses them; until a partition is
  // replayed, commands and reads of its complaints answer Unavailable.
  runtime::RebuildGuard guard(&redis_pool, {.marker_prefix = "routing:",
                                            .topics = {events::kReceivedTopic, events::kCaseTopic}});
  auto ledger_options =
      runtime::ValueOrDie(cases::LedgerOptions::FromConfig(ctx.config, "/complaints/routing"));
  ledger_options.check_ready = [&guard](const std::string& id) {
    return guard.readiness().CheckReady(id);
  };
  cases::RedisCaseLedgerStore ledger_store(&redis_pool);
  cases::CaseLedger ledger(&ledger_store, ctx.producer.get(), ctx.clock.get(), ledger_options);
  // Merged complaints waiting for their target's case: they are parked no longer than the
  // complaints they wait for are kept by intake (90 days).
  routing::RedisMergeParking parking(&redis_pool, "routing:", absl::Hours(24 * 90));
  routing::Router router(&ledger, std::move(settings), &parking);

  routing::CaseGrpcService case_service(&router);
  routing::RoutingAdminGrpcService admin_service(&router);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50052", {&case_service, &admin_service});

  kafka::ConsumerOptions options;
  options.topics = {events::kReceivedTopic, events::kCaseTopic};
  // Records handled together: the cases of a batch are loaded in one Redis round trip and
  // written in one more (what makes the replay after Redis lost the cases fast);
  // routing.batched=false handles them one by one (for comparison: bench/run-rebuild-bench.sh).
  const auto consumer_batch = runtime::ValueOrDie(ctx.config.GetInt("routing.consumer_batch", 500));
  const bool batched = runtime::ValueOrDie(ctx.config.GetBool("routing.batched", true));
  if (consumer_batch <= 0) {
    runtime::CheckOk(absl::InvalidArgumentError("config routing.consumer_batch: must be positive"));
  }
  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  if (batched) {
    consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedBatchConsumer(
        ctx, options,
        [&router](const std::vector<kafka::IncomingRecord>& r) { return router.HandleBatch(r); },
        &guard, static_cast<size_t>(consumer_batch))));
  } else {
    consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedConsumer(
        ctx, options,
        [&router](const kafka::IncomingRecord& r) {
          return r.topic == events::kReceivedTopic ? router.HandleReceived(r)
                                                   : router.HandleCaseEvent(r);
        },
        &guard, static_cast<size_t>(consumer_batch))));
  }
  // Records of commands whose publish failed (Kafka down) and that nobody retried: published
  // from the ledger's outbox once Kafka is back, whichever service appended them.
  runtime::PeriodicTask flush_pending(absl::Seconds(1), [&ledger] {
    auto flushed = ledger.FlushPending(100);
    if (!flushed.ok()) {
      spdlog::warn("case ledger outbox: {}", flushed.status().ToString());
    } else if (*flushed > 0) {
      spdlog::info("case ledger outbox: published the pending records of {} cases", *flushed);
    }
  });
  return runtime::RunUntilShutdown(ctx, *server, consumers,
                                   {.before_drain = nullptr, .after_drain = [&] {
                                     flush_pending.Stop();
                                     guard.Stop();
                                   }});
}
