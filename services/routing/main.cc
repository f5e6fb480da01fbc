// routing: assigns each new complaint to its handling unit and serves the case workflow
// (CaseService) to branch systems; publishes complaints.assignments.v1 and complaints.case.v1.
#include <unistd.h>

#include "libs/cases/redis_case_ledger_store.h"
#include "libs/common/logging.h"
#include "libs/events/topics.h"
#include "libs/runtime/periodic_task.h"
#include "libs/runtime/service_runtime.h"
#include "services/routing/redis_merge_parking.h"
#include "services/routing/redis_rules_versions.h"
#include "services/routing/router.h"
#include "services/routing/rules_announcements.h"
#include "services/routing/routing_grpc.h"
#include "services/routing/rules_holder.h"
#include "services/routing/rules_reloader.h"
#include "services/routing/sla_worklist.h"
#include "services/sla_timer/store/redis_deadline_store.h"

using namespace complaints;

namespace {

// This process, in the audit trail of reloads.
std::string InstanceName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

}  // namespace

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("routing", argc, argv));
  if (!ctx.config.GetString("routing.rules_file").empty()) {
    runtime::CheckOk(absl::InvalidArgumentError(
        "routing.rules_file (one rule per line) is gone: set routing.rules_dir to a directory "
        "with rules.textproto and units.textproto (see services/routing/README.md)"));
  }
  const std::string rules_dir =
      ctx.config.GetString("routing.rules_dir", COMPLAINTS_DEFAULT_ROUTING_DIR);
  const routing::RulesFiles rules_files{
      .rules = rules_dir + "/rules.textproto",
      .units = rules_dir + "/units.textproto",
      .taxonomy = ctx.config.GetString("routing.taxonomy_file",
                                       std::string(COMPLAINTS_DEFAULT_CLASSIFIER_DIR) +
                                           "/taxonomy.textproto")};

  redis::RedisPool redis_pool(ctx.redis, 16);
  // The rules: loaded (and announced on routing.rules.v1) before anything is routed; a bad file
  // at start-up stops the service. Afterwards the files are watched (mtime, every 2 s) and
  // RoutingAdminService.ReloadRules reloads them; a bad file then keeps the rules in force.
  auto rules = std::make_shared<routing::RulesHolder>();
  // Numbered in Redis, resumed from the versions announced on routing.rules.v1 when Redis lost
  // the registry (or holds an older one).
  routing::RedisRulesVersions rules_versions(&redis_pool, "routing:", [&ctx] {
    return routing::ReadLatestAnnounced(ctx.kafka, events::kRulesTopic, absl::Seconds(10));
  });
  routing::RulesReloader reloader(rules.get(), rules_files, &rules_versions, ctx.producer.get(),
                                  ctx.clock.get(), InstanceName());
  auto loaded = reloader.Reload("start-up", "routing started");
  // Redis or Kafka not there yet is waited for; a bad file is bad configuration.
  for (int attempt = 0; absl::IsUnavailable(loaded.status()); ++attempt) {
    spdlog::warn("routing rules not loaded yet (attempt {}): {}", attempt + 1,
                 loaded.status().ToString());
    absl::SleepFor(absl::Seconds(std::min(attempt + 1, 5)));
    loaded = reloader.Reload("start-up", "routing started");
  }
  runtime::CheckOk(loaded.status());
  spdlog::info("routing rules version {} loaded from {}", loaded->version, rules_dir);
  runtime::PeriodicTask watch_rules(absl::Seconds(2), [&reloader] { reloader.PollFiles(); });
  // The cases are rebuilt from both topics after Redis loses them; until a partition is
  // replayed, commands and reads of its complaints answer Unavailable. The case events first:
  // a complaint replayed from complaints.received.v1 is then found routed as it was (its unit,
  // rule and rules version), not routed again by the rules in force now.
  runtime::RebuildGuard guard(
      &redis_pool, {.marker_prefix = "routing:",
                    .topics = {events::kReceivedTopic, events::kCaseTopic},
                    .replay_after = {{events::kReceivedTopic, events::kCaseTopic}}});
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
  routing::RouterSettings settings;
  settings.rules = rules;
  const int bounces = runtime::ValueOrDie(
      ctx.config.GetInt("routing.max_transfer_bounces", settings.max_transfer_bounces));
  if (bounces < 1) {
    runtime::CheckOk(
        absl::InvalidArgumentError("config routing.max_transfer_bounces: must be at least 1"));
  }
  settings.max_transfer_bounces = bounces;
  // A unit's supervisor comes from the unit hierarchy in force (units.textproto); a unit it
  // does not know (a generated branch code) falls back to routing.default_supervisor_unit.
  settings.supervisor_of = [&rules](const std::string& unit) {
    return rules->Current()->units().Supervisor(unit);
  };
  settings.default_supervisor_unit =
      ctx.config.GetString("routing.default_supervisor_unit", settings.default_supervisor_unit);
  settings.clock = ctx.clock.get();
  settings.check_all_ready = [&guard] { return guard.readiness().CheckAllReady(); };
  // The deadlines ListCases orders by: the SLA timer's unit worklists, in the same Redis (read
  // only; the prefix is the SLA timer's `sla.redis_prefix`).
  sla_timer::RedisDeadlineStore sla_store(&redis_pool,
                                          ctx.config.GetString("sla.redis_prefix", "sla"));
  settings.unit_deadlines = [&sla_store](const std::string& unit, absl::Time now) {
    return routing::ReadUnitDeadlines(sla_store, unit, now);
  };
  // Routing reads back the case events its batches write: those it wrote under the current
  // epoch are skipped, not loaded and observed again (the last 131,072 written are known).
  runtime::OwnWrites own_writes(1 << 17);
  settings.own_writes = &own_writes;
  settings.state_epoch = [&guard] { return guard.replays_started(); };
  // A batch's publish and outbox clear overlap the next batch (routing.flush_behind, default
  // on; off: each batch publishes before its offsets move). Declared before the consumers, it
  // is destroyed after them: it publishes their last batches' records on the way out.
  settings.lanes = runtime::ValueOrDie(ctx.config.GetInt("routing.consumer_lanes", 4));
  if (settings.lanes < 1) {
    runtime::CheckOk(absl::InvalidArgumentError("config routing.consumer_lanes: must be at least 1"));
  }
  std::unique_ptr<cases::OutboxFlusher> outbox_flusher;
  if (runtime::ValueOrDie(ctx.config.GetBool("routing.flush_behind", true))) {
    outbox_flusher = std::make_unique<cases::OutboxFlusher>(&ledger_store, ctx.producer.get());
    settings.outbox_flusher = outbox_flusher.get();
  }
  routing::Router router(&ledger, std::move(settings), &parking);

  routing::CaseGrpcService case_service(&router);
  routing::RoutingAdminGrpcService admin_service(rules.get(), &reloader);
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
  // The SLA timer's escalation steps: a group of its own (the alerts rebuild no state, so they
  // are not replayed after Redis lost it; their effects are case events, which are). Each step
  // is one ledger command, refused (Unavailable, retried) while the case's partition is being
  // replayed: the rebuild guard holds it back until the case is complete.
  kafka::ConsumerOptions alerts;
  alerts.topics = {events::kSlaAlertsTopic};
  alerts.group_id =
      ctx.config.GetString("kafka.group_id", "complaints-" + ctx.service_name) + "-escalations";
  consumers.push_back(runtime::ValueOrDie(runtime::StartConsumer(
      ctx, alerts, [&router](const kafka::IncomingRecord& r) { return router.HandleAlert(r); })));
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
                                     watch_rules.Stop();
                                     guard.Stop();
                                   }});
}
