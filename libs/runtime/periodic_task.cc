#include "libs/runtime/periodic_task.h"

#include <chrono>

namespace complaints::runtime {

PeriodicTask::PeriodicTask(absl::Duration interval, std::function<void()> task) {
  thread_ = std::thread([this, interval, task = std::move(task)] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (wake_.wait_for(lock, absl::ToChronoMilliseconds(interval), [this] { return stop_; })) {
        break;
      }
      lock.unlock();
      task();
      lock.lock();
    }
  });
}

void PeriodicTask::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace complaints::runtime
