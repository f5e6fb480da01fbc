// intake: accepts complaints over gRPC (IntakeService) and from telephony's ivr.calls.v1, and
// publishes each, durably, to complaints.received.v1.
#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/intake/intake.h"
#include "services/intake/intake_grpc.h"
#include "services/intake/redis_complaint_store.h"

using namespace complaints;

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
  intake::Intake logic(ctx.producer.get(), &store, ctx.clock.get(), options);

  intake::IntakeGrpcService grpc_service(&logic);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50051", {&grpc_service});

  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions calls;
  calls.topics = {events::kIvrCallsTopic};
  consumers.push_back(runtime::ValueOrDie(runtime::StartConsumer(
      ctx, calls, [&logic](const kafka::IncomingRecord& r) { return logic.HandleCall(r); })));
  return runtime::RunUntilShutdown(ctx, *server, consumers);
}
