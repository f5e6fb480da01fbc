#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/intake/v1/intake.pb.h"

namespace complaints::intake {

// Gathers concurrent unary submissions into batches (Intake::SubmitBatch), so that a thousand
// callers at once share a few produce requests and Redis round trips instead of each waiting for
// its own: the durable acknowledgement (acks=all) costs the same for one record as for a
// hundred. No timer and no thread of its own: a caller that finds fewer than `max_in_flight`
// batches running takes everything queued (up to `max_batch`) and runs it, its own submission
// or not; the others wait for their result. An idle service answers a lone call at once.
class SubmitBatcher {
 public:
  using Response = intake::v1::SubmitComplaintResponse;
  using Request = intake::v1::SubmitComplaintRequest;
  using RunBatch =
      std::function<std::vector<absl::StatusOr<Response>>(std::span<const Request> requests)>;

  SubmitBatcher(RunBatch run, int max_in_flight, size_t max_batch)
      : run_(std::move(run)), max_in_flight_(max_in_flight), max_batch_(max_batch) {}

  absl::StatusOr<Response> Submit(const Request& request) {
    Waiter self{.request = &request, .result = std::nullopt};
    std::unique_lock lock(mu_);
    queue_.push_back(&self);
    done_.notify_all();  // for WaitUntilQueued
    while (!self.result.has_value()) {
      if (running_ >= max_in_flight_ || queue_.empty()) {
        done_.wait(lock);
        continue;
      }
      std::vector<Waiter*> batch;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      ++running_;
      lock.unlock();
      std::vector<Request> requests;
      requests.reserve(batch.size());
      for (const Waiter* waiter : batch) requests.push_back(*waiter->request);
      std::vector<absl::StatusOr<Response>> results = run_(requests);
      lock.lock();
      --running_;
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i]->result = i < results.size()
                               ? std::move(results[i])
                               : absl::InternalError("submission batch answered short");
      }
      done_.notify_all();
    }
    return *std::move(self.result);
  }

  // Submissions waiting for a batch to take them.
  size_t queued() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  // Waits until at least `n` submissions are queued, or `timeout` passes; whether they are.
  bool WaitUntilQueued(size_t n, absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return done_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                          [&] { return queue_.size() >= n; });
  }

 private:
  struct Waiter {
    const Request* request;
    std::optional<absl::StatusOr<Response>> result;
  };

  const RunBatch run_;
  const int max_in_flight_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable done_;
  std::deque<Waiter*> queue_;
  int running_ = 0;
};

}  // namespace complaints::intake
