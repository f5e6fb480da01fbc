// followup: turns each resolution on complaints.case.v1 into a survey task on followup.tasks.v1,
// and the survey's outcome (FollowUpService) into a close, a reopen or another attempt.
#include "libs/cases/redis_case_ledger_store.h"
#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/followup/followup.h"
#include "services/followup/followup_grpc.h"
#include "services/followup/redis_followup_store.h"

using namespace complaints;

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("followup", argc, argv));
  const auto options = runtime::ValueOrDie(followup::FollowUpOptions::FromConfig(ctx.config));
  redis::RedisPool redis_pool(ctx.redis, 16);
  followup::RedisFollowUpStore store(&redis_pool);
  cases::RedisCaseLedgerStore ledger_store(&redis_pool);
  cases::CaseLedger ledger(
      &ledger_store, ctx.producer.get(), ctx.clock.get(),
      runtime::ValueOrDie(cases::LedgerOptions::FromConfig(ctx.config, "/complaints/followup")));
  followup::FollowUp logic(ctx.producer.get(), &ledger, &store, ctx.clock.get(), options);

  followup::FollowUpGrpcService grpc_service(&logic);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50054", {&grpc_service});

  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions cases;
  cases.topics = {events::kCaseTopic};
  consumers.push_back(runtime::ValueOrDie(runtime::StartConsumer(
      ctx, cases, [&logic](const kafka::IncomingRecord& r) { return logic.HandleCaseEvent(r); })));
  return runtime::RunUntilShutdown(ctx, *server, consumers);
}
