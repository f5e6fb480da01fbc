#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/redis/redis_client.h"

namespace complaints::redis {

// Connections shared by the threads of a service (gRPC handlers, consumers). A connection is
// lent to one thread at a time and returned when the lease goes out of scope; at most
// `max_connections` exist, and a borrower waits for one to come back beyond that.
class RedisPool {
 public:
  class Lease {
   public:
    Lease(RedisPool* pool, std::unique_ptr<RedisClient> client)
        : pool_(pool), client_(std::move(client)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease() {
      if (client_ != nullptr) pool_->Return(std::move(client_));
    }
    RedisClient* operator->() const { return client_.get(); }
    RedisClient& operator*() const { return *client_; }

   private:
    RedisPool* pool_;
    std::unique_ptr<RedisClient> client_;
  };

  RedisPool(RedisOptions options, int max_connections)
      : options_(std::move(options)), max_connections_(max_connections) {}

  // Fails with Unavailable when a new connection is needed and Redis cannot be reached.
  absl::StatusOr<Lease> Acquire();

 private:
  void Return(std::unique_ptr<RedisClient> client);

  const RedisOptions options_;
  const int max_connections_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<RedisClient>> idle_;
  int open_ = 0;
};

}  // namespace complaints::redis
