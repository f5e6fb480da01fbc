#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/routing/v1/routing.pb.h"
#include "libs/cases/case_ledger.h"
#include "libs/cases/outbox_flusher.h"
#include "libs/common/clock.h"
#include "libs/kafka/consumer.h"
#include "libs/runtime/own_writes.h"
#include "services/routing/merge_parking.h"
#include "services/routing/rules.h"

namespace complaints::routing {

// A unit's running deadlines as the SLA timer keeps them on its worklist: complaint id -> the
// due time of its first running clock with that unit (services/routing/sla_worklist.h).
using UnitDeadlines =
    std::function<absl::StatusOr<std::map<std::string, absl::Time>>(const std::string& unit,
                                                                   absl::Time now)>;

struct RouterSettings {
  // Where new complaints go: a fixed RuleSet, or the RulesHolder that reloads swap.
  std::shared_ptr<const RouteTable> rules;
  // `routing.max_transfer_bounces`: how many transfers between the same two units a case may
  // take (either way); the next goes to the transferring unit's supervisor instead.
  int max_transfer_bounces = 2;
  // The supervisor of a unit: who approves its extension requests and receives the cases that
  // bounced too often. Until the unit hierarchy is wired in, unset (or answering "") means
  // `default_supervisor_unit` (`routing.default_supervisor_unit`, HO-COMPLAINTS).
  std::function<std::string(const std::string& unit)> supervisor_of = nullptr;
  std::string default_supervisor_unit = "HO-COMPLAINTS";
  // Whether the state of every complaint is complete (runtime::StateReadiness::CheckAllReady):
  // ListCases spans all partitions. Unset: always (tests).
  std::function<absl::Status()> check_all_ready = nullptr;
  UnitDeadlines unit_deadlines = nullptr;  // unset: ListCases shows no deadlines
  const common::Clock* clock = nullptr;  // "now" for overdue; unset: the system clock
  // The case events this process's batches wrote and published (main: RebuildGuard's epoch,
  // replays_started): HandleBatch skips them when it reads them back from complaints.case.v1,
  // as the ledger already holds them, unless a replay was asked for since. Unset: never skips.
  runtime::OwnWrites* own_writes = nullptr;
  std::function<uint64_t()> state_epoch = nullptr;
  // Publishes and clears the outboxes of HandleBatch's commits while the consumer goes on
  // (cases::OutboxFlusher). Unset: each batch publishes before it returns.
  cases::OutboxFlusher* outbox_flusher = nullptr;
  // `routing.consumer_lanes`: HandleBatch splits a batch by complaint into this many lanes
  // handled at once, on threads of their own (each lane's records in order), so that one lane
  // decides while another waits for Redis. 1: the whole batch in order on the caller's thread.
  int lanes = 1;
};

// Routes new complaints to their handling unit and runs the case workflow that branch systems
// drive through CaseService. Every change goes through the case ledger (libs/cases): checked
// against the case's state and version, appended atomically, then published to
// complaints.case.v1 (and complaints.assignments.v1 for each assignment). The ledger is also the
// case projection that commands read, so a command sees the effect of the one before it.
class Router {
 public:
  // `parking` keeps merged complaints whose target is not routed yet (null: such a complaint
  // answers Unavailable, and its consumer retries).
  Router(cases::CaseLedger* ledger, RouterSettings settings, MergeParking* parking = nullptr)
      : ledger_(ledger), settings_(std::move(settings)), parking_(parking) {}

  // complaints.received.v1: assign the complaint (once) to the unit its rules choose.
  absl::Status HandleReceived(const kafka::IncomingRecord& record);
  // complaints.case.v1: events the ledger has not seen (after Redis lost them, or from a writer
  // outside it) are applied or refused; a reopened case is assigned again to its unit.
  absl::Status HandleCaseEvent(const kafka::IncomingRecord& record);
  // Records of both topics at once (a kafka::BatchHandler), each with the effect and status
  // HandleReceived or HandleCaseEvent would give it, in a few round trips for the whole batch
  // (cases::CaseBatch): what makes the replay after Redis lost the cases fast. Merged
  // complaints, cases another writer is changing and cases whose write met a conflict go the
  // one-by-one way, in order. After a record fails transiently, the later records of its
  // partition in its lane fail the same way without being handled (they are retried after it);
  // those of other lanes (other complaints) may be done, and meet their redelivery as a known
  // record.
  std::vector<absl::Status> HandleBatch(const std::vector<kafka::IncomingRecord>& records);
  // sla.alerts.v1: an escalation step acted on once per alert (keyed by its ce_id in the case
  // ledger): the case records who was notified, and a REASSIGN step moves it up the unit
  // hierarchy (a new assignment with the reason and the alert id). Warnings, breaches and
  // alerts about resolved or closed cases change nothing; a malformed alert is InvalidArgument
  // (dead-lettered). Runs while the case is being replayed only once it is complete
  // (Unavailable meanwhile: the consumer retries).
  absl::Status HandleAlert(const kafka::IncomingRecord& record);

  absl::StatusOr<routing::v1::Case> Accept(const routing::v1::AcceptCaseRequest& request);
  absl::StatusOr<routing::v1::Case> LogContact(const routing::v1::LogContactRequest& request);
  absl::StatusOr<routing::v1::Case> Transfer(const routing::v1::TransferCaseRequest& request);
  absl::StatusOr<routing::v1::Case> RequestExtension(
      const routing::v1::RequestExtensionRequest& request);
  absl::StatusOr<routing::v1::Case> ApproveExtension(
      const routing::v1::ApproveExtensionRequest& request);
  absl::StatusOr<routing::v1::Case> RefuseExtension(
      const routing::v1::RefuseExtensionRequest& request);
  // 跟归档: the business problem of a case AWAITING_FIX is fixed: FixReported and Closed
  // (disposition ARCHIVED) in one append. By the case's unit or its supervisor.
  absl::StatusOr<routing::v1::Case> ReportFix(const routing::v1::ReportFixRequest& request);
  absl::StatusOr<routing::v1::Case> Resolve(const routing::v1::ResolveCaseRequest& request);
  absl::StatusOr<routing::v1::Case> Pause(const routing::v1::PauseCaseRequest& request);
  absl::StatusOr<routing::v1::Case> Resume(const routing::v1::ResumeCaseRequest& request);
  absl::StatusOr<routing::v1::Case> RecordNewFacts(
      const routing::v1::RecordNewFactsRequest& request);
  absl::StatusOr<routing::v1::Case> Get(const std::string& complaint_id);
  absl::StatusOr<routing::v1::ListCasesResponse> ListCases(
      const routing::v1::ListCasesRequest& request);

  // The unit that supervises `unit` (RouterSettings::supervisor_of, or the default).
  std::string SupervisorOf(const std::string& unit) const;

 private:
  // A received complaint: merged into the open case intake named, or parked until that case is
  // routed, or routed to a case of its own; then the complaints parked for it are admitted.
  absl::Status Admit(const events::v1::ComplaintReceived& complaint);
  absl::Status RouteOwnCase(const events::v1::ComplaintReceived& complaint);
  // The commands of the consumers, shared by the one-by-one and batched ways: a complaint's
  // routing, and a reopened case's reassignment. They refer to their arguments.
  static cases::Command RouteCommand(const events::v1::ComplaintReceived& complaint,
                                     const RouteDecision& route);
  cases::Command ReassignCommand(const events::v1::CaseEvent& reopened,
                                 const std::string& event_id) const;
  // An SLA escalation step (alert `alert_id`): who was notified, and a move up the hierarchy
  // when the step says REASSIGN (escalation.h).
  cases::Command EscalateCommand(const events::v1::SlaAlert& alert,
                                 const std::string& alert_id) const;
  struct Step;
  // Whether `record` (of complaints.case.v1) is a case event one of this process's batches
  // wrote under the current epoch (RouterSettings::own_writes): nothing to apply.
  bool WroteItself(const kafka::IncomingRecord& record) const;
  uint64_t StateEpoch() const;  // RouterSettings::state_epoch, or 0
  // A batch's complaints.received.v1 records parsed, by index in the batch (nullopt: a record
  // of another topic).
  using ParsedReceived =
      std::vector<std::optional<absl::StatusOr<events::v1::ComplaintReceived>>>;
  // Of the complaints received in `lane` (indexes in the batch) from position `from` on, those
  // with complaints parked for them (one round trip).
  absl::StatusOr<std::set<std::string>> Awaited(const ParsedReceived& received,
                                                const std::vector<size_t>& lane, size_t from);
  // HandleBatch's work on the records of one lane (indexes in the batch, in order); each
  // record's status goes to `out` at its index.
  void HandleLane(const std::vector<kafka::IncomingRecord>& records, ParsedReceived& received,
                  const std::vector<size_t>& lane, std::vector<absl::Status>& out);
  // A batch is split in lanes of at least this many records, and at most kMaxLanes of them.
  static constexpr size_t kMinLaneRecords = 64;
  static constexpr size_t kMaxLanes = 8;
  // A run of records without merged complaints, through one cases::CaseBatch.
  void HandleRun(const std::vector<kafka::IncomingRecord>& records, std::vector<Step>& run,
                 std::vector<absl::Status>& out);
  absl::Status Park(const events::v1::ComplaintReceived& complaint);
  absl::Status AdmitParked(const std::string& target);
  // A complaint intake merged into an open complaint of the same customer and issue: new facts
  // on that case. False when the case was closed in the meantime (the complaint is then routed
  // as one of its own); NotFound while the case is not routed yet.
  absl::StatusOr<bool> MergeIntoOpenCase(const events::v1::ComplaintReceived& complaint);
  // A CaseService command: its request's complaint, idempotency key and expected version, and
  // what it appends to the case as it is.
  template <typename Request>
  absl::StatusOr<routing::v1::Case> Run(
      const Request& request, const std::string& what,
      std::function<absl::StatusOr<cases::Decision>(const routing::v1::Case&)> decide);

  // Whether `unit` may decide on the extension requests of case `c`: its unit's supervisor.
  absl::Status CheckSupervisor(const routing::v1::Case& c, const std::string& unit) const;

  cases::CaseLedger* ledger_;
  RouterSettings settings_;
  MergeParking* parking_;
};

}  // namespace complaints::routing
