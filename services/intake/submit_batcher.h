#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/intake/v1/intake.pb.h"

namespace complaints::intake {

// Gathers concurrent unary submissions into batches (Intake::SubmitBatch), so that a thousand
// callers at once share a few produce requests and Redis round trips instead of each waiting for
// its own: the durable acknowledgement (acks=all) costs the same for one record as for a
// hundred. No timer: `max_in_flight` threads of its own each take everything queued (up to
// `max_batch`) as soon as they are free, so an idle service answers a lone call at once, and a
// busy one answers in batches that grow with the load.
//
// Asynchronous (SubmitAsync), so that the gRPC server need not hold a thread per call: a thread
// blocked per waiting call, woken when its batch is done, cost the kernel more than the
// complaint's own work. Each caller is told of its own result only.
class SubmitBatcher {
 public:
  using Response = intake::v1::SubmitComplaintResponse;
  using Request = intake::v1::SubmitComplaintRequest;
  using RunBatch =
      std::function<std::vector<absl::StatusOr<Response>>(std::span<const Request> requests)>;
  using Done = std::function<void(absl::StatusOr<Response>)>;

  SubmitBatcher(RunBatch run, int max_in_flight, size_t max_batch)
      : run_(std::move(run)), max_batch_(max_batch) {
    for (int i = 0; i < max_in_flight; ++i) workers_.emplace_back([this] { Work(); });
  }
  // Runs what is queued, then stops its threads.
  ~SubmitBatcher() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_.notify_all();
    for (auto& worker : workers_) worker.join();
  }
  SubmitBatcher(const SubmitBatcher&) = delete;
  SubmitBatcher& operator=(const SubmitBatcher&) = delete;

  // Queues `request` (copied); `done` gets its result, on one of the batcher's threads.
  void SubmitAsync(const Request& request, Done done) {
    bool wake;
    {
      std::lock_guard lock(mu_);
      queue_.push_back({request, std::move(done)});
      wake = idle_ > 0;
      if (watchers_ > 0) queued_.notify_all();
    }
    if (wake) work_.notify_one();
  }

  // SubmitAsync, waiting for the result.
  absl::StatusOr<Response> Submit(const Request& request) {
    std::promise<absl::StatusOr<Response>> result;
    std::future<absl::StatusOr<Response>> future = result.get_future();
    SubmitAsync(request, [&result](absl::StatusOr<Response> r) { result.set_value(std::move(r)); });
    return future.get();
  }

  // Submissions waiting for a batch to take them.
  size_t queued() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  // Waits until at least `n` submissions are queued, or `timeout` passes; whether they are.
  bool WaitUntilQueued(size_t n, absl::Duration timeout) {
    std::unique_lock lock(mu_);
    ++watchers_;
    const bool reached = queued_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                          [&] { return queue_.size() >= n; });
    --watchers_;
    return reached;
  }

 private:
  struct Item {
    Request request;
    Done done;
  };

  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping, and nothing left to run
      std::vector<Item> batch;
      const size_t n = std::min(max_batch_, queue_.size());
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      std::vector<Request> requests;
      requests.reserve(batch.size());
      for (Item& item : batch) requests.push_back(std::move(item.request));
      std::vector<absl::StatusOr<Response>> results = run_(requests);
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i].done(i < results.size()
                          ? std::move(results[i])
                          : absl::StatusOr<Response>(
                                absl::InternalError("submission batch answered short")));
      }
      lock.lock();
    }
  }

  const RunBatch run_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable work_;    // for the threads: something is queued, or stopping
  std::condition_variable queued_;  // for WaitUntilQueued
  std::deque<Item> queue_;
  int idle_ = 0;
  int watchers_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;  // last: started once the rest is initialised
};

}  // namespace complaints::intake
