#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace complaints::intake {

// The complaints this process has itself marked published and recorded in the customer's
// history, each with the state epoch (RebuildGuard::replays_started) it saw before writing, so
// that the replay consumer (Intake::HandleStateRecords) can skip repeating that work for them: it
// is most of what Redis does per complaint when one instance both submits and consumes.
//
// Knowledge, not state: forgetting an entry only costs the work it saved. So the set is bounded
// (the oldest entries go first), and an entry is trusted only under the epoch it was written in:
// a replay asked for since means Redis may have lost what was written.
class AppliedComplaints {
 public:
  explicit AppliedComplaints(size_t capacity) : capacity_(capacity) {}

  void Add(const std::vector<std::string>& complaint_ids, uint64_t epoch) {
    std::lock_guard lock(mu_);
    for (const std::string& id : complaint_ids) {
      if (!epochs_.insert_or_assign(id, epoch).second) continue;  // already listed: refreshed
      order_.push_back(id);
    }
    while (order_.size() > capacity_) {
      epochs_.erase(order_.front());
      order_.pop_front();
    }
  }

  // Whether `complaint_id` was applied by this process under `epoch`; it is forgotten either way
  // (the replay consumer meets a complaint's record once; a redelivery just does the work).
  bool Take(const std::string& complaint_id, uint64_t epoch) {
    std::lock_guard lock(mu_);
    auto it = epochs_.find(complaint_id);
    if (it == epochs_.end()) return false;
    const bool current = it->second == epoch;
    // Its id stays in order_ until it comes to the front: it then erases nothing, or a later
    // entry of the same id early (which only costs that entry's saving).
    epochs_.erase(it);
    return current;
  }

  size_t size() {
    std::lock_guard lock(mu_);
    return epochs_.size();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> epochs_;
  std::deque<std::string> order_;  // oldest first; may hold ids already taken
};

}  // namespace complaints::intake
