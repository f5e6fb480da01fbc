#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/sla/v1/clock_state.pb.h"
#include "libs/common/clock.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/producer.h"
#include "services/sla_timer/store/deadline_store.h"
#include "services/sla_timer/store/clocks.h"
#include "services/sla_timer/policy/policy_engine.h"

namespace complaints::sla_timer {

struct FiringOptions {
  int batch = 500;                           // sla.fire_batch: alerts claimed per round trip
  int max_batches = 20;                      // per partition and pass: every partition is served
  absl::Duration lease = absl::Seconds(60);  // sla.lease_ms, real time: > a publish's timeout
  absl::Duration max_idle = absl::Milliseconds(100);  // sla.max_idle_ms, real time
  absl::Duration error_backoff = absl::Seconds(1);    // after a failed pass, real time
  // sla.publishers: threads per owned partition publishing its claimed batches, so that the
  // partition's loop claims what falls due while earlier batches are still in flight; each
  // publishes everything queued for the partition at once.
  int publishers = 2;
  // sla.batches_in_flight: claimed batches of one partition queued for its publishers; the
  // loop claims no more until one is taken.
  int in_flight = 4;
  // How often (real time) each loop checks its partition's marker, when Poller::OnStateMissing
  // has a handler.
  absl::Duration marker_check = absl::Seconds(1);

  // Non-positive values are InvalidArgument naming the key.
  static absl::StatusOr<FiringOptions> FromConfig(const common::Config& config);
};

// `real` of wall-clock time, in `clock`'s time (longer on an accelerated clock). A clock that
// does not run by itself (ManualClock) counts as real time.
absl::Duration ToClockDuration(const common::Clock& clock, absl::Duration real);

// Fires due alerts of one partition: claims them with a lease, publishes one SlaAlert each and
// waits until they are durable, then acknowledges them. A crash or failure anywhere before the
// acknowledgement fires them again after the lease, with the same event ids; nothing is dropped.
// Thread-safe.
class AlertFirer {
 public:
  // Claimed alerts of one partition, ready to publish.
  struct Batch {
    int32_t partition = 0;
    int claimed = 0;  // items claimed (records + stale ones)
    std::vector<kafka::OutgoingRecord> records;
    std::vector<Acknowledgement> acks;
    // Per record: its alert's kind, clock and lateness (real time from due to fired), counted in
    // /metrics once the records are published.
    struct Fired {
      events::v1::AlertKind kind;
      events::v1::Clock clock;
      absl::Duration lateness;
    };
    std::vector<Fired> fired;
  };

  // The alert that follows the one just fired (`kind`, `step`) on clock `entry` of the
  // complaint as stored (its policy state included); nullopt when there is none.
  using NextFiringFn = std::function<std::optional<Firing>(
      const StoredCase& stored, const ClockEntry& entry, events::v1::AlertKind kind, int32_t step)>;

  // Adds what the complaint's stored state says to an alert about to fire.
  using DescribeFn = std::function<void(const StoredCase& stored, events::v1::SlaAlert* alert)>;

  AlertFirer(DeadlineStore* store, kafka::Publisher* publisher, const common::Clock* clock,
             NextFiringFn next, FiringOptions options, DescribeFn describe = nullptr)
      : store_(store),
        publisher_(publisher),
        clock_(clock),
        next_(std::move(next)),
        describe_(std::move(describe)),
        options_(options) {}
  // The next alert from the policy engine: the stored policy state is the complaint's
  // sla::v1::SlaCaseState, and the engine's NextFiring of the clock's state decides. Alerts
  // carry the complaint's level from that state, and as fired_at the time the engine's schedule
  // gives them (EngineDescribe).
  AlertFirer(DeadlineStore* store, kafka::Publisher* publisher, const common::Clock* clock,
             const sla_policy::PolicyEngine* engine, FiringOptions options)
      : AlertFirer(store, publisher, clock, EngineNextFiring(engine), options,
                   EngineDescribe(engine)) {}

  // Fires what is due now, batch after batch (at most max_batches); returns how many alerts
  // were published.
  absl::StatusOr<int> FireDue(int32_t partition);

  // The two halves of a round. Claim leases at most `batch` due alerts and builds their
  // records (claimed == 0: nothing is due); an alert whose clock was stopped or re-armed since
  // it was scheduled gets no record, only its acknowledgement. Complete publishes the records,
  // waits until they are durable, then acknowledges the batch; returns the records published.
  absl::StatusOr<Batch> Claim(int32_t partition);
  absl::StatusOr<int> Complete(const Batch& batch);

  // The engine's next alert (inline: only its users link the engine). A policy state that does
  // not parse, or lacks the clock, ends the clock's alerts there, with an error in the log.
  static NextFiringFn EngineNextFiring(const sla_policy::PolicyEngine* engine) {
    return [engine](const StoredCase& stored, const ClockEntry& entry, events::v1::AlertKind kind,
                    int32_t step) -> std::optional<Firing> {
      sla::v1::SlaCaseState state;
      if (!state.ParseFromString(stored.policy_state)) {
        spdlog::error("sla state of a complaint does not parse; clock {} gets no further alert",
                      static_cast<int>(entry.clock));
        return std::nullopt;
      }
      for (const sla::v1::ClockState& clock : state.clocks()) {
        if (clock.clock() != entry.clock) continue;
        if (clock.version() != entry.version) return std::nullopt;  // re-timed meanwhile
        std::optional<sla_policy::Firing> next = engine->NextFiring(clock, kind, step);
        if (!next) return std::nullopt;
        // Whole milliseconds, as the store keeps them.
        return Firing{next->kind, next->step, absl::FromUnixMillis(absl::ToUnixMillis(next->at))};
      }
      spdlog::error("sla state of a complaint lacks clock {}; it gets no further alert",
                    static_cast<int>(entry.clock));
      return std::nullopt;
    };
  }

  // The complaint's level, an escalation's action and role (EscalationStep), and fired_at =
  // the time the clock's schedule gives this alert, not
  // the moment it went out: an alert fired again (after a crash between publish and
  // acknowledgement, or once Redis lost the state and it was rebuilt) is the same bytes under the
  // same id. How late it went out is for logs and metrics, not for the event.
  static DescribeFn EngineDescribe(const sla_policy::PolicyEngine* engine) {
    return [engine](const StoredCase& stored, events::v1::SlaAlert* alert) {
      sla::v1::SlaCaseState state;
      if (!state.ParseFromString(stored.policy_state)) return;
      alert->set_level(state.level());
      for (const sla::v1::ClockState& clock : state.clocks()) {
        if (clock.clock() != alert->clock() || clock.version() != alert->deadline_version()) {
          continue;
        }
        for (const sla_policy::Firing& firing : engine->Schedule(clock)) {
          if (firing.kind == alert->kind() && firing.step == alert->step()) {
            *alert->mutable_fired_at() =
                common::ToProtoTime(absl::FromUnixMillis(absl::ToUnixMillis(firing.at)));
          }
        }
        // What the policy's escalation step asks of routing, and whom it alerts: as armed.
        const int index = alert->step() - 1;
        if (alert->kind() == events::v1::ALERT_KIND_ESCALATION && index >= 0) {
          if (index < clock.escalation_action_size()) {
            alert->set_action(clock.escalation_action(index));
          }
          if (index < clock.escalation_role_size()) alert->set_role(clock.escalation_role(index));
        }
      }
    };
  }

 private:
  DeadlineStore* store_;
  kafka::Publisher* publisher_;
  const common::Clock* clock_;
  const NextFiringFn next_;
  const DescribeFn describe_;
  const FiringOptions options_;
};

// Fires the partitions of complaints.case.v1 this instance owns. Each owned partition has a
// loop (thread) that claims what is due and queues it for the partition's `publishers`
// threads, claims again at once while earlier batches are in flight, then sleeps until the
// partition's earliest scheduled alert, at most max_idle. A publisher publishes everything
// queued for its partition in one call. So a due alert waits neither for another partition nor
// for an earlier batch's Kafka round trip, and one partition's trouble (its alerts partition's
// leader is down) holds up no other. A partition is served the moment it is assigned (a new
// owner serves its deadlines at once). A revoked partition's loop stops claiming; what it
// claimed is still published and acknowledged (the lease covers the new owner meanwhile, and
// an overlap is harmless: claims are atomic).
class Poller {
 public:
  Poller(AlertFirer* firer, DeadlineStore* store, const common::Clock* clock, FiringOptions options)
      : firer_(firer), store_(store), clock_(clock), options_(options) {}
  ~Poller() { Stop(); }

  // Loops start for partitions assigned before or after Start.
  void Start();
  // Ends every loop, publishes and acknowledges what they claimed, joins every thread;
  // partitions stay assigned (a later Start serves them again).
  void Stop();
  // From the consumer's rebalance callbacks; they never wait for a publish.
  void Assign(const std::vector<int32_t>& partitions);
  void Revoke(const std::vector<int32_t>& partitions);

  // Redis came back empty: `handler` is called (on the partition's loop thread) when an owned
  // partition's marker (DeadlineStore::MarkPartitions) is missing, once until the marker is
  // seen again or StateRestored is called. Wire it to the case consumer's Rewind, so that the
  // partition is replayed even if no new record arrives; the replay's first guarded Update then
  // marks the partition (see PartitionStateMissing). Set before Start.
  void OnStateMissing(std::function<void(int32_t partition)> handler) {
    on_state_missing_ = std::move(handler);
  }
  // The partition was marked again (its replay began): a later loss of the marker is reported
  // anew. Without this, a marker written and lost again between two of the loop's checks would
  // never be reported, and the partition never replayed unless a new record came.
  void StateRestored(int32_t partition);

 private:
  struct Loop {
    int32_t partition = 0;
    // All guarded by Poller::mu_.
    bool stop = false;    // the loop ends; its publishers drain the queue and end
    bool failed = false;  // a publish failed since the last pass: back off
    absl::Time marker_checked = absl::InfinitePast();  // loop thread only
    bool missing_reported = false;                     // loop thread only
    bool restored = false;  // StateRestored since the last marker check; guarded by mu_
    int running = 0;                                   // threads of this loop not yet returned
    std::deque<AlertFirer::Batch> queue;
    std::condition_variable wake;    // the loop: stop, or room in the queue
    std::condition_variable queued;  // the publishers: a batch, or stop
    std::vector<std::thread> threads;
  };

  void StartLoop(int32_t partition);                    // mu_ held
  void ReapLocked(std::vector<std::thread>& finished);  // mu_ held
  void Run(Loop* loop);
  // One pass on the loop's partition; returns how long to sleep (real time).
  absl::Duration Pass(Loop* loop);
  void Publish(Loop* loop);

  AlertFirer* firer_;
  DeadlineStore* store_;
  const common::Clock* clock_;
  const FiringOptions options_;
  std::mutex mu_;
  bool running_ = false;
  std::set<int32_t> owned_;
  std::map<int32_t, std::unique_ptr<Loop>> loops_;
  std::vector<std::unique_ptr<Loop>> retired_;  // revoked, finishing
  std::function<void(int32_t)> on_state_missing_;
};

}  // namespace complaints::sla_timer
