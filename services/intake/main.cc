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
  // The claims are rebuilt from complaints.received.v1 after Redis loses them; until a
  // partition is replayed, submissions and reads of its complaints answer Unavailable.
  runtime::RebuildGuard guard(&redis_pool,
                              {.marker_prefix = "intake:", .topics = {events::kReceivedTopic}});
  options.check_ready = [&guard](const std::string& id) {
    return guard.readiness().CheckReady(id);
  };
  options.check_all_ready = [&guard] { return guard.readiness().CheckAllReady(); };
  // options.category_known: the classifier's catalogue, once it has one; until then any
  // well-formed category code is accepted.
  intake::Intake logic(ctx.producer.get(), &store, ctx.clock.get(), options);

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
  received.topics = {events::kReceivedTopic};
  received.group_id = ctx.config.GetString("kafka.group_id", "complaints-intake") + "-received";
  consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedConsumer(
      ctx, received,
      [&logic](const kafka::IncomingRecord& r) { return logic.HandleReceived(r); }, &guard)));
  return runtime::RunUntilShutdown(ctx, *server, consumers,
                                   {.before_drain = nullptr, .after_drain = [&guard] { guard.Stop(); }});
}
