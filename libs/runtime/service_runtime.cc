#include "libs/runtime/service_runtime.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging.h"
#include "libs/kafka/credentials_probe.h"
#include "libs/metrics/metrics.h"

namespace complaints::runtime {

namespace {

// Set when a Kafka client failed fatally: the process exits non-zero, for its supervisor.
std::atomic<bool> client_failed{false};

// A fatal client error (a static member fenced after a broker restart, a producer refused its
// idempotence PID): the client cannot be used again, and the service is useless without it, so
// stop the process and let the supervisor restart it rather than serve half a job. The signal
// goes to the process, not this thread: every thread blocks SIGTERM, and only the main thread's
// sigwait takes it, which a thread-directed raise() would never reach.
void StopForSupervisor(const std::string& why) {
  spdlog::critical("{}; stopping the process", why);
  client_failed.store(true);
  kill(getpid(), SIGTERM);
}

}  // namespace

absl::StatusOr<ServiceContext> Bootstrap(std::string service_name, int argc, char** argv) {
  grpcutil::InstallShutdownSignals();
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      return absl::InvalidArgumentError(std::string("unknown argument: ") + argv[i] +
                                        " (usage: --config <file>)");
    }
  }
  auto config = common::Config::Load(config_path);
  if (!config.ok()) return config.status();

  ServiceContext ctx;
  ctx.service_name = std::move(service_name);
  ctx.config = *std::move(config);
  if (auto s = common::InitLogging(ctx.service_name, ctx.config); !s.ok()) return s;
  auto clock = common::MakeClock(ctx.config);
  if (!clock.ok()) return clock.status();
  ctx.clock = *std::move(clock);
  ctx.kafka = kafka::KafkaConfig::FromConfig(ctx.config);
  if (!ctx.config.Has("kafka.client_id")) ctx.kafka.client_id = ctx.service_name;
  if (auto s = kafka::ProbeCredentials(ctx.kafka, absl::Seconds(10)); !s.ok()) return s;
  auto redis = redis::RedisOptions::FromConfig(ctx.config);
  if (!redis.ok()) return redis.status();
  ctx.redis = *redis;
  // Refused credentials are bad configuration: stop now, saying which user and file, rather than
  // retry for ever behind NOT_SERVING. A Redis not up yet is waited for, as ever.
  if (absl::Status checked = redis::CheckCredentials(ctx.redis); !checked.ok()) {
    if (absl::IsPermissionDenied(checked)) return checked;
    common::ModuleLogger("redis")->warn("{}; waiting for Redis", checked.ToString());
  }
  auto producer = kafka::Producer::Create(
      ctx.kafka, {.on_fatal = [](const std::string& reason) {
        StopForSupervisor(absl::StrCat("kafka producer failed fatally: ", reason));
      }});
  if (!producer.ok()) return producer.status();
  ctx.producer = *std::move(producer);
  return ctx;
}

void CheckOk(const absl::Status& status) {
  if (status.ok()) return;
  spdlog::critical("cannot start: {}", status.ToString());
  std::fprintf(stderr, "cannot start: %s\n", status.ToString().c_str());
  std::exit(2);
}

std::string MetricsAddress(const common::Config& config, const std::string& grpc_address) {
  std::string configured = config.GetString("metrics.address");
  if (!configured.empty()) return configured;
  const size_t colon = grpc_address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(grpc_address.substr(colon + 1), &port)) {
    return "127.0.0.1:0";
  }
  return absl::StrCat(grpc_address.substr(0, colon), ":", port == 0 ? 0 : port + 100);
}

absl::StatusOr<std::unique_ptr<AccessControl>> MakeAccessControl(ServiceContext& ctx,
                                                                 bool plaintext) {
  auto policy = authz::AccessPolicy::FromFile(
      ctx.config.GetString("authz.policy_file", COMPLAINTS_DEFAULT_AUTHZ_POLICY));
  if (!policy.ok()) return policy.status();
  auto units = authz::UnitTree::FromFile(
      ctx.config.GetString("authz.units_file", COMPLAINTS_DEFAULT_UNITS_FILE));
  if (!units.ok()) return units.status();
  auto audit = ctx.config.GetBool("authz.audit", true);
  if (!audit.ok()) return audit.status();
  auto control = std::make_unique<AccessControl>();
  control->pool = std::make_unique<redis::RedisPool>(ctx.redis, 4);
  control->resolver = std::make_unique<LedgerCaseUnitResolver>(control->pool.get());
  grpcutil::AuthorizationOptions options{
      .policy = std::make_shared<const authz::AccessPolicy>(*std::move(policy)),
      .units = std::make_shared<const authz::UnitTree>(*std::move(units)),
      .resolver = control->resolver.get(),
  };
  if (*audit) {
    control->audit = std::make_unique<AuditPublisher>(ctx.producer.get(), ctx.clock.get(),
                                                      ctx.service_name);
    options.audit = [publisher = control->audit.get()](const grpcutil::AccessRecord& record) {
      publisher->Record(record);
    };
  }
  if (plaintext) {
    options.plaintext_principal =
        ctx.config.GetString("authz.plaintext_principal", "admin:plaintext");
    common::ModuleLogger("authz")->warn(
        "plaintext gRPC: every caller is taken to be {} (grpc.plaintext is for development only)",
        options.plaintext_principal);
  }
  control->authorization = std::make_shared<grpcutil::Authorization>(std::move(options));
  return control;
}

std::unique_ptr<grpcutil::ServerRunner> StartGrpcServer(ServiceContext& ctx,
                                                        std::string_view default_address,
                                                        std::vector<grpc::Service*> services) {
  const grpcutil::ServerOptions options =
      ValueOrDie(grpcutil::ServerOptions::FromConfig(ctx.config, default_address));
  auto server = std::make_unique<grpcutil::ServerRunner>(options);
  ctx.access_control = ValueOrDie(MakeAccessControl(ctx, options.tls.cert_file.empty()));
  server->SetAuthorization(ctx.access_control->authorization);
  for (grpc::Service* service : services) server->AddService(service);
  CheckOk(server->Start());
  const std::string metrics_address = MetricsAddress(ctx.config, options.address);
  ctx.metrics_exporter =
      ValueOrDie(metrics::HttpExporter::Start(metrics_address, &metrics::Registry::Default()));
  common::ModuleLogger("metrics")->info("metrics on http://{}:{}/metrics",
               metrics_address.substr(0, metrics_address.rfind(':')),
               ctx.metrics_exporter->port());
  // RunUntilShutdown removes the listener once the server is shut down, before it goes away.
  ctx.health->SetListener([runner = server.get()](bool healthy) { runner->SetServing(healthy); });
  return server;
}

namespace {

void OnConsumerEnd(const absl::Status& status) {
  if (status.ok()) return;
  StopForSupervisor(absl::StrCat("consumer stopped with a fatal error: ", status.ToString()));
}

}  // namespace

ConsumerThread::ConsumerThread(std::unique_ptr<kafka::Consumer> consumer,
                               kafka::RecordHandler handler)
    : consumer_(std::move(consumer)) {
  thread_ =
      std::thread([this, handler = std::move(handler)] { OnConsumerEnd(consumer_->Run(handler)); });
}

ConsumerThread::ConsumerThread(std::unique_ptr<kafka::Consumer> consumer,
                               kafka::BatchHandler handler, size_t max_batch)
    : consumer_(std::move(consumer)) {
  thread_ = std::thread([this, handler = std::move(handler), max_batch] {
    OnConsumerEnd(consumer_->RunBatches(handler, max_batch));
  });
}

ConsumerThread::~ConsumerThread() { Stop(); }

void ConsumerThread::Stop() {
  consumer_->Stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<kafka::Consumer>> CreateConsumer(const ServiceContext& ctx,
                                                                kafka::ConsumerOptions options) {
  if (options.group_id.empty()) {
    options.group_id = ctx.config.GetString("kafka.group_id", "complaints-" + ctx.service_name);
  }
  kafka::KafkaConfig config = ctx.kafka;
  if (const std::string id = ctx.config.GetString("kafka.group_instance_id", ""); !id.empty()) {
    config.extra["group.instance.id"] = id;
  }
  return kafka::Consumer::Create(config, ReportRetryingTo(ctx.health, std::move(options)),
                                 ctx.producer.get());
}

kafka::ConsumerOptions ReportRetryingTo(std::shared_ptr<DependencyHealth> health,
                                        kafka::ConsumerOptions options) {
  std::string name = absl::StrCat("consumer ", options.group_id, " of ",
                                  absl::StrJoin(options.topics, ","));
  options.on_topics_missing = [report = health->Reporter(name + ": a topic is missing"), health,
                               previous = std::move(options.on_topics_missing)](bool missing) {
    if (previous) previous(missing);
    report(missing);
  };
  options.on_retrying = [report = health->Reporter(std::move(name)), health,
                         previous = std::move(options.on_retrying)](bool retrying) {
    if (previous) previous(retrying);
    report(retrying);
  };
  return options;
}

absl::StatusOr<std::unique_ptr<ConsumerThread>> StartConsumer(const ServiceContext& ctx,
                                                              kafka::ConsumerOptions options,
                                                              kafka::RecordHandler handler) {
  auto consumer = CreateConsumer(ctx, std::move(options));
  if (!consumer.ok()) return consumer.status();
  return std::make_unique<ConsumerThread>(*std::move(consumer), std::move(handler));
}

namespace {

// A consumer whose rebalances and readiness `guard` follows (the handler is wrapped by the
// caller, record by record or a batch at a time).
absl::StatusOr<std::unique_ptr<kafka::Consumer>> CreateGuardedConsumer(
    const ServiceContext& ctx, kafka::ConsumerOptions options, RebuildGuard* guard) {
  guard->Install(options);
  guard->ReportTo(ctx.health->Reporter("rebuild of " + absl::StrJoin(options.topics, ", ")));
  auto consumer = CreateConsumer(ctx, std::move(options));
  if (consumer.ok()) guard->Attach(consumer->get());
  return consumer;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConsumerThread>> StartGuardedConsumer(
    const ServiceContext& ctx, kafka::ConsumerOptions options, kafka::RecordHandler handler,
    RebuildGuard* guard, size_t max_batch) {
  auto consumer = CreateGuardedConsumer(ctx, std::move(options), guard);
  if (!consumer.ok()) return consumer.status();
  return std::make_unique<ConsumerThread>(*std::move(consumer), guard->Wrap(std::move(handler)),
                                          max_batch);
}

absl::StatusOr<std::unique_ptr<ConsumerThread>> StartGuardedBatchConsumer(
    const ServiceContext& ctx, kafka::ConsumerOptions options, kafka::BatchHandler handler,
    RebuildGuard* guard, size_t max_batch) {
  auto consumer = CreateGuardedConsumer(ctx, std::move(options), guard);
  if (!consumer.ok()) return consumer.status();
  return std::make_unique<ConsumerThread>(*std::move(consumer),
                                          guard->WrapBatch(std::move(handler)), max_batch);
}

int RunUntilShutdown(ServiceContext& ctx, grpcutil::ServerRunner& server,
                     std::vector<std::unique_ptr<ConsumerThread>>& consumers,
                     const ShutdownHooks& hooks) {
  spdlog::info("{} running", ctx.service_name);
  const int signal = grpcutil::WaitForShutdownSignal();
  spdlog::info("signal {}: shutting down", signal);
  if (hooks.before_drain) hooks.before_drain();
  server.Shutdown();
  ctx.health->SetListener(nullptr);
  server.Wait();
  if (hooks.after_drain) hooks.after_drain();
  for (auto& consumer : consumers) consumer->Stop();
  consumers.clear();
  if (auto s = ctx.producer->Flush(absl::Seconds(10)); !s.ok()) {
    spdlog::error("producer flush at shutdown: {}", s.ToString());
    return 1;
  }
  if (client_failed.load()) {
    spdlog::critical("{} stopped after a Kafka client failed", ctx.service_name);
    return 3;
  }
  spdlog::info("{} stopped", ctx.service_name);
  return 0;
}

}  // namespace complaints::runtime
