#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/routing/v1/routing.pb.h"
#include "libs/common/clock.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "services/routing/case_store.h"

namespace complaints::routing {

struct RouterSettings {
  std::vector<routing::v1::Rule> rules;
  std::string fallback_unit = "HO-COMPLAINTS";
  // How long a CaseService command waits for its own event to reach the projection, so that
  // the caller's next command sees it (read-your-writes). After that the command still
  // succeeds: its event is durable.
  absl::Duration read_your_writes_timeout = absl::Seconds(3);
};

// Routes new complaints to their handling unit and runs the case workflow that branch systems
// drive through CaseService. Every change is an event first (complaints.case.v1, and
// complaints.assignments.v1 for each assignment); the case projection follows the topic.
class Router {
 public:
  Router(kafka::Publisher* publisher, CaseStore* store, const common::Clock* clock,
         RouterSettings settings)
      : publisher_(publisher), store_(store), clock_(clock), settings_(std::move(settings)) {}

  // complaints.received.v1: assign the complaint (once) to the unit its rules choose.
  absl::Status HandleReceived(const kafka::IncomingRecord& record);
  // complaints.case.v1: keep the projection; a reopened case is assigned again to its unit.
  absl::Status HandleCaseEvent(const kafka::IncomingRecord& record);

  absl::StatusOr<routing::v1::Case> Accept(const routing::v1::AcceptCaseRequest& request);
  absl::StatusOr<routing::v1::Case> LogContact(const routing::v1::LogContactRequest& request);
  absl::StatusOr<routing::v1::Case> Transfer(const routing::v1::TransferCaseRequest& request);
  absl::StatusOr<routing::v1::Case> RequestExtension(
      const routing::v1::RequestExtensionRequest& request);
  absl::StatusOr<routing::v1::Case> Resolve(const routing::v1::ResolveCaseRequest& request);
  absl::StatusOr<routing::v1::Case> Pause(const routing::v1::PauseCaseRequest& request);
  absl::StatusOr<routing::v1::Case> Resume(const routing::v1::ResumeCaseRequest& request);
  absl::StatusOr<routing::v1::Case> RecordNewFacts(
      const routing::v1::RecordNewFactsRequest& request);
  absl::StatusOr<routing::v1::Case> Get(const std::string& complaint_id);

  const std::vector<routing::v1::Rule>& rules() const { return settings_.rules; }

 private:
  using Check = std::function<absl::Status(const routing::v1::Case&)>;
  using Events =
      std::function<std::vector<kafka::OutgoingRecord>(const routing::v1::Case&, absl::Time)>;

  // Loads the case, checks the command against it, publishes its events and waits for the
  // projection to catch up.
  absl::StatusOr<routing::v1::Case> Execute(const std::string& complaint_id, const Check& check,
                                            const Events& events);
  absl::StatusOr<routing::v1::Case> LoadCase(const std::string& complaint_id);

  // A command whose effect is one case event: `fill` says what happened. Its id derives from
  // the case, `what` and `occurrence` (what tells this event from others of its kind; null:
  // the instant, for commands that may legitimately repeat).
  using Occurrence = std::function<std::string(const routing::v1::Case&)>;
  absl::StatusOr<routing::v1::Case> ExecuteOne(
      const std::string& complaint_id, const Check& check, const std::string& actor,
      const std::string& what, const Occurrence& occurrence,
      const std::function<void(events::v1::CaseEvent&)>& fill);

  // The records of an assignment of case `to` (its unit, level, urgency, category) with the
  // given sequence: the Assigned case event and the Assignment for the unit's consumers.
  std::vector<kafka::OutgoingRecord> AssignmentRecords(const routing::v1::Case& to,
                                                       const std::string& rule_id, int sequence,
                                                       absl::Time now) const;
  kafka::OutgoingRecord CaseRecordOf(const events::v1::CaseEvent& event, const std::string& id,
                                     absl::Time now) const;

  kafka::Publisher* publisher_;
  CaseStore* store_;
  const common::Clock* clock_;
  RouterSettings settings_;
};

}  // namespace complaints::routing
