#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/routing/v1/routing.pb.h"
#include "libs/cases/case_ledger_store.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/kafka/producer.h"

namespace complaints::cases {

struct LedgerOptions {
  std::string event_source;  // ce_source of the records this writer appends
  // A closed case's record is kept this long after its last change, then expires (the topic,
  // kept forever, still has it; a replay brings it back).
  absl::Duration closed_case_ttl = absl::Hours(24 * 90);
  // Compare-and-set conflicts tolerated before a command without expected_version gives up.
  int max_attempts = 16;
  // How long a command waits for the writer before it to finish publishing before it publishes
  // that writer's pending records itself (the same records twice: harmless, but wasted).
  absl::Duration pending_grace = absl::Milliseconds(500);
  int remembered_event_ids = 64;  // a case sees a few dozen events in its life
  int remembered_refusals = 16;
  // Whether routing's copy of the case is complete (runtime::StateReadiness over routing's
  // rebuild markers): commands and reads are refused with Unavailable while it is being
  // replayed from Kafka after Redis lost it. Unset: always complete (tests).
  std::function<absl::Status(const std::string& complaint_id)> check_ready = nullptr;

  // `cases.closed_ttl_days` (90), the same for every writer; InvalidArgument if not positive.
  static absl::StatusOr<LedgerOptions> FromConfig(const common::Config& config,
                                                  std::string event_source);
};

// What a command appends, decided from the case as it is when the command is applied. Events
// get the complaint id, the case's unit (Assigned names its own) and the time of the decision
// where they leave them empty; each Assignment is published after the events, with the time of
// the Assigned event of the same sequence.
struct Decision {
  std::vector<events::v1::CaseEvent> events;
  std::vector<events::v1::Assignment> assignments;
};

struct Command {
  std::string complaint_id;
  std::string what;  // "accepted", "transferred"...: names the events' ids
  // The caller's idempotency key: the command's event ids derive from it, and a command whose
  // first event is already in the case is answered with the case, appending nothing. Empty: a
  // key of the call's own (random), so a repeated call is a new command.
  std::string request_id;
  int64_t expected_version = 0;  // when > 0: ABORTED unless the case is at this version
  bool creates_case = false;     // may run on a complaint that has no case yet
  // Decided by a consumer of the topics the case is rebuilt from, which the rebuild guard
  // already holds back: not refused while the case is being replayed (the replay itself runs
  // such commands).
  bool during_replay = false;
  std::string actor;
  std::function<absl::StatusOr<Decision>(const routing::v1::Case&)> decide;
};

// Whether an event read from complaints.case.v1 changed the case.
enum class Observation { kApplied, kAlreadyApplied, kRefused };

// The one way to change a case, shared by every writer of complaints.case.v1 (routing's
// CaseService and its reactions, follow-up's close and reopen, SlaService's clock operations).
//
// A command is decided on the case as stored, checked against the state machine
// (case_machine.h), and written back by compare-and-set on the record's revision together with
// its records (an outbox); only then are the records published, and the outbox cleared. So:
//  - concurrent commands on a case serialise: the loser of a compare-and-set decides again on
//    the winner's result (or is ABORTED when it named the version it expected);
//  - the records of one command reach Kafka all together or are published again, byte for
//    byte, by whoever touches the case next (the next command, or FlushPending), never half;
//  - the topic holds each case's events in the order they were appended, each once after
//    de-duplication on ce_id.
// A publish that fails leaves the records pending and answers Unavailable: the caller's retry
// with the same request id completes it.
class CaseLedger {
 public:
  CaseLedger(CaseLedgerStore* store, kafka::Publisher* publisher, const common::Clock* clock,
             LedgerOptions options)
      : store_(store), publisher_(publisher), clock_(clock), options_(std::move(options)) {}

  // The case after the command. Errors: NotFound (no case and !creates_case), the decision's
  // own (FailedPrecondition, PermissionDenied, InvalidArgument...), Aborted (version moved),
  // Unavailable (Redis or Kafka; safe to retry with the same request id).
  absl::StatusOr<routing::v1::Case> Execute(const Command& command);

  // An event read from complaints.case.v1 (routing's projection): applied if the case has not
  // seen it and the state machine allows it; otherwise remembered as a refusal. Events appended
  // through Execute are already applied.
  absl::StatusOr<Observation> Observe(const events::v1::CaseEvent& event,
                                      const std::string& event_id);

  // The stored record of a case; nullopt for a complaint without one.
  absl::StatusOr<std::optional<routing::v1::CaseRecord>> Get(const std::string& complaint_id);

  // The cases with `unit` in one of `states` (the store's unit index), unordered. Not guarded
  // by check_ready: a listing spans partitions, its caller checks them all.
  absl::StatusOr<std::vector<routing::v1::Case>> UnitCases(
      const std::string& unit, const std::vector<routing::v1::CaseState>& states) {
    return store_->UnitCases(unit, states);
  }

  // Publishes the pending records of up to `limit` cases whose writer could not (Kafka down
  // when the command ran, or a crash): those already pending at the previous call. Meant to be
  // called periodically from one thread; returns how many cases it completed.
  absl::StatusOr<int> FlushPending(int limit);

 private:
  friend class CaseBatch;

  // The command's idempotency key: the caller's, or a random one of this call's own.
  static std::string KeyOf(const Command& command);
  // The command decided on `record` and appended to it; false (record unchanged) if it appends
  // nothing (a retry that took effect, or an empty decision). Shared with CaseBatch.
  absl::StatusOr<bool> DecideOn(const Command& command, const std::string& key,
                                routing::v1::CaseRecord& record) const;
  // `event` applied to `record`, or refused and the refusal remembered in it; nullopt (record
  // unchanged) if the record already knows the event (see KnownObservation).
  std::optional<Observation> ObserveOn(routing::v1::CaseRecord& record,
                                       const events::v1::CaseEvent& event,
                                       const std::string& event_id) const;
  static Observation KnownObservation(const routing::v1::CaseRecord& record,
                                      const std::string& event_id);

  // Publishes a loaded record's pending records and writes it back without them; false if
  // another writer changed it meanwhile (it is then loaded again).
  absl::StatusOr<bool> Flush(const std::string& complaint_id, StoredCase& stored);
  // The stored case once its pending records are published by the writer that appended them,
  // or as it is after pending_grace.
  absl::StatusOr<StoredCase> LoadSettled(const std::string& complaint_id);
  absl::Status AppendDecision(const Command& command, const std::string& key,
                              const Decision& decision, routing::v1::CaseRecord& record) const;
  absl::Duration TtlOf(const routing::v1::CaseRecord& record) const;
  void Remember(routing::v1::CaseRecord& record, const std::string& event_id) const;

  CaseLedgerStore* store_;
  kafka::Publisher* publisher_;
  std::mutex sweep_mu_;
  std::map<std::string, int64_t> last_sweep_;  // pending cases at the last sweep, by revision
  const common::Clock* clock_;
  LedgerOptions options_;
};

// The records a stored outbox holds, ready to publish.
std::vector<kafka::OutgoingRecord> ToOutgoing(
    const google::protobuf::RepeatedPtrField<routing::v1::PendingRecord>& pending);

}  // namespace complaints::cases
