// sla-timer: arms and stops SLA clocks from complaints.case.v1, fires breaches to sla.alerts.v1
// for the partitions it owns, and serves SlaService (deadlines of a complaint, live alerts).
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <string>

#include "libs/calendar/calendar_registry.h"
#include "libs/cases/redis_case_ledger_store.h"
#include "libs/events/topics.h"
#include "libs/runtime/service_runtime.h"
#include "services/sla_timer/firing/alert_hub.h"
#include "services/sla_timer/firing/firer.h"
#include "services/sla_timer/policy/policy_set.h"
#include "services/sla_timer/store/redis_deadline_store.h"
#include "services/sla_timer/policy/regional_calendar.h"
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
  // The policy file and the business calendars: `sla.policy_file`, `sla.calendar_dir` (defaults:
  // the shipped Chinese policy and the calendars of this source tree). The policy's region must
  // have a calendar of its own: no fallback to another region's holidays.
  const std::string policy_file =
      ctx.config.GetString("sla.policy_file", COMPLAINTS_DEFAULT_POLICY_FILE);
  const std::string calendar_dir =
      ctx.config.GetString("sla.calendar_dir", COMPLAINTS_DEFAULT_CALENDAR_DIR);
  const auto policies = runtime::ValueOrDie(sla_policy::LoadPolicyFile(policy_file));
  const auto calendars =
      runtime::ValueOrDie(calendar::CalendarRegistry::LoadDirectory(calendar_dir));
  const sla_timer::RegionalCalendar work_calendar(runtime::ValueOrDie(
      sla_timer::CalendarForPolicy(calendars, policies, policy_file, calendar_dir)));
  const sla_policy::PolicyEngine engine(&policies, &work_calendar);
  const auto firing = runtime::ValueOrDie(sla_timer::FiringOptions::FromConfig(ctx.config));
  const auto ttl_days = runtime::ValueOrDie(ctx.config.GetInt("sla.stopped_ttl_days", 30));
  const auto watch_queue = runtime::ValueOrDie(ctx.config.GetInt("sla.watch_queue", 1024));
  // Case events handled together: one Redis round trip to load their complaints, one to write.
  const auto consumer_batch = runtime::ValueOrDie(ctx.config.GetInt("sla.consumer_batch", 500));
  if (ttl_days <= 0 || watch_queue <= 0 || consumer_batch <= 0) {
    runtime::CheckOk(absl::InvalidArgumentError(
        "config sla.stopped_ttl_days, sla.watch_queue and sla.consumer_batch: must be positive"));
  }

  redis::RedisPool redis_pool(ctx.redis, 16);
  // Guarded: a partition whose state Redis lost (it came back empty) refuses updates until it
  // has been replayed from complaints.case.v1, so no event lands on a half-empty state. Each
  // clock is stored once, in the engine's state (~40 bytes a complaint less).
  sla_timer::RedisDeadlineStore store(
      &redis_pool, ctx.config.GetString("sla.redis_prefix", "sla"),
      {.guard_partitions = true,
       .clocks_from_policy_state = [&engine](const std::string& policy_state) {
         return sla_timer::ClocksOfPolicyState(engine, policy_state);
       }});
  // SlaService's pause, resume and extend change the case through the ledger routing keeps,
  // refused while routing is rebuilding the case's partition.
  std::atomic<kafka::Consumer*> case_consumer_ptr{nullptr};
  const runtime::StateReadiness routing_state(
      &redis_pool, "routing:", {events::kReceivedTopic, events::kCaseTopic},
      [&case_consumer_ptr](const std::string& topic) -> absl::StatusOr<int32_t> {
        kafka::Consumer* consumer = case_consumer_ptr.load();
        if (consumer == nullptr) return absl::UnavailableError("starting");
        return consumer->PartitionCount(topic, absl::Seconds(5));
      });
  auto ledger_options =
      runtime::ValueOrDie(cases::LedgerOptions::FromConfig(ctx.config, "/complaints/sla-timer"));
  ledger_options.check_ready = [&routing_state](const std::string& id) {
    return routing_state.CheckReady(id);
  };
  cases::RedisCaseLedgerStore ledger_store(&redis_pool);
  cases::CaseLedger ledger(&ledger_store, ctx.producer.get(), ctx.clock.get(), ledger_options);
  sla_timer::SlaTimer timer(&store, &engine, ctx.clock.get(), &ledger, absl::Hours(24 * ttl_days));
  sla_timer::AlertFirer firer(&store, ctx.producer.get(), ctx.clock.get(), &engine, firing);
  sla_timer::Poller poller(&firer, &store, ctx.clock.get(), firing);
  sla_timer::AlertHub hub(static_cast<size_t>(watch_queue));

  sla_timer::SlaGrpcService grpc_service(&timer, &hub);
  auto server = runtime::StartGrpcServer(ctx, "127.0.0.1:50053", {&grpc_service});

  // State lost with Redis is rebuilt by replaying the partition of complaints.case.v1 from its
  // beginning: every deadline comes back with its version (so its alerts keep their ids) and
  // the overdue ones fire. The poller notices a lost partition even when no event comes and
  // asks for the replay; the first replayed batch meets the guard, and the consumer thread,
  // in the batch handler, marks the partition rebuilt and replays once more from the start (the
  // batch's other records of the partition are dropped), so no record is ever applied to a
  // half-empty state. A crash before the mark replays again.
  auto replay = [&case_consumer_ptr](int32_t partition) {
    if (kafka::Consumer* consumer = case_consumer_ptr.load()) {
      consumer->Rewind({{events::kCaseTopic, partition}});
    }
  };
  poller.OnStateMissing([&](int32_t partition) {
    spdlog::warn("SLA state of partition {} is not in Redis: replaying {} from its beginning",
                 partition, events::kCaseTopic);
    replay(partition);
  });

  std::vector<std::unique_ptr<runtime::ConsumerThread>> consumers;
  kafka::ConsumerOptions cases;
  cases.topics = {events::kCaseTopic};
  cases.on_assigned = [&poller](const auto& tps) { poller.Assign(CasePartitions(tps)); };
  cases.on_revoked = [&poller](const auto& tps) { poller.Revoke(CasePartitions(tps)); };
  auto case_consumer = runtime::ValueOrDie(runtime::CreateConsumer(ctx, cases));
  case_consumer_ptr.store(case_consumer.get());
  consumers.push_back(std::make_unique<runtime::ConsumerThread>(
      std::move(case_consumer),
      [&](const std::vector<kafka::IncomingRecord>& records) {
        std::vector<absl::Status> statuses = timer.HandleCaseEvents(records);
        // Once per partition whose state is missing: its records were not applied; they come
        // again with the replay, after the mark (or are retried, if the mark fails).
        std::map<int32_t, absl::Status> marked;
        for (size_t i = 0; i < records.size(); ++i) {
          if (!sla_timer::IsPartitionStateMissing(statuses[i])) continue;
          const int32_t partition = records[i].partition;
          auto [it, first] = marked.try_emplace(partition);
          if (first) {
            replay(partition);
            it->second = store.MarkPartitions({partition});
            if (it->second.ok()) poller.StateRestored(partition);
          }
          if (!it->second.ok()) statuses[i] = it->second;
        }
        return statuses;
      },
      static_cast<size_t>(consumer_batch)));
  poller.Start();

  kafka::KafkaConfig tail_config = ctx.kafka;
  tail_config.extra["auto.offset.reset"] = "latest";
  kafka::ConsumerOptions tail;
  tail.group_id = TailGroupId(ctx.service_name);
  tail.topics = {events::kSlaAlertsTopic};
  auto tail_consumer =
      runtime::ValueOrDie(kafka::Consumer::Create(
          tail_config, runtime::ReportRetryingTo(ctx.health, tail), ctx.producer.get()));
  consumers.push_back(std::make_unique<runtime::ConsumerThread>(
      std::move(tail_consumer),
      [&hub](const kafka::IncomingRecord& r) { return hub.HandleRecord(r); }));

  // Open WatchAlerts streams would hold the drain for its whole grace period: end them first.
  return runtime::RunUntilShutdown(
      ctx, *server, consumers,
      {.before_drain = [&hub] { hub.Close(); }, .after_drain = [&poller] { poller.Stop(); }});
}
