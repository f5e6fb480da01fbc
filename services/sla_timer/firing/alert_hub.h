#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "absl/status/status.h"
#include "complaints/events/v1/sla.pb.h"
#include "libs/kafka/consumer.h"
#include "services/sla_timer/store/alerts.h"

namespace complaints::sla_timer {

// Fans live alerts (from this process's tail of sla.alerts.v1) out to the open WatchAlerts
// streams. Each stream has a bounded queue: a watcher that cannot keep up is told so and cut
// off rather than slowing the others or growing memory without bound.
class AlertHub {
 public:
  class Subscription {
   public:
    enum class Outcome { kAlert, kTimeout, kClosed, kOverflow };
    // Waits up to `timeout` for the next matching alert.
    Outcome Next(absl::Duration timeout, events::v1::SlaAlert* alert);

   private:
    friend class AlertHub;
    Subscription(AlertFilter filter, size_t capacity)
        : filter_(std::move(filter)), capacity_(capacity) {}
    void Offer(const events::v1::SlaAlert& alert);
    void Close();

    const AlertFilter filter_;
    const size_t capacity_;
    std::mutex mu_;
    std::condition_variable ready_;
    std::deque<events::v1::SlaAlert> queue_;
    bool closed_ = false;
    bool overflowed_ = false;
  };

  explicit AlertHub(size_t queue_capacity = 1024) : capacity_(queue_capacity) {}

  // The subscription stays registered until Unsubscribe (see Watch for RAII).
  std::shared_ptr<Subscription> Subscribe(AlertFilter filter);
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);

  void Publish(const events::v1::SlaAlert& alert);
  // One record of this process's tail of sla.alerts.v1. Always OK: every instance reads every
  // alert, so a bad record is skipped here rather than dead-lettered once per instance.
  absl::Status HandleRecord(const kafka::IncomingRecord& record);
  // Ends every subscription (Next returns kClosed once its queue is drained) and refuses new
  // ones: server shutdown.
  void Close();
  size_t subscribers() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  bool closed_ = false;
};

// A subscription for the lifetime of one stream.
class Watch {
 public:
  Watch(AlertHub* hub, AlertFilter filter)
      : hub_(hub), subscription_(hub->Subscribe(std::move(filter))) {}
  ~Watch() { hub_->Unsubscribe(subscription_); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  AlertHub::Subscription& operator*() const { return *subscription_; }
  AlertHub::Subscription* operator->() const { return subscription_.get(); }

 private:
  AlertHub* hub_;
  std::shared_ptr<AlertHub::Subscription> subscription_;
};

}  // namespace complaints::sla_timer
