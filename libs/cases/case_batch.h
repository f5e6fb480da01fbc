#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/cases/case_ledger.h"
#include "libs/cases/outbox_flusher.h"

namespace complaints::cases {

// Many changes to many cases made together, for a consumer that replays complaints.case.v1 and
// complaints.received.v1 in batches (routing rebuilding its cases after Redis lost them: ~5
// events a complaint, hundreds of thousands in all). CaseLedger's Observe and Execute cost two
// round trips or more per record; a batch costs a few per batch:
//   1. Load: every case of the batch in one round trip;
//   2. Observe / Execute: each record on the cases in memory, in the order given, with exactly
//      the ledger's rules (the same state machine, event-id idempotency, refusals, outbox);
//   3. Commit: one compare-and-set per changed case, all in one round trip; then the records the
//      commands appended are published in one call, and the outboxes cleared in one more round
//      trip (here, or on an OutboxFlusher's thread while the caller goes on).
// A case the batch cannot take is left to the caller's one-by-one path (CaseLedger): one that
// holds another writer's pending records when loaded (the ledger waits for that writer or
// publishes them itself), and one whose compare-and-set lost to another writer. Its records'
// effects in the batch are then discarded whole, so applying them again one by one, in order,
// is the same as never having batched them.
//
// Not thread-safe; one batch per consumer thread, used once.
class CaseBatch {
 public:
  // With a flusher, Commit hands the publish and the outbox clear to it and returns once the
  // cases are written (their records durable in the outboxes); without, it does them itself.
  explicit CaseBatch(CaseLedger* ledger, OutboxFlusher* flusher = nullptr)
      : ledger_(ledger), flusher_(flusher) {}

  // Loads the cases (ids may repeat). An error (Redis down) is the batch's: nothing is done.
  absl::Status Load(const std::vector<std::string>& complaint_ids);

  // Whether the batch can take records of this case (loaded, without another writer's pending
  // records, not failed); if not, the caller handles them one by one, after Commit.
  bool Takes(const std::string& complaint_id) const;

  // As CaseLedger::Observe and Execute, on the case in memory (Takes must hold). Execute's
  // readiness check is not made: the batch is for the replaying consumer (during_replay).
  absl::StatusOr<Observation> Observe(const events::v1::CaseEvent& event,
                                      const std::string& event_id);
  absl::StatusOr<routing::v1::Case> Execute(const Command& command);

  // What Commit did to each case the batch changed.
  enum class Outcome {
    kDone,      // written, and its records published (or nothing to publish, or handed to
                // the flusher)
    kConflict,  // another writer came first: nothing written; redo its records one by one
    kFailed,    // Redis or Kafka failed (status in `failures`): the records must be retried
  };
  struct Result {
    std::map<std::string, Outcome> outcomes;  // by complaint id; unchanged cases are absent
    std::map<std::string, absl::Status> failures;
    // The CloudEvents ids of the records the cases written appended to `appended_topic`
    // (Commit's argument), published or to be: a consumer of that topic that meets them has
    // nothing to apply (routing::Router skips them).
    std::vector<std::string> appended_ids;
  };
  Result Commit(const std::string& appended_topic = "");

 private:
  struct Working {
    StoredCase stored;              // as loaded
    routing::v1::CaseRecord record;  // with the batch's changes
    bool takes = false;
    bool changed = false;
  };

  CaseLedger* ledger_;
  OutboxFlusher* flusher_;
  std::map<std::string, Working> cases_;
  std::vector<std::string> changed_order_;  // changed cases, in the order first changed
};

}  // namespace complaints::cases
