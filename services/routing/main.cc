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
#include "services/routing/sla_worklist.h"
#include "services/sla_timer/store/redis_deadline_store.h"

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
  const int bounces = runtime::ValueOrDie(
      ctx.config.GetInt("routing.max_transfer_bounces", settings.max_transfer_bounces));
  if (bounces < 1) {
    runtime::ValueOrDie(absl::StatusOr<int>(
        absl::InvalidArgumentError("config routing.max_transfer_bounces: must be at least 1")));
  }
  settings.max_transfer_bounces = bounces;
  // Until the unit hierarchy is wired in (supervisor_of), every unit's supervisor is this one.
  settings.default_supervisor_unit =
      ctx.config.GetString("routing.default_supervisor_unit", settings.default_supervisor_unit);
  settings.clock = ctx.clock.get();

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
  settings.check_all_ready = [&guard] { return guard.readiness().CheckAllReady(); };
  // The deadlines ListCases orders by: the SLA timer's unit worklists, in the same Redis (read
  // only; the prefix is the SLA timer's `sla.redis_prefix`).
  sla_timer::RedisDeadlineStore sla_store(&redis_pool,
                                          ctx.config.GetString("sla.redis_prefix", "sla"));
  settings.unit_deadlines = [&sla_store](const std::string& unit, absl::Time now) {
    return routing::ReadUnitDeadlines(sla_store, unit, now);
  };
  routing::Router router(&ledger, std::move(settings), &parking);

  routing::CaseGrpcService case_service(&router);
  routing::RoutingAdminGrpcService admin_service(&router);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50052", {&case_service, &admin_service});

  kafka::ConsumerOptions options;
  options.topics = {events::kReceivedTopic, events::kCaseTopic};
  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedConsumer(
      ctx, options,
      [&router](const kafka::IncomingRecord& r) {
        return r.topic == events::kReceivedTopic ? router.HandleReceived(r)
                                                 : router.HandleCaseEvent(r);
      },
      &guard)));
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
