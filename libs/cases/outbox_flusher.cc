#include "libs/cases/outbox_flusher.h"

#include <iterator>

#include "libs/common/logging.h"

namespace complaints::cases {

OutboxFlusher::OutboxFlusher(CaseLedgerStore* store, kafka::Publisher* publisher,
                             size_t max_queued)
    : store_(store), publisher_(publisher), max_queued_(max_queued > 0 ? max_queued : 1) {
  thread_ = std::thread([this] { Run(); });
}

OutboxFlusher::~OutboxFlusher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void OutboxFlusher::Submit(Work work) {
  {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return queue_.size() < max_queued_; });
    queue_.push_back(std::move(work));
  }
  changed_.notify_all();
}

void OutboxFlusher::Drain() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return queue_.empty() && !flushing_; });
}

void OutboxFlusher::Run() {
  for (;;) {
    Work work;
    {
      std::unique_lock lock(mu_);
      // What is queued is flushed before stopping: it would otherwise wait for the next start's
      // sweep.
      changed_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;
      // Everything queued goes in one publish, in the order submitted: a batch that waited
      // behind a publish does not wait behind another.
      work = std::move(queue_.front());
      queue_.pop_front();
      for (; !queue_.empty(); queue_.pop_front()) {
        Work& next = queue_.front();
        std::move(next.records.begin(), next.records.end(), std::back_inserter(work.records));
        std::move(next.cleared.begin(), next.cleared.end(), std::back_inserter(work.cleared));
      }
      flushing_ = true;
    }
    changed_.notify_all();  // room in the queue
    Flush(work);
    {
      std::lock_guard lock(mu_);
      flushing_ = false;
    }
    changed_.notify_all();
  }
}

void OutboxFlusher::Flush(Work& work) {
  static const auto log = common::ModuleLogger("cases");
  if (!work.records.empty()) {
    if (absl::Status published = publisher_->Publish(work.records); !published.ok()) {
      log->warn("{} records of {} cases not yet published, left to the outbox sweep: {}",
                  work.records.size(), work.cleared.size(), published.ToString());
      return;
    }
  }
  // A conflict means another writer came after the commit and publishes (or published) what it
  // left; an error leaves the outbox to the sweep. Either way the records are durable.
  std::vector<absl::StatusOr<bool>> done = store_->ClearPendingMany(work.cleared);
  for (size_t i = 0; i < done.size(); ++i) {
    if (!done[i].ok()) {
      log->warn("case {}: published, outbox left to the sweep: {}", work.cleared[i].complaint_id,
                  done[i].status().ToString());
    }
  }
}

}  // namespace complaints::cases
