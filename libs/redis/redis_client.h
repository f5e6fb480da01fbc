#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/config.h"

namespace complaints::redis {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // AUTH when not empty
  int db = 0;
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(5);

  // From `redis.host`, `redis.port`, `redis.password`, `redis.db`, `redis.connect_timeout_ms`,
  // `redis.command_timeout_ms`.
  static absl::StatusOr<RedisOptions> FromConfig(const common::Config& config);
};

// A reply with value semantics (the hiredis reply is freed on conversion).
struct Reply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
};

// A Lua script, loaded into Redis once per connection (SCRIPT LOAD) and called by its SHA1;
// re-loaded transparently when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
class Script {
 public:
  explicit Script(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// One synchronous connection (not thread-safe: one per thread). On a connection error the
// command is retried once on a fresh connection; if Redis is still unreachable the call fails
// with Unavailable so that callers can back off. Error replies from Redis come back as
// FailedPrecondition (or InvalidArgument for WRONGTYPE / syntax errors) with Redis's message.
class RedisClient {
 public:
  static absl::StatusOr<std::unique_ptr<RedisClient>> Connect(const RedisOptions& options);
  ~RedisClient();

  absl::StatusOr<Reply> Command(const std::vector<std::string>& argv);
  // Sends all commands in one round trip and returns one reply per command (an error reply of
  // one command is returned in its slot as Type::kError; a connection error fails the call).
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands);
  absl::StatusOr<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

 private:
  struct Impl;
  explicit RedisClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace complaints::redis
