#pragma once

#include <string>

#include "libs/redis/redis_pool.h"

namespace complaints::testing {

// The Redis server integration tests run against: 127.0.0.1:$REDIS_PORT (6379 when unset), as
// the ACL user `admin` when STACK_CREDENTIALS_DIR is set (deploy/run-tests.sh sets it to the test
// stack's $STACK_DIR/credentials; the user's file there is redis-admin). A failure to read the
// credentials fails the test that asked.
redis::RedisOptions TestRedisOptions();
// The same for a test's own redis-server on `port` (tests/support RedisServer, which loads the
// same users).
redis::RedisOptions TestRedisOptions(int port);

// A private corner of the shared test Redis for one test: a random key prefix
// (`test:<suite>:<random>:`) and a pool to that server. The destructor deletes every key under
// the prefix (SCAN MATCH + DEL, never KEYS, which blocks a shared server); nothing else is
// touched or flushed. Make it a member of the fixture, declared before what uses its pool.
class ScratchRedis {
 public:
  explicit ScratchRedis(const std::string& suite, int max_connections = 4);
  ~ScratchRedis();
  ScratchRedis(const ScratchRedis&) = delete;
  ScratchRedis& operator=(const ScratchRedis&) = delete;

  // Ends in ':'. Every key a test writes must start with it.
  const std::string& prefix() const { return prefix_; }
  redis::RedisPool& pool() { return pool_; }

 private:
  const std::string prefix_;
  redis::RedisPool pool_;
};

}  // namespace complaints::testing
