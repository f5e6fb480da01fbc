#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace complaints::testsupport {

// A child process for end-to-end tests: started with extra environment variables and its output
// in a log file; stopped with SIGTERM (then SIGKILL) when the object goes away.
class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, const std::string& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  void Kill(int signal);
  // SIGTERM, wait up to `grace_seconds`, then SIGKILL. Returns the exit status (or -signal).
  int Stop(int grace_seconds = 15);
  const std::string& log_file() const { return log_file_; }

 private:
  pid_t pid_ = -1;
  int exit_status_ = 0;
  std::string log_file_;
};

// A command run to its end (a CLI under test): its exit code (-signal if killed) and everything it
// wrote to stdout and stderr.
struct CommandResult {
  int exit_code = 0;
  std::string output;
};
// Runs `binary` with `args`, its output appended to `log_file`, until it exits or
// `timeout_seconds` pass (then it is killed and the code is -9).
CommandResult RunCommand(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& log_file, int timeout_seconds = 60);

// A TCP port that was free a moment ago on 127.0.0.1.
int FreePort();

// The Redis credentials of the test stack: $STACK_CREDENTIALS_DIR/redis-<user> (deploy/stack.sh
// makes them under $STACK_DIR/credentials; deploy/run-tests.sh exports the directory). Empty when
// STACK_CREDENTIALS_DIR is unset: a Redis without ACL, no AUTH.
std::string RedisCredentialsFile(const std::string& user);
// The environment that points a service binary at the Redis on `port` as its own ACL user (the
// binary's name: intake, routing, sla_timer, followup, analytics).
std::map<std::string, std::string> ServiceRedisEnv(const std::string& service,
                                                   const std::string& port);

// A redis-server of a test's own on a free port (no persistence), for tests that must be free to
// FLUSHALL or restart it, or put it in a failure state (maxmemory, replica, password...).
// `extra_args` come after the defaults, e.g. {"--requirepass", "x"} or {"--replicaof", ...}.
// With Acl::kStack it loads the test stack's ACL file ($STACK_CREDENTIALS_DIR/redis-users.acl,
// when set), so that services and tests authenticate to it as to the stack's Redis; kNone leaves
// the default user open (for tests that configure authentication themselves).
class RedisServer {
 public:
  enum class Acl { kStack, kNone };
  explicit RedisServer(const std::string& log_file, const std::vector<std::string>& extra_args = {},
                       Acl acl = Acl::kStack);
  int port() const { return port_; }
  // Waits until it answers PING.
  bool WaitUntilReady(int timeout_seconds = 10);
  // SIGKILL, then a new server on the same port: without persistence it comes back empty, as a
  // Redis that lost its data would (the fault suite's "Redis restarted with its data lost").
  void Restart();

 private:
  int port_;
  std::string log_file_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<ChildProcess> process_;
};

// The environment variable or `fallback`.
std::string EnvOr(const char* name, const std::string& fallback);

// A made-up mainland mobile number of its own: intake merges a customer's complaints about the
// same issue, so tests whose complaints must each get a case give each its own customer.
std::string UniqueMobile();

}  // namespace complaints::testsupport
