#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/kafka/producer.h"
#include "services/sla_timer/deadline_store.h"
#include "services/sla_timer/policy.h"

namespace complaints::sla_timer {

struct FiringOptions {
  int batch = 500;                            // sla.fire_batch: alerts claimed per round trip
  int max_batches = 20;                       // per partition and pass: every partition is served
  absl::Duration lease = absl::Seconds(60);   // sla.lease_ms, real time: > a publish's timeout
  absl::Duration max_idle = absl::Milliseconds(100);  // sla.max_idle_ms, real time
  absl::Duration error_backoff = absl::Seconds(1);    // after a failed pass, real time

  // Non-positive values are InvalidArgument naming the key.
  static absl::StatusOr<FiringOptions> FromConfig(const common::Config& config);
};

// `real` of wall-clock time, in `clock`'s time (longer on an accelerated clock). A clock that
// does not run by itself (ManualClock) counts as real time.
absl::Duration ToClockDuration(const common::Clock& clock, absl::Duration real);

// Fires due alerts of one partition: claims them with a lease, publishes one SlaAlert each and
// waits until they are durable, then acknowledges them. A crash or failure anywhere before the
// acknowledgement fires them again after the lease, with the same event ids; nothing is dropped.
class AlertFirer {
 public:
  AlertFirer(DeadlineStore* store, kafka::Publisher* publisher, const common::Clock* clock,
             PolicySettings policy, FiringOptions options)
      : store_(store), publisher_(publisher), clock_(clock), policy_(policy), options_(options) {}

  // Fires what is due now; returns how many alerts were published.
  absl::StatusOr<int> FireDue(int32_t partition);

 private:
  DeadlineStore* store_;
  kafka::Publisher* publisher_;
  const common::Clock* clock_;
  const PolicySettings policy_;
  const FiringOptions options_;
};

// One thread per process firing the partitions of complaints.case.v1 this instance owns: after
// each pass it sleeps until the earliest scheduled alert, at most max_idle, and wakes at once
// when partitions are assigned (a new owner serves a partition's deadlines at once) or on Stop.
class Poller {
 public:
  Poller(AlertFirer* firer, DeadlineStore* store, const common::Clock* clock, FiringOptions options)
      : firer_(firer), store_(store), clock_(clock), options_(options) {}
  ~Poller() { Stop(); }

  void Start();
  void Stop();
  // From the consumer's rebalance callbacks.
  void Assign(const std::vector<int32_t>& partitions);
  void Revoke(const std::vector<int32_t>& partitions);

 private:
  void Run();
  // One pass over the owned partitions; returns how long to sleep (real time).
  absl::Duration Pass(const std::set<int32_t>& partitions);

  AlertFirer* firer_;
  DeadlineStore* store_;
  const common::Clock* clock_;
  const FiringOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::set<int32_t> owned_;
  bool changed_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace complaints::sla_timer
