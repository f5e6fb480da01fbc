#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <condition_variable>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace complaints::runtime {

// The records this process has itself applied to its Redis state before publishing them (by an
// id: a complaint's, an event's), each with the state epoch (RebuildGuard::replays_started) it
// saw before writing, so that the consumer that meets those records again can skip repeating
// that work: intake's replay consumer meets every complaint its submits published, routing reads
// back the case events its batches wrote. Without it, that is a Redis load and a parse per record.
//
// Knowledge, not state: forgetting an entry only costs the work it saved. So the set is bounded
// (the oldest entries go first), and an entry is trusted only under the epoch it was written in:
// a replay asked for since means Redis may have lost what was written.
//
// When the writer is not the consumer's own thread, an id is expected (Expect) before its record
// is published: the broker acknowledges the publish as it hands the record to a waiting
// consumer, which would otherwise nearly always meet the record before its writer has added it
// (at a low rate, every time). Take waits a little for an expected id's outcome: applied (Add)
// or not (Forget).
class OwnWrites {
 public:
  explicit OwnWrites(size_t capacity) : capacity_(capacity) {}

  void Expect(const std::vector<std::string>& ids) {
    std::lock_guard lock(mu_);
    for (const std::string& id : ids) Insert(id, kExpected);
    Trim();
  }

  void Add(const std::vector<std::string>& ids, uint64_t epoch) {
    {
      std::lock_guard lock(mu_);
      for (const std::string& id : ids) Insert(id, epoch);
      Trim();
    }
    outcome_.notify_all();
  }

  // Expected ids whose publish or writes failed: the consumer does their work.
  void Forget(const std::vector<std::string>& ids) {
    {
      std::lock_guard lock(mu_);
      for (const std::string& id : ids) epochs_.erase(id);
    }
    outcome_.notify_all();
  }

  // Whether `id` was applied by this process under `epoch`, waiting up to `wait` for the
  // outcome of an expected one; it is forgotten either way (the consumer meets a record once; a
  // redelivery just does the work).
  bool Take(const std::string& id, uint64_t epoch,
            absl::Duration wait = absl::ZeroDuration()) {
    std::unique_lock lock(mu_);
    auto it = epochs_.find(id);
    if (it != epochs_.end() && it->second == kExpected) {
      ++waiting_;
      outcome_.wait_for(lock, absl::ToChronoMilliseconds(wait), [&] {
        it = epochs_.find(id);
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

}  // namespace complaints::runtime
