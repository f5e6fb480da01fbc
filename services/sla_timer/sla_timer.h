#pragma once

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/sla/v1/clock_state.pb.h"
#include "complaints/sla/v1/sla.pb.h"
#include "libs/cases/case_ledger.h"
#include "libs/common/clock.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "services/sla_timer/store/deadline_store.h"
#include "services/sla_timer/policy/policy_engine.h"

namespace complaints::sla_timer {

// Runs each complaint's SLA clocks from complaints.case.v1 through the policy engine and keeps
// the result in the store: the engine's state, the clocks, and each running clock's next alert.
// Knows nothing of Kafka or Redis clients: it is given a store, an engine and a clock.
class SlaTimer {
 public:
  // `stopped_ttl`: how long (real time) a complaint whose clocks are all stopped is remembered.
  // `ledger` appends the clock operations of SlaService to the case (complaints.case.v1); null
  // where they are not served (benchmarks).
  SlaTimer(DeadlineStore* store, const sla_policy::PolicyEngine* engine, const common::Clock* clock,
           cases::CaseLedger* ledger, absl::Duration stopped_ttl)
      : store_(store), engine_(engine), clock_(clock), ledger_(ledger), stopped_ttl_(stopped_ttl) {}

  // One record of complaints.case.v1. Idempotent: a redelivered record (offset at or below the
  // last one applied to its complaint) or a re-emitted event changes nothing. A record that is
  // not a valid CaseEvent fails with InvalidArgument; a store outage, or a concurrent update of
  // the same complaint, with a transient status.
  absl::Status HandleCaseEvent(const kafka::IncomingRecord& record);

  // Many records at once (kafka::Consumer::RunBatches), one status per record, in order, each
  // meaning what HandleCaseEvent's would: the complaints are loaded in one LoadCases, each
  // complaint's records are applied in offset order in memory, and every complaint is written
  // once, all in one UpdateCases. A complaint's write decides for all of its records (an
  // Aborted or Unavailable write fails them all, so none is applied before an earlier one);
  // a record that is not a valid event fails alone and its complaint's others still apply.
  std::vector<absl::Status> HandleCaseEvents(std::span<const kafka::IncomingRecord> records);

  // The policy engine's state of a complaint (empty for an unknown one).
  absl::StatusOr<sla::v1::SlaCaseState> State(const std::string& complaint_id);

  // Every clock the complaint has had (the current version of each), with its status now.
  absl::StatusOr<sla::v1::GetDeadlinesResponse> GetDeadlines(const std::string& complaint_id);

  // A unit's overdue and due-soon complaints (SlaService.ListUnitDeadlines).
  absl::StatusOr<sla::v1::ListUnitDeadlinesResponse> ListUnitDeadlines(
      const sla::v1::ListUnitDeadlinesRequest& request);

  // Clock operations: validated, then published as case events (durable when they return).
  absl::Status Pause(const sla::v1::PauseClocksRequest& request);
  absl::Status Resume(const sla::v1::ResumeClocksRequest& request);
  absl::Status Extend(const sla::v1::ExtendDeadlineRequest& request);

 private:
  // The complaint's state, NotFound when it has no clocks yet.
  absl::StatusOr<sla::v1::SlaCaseState> KnownState(const std::string& complaint_id);
  absl::Status AppendCaseEvent(const std::string& complaint_id, const std::string& request_id,
                               int64_t expected_version, const std::string& actor,
                               const std::string& what, events::v1::CaseEvent event);

  DeadlineStore* store_;
  const sla_policy::PolicyEngine* engine_;
  const common::Clock* clock_;
  cases::CaseLedger* ledger_;
  const absl::Duration stopped_ttl_;
};

// The store's view of a clock of the engine: what is scheduled for it and who answers for it.
ClockEntry ToClockEntry(const sla_policy::PolicyEngine& engine, const sla::v1::ClockState& clock);
Firing ToFiring(const sla_policy::Firing& firing);
// The store's clocks of a complaint from the engine's state as stored: what lets the store keep
// each clock once, in the engine's state (RedisDeadlineStore::Options::clocks_from_policy_state).
absl::StatusOr<std::map<ClockKind, ClockEntry>> ClocksOfPolicyState(
    const sla_policy::PolicyEngine& engine, const std::string& policy_state);

}  // namespace complaints::sla_timer
