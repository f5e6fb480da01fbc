// analytics: reads every complaint topic into a timeline per complaint and counters, and folds
// the complaint topics into in-memory aggregates with hot spots and the monthly report; served
// by AnalyticsService.
#include "libs/common/files.h"
#include "libs/common/textproto.h"
#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/analytics/aggregates_consumer.h"
#include "services/analytics/analytics.h"
#include "services/analytics/analytics_grpc.h"
#include "services/analytics/dashboard.h"
#include "services/analytics/redis_analytics_store.h"
#include "spdlog/spdlog.h"

using namespace complaints;

namespace {

// The aggregates' settings (README "Settings"); bad values stop the service at start-up.
analytics::AggregatesOptions AggregatesSettings(const common::Config& config) {
  analytics::AggregatesOptions options;
  options.snapshot_interval =
      absl::Seconds(runtime::ValueOrDie(config.GetInt("analytics.snapshot_seconds", 10)));
  auto& h = options.hot_spots;
  h.alpha = runtime::ValueOrDie(config.GetDouble("analytics.hotspot_alpha", h.alpha));
  h.baseline_days = static_cast<int>(
      runtime::ValueOrDie(config.GetInt("analytics.hotspot_baseline_days", h.baseline_days)));
  h.min_count = runtime::ValueOrDie(config.GetInt("analytics.hotspot_min_count", h.min_count));
  h.burst_count = runtime::ValueOrDie(config.GetInt("analytics.burst_count", h.burst_count));
  h.burst_window_s =
      60 * runtime::ValueOrDie(config.GetInt("analytics.burst_window_minutes", h.burst_window_s / 60));
  if (h.alpha <= 0 || h.alpha >= 1 || h.baseline_days < 1 || h.burst_count < 2 ||
      h.burst_window_s < 60 || options.snapshot_interval < absl::Seconds(1)) {
    runtime::CheckOk(absl::InvalidArgumentError(
        "analytics: hotspot_alpha must be in (0,1), hotspot_baseline_days >= 1, burst_count >= 2, "
        "burst_window_minutes >= 1, snapshot_seconds >= 1"));
  }
  const std::string taxonomy_file = config.GetString(
      "analytics.taxonomy_file", COMPLAINTS_DEFAULT_CLASSIFIER_DIR "/taxonomy.textproto");
  auto text = common::ReadFile(taxonomy_file);
  runtime::CheckOk(text.status());
  runtime::CheckOk(common::ParseTextProto(taxonomy_file, *text, &options.taxonomy));
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("analytics", argc, argv));
  redis::RedisPool redis_pool(ctx.redis, 16);
  analytics::RedisAnalyticsStore store(&redis_pool);
  const std::vector<std::string> topics = {events::kReceivedTopic, events::kAssignmentsTopic,
                                           events::kCaseTopic, events::kSlaAlertsTopic,
                                           events::kFollowUpTasksTopic,
                                           events::kRedrivesTopic};
  // Timelines and counts are rebuilt from every topic after Redis loses them; the assignment
  // topic is keyed by unit, so answers wait for every partition of every topic.
  runtime::RebuildGuard guard(&redis_pool, {.marker_prefix = "analytics:", .topics = topics});
  analytics::Analytics logic(&store, [&guard] { return guard.readiness().CheckAllReady(); });

  // The aggregates: in memory, checkpointed to Redis, fed by their own consumer group.
  analytics::AggregatesConsumer aggregates(&redis_pool, ctx.producer.get(), ctx.clock.get(),
                                           AggregatesSettings(ctx.config));
  runtime::CheckOk(aggregates.Load());

  analytics::AnalyticsGrpcService grpc_service(&logic, &aggregates);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50055", {&grpc_service});

  // The dashboard: `analytics.dashboard_address`, else the gRPC port + 200 (50055 -> 50255).
  analytics::Dashboard::Options dashboard_options;
  const std::string grpc_address = ctx.config.GetString("grpc.address", "127.0.0.1:50055");
  dashboard_options.address = ctx.config.GetString(
      "analytics.dashboard_address", [&grpc_address] {
        const std::string metrics = runtime::MetricsAddress(common::Config(), grpc_address);
        const size_t colon = metrics.rfind(':');
        const int port = std::stoi(metrics.substr(colon + 1));
        return metrics.substr(0, colon + 1) + std::to_string(port == 0 ? 0 : port + 100);
      }());
  dashboard_options.chart_js = ctx.config.GetString("analytics.chart_js", dashboard_options.chart_js);
  auto dashboard =
      runtime::ValueOrDie(analytics::Dashboard::Start(dashboard_options, &aggregates, &logic));
  spdlog::info("dashboard on http://{}:{}/",
               dashboard_options.address.substr(0, dashboard_options.address.rfind(':')),
               dashboard->port());

  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions all;
  all.topics = topics;
  consumers.push_back(runtime::ValueOrDie(runtime::StartGuardedBatchConsumer(
      ctx, all,
      [&logic](const std::vector<kafka::IncomingRecord>& records) {
        return logic.HandleBatch(records);
      },
      &guard, 500)));

  kafka::ConsumerOptions folded;
  folded.group_id = ctx.config.GetString("analytics.aggregates_group",
                                         "complaints-analytics-aggregates");
  folded.topics = analytics::AggregatesConsumer::Topics();
  folded.on_assigned = [&aggregates](const std::vector<kafka::TopicPartition>& partitions) {
    aggregates.OnAssigned(partitions);
  };
  auto aggregates_consumer = runtime::ValueOrDie(runtime::CreateConsumer(ctx, folded));
  aggregates.set_consumer(aggregates_consumer.get());
  consumers.push_back(std::make_unique<runtime::ConsumerThread>(
      std::move(aggregates_consumer),
      [&aggregates](const std::vector<kafka::IncomingRecord>& records) {
        return aggregates.HandleBatch(records);
      },
      2000));
  const int code = runtime::RunUntilShutdown(
      ctx, *server, consumers, {.before_drain = nullptr, .after_drain = [&guard] { guard.Stop(); }});
  if (auto saved = aggregates.SaveSnapshot(); !saved.ok()) {
    spdlog::warn("aggregates checkpoint not written at shutdown: {}", std::string(saved.message()));
  }
  return code;
}
