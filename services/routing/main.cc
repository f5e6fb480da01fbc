// routing: assigns each new complaint to its handling unit and serves the case workflow
// (CaseService) to branch systems; publishes complaints.assignments.v1 and complaints.case.v1.
#include <fstream>
#include <sstream>

#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/routing/redis_case_store.h"
#include "services/routing/router.h"
#include "services/routing/routing_grpc.h"
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
  settings.read_your_writes_timeout =
      absl::Milliseconds(runtime::ValueOrDie(ctx.config.GetInt("routing.read_your_writes_ms", 3000)));

  redis::RedisPool redis_pool(ctx.redis, 16);
  routing::RedisCaseStore store(&redis_pool);
  routing::Router router(ctx.producer.get(), &store, ctx.clock.get(), std::move(settings));

  routing::CaseGrpcService case_service(&router);
  routing::RoutingAdminGrpcService admin_service(&router);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50052", {&case_service, &admin_service});

  kafka::ConsumerOptions options;
  options.topics = {events::kReceivedTopic, events::kCaseTopic};
  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  consumers.push_back(runtime::ValueOrDie(runtime::StartConsumer(
      ctx, options, [&router](const kafka::IncomingRecord& r) {
        return r.topic == events::kReceivedTopic ? router.HandleReceived(r)
                                                 : router.HandleCaseEvent(r);
      })));
  return runtime::RunUntilShutdown(ctx, *server, consumers);
}
