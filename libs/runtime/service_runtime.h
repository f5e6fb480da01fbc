#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/grpcutil/server.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/metrics/http_exporter.h"
#include "libs/redis/redis_client.h"
#include "libs/runtime/access_control.h"
#include "libs/runtime/health.h"
#include "libs/runtime/rebuild_guard.h"

namespace complaints::runtime {

// What every service binary starts with: its settings, clock, Kafka producer and Redis options.
// main() wires these into the service's logic class; nothing here knows any service.
struct ServiceContext {
  std::string service_name;
  common::Config config;
  std::unique_ptr<common::Clock> clock;
  kafka::KafkaConfig kafka;
  redis::RedisOptions redis;
  std::unique_ptr<kafka::Producer> producer;
  // Outages the service's consumers are retrying; StartGrpcServer makes the health check follow
  // it. Shared so that callbacks handed to consumers can hold it.
  std::shared_ptr<DependencyHealth> health = std::make_shared<DependencyHealth>();
  // Serves /metrics (libs/metrics) from StartGrpcServer on.
  std::unique_ptr<metrics::HttpExporter> metrics_exporter;
  // Who may do what on the gRPC server (access_control.h), from StartGrpcServer on. Declared
  // after the producer: it is gone (its audit queue published) before the producer goes.
  std::unique_ptr<AccessControl> access_control;
};

// Reads `--config <file>` (optional) from argv, applies COMPLAINTS_* environment overrides,
// initialises logging and blocks SIGTERM/SIGINT for WaitForShutdownSignal. Bad configuration is
// an error here, at start-up, rather than later.
absl::StatusOr<ServiceContext> Bootstrap(std::string service_name, int argc, char** argv);

// Start-up failures (bad configuration, a port in use) end the process at once with the reason:
// a half-started service is worse than none.
void CheckOk(const absl::Status& status);
template <typename T>
T ValueOrDie(absl::StatusOr<T> value) {
  CheckOk(value.status());
  return *std::move(value);
}

// Where /metrics is served: `metrics.address`, else the gRPC address's host with its port + 100
// (50051 -> 50151), or a free port when the gRPC port is 0.
std::string MetricsAddress(const common::Config& config, const std::string& grpc_address);

// Starts the gRPC server (address from `grpc.address`, else `default_address`) with `services`,
// and the /metrics exporter (MetricsAddress). Mutual TLS unless `grpc.plaintext`
// (grpcutil::ServerOptions), and every call authorized by the access policy (access_control.h). The gRPC health check (grpc.health.v1) follows
// ctx.health: NOT_SERVING while a consumer retries an infrastructure failure (Redis or Kafka
// down, a topic missing...), SERVING again after.
// The access control of ctx's server from its settings (access_control.h); `plaintext`: the
// server has no TLS, so callers are taken to be `authz.plaintext_principal`.
absl::StatusOr<std::unique_ptr<AccessControl>> MakeAccessControl(ServiceContext& ctx,
                                                                 bool plaintext);

std::unique_ptr<grpcutil::ServerRunner> StartGrpcServer(ServiceContext& ctx,
                                                        std::string_view default_address,
                                                        std::vector<grpc::Service*> services);

// A consumer running its poll loop on its own thread; the handler runs on that thread only.
class ConsumerThread {
 public:
  ConsumerThread(std::unique_ptr<kafka::Consumer> consumer, kafka::RecordHandler handler);
  // Batches of at most `max_batch` records (kafka::Consumer::RunBatches).
  ConsumerThread(std::unique_ptr<kafka::Consumer> consumer, kafka::BatchHandler handler,
                 size_t max_batch);
  ~ConsumerThread();
  void Stop();

 private:
  std::unique_ptr<kafka::Consumer> consumer_;
  std::thread thread_;
};

// A consumer for `options` (group `kafka.group_id`, else complaints-<service>) with dead letters
// published through ctx.producer; for a service that needs the consumer before it runs.
// `kafka.group_instance_id`, when set, makes it a static member of its group (KIP-345): an
// instance restarted under the same id (a StatefulSet pod) gets its partitions back at once,
// without a rebalance and without waiting for the old session to time out. A static member
// does not leave the group when it stops, so its partitions wait session.timeout.ms for
// another owner: give each instance a stable id of its own, or none.
// Its retries of infrastructure failures are reported to ctx.health (ReportRetryingTo).
absl::StatusOr<std::unique_ptr<kafka::Consumer>> CreateConsumer(const ServiceContext& ctx,
                                                                kafka::ConsumerOptions options);

// `options` with on_retrying and on_topics_missing reporting to `health` (after any callbacks
// it already had; a subscribed topic deleted under the consumer is an outage too), for
// a consumer made with kafka::Consumer::Create rather than CreateConsumer.
kafka::ConsumerOptions ReportRetryingTo(std::shared_ptr<DependencyHealth> health,
                                        kafka::ConsumerOptions options);

// Starts a consumer thread for `options`, as CreateConsumer makes it.
absl::StatusOr<std::unique_ptr<ConsumerThread>> StartConsumer(const ServiceContext& ctx,
                                                              kafka::ConsumerOptions options,
                                                              kafka::RecordHandler handler);

// Starts a consumer thread for `options` whose handler runs behind `guard` (rebuild_guard.h):
// state lost with Redis is replayed from the topics before it is used again. Records come in
// batches of up to `max_batch` (one marker check per batch), handled one by one, in order.
absl::StatusOr<std::unique_ptr<ConsumerThread>> StartGuardedConsumer(
    const ServiceContext& ctx, kafka::ConsumerOptions options, kafka::RecordHandler handler,
    RebuildGuard* guard, size_t max_batch = 100);

// The same for a handler of many records at once (RebuildGuard::WrapBatch).
absl::StatusOr<std::unique_ptr<ConsumerThread>> StartGuardedBatchConsumer(
    const ServiceContext& ctx, kafka::ConsumerOptions options, kafka::BatchHandler handler,
    RebuildGuard* guard, size_t max_batch);

// What a service does at shutdown besides the common steps.
struct ShutdownHooks {
  std::function<void()> before_drain;  // e.g. end server streams, which would hold the drain
  std::function<void()> after_drain;   // e.g. stop background workers before the consumers
};

// The common tail of every main(): waits for SIGTERM/SIGINT, then drains gRPC, stops consumers
// (committing their stored offsets) and flushes the producer. Returns the process exit code.
int RunUntilShutdown(ServiceContext& ctx, grpcutil::ServerRunner& server,
                     std::vector<std::unique_ptr<ConsumerThread>>& consumers,
                     const ShutdownHooks& hooks = {});

}  // namespace complaints::runtime
