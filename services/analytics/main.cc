// analytics: reads every complaint topic into a timeline per complaint and counters, served by
// AnalyticsService.
#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/analytics/analytics.h"
#include "services/analytics/analytics_grpc.h"
#include "services/analytics/redis_analytics_store.h"

using namespace complaints;

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("analytics", argc, argv));
  redis::RedisPool redis_pool(ctx.redis, 16);
  analytics::RedisAnalyticsStore store(&redis_pool);
  const std::vector<std::string> topics = {events::kReceivedTopic, events::kAssignmentsTopic,
                                           events::kCaseTopic, events::kSlaAlertsTopic,
                                           events::kFollowUpTasksTopic};
  // Timelines and counts are rebuilt from every topic after Redis loses them; the assignment
  // topic is keyed by unit, so answers wait for every partition of every topic.
  runtime::RebuildGuard guard(&redis_pool, {.marker_prefix = "analytics:", .topics = topics});
  analytics::Analytics logic(&store, [&guard] { return guard.readiness().CheckAllReady(); });

  analytics::AnalyticsGrpcService grpc_service(&logic);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50055", {&grpc_service});

  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions all;
  all.topics = topics;
  consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedConsumer(
      ctx, all, [&logic](const kafka::IncomingRecord& r) { return logic.HandleRecord(r); },
      &guard)));
  return runtime::RunUntilShutdown(ctx, *server, consumers,
                                   {.before_drain = nullptr, .after_drain = [&guard] { guard.Stop(); }});
}
