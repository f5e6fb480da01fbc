#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/routing/v1/routing.pb.h"

namespace complaints::cases {

// A case's stored record and the revision it was read at. Revision 0: nothing stored.
struct StoredCase {
  routing::v1::CaseRecord record;
  int64_t revision = 0;
};

// Where the case ledger keeps its records: one per complaint, replaced only by compare-and-set
// on its revision, so that two writers that read the same revision cannot both write.
class CaseLedgerStore {
 public:
  virtual ~CaseLedgerStore() = default;

  virtual absl::StatusOr<StoredCase> Load(const std::string& complaint_id) = 0;
  // Stores `record` as revision `expected_revision` + 1 if the stored revision is still
  // `expected_revision`; false (and nothing written) if another writer came first. The record
  // expires `ttl` after this write (zero: never). A record with pending records is listed for
  // PendingCases until a write without them.
  virtual absl::StatusOr<bool> CompareAndSet(const std::string& complaint_id,
                                             int64_t expected_revision,
                                             const routing::v1::CaseRecord& record,
                                             absl::Duration ttl) = 0;
  // Up to `limit` complaints whose record has pending records (in no particular order).
  virtual absl::StatusOr<std::vector<std::string>> PendingCases(int limit) = 0;

  // Many cases at once, for consumers that replay the topics in batches (case_batch.h): one
  // result per id, in order, each as Load would answer it. A store with round trips to save
  // overrides these; the defaults call Load and CompareAndSet one by one.
  virtual std::vector<absl::StatusOr<StoredCase>> LoadMany(const std::vector<std::string>& ids) {
    std::vector<absl::StatusOr<StoredCase>> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) out.push_back(Load(id));
    return out;
  }
  struct Write {
    std::string complaint_id;
    int64_t expected_revision = 0;
    routing::v1::CaseRecord record;
    absl::Duration ttl;
  };
  // One CompareAndSet per write, independent of each other: one result per write, in order.
  virtual std::vector<absl::StatusOr<bool>> CompareAndSetMany(const std::vector<Write>& writes) {
    std::vector<absl::StatusOr<bool>> out;
    out.reserve(writes.size());
    for (const Write& w : writes) {
      out.push_back(CompareAndSet(w.complaint_id, w.expected_revision, w.record, w.ttl));
    }
    return out;
  }

  // Outboxes cleared once published: as CompareAndSetMany, for records that differ from the
  // stored revision only in having no pending records, so their unit, state and expiry stay
  // (the expiry keeps counting from the write before). A store can write these for less.
  virtual std::vector<absl::StatusOr<bool>> ClearPendingMany(const std::vector<Write>& writes) {
    return CompareAndSetMany(writes);
  }

  // The cases that are with `unit` in one of `states`, in no particular order: an index kept
  // by CompareAndSet (each write moves the complaint to its case's unit and state), so it is
  // rebuilt with the records when a replay writes them again. Records that expired are left
  // out (and dropped from the index).
  virtual absl::StatusOr<std::vector<routing::v1::Case>> UnitCases(
      const std::string& unit, const std::vector<routing::v1::CaseState>& states) = 0;
};

}  // namespace complaints::cases
