// followup: turns each resolution on complaints.case.v1 into a survey task on followup.tasks.v1,
// and the survey's outcome (FollowUpService) into a close, a reopen or another attempt.
#include "libs/calendar/calendar_registry.h"
#include "libs/cases/redis_case_ledger_store.h"
#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/followup/followup.h"
#include "services/followup/followup_grpc.h"
#include "services/followup/redis_followup_store.h"

using namespace complaints;

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("followup", argc, argv));
  auto options = runtime::ValueOrDie(followup::FollowUpOptions::FromConfig(ctx.config));
  // 跟回访 on the business calendar: `followup.calendar_dir` (default: this source tree's
  // deploy/calendars) and `followup.calendar_region` (CN).
  const auto calendars = runtime::ValueOrDie(calendar::CalendarRegistry::LoadDirectory(
      ctx.config.GetString("followup.calendar_dir", COMPLAINTS_DEFAULT_CALENDAR_DIR)));
  const std::string region = ctx.config.GetString("followup.calendar_region", "CN");
  if (!calendars.Has(region)) {
    runtime::CheckOk(absl::FailedPreconditionError("followup.calendar_region: no calendar for " +
                                                   region));
  }
  options.calendar = &calendars.ForRegion(region);
  auto ledger_options =
      runtime::ValueOrDie(cases::LedgerOptions::FromConfig(ctx.config, "/complaints/followup"));
  redis::RedisPool redis_pool(ctx.redis, 16);
  followup::RedisFollowUpStore store(&redis_pool, "followup:", ledger_options.closed_case_ttl);

  // Follow-up's own state is rebuilt from complaints.case.v1 behind its guard; the cases it
  // closes and reopens are routing's, complete only once routing's markers say so.
  runtime::RebuildGuard guard(&redis_pool,
                              {.marker_prefix = "followup:", .topics = {events::kCaseTopic}});
  const runtime::StateReadiness routing_state(
      &redis_pool, "routing:", {events::kReceivedTopic, events::kCaseTopic},
      [&guard](const std::string& topic) { return guard.PartitionCount(topic); });
  options.check_ready = [&guard](const std::string& id) {
    return guard.readiness().CheckReady(id);
  };
  ledger_options.check_ready = [&routing_state](const std::string& id) {
    return routing_state.CheckReady(id);
  };
  cases::RedisCaseLedgerStore ledger_store(&redis_pool);
  cases::CaseLedger ledger(&ledger_store, ctx.producer.get(), ctx.clock.get(), ledger_options);
  followup::FollowUp logic(ctx.producer.get(), &ledger, &store, ctx.clock.get(), options);

  followup::FollowUpGrpcService grpc_service(&logic);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50054", {&grpc_service});

  // Case events handled together: states loaded in one Redis round trip, tasks published in
  // one call, changes written in one round trip (the replay after Redis lost the state is
  // ~5 events a complaint); followup.batched=false handles them one by one (for comparison).
  const auto consumer_batch =
      runtime::ValueOrDie(ctx.config.GetInt("followup.consumer_batch", 500));
  const bool batched = runtime::ValueOrDie(ctx.config.GetBool("followup.batched", true));
  if (consumer_batch <= 0) {
    runtime::CheckOk(absl::InvalidArgumentError("config followup.consumer_batch: must be positive"));
  }
  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions cases;
  cases.topics = {events::kCaseTopic};
  if (batched) {
    consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedBatchConsumer(
        ctx, cases,
        [&logic](const std::vector<kafka::IncomingRecord>& r) { return logic.HandleCaseEvents(r); },
        &guard, static_cast<size_t>(consumer_batch))));
  } else {
    consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedConsumer(
        ctx, cases, [&logic](const kafka::IncomingRecord& r) { return logic.HandleCaseEvent(r); },
        &guard, static_cast<size_t>(consumer_batch))));
  }
  return runtime::RunUntilShutdown(ctx, *server, consumers,
                                   {.before_drain = nullptr, .after_drain = [&guard] { guard.Stop(); }});
}
