#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "services/sla_timer/store/alerts.h"
#include "services/sla_timer/store/clocks.h"

namespace complaints::sla_timer {

// Everything stored about one complaint: its clocks, and the policy engine's own state, which
// the store keeps verbatim (opaque bytes, empty when the engine keeps none).
struct StoredCase {
  CaseClocks clocks;
  std::string policy_state;
  bool operator==(const StoredCase&) const = default;
};

// What one case event writes, computed from the state Load returned.
struct CaseUpdate {
  struct Change {
    ClockChange change;
    Firing first;  // kArm: the first alert of the new deadline (ignored otherwise)
  };
  int64_t expected_last_offset = -1;  // CaseClocks::last_offset as loaded: compare-and-set
  int64_t last_offset = -1;           // the event's offset
  int32_t assignment_sequence = 0;
  // Clock changes: each kArm replaces the clock's scheduled alert by `first`; each kStop drops
  // it, unless it may have been due before the entry's stopped_at: then it stays, leased or
  // not, and the firer fires it (and schedules the next) only if it was. kRetarget leaves the
  // schedule alone.
  std::vector<Change> changes;
  // Appends a change (through a named local: GCC 12 misreads nested temporaries as
  // uninitialized).
  void AddChange(ClockChange::Kind kind, const ClockEntry& entry, const Firing& first = {}) {
    Change change;
    change.change.kind = kind;
    change.change.entry = entry;
    change.first = first;
    changes.push_back(std::move(change));
  }
  // Every clock of the complaint after the update (CaseClocks::clocks of Apply's result). When
  // absent, the store reads the stored clocks and applies `changes` to them: one more round
  // trip, so callers that have the result pass it.
  std::optional<std::map<ClockKind, ClockEntry>> clocks;
  // The policy engine's state after the update, stored verbatim; absent: the stored one stays.
  std::optional<std::string> policy_state;
  // Non-zero once every clock is stopped: the record is kept this long (real time) to recognise
  // late duplicates, then forgotten.
  absl::Duration expire_after = absl::ZeroDuration();
};

// One complaint's update in a batch (DeadlineStore::UpdateCases).
struct CaseWrite {
  int32_t partition = 0;
  std::string complaint_id;
  CaseUpdate update;
};

// An alert whose time has come, claimed by one poller until `leased_until` (clock time).
struct DueItem {
  AlertKey key;
  absl::Time leased_until = absl::UnixEpoch();
  // Where the store keeps the item (the Redis store: its bucket); opaque to callers, handed back
  // in Acknowledge.
  std::string location;
  bool operator==(const DueItem&) const = default;
};

// A fired (or stale) item: removed, or replaced by the clock's next alert, unless the clock was
// re-armed or the item re-leased by another poller since it was claimed.
struct Acknowledgement {
  DueItem item;
  std::optional<Firing> next;
};

// A complaint on its unit's worklist (SlaService.ListUnitDeadlines): listed under the unit of
// its running clock due first, at that clock's due time.
struct WorklistEntry {
  std::string complaint_id;
  absl::Time due = absl::UnixEpoch();
  bool operator==(const WorklistEntry&) const = default;
};
// Where clocks put their complaint on a worklist: the running clock with a unit that is due
// first (the lower clock number on a tie); none when no such clock runs.
struct WorklistSlot {
  ClockKind clock = events::v1::CLOCK_UNSPECIFIED;
  std::string unit;
  absl::Time due = absl::UnixEpoch();
  bool operator==(const WorklistSlot&) const = default;
};
inline std::optional<WorklistSlot> WorklistSlotOf(const std::map<ClockKind, ClockEntry>& clocks) {
  std::optional<WorklistSlot> first;
  for (const auto& [kind, entry] : clocks) {
    if (!entry.running() || entry.unit.empty()) continue;
    if (!first || entry.due < first->due) first = WorklistSlot{kind, entry.unit, entry.due};
  }
  return first;
}

// One page of a unit's worklist: entries due at or before `until`, earliest first (ties in the
// order of EncodeWorklistMember, store_codec.h), strictly after `after` when set; and how many the
// unit has overdue (due at or before `now`) and due soon (after `now`, at or before `until`) in
// all.
struct WorklistQuery {
  std::string unit;
  absl::Time now = absl::UnixEpoch();
  absl::Time until = absl::UnixEpoch();
  std::optional<WorklistEntry> after;
  int limit = 100;
};
struct WorklistPage {
  std::vector<WorklistEntry> entries;
  int64_t overdue = 0;
  int64_t due_soon = 0;
};

// Update's answer when the store is guarded (RedisDeadlineStore::Options::guard_partitions) and
// the partition has no marker: Redis lost its data (or never had this partition's). Transient
// (Unavailable), so a consumer retries the record instead of dead-lettering it; the handler
// should rewind the partition (kafka::Consumer::Rewind) and MarkPartitions it, on the
// consumer thread, so that the replay rebuilds everything before any later record applies.
inline constexpr char kStateMissingPayload[] = "complaints.sla/partition-state-missing";
inline absl::Status PartitionStateMissing(int32_t partition) {
  absl::Status status = absl::UnavailableError(
      "sla state of partition " + std::to_string(partition) +
      " is missing (Redis lost its data?): rebuild it from complaints.case.v1");
  status.SetPayload(kStateMissingPayload, absl::Cord(std::to_string(partition)));
  return status;
}
inline bool IsPartitionStateMissing(const absl::Status& status) {
  return status.GetPayload(kStateMissingPayload).has_value();
}

// Live SLA state: each complaint's clocks, and per partition of complaints.case.v1 a schedule of
// pending alerts ordered by time. Everything here is rebuilt by replaying complaints.case.v1.
// Implementations are thread-safe.
class DeadlineStore {
 public:
  virtual ~DeadlineStore() = default;

  // An unknown complaint has no clocks, last_offset -1 and no policy state.
  virtual absl::StatusOr<StoredCase> LoadCase(const std::string& complaint_id) = 0;
  // LoadCase without the policy state.
  absl::StatusOr<CaseClocks> Load(const std::string& complaint_id) {
    auto stored = LoadCase(complaint_id);
    if (!stored.ok()) return stored.status();
    return std::move(stored->clocks);
  }

  // Writes clock entries (and the policy state), replaces or drops scheduled alerts, all at
  // once. Aborted (retry from Load) when the complaint was updated since `expected_last_offset`.
  // InvalidArgument when the update cannot be stored (an alert step or version out of range).
  virtual absl::Status Update(int32_t partition, const std::string& complaint_id,
                              const CaseUpdate& update) = 0;

  // Many complaints at once, each as LoadCase / Update would do it, independently (one write
  // may be Aborted while the others apply); one result per id / write, in order. The Redis
  // store sends each batch in one round trip: a consumer that handles records in batches
  // schedules several times faster than one round trip per record.
  virtual std::vector<absl::StatusOr<StoredCase>> LoadCases(const std::vector<std::string>& ids) {
    std::vector<absl::StatusOr<StoredCase>> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) out.push_back(LoadCase(id));
    return out;
  }
  virtual std::vector<absl::Status> UpdateCases(const std::vector<CaseWrite>& writes) {
    std::vector<absl::Status> out;
    out.reserve(writes.size());
    for (const CaseWrite& w : writes) out.push_back(Update(w.partition, w.complaint_id, w.update));
    return out;
  }

  // At most `limit` alerts of `partition` scheduled at or before `now`, leased until
  // `lease_until` (whole milliseconds): unless acknowledged they are due again then. Roughly
  // earliest first (the Redis store orders by bucket, then within each bucket).
  virtual absl::StatusOr<std::vector<DueItem>> Claim(int32_t partition, absl::Time now,
                                                     absl::Time lease_until, int limit) = 0;

  // The complaint each item is about, as it is now (nullopt: the complaint is gone).
  virtual absl::StatusOr<std::vector<std::optional<StoredCase>>> Lookup(
      const std::vector<DueItem>& items) = 0;

  virtual absl::Status Acknowledge(int32_t partition, const std::vector<Acknowledgement>& acks) = 0;

  // A page of a unit's worklist (times in whole milliseconds). Every Update keeps the
  // complaint's entry where WorklistSlotOf its clocks puts it.
  virtual absl::StatusOr<WorklistPage> Worklist(const WorklistQuery& query) = 0;

  // When the next scheduled (or leased) alert of `partition` is due, if any.
  virtual absl::StatusOr<std::optional<absl::Time>> NextDue(int32_t partition) = 0;

  // Rebuilding after Redis lost its data. A partition's marker says its state is (being)
  // rebuilt from complaints.case.v1: written by MarkPartitions when a replay of the partition
  // starts, it disappears with everything else when Redis comes back empty.
  virtual absl::StatusOr<std::vector<int32_t>> UnmarkedPartitions(
      const std::vector<int32_t>& partitions) = 0;
  virtual absl::Status MarkPartitions(const std::vector<int32_t>& partitions) = 0;
};

}  // namespace complaints::sla_timer
