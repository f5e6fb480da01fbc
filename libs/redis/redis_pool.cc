#include "libs/redis/redis_pool.h"

namespace complaints::redis {

absl::StatusOr<RedisPool::Lease> RedisPool::Acquire() {
  std::unique_lock lock(mu_);
  returned_.wait(lock, [this] { return !idle_.empty() || open_ < max_connections_; });
  if (!idle_.empty()) {
    auto client = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(client));
  }
  ++open_;
  lock.unlock();
  auto client = RedisClient::Connect(options_);
  if (!client.ok()) {
    lock.lock();
    --open_;
    returned_.notify_one();
    return client.status();
  }
  return Lease(this, *std::move(client));
}

void RedisPool::Return(std::unique_ptr<RedisClient> client) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(client));
  returned_.notify_one();
}

}  // namespace complaints::redis
