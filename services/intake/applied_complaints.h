#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <condition_variable>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace complaints::intake {

// The complaints this process has itself marked published and recorded in the customer's
// history, each with the state epoch (RebuildGuard::replays_started) it saw before writing, so
// that the replay consumer (Intake::HandleStateRecords) can skip repeating that work for them: it
// is most of what Redis does per complaint when one instance both submits and consumes.
//
// Knowledge, not state: forgetting an entry only costs the work it saved. So the set is bounded
// (the oldest entries go first), and an entry is trusted only under the epoch it was written in:
// a replay asked for since means Redis may have lost what was written.
//
// A complaint is expected (Expect) before its record is published: the broker acknowledges the
// publish to intake as it hands the record to the waiting replay consumer, which would otherwise
// nearly always meet the record before its publisher has marked it (at a low rate, every time).
// Take waits a little for an expected complaint's outcome: applied (Add) or not (Forget).
class AppliedComplaints {
 public:
  explicit AppliedComplaints(size_t capacity) : capacity_(capacity) {}

  void Expect(const std::vector<std::string>& complaint_ids) {
    std::lock_guard lock(mu_);
    for (const std::string& id : complaint_ids) Insert(id, kExpected);
    Trim();
  }

  void Add(const std::vector<std::string>& complaint_ids, uint64_t epoch) {
    {
      std::lock_guard lock(mu_);
      for (const std::string& id : complaint_ids) Insert(id, epoch);
      Trim();
    }
    outcome_.notify_all();
  }

  // Expected complaints whose publish or marks failed: the replay consumer does their work.
  void Forget(const std::vector<std::string>& complaint_ids) {
    {
      std::lock_guard lock(mu_);
      for (const std::string& id : complaint_ids) epochs_.erase(id);
    }
    outcome_.notify_all();
  }

  // Whether `complaint_id` was applied by this process under `epoch`, waiting up to `wait` for
  // the outcome of an expected one; it is forgotten either way (the replay consumer meets a
  // complaint's record once; a redelivery just does the work).
  bool Take(const std::string& complaint_id, uint64_t epoch,
            absl::Duration wait = absl::ZeroDuration()) {
    std::unique_lock lock(mu_);
    auto it = epochs_.find(complaint_id);
    if (it != epochs_.end() && it->second == kExpected) {
      ++waiting_;
      outcome_.wait_for(lock, absl::ToChronoMilliseconds(wait), [&] {
        it = epochs_.find(complaint_id);
        return it == epochs_.end() || it->second != kExpected;
      });
      --waiting_;
    }
    if (it == epochs_.end()) return false;
    const bool current = it->second == epoch;
    // Its id stays in order_ until it comes to the front: it then erases nothing, or a later
    // entry of the same id early (which only costs that entry's saving).
    epochs_.erase(it);
    return current;
  }

  // Takes waiting for an outcome now.
  int waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }

  size_t size() {
    std::lock_guard lock(mu_);
    return epochs_.size();
  }

 private:
  // No epoch yet: being published (epochs count replays, from 0, and never reach this).
  static constexpr uint64_t kExpected = ~uint64_t{0};

  void Insert(const std::string& id, uint64_t epoch) {
    if (epochs_.insert_or_assign(id, epoch).second) order_.push_back(id);  // else refreshed
  }
  void Trim() {
    while (order_.size() > capacity_) {
      epochs_.erase(order_.front());
      order_.pop_front();
    }
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable outcome_;  // an expected complaint was added or forgotten
  int waiting_ = 0;
  absl::flat_hash_map<std::string, uint64_t> epochs_;
  std::deque<std::string> order_;  // oldest first; may hold ids already taken
};

}  // namespace complaints::intake
