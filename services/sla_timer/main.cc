// sla-timer: arms and stops SLA clocks from complaints.case.v1, fires breaches to sla.alerts.v1
// for the partitions it owns, and serves SlaService (deadlines of a complaint, live alerts).
#include <unistd.h>

#include <random>

#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/sla_timer/alert_hub.h"
#include "services/sla_timer/firer.h"
#include "services/sla_timer/redis_deadline_store.h"
#include "services/sla_timer/sla_grpc.h"
#include "services/sla_timer/sla_timer.h"

using namespace complaints;

namespace {

std::vector<int32_t> CasePartitions(const std::vector<kafka::TopicPartition>& partitions) {
  std::vector<int32_t> out;
  for (const auto& tp : partitions) {
    if (tp.topic == events::kCaseTopic) out.push_back(tp.partition);
  }
  return out;
}

// Every process reads every alert for its WatchAlerts streams: a group of its own, from the
// end of the topic (live alerts only).
std::string TailGroupId(const std::string& service) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return "complaints-" + service + "-watch-" + host + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::random_device()());
}

}  // namespace

int main(int argc, char** argv) {
  auto ctx = runtime::ValueOrDie(runtime::Bootstrap("sla-timer", argc, argv));
  const auto policy = runtime::ValueOrDie(sla_timer::PolicySettings::FromConfig(ctx.config));
  const auto firing = runtime::ValueOrDie(sla_timer::FiringOptions::FromConfig(ctx.config));
  const auto ttl_days = runtime::ValueOrDie(ctx.config.GetInt("sla.stopped_ttl_days", 30));
  const auto watch_queue = runtime::ValueOrDie(ctx.config.GetInt("sla.watch_queue", 1024));
  if (ttl_days <= 0 || watch_queue <= 0) {
    runtime::CheckOk(absl::InvalidArgumentError(
        "config sla.stopped_ttl_days and sla.watch_queue: must be positive"));
  }

  redis::RedisPool redis_pool(ctx.redis, 16);
  sla_timer::RedisDeadlineStore store(&redis_pool, ctx.config.GetString("sla.redis_prefix", "sla"));
  sla_timer::SlaTimer timer(&store, ctx.clock.get(), policy, absl::Hours(24 * ttl_days));
  sla_timer::AlertFirer firer(&store, ctx.producer.get(), ctx.clock.get(), policy, firing);
  sla_timer::Poller poller(&firer, &store, ctx.clock.get(), firing);
  sla_timer::AlertHub hub(static_cast<size_t>(watch_queue));

  sla_timer::SlaGrpcService grpc_service(&timer, &hub);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50053", {&grpc_service});
  poller.Start();

  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions cases;
  cases.topics = {events::kCaseTopic};
  cases.on_assigned = [&poller](const auto& tps) { poller.Assign(CasePartitions(tps)); };
  cases.on_revoked = [&poller](const auto& tps) { poller.Revoke(CasePartitions(tps)); };
  consumers.push_back(runtime::ValueOrDie(runtime::StartConsumer(
      ctx, cases, [&timer](const kafka::IncomingRecord& r) { return timer.HandleCaseEvent(r); })));

  kafka::KafkaConfig tail_config = ctx.kafka;
  tail_config.extra["auto.offset.reset"] = "latest";
  kafka::ConsumerOptions tail;
  tail.group_id = TailGroupId(ctx.service_name);
  tail.topics = {events::kSlaAlertsTopic};
  auto tail_consumer =
      runtime::ValueOrDie(kafka::Consumer::Create(tail_config, tail, ctx.producer.get()));
  consumers.push_back(std::make_unique<runtime::ConsumerThread>(
      std::move(tail_consumer),
      [&hub](const kafka::IncomingRecord& r) { return hub.HandleRecord(r); }));

  // Open WatchAlerts streams would hold the drain for its whole grace period: end them first.
  return runtime::RunUntilShutdown(
      ctx, *server, consumers,
      {.before_drain = [&hub] { hub.Close(); }, .after_drain = [&poller] { poller.Stop(); }});
}
