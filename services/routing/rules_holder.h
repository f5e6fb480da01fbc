#pragma once

#include <memory>
#include <mutex>

#include "services/routing/rules.h"

namespace complaints::routing {

// The rule set in force, swapped whole on reload. Thread-safe: a reader takes the current set
// (one shared_ptr copy under a mutex) and decides on it alone, so a complaint is routed by one
// version from start to end, never by a mix, however a reload interleaves.
class RulesHolder final : public RouteTable {
 public:
  explicit RulesHolder(std::shared_ptr<const RuleSet> initial = nullptr)
      : current_(std::move(initial)) {}

  // Null until the first set is in force.
  std::shared_ptr<const RuleSet> Get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void Set(std::shared_ptr<const RuleSet> next) {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }
  RouteDecision Route(const events::v1::ComplaintReceived& complaint) const override {
    return Get()->Route(complaint);
  }
  std::shared_ptr<const RuleSet> Current() const override { return Get(); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const RuleSet> current_;
};

}  // namespace complaints::routing
