#include "libs/runtime/health.h"

#include "libs/common/logging.h"

namespace complaints::runtime {

std::function<void(bool)> DependencyHealth::Reporter(std::string name) {
  int id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
  }
  return [this, id, name = std::move(name)](bool in_outage) { Report(id, name, in_outage); };
}

bool DependencyHealth::healthy() const {
  std::lock_guard lock(mu_);
  return in_outage_.empty();
}

void DependencyHealth::SetListener(Listener listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
  if (listener_) listener_(in_outage_.empty());
}

void DependencyHealth::Report(int id, const std::string& name, bool in_outage) {
  static const auto logger = common::ModuleLogger("health");
  std::lock_guard lock(mu_);
  const bool was_healthy = in_outage_.empty();
  if (in_outage) {
    if (!in_outage_.emplace(id, name).second) return;
    logger->warn("{}: retrying a dependency failure{}", name,
                 was_healthy ? "; reporting NOT_SERVING until it recovers" : "");
  } else {
    if (in_outage_.erase(id) == 0) return;
    logger->info("{}: recovered{}", name, in_outage_.empty() ? "; reporting SERVING" : "");
  }
  const bool now_healthy = in_outage_.empty();
  if (now_healthy != was_healthy && listener_) listener_(now_healthy);
}

}  // namespace complaints::runtime
