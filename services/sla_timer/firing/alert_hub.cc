#include "services/sla_timer/firing/alert_hub.h"

#include <algorithm>

#include "libs/common/logging.h"
#include "libs/events/envelope.h"

namespace complaints::sla_timer {

AlertHub::Subscription::Outcome AlertHub::Subscription::Next(absl::Duration timeout,
                                                             events::v1::SlaAlert* alert) {
  std::unique_lock lock(mu_);
  ready_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                  [this] { return !queue_.empty() || closed_ || overflowed_; });
  if (overflowed_) return Outcome::kOverflow;
  if (!queue_.empty()) {
    *alert = std::move(queue_.front());
    queue_.pop_front();
    return Outcome::kAlert;
  }
  return closed_ ? Outcome::kClosed : Outcome::kTimeout;
}

void AlertHub::Subscription::Offer(const events::v1::SlaAlert& alert) {
  if (!filter_.Matches(alert)) return;
  {
    std::lock_guard lock(mu_);
    if (closed_ || overflowed_) return;
    if (queue_.size() >= capacity_) {
      overflowed_ = true;
      queue_.clear();
    } else {
      queue_.push_back(alert);
    }
  }
  ready_.notify_one();
}

void AlertHub::Subscription::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  ready_.notify_all();
}

std::shared_ptr<AlertHub::Subscription> AlertHub::Subscribe(AlertFilter filter) {
  std::shared_ptr<Subscription> subscription(new Subscription(std::move(filter), capacity_));
  std::lock_guard lock(mu_);
  if (closed_) {
    subscription->Close();
  } else {
    subscriptions_.push_back(subscription);
  }
  return subscription;
}

void AlertHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard lock(mu_);
  std::erase(subscriptions_, subscription);
}

void AlertHub::Publish(const events::v1::SlaAlert& alert) {
  std::lock_guard lock(mu_);
  for (const auto& subscription : subscriptions_) subscription->Offer(alert);
}

absl::Status AlertHub::HandleRecord(const kafka::IncomingRecord& record) {
  auto alert = events::ParseRecordAs<events::v1::SlaAlert>(record);
  if (alert.ok()) {
    Publish(*alert);
  } else {
    spdlog::debug("{}[{}]@{}: not an alert, skipped: {}", record.topic, record.partition,
                  record.offset, alert.status().ToString());
  }
  return absl::OkStatus();
}

void AlertHub::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (const auto& subscription : subscriptions_) subscription->Close();
}

size_t AlertHub::subscribers() const {
  std::lock_guard lock(mu_);
  return subscriptions_.size();
}

}  // namespace complaints::sla_timer
