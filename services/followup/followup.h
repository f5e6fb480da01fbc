#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/followup/v1/followup.pb.h"
#include "libs/cases/case_ledger.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "services/followup/followup_machine.h"
#include "services/followup/followup_store.h"

namespace complaints::followup {

struct FollowUpOptions {
  absl::Duration due_after = absl::Hours(4);     // first survey after the resolution (T+2 failed)
  absl::Duration retry_after = absl::Hours(24);  // next callback after an unreachable customer
  int max_attempts = 3;
  bool partly_satisfied_reopens = true;  // followup.partly_satisfied_reopens
  // 跟回访: contact hours, first-attempt bound, SMS answer window, callback spacing
  // (followup.contact_hours ...). With a calendar the first attempt is due within
  // contact.first_within of working time and every attempt falls inside contact hours on a
  // working day; without one (tests), due_after / retry_after of plain time.
  ContactPolicy contact = {};
  // 跟维护 (followup.maintenance_channel: sms | account_manager; followup.maintenance_delay_days).
  events::v1::FollowUpChannel maintenance_channel = events::v1::FOLLOW_UP_CHANNEL_SMS;
  absl::Duration maintenance_delay = absl::Hours(7 * 24);
  const calendar::BusinessCalendar* calendar = nullptr;  // set by main
  // Whether follow-up's state of a complaint is complete (runtime::StateReadiness); set by
  // main. Unset: always (tests).
  std::function<absl::Status(const std::string& complaint_id)> check_ready = nullptr;

  // From `followup.due_hours`, `followup.retry_hours` (may be fractional),
  // `followup.max_attempts` and `followup.partly_satisfied_reopens`; non-positive values are
  // configuration errors.
  static absl::StatusOr<FollowUpOptions> FromConfig(const common::Config& config);

  MachineOptions Machine() const {
    return {.retry_after = retry_after,
            .max_attempts = max_attempts,
            .partly_satisfied_reopens = partly_satisfied_reopens,
            .calendar = calendar,
            .contact = contact,
            .maintenance_channel = maintenance_channel,
            .maintenance_delay = maintenance_delay};
  }
};

// 回访: asks the contact systems to survey the customer after each resolution, and turns the
// survey's outcome into a close, a reopen or another attempt. Knows nothing of gRPC or Kafka
// clients: it is given a publisher, a store and a clock.
class FollowUp {
 public:
  // Tasks are published through `publisher`; closes and reopens are appended to the case
  // through `ledger`, like every change to a case.
  FollowUp(kafka::Publisher* publisher, cases::CaseLedger* ledger, FollowUpStore* store,
           const common::Clock* clock, FollowUpOptions options = {})
      : publisher_(publisher), ledger_(ledger), store_(store), clock_(clock), options_(options) {}

  // One record of complaints.case.v1. Assigned: remembers the level. Resolved: publishes the
  // first FollowUpTask and remembers it as open. Reopened / Closed: no task is open any more;
  // Closed also publishes its 跟维护 task (AfterCloseTask).
  // Duplicates (same ce_id) change nothing; a record that does not parse is InvalidArgument.
  absl::Status HandleCaseEvent(const kafka::IncomingRecord& record);
  // Many records at once (a kafka::BatchHandler), each with the effect and status
  // HandleCaseEvent would give it, in three calls for the whole batch: the complaints' states
  // loaded in one round trip, the new tasks published in one call, and every complaint's
  // changes applied in one round trip (atomically per complaint, in order). A complaint whose
  // load, publish or write fails has all its records of the batch failed the same way (they
  // are retried, in order; applying is idempotent on the event id).
  std::vector<absl::Status> HandleCaseEvents(const std::vector<kafka::IncomingRecord>& records);

  // The contact systems' report on a task. Repeating a call with the same outcome is safe and
  // returns the same effect; a different outcome for a task that has one is FailedPrecondition.
  absl::StatusOr<followup::v1::RecordOutcomeResponse> RecordOutcome(
      const followup::v1::RecordOutcomeRequest& request);

 private:
  struct Parsed {
    events::v1::CaseEvent event;
    std::string event_id;  // ce_id
  };
  static absl::StatusOr<Parsed> Parse(const kafka::IncomingRecord& record);
  // The first task of a resolution, for a complaint in `state` (level, urgency, reopenings);
  // deterministic.
  events::v1::FollowUpTask FirstTask(const events::v1::CaseEvent& resolved,
                                     const std::string& event_id, const CaseState& state) const;
  absl::Time ResolvedAt(const events::v1::CaseEvent& resolved) const;
  static void LogTask(const events::v1::FollowUpTask& task);
  // 跟维护: publishes the close's maintenance or intervention task (once per close: the id
  // derives from its ce_id), then remembers the close.
  absl::Status OnClosed(const events::v1::CaseEvent& event, const std::string& event_id,
                        const CaseChange& change);
  absl::Status OnResolved(const events::v1::CaseEvent& event, const std::string& event_id);

  kafka::Publisher* publisher_;
  cases::CaseLedger* ledger_;
  FollowUpStore* store_;
  const common::Clock* clock_;
  FollowUpOptions options_;
};

}  // namespace complaints::followup
