#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "complaints/sla/v1/sla.pb.h"
#include "libs/common/clock.h"
#include "libs/kafka/consumer.h"
#include "services/sla_timer/deadline_store.h"
#include "services/sla_timer/policy.h"

namespace complaints::sla_timer {

// Arms and stops SLA clocks from complaints.case.v1 and answers what a complaint's deadlines
// are. Knows nothing of Kafka or Redis clients: it is given a store and a clock.
class SlaTimer {
 public:
  // `stopped_ttl`: how long (real time) a complaint whose clocks are all stopped is remembered.
  SlaTimer(DeadlineStore* store, const common::Clock* clock, PolicySettings policy,
           absl::Duration stopped_ttl)
      : store_(store), clock_(clock), policy_(policy), stopped_ttl_(stopped_ttl) {}

  // One record of complaints.case.v1. Idempotent: a redelivered record (offset at or below the
  // last one applied to its complaint) or a re-emitted event changes nothing. A record that is
  // not a valid CaseEvent fails with InvalidArgument; a store outage, or a concurrent update of
  // the same complaint, with a transient status.
  absl::Status HandleCaseEvent(const kafka::IncomingRecord& record);

  // Every clock the complaint has had (the current version of each), with its status now.
  absl::StatusOr<sla::v1::GetDeadlinesResponse> GetDeadlines(const std::string& complaint_id);

 private:
  DeadlineStore* store_;
  const common::Clock* clock_;
  const PolicySettings policy_;
  const absl::Duration stopped_ttl_;
};

}  // namespace complaints::sla_timer
