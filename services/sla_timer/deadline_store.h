#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/sla_timer/alerts.h"
#include "services/sla_timer/policy.h"

namespace complaints::sla_timer {

// What one case event writes, computed from the state Load returned.
struct CaseUpdate {
  struct Change {
    ClockChange change;
    Firing first;  // kArm: the first alert of the new deadline (ignored otherwise)
  };
  int64_t expected_last_offset = -1;  // CaseClocks::last_offset as loaded: compare-and-set
  int64_t last_offset = -1;           // the event's offset
  int32_t assignment_sequence = 0;
  std::vector<Change> changes;
  // Non-zero once every clock is stopped: the record is kept this long (real time) to recognise
  // late duplicates, then forgotten.
  absl::Duration expire_after = absl::ZeroDuration();
};

// An alert whose time has come, claimed by one poller until `leased_until` (clock time).
struct DueItem {
  AlertKey key;
  absl::Time leased_until = absl::UnixEpoch();
  bool operator==(const DueItem&) const = default;
};

// A fired (or stale) item: removed, or replaced by the clock's next alert, unless the clock was
// re-armed or the item re-leased by another poller since it was claimed.
struct Acknowledgement {
  DueItem item;
  std::optional<Firing> next;
};

// Live SLA state: each complaint's clocks, and per partition of complaints.case.v1 a schedule of
// pending alerts ordered by time. Everything here is rebuilt by replaying complaints.case.v1.
// Implementations are thread-safe.
class DeadlineStore {
 public:
  virtual ~DeadlineStore() = default;

  // An unknown complaint has no clocks and last_offset -1.
  virtual absl::StatusOr<CaseClocks> Load(const std::string& complaint_id) = 0;

  // Writes clock entries, replaces or drops scheduled alerts, all at once. Aborted (retry from
  // Load) when the complaint was updated since `expected_last_offset`.
  virtual absl::Status Update(int32_t partition, const std::string& complaint_id,
                              const CaseUpdate& update) = 0;

  // At most `limit` alerts of `partition` scheduled at or before `now`, leased until
  // `lease_until`: unless acknowledged they are due again then.
  virtual absl::StatusOr<std::vector<DueItem>> Claim(int32_t partition, absl::Time now,
                                                     absl::Time lease_until, int limit) = 0;

  // The clock each item is about, as it is now (nullopt: the complaint is gone).
  virtual absl::StatusOr<std::vector<std::optional<ClockEntry>>> Lookup(
      const std::vector<DueItem>& items) = 0;

  virtual absl::Status Acknowledge(int32_t partition, const std::vector<Acknowledgement>& acks) = 0;

  // When the next scheduled (or leased) alert of `partition` is due, if any.
  virtual absl::StatusOr<std::optional<absl::Time>> NextDue(int32_t partition) = 0;
};

}  // namespace complaints::sla_timer
