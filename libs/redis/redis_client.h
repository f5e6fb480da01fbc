#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/config.h"

namespace complaints::redis {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // AUTH when `password` is not empty: `AUTH user password` (an ACL user) when `user` is set,
  // else `AUTH password` (the default user).
  std::string user;
  std::string password;
  // Where `user` and `password` were read from (LoadCredentials), named in errors instead.
  std::string credentials_file;
  int db = 0;
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(5);

  // From `redis.host`, `redis.port`, `redis.user`, `redis.password`, `redis.credentials_file`
  // (read now, with LoadCredentials; what it holds wins over `redis.user` and `redis.password`),
  // `redis.db`, `redis.connect_timeout_ms`, `redis.command_timeout_ms`. Non-numbers, ports
  // outside 1..65535, negative databases, non-positive timeouts and unreadable or incomplete
  // credentials files are InvalidArgument.
  static absl::StatusOr<RedisOptions> FromConfig(const common::Config& config);
};

// Reads an ACL user's credentials into `options` (and `credentials_file`): a file of
// `key=value` lines, `user=<name>` (optional: the default user when absent) and
// `password=<password>`, as deploy/redis-credentials.sh writes them. Kept in a file, not on a
// command line or in the configuration, so that no process listing or log shows the password.
// InvalidArgument naming the file (never its content) if it cannot be read or has no password.
absl::Status LoadCredentials(const std::string& file, RedisOptions& options);

// For start-up: connects once, authenticates and PINGs. PermissionDenied, naming the user and
// the credentials file (never the password), when Redis refuses the credentials (WRONGPASS,
// NOPERM on SELECT, NOAUTH without a password...): bad configuration, which no retry fixes.
// Unavailable when Redis cannot be reached (services start before Redis and wait for it).
absl::Status CheckCredentials(const RedisOptions& options);

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

// The status for an error reply of `command` (named in the message; the reply text is Redis's
// own and never quotes our arguments). The one place that decides what a Redis error means:
//  - InvalidArgument, permanent: the reply blames the arguments (WRONGTYPE, "ERR syntax",
//    "ERR wrong number of arguments", "ERR value is not an integer/float", an invalid expire
//    time, an overflowing increment). Only these can mean that a record is bad in itself.
//  - Unavailable, transient: everything else. The server's state (OOM under noeviction, READONLY
//    replica, MISCONF after a failed snapshot, NOAUTH/WRONGPASS/NOPERM, LOADING, BUSY,
//    MASTERDOWN, TRYAGAIN, CLUSTERDOWN...), and also unknown replies, unknown commands and
//    errors raised inside our own Lua scripts: those are a server we do not know, an operator's
//    configuration or a bug of ours, not the record's fault. Consumers retry them with backoff
//    and report NOT_SERVING; a stalled partition is loud and loses nothing, while a good record
//    dead-lettered is quiet and needs someone to replay it.
absl::Status ErrorStatus(absl::string_view command, absl::string_view message);

// One synchronous connection (not thread-safe: one per thread). On a connection error the
// command is retried once on a fresh connection; if Redis is still unreachable the call fails
// with Unavailable so that callers can back off. Error replies from Redis come back as
// ErrorStatus maps them: InvalidArgument when they blame the arguments, Unavailable otherwise.
// Status messages name the command, never its arguments (they may hold secrets or customer
// data).
//
// The retry is blind: a command whose connection broke after it was sent may already have run,
// so it runs twice. Only send idempotent commands (SET, HSET, DEL, ZADD, EXPIRE, scripts written
// to be re-runnable...), or make the command idempotent (e.g. guard an INCR with a script).
//
// hiredis writes with write(2), so a write to a socket the server has reset raises SIGPIPE:
// the first Connect() sets SIGPIPE to SIG_IGN unless the program installed its own handler.
class RedisClient {
 public:
  // Unavailable if the server cannot be reached or refuses AUTH / SELECT.
  static absl::StatusOr<std::unique_ptr<RedisClient>> Connect(const RedisOptions& options);
  ~RedisClient();

  // `argv` is binary safe: {"SET", key, value} with any bytes in key and value.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& argv);
  // Sends all commands in one round trip and returns one reply per command (an error reply of
  // one command is returned in its slot as Type::kError; a connection error fails the call).
  // The whole pipeline is retried on a fresh connection only if the connection broke before
  // any reply was read; a break midway fails with Unavailable (some commands have run).
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);
  // EVALSHA with the SHA1 this connection got from SCRIPT LOAD; NOSCRIPT reloads and retries once.
  absl::StatusOr<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);
  // Runs `script` once per call, all in one round trip (a pipeline of EVALSHA): one reply per
  // call, an error reply in its slot as Type::kError (ErrorStatus maps it). Like Pipeline, a
  // connection that breaks midway fails the whole call; scripts must be re-runnable.
  struct ScriptCall {
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  absl::StatusOr<std::vector<Reply>> EvalMany(const Script& script,
                                              const std::vector<ScriptCall>& calls);

 private:
  struct Impl;
  friend absl::Status CheckCredentials(const RedisOptions& options);
  explicit RedisClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace complaints::redis
