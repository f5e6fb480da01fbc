// Redis failures injected for real, each on a redis-server of the test's own (the shared test
// server must not be put at maxmemory or made a replica): what is the server's state, not the
// command's fault, must come back Unavailable, so that consumers retry instead of
// dead-lettering.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/redis/redis_client.h"
#include "tests/support/process.h"

namespace complaints::redis {
namespace {

using testsupport::EnvOr;
using testsupport::RedisServer;

// These servers are put in failure states, not given the test stack's ACL users (the replica
// would need them to follow its primary): the default user, open.
constexpr RedisServer::Acl kOpen = RedisServer::Acl::kNone;

std::string LogFile(const std::string& name) {
  return absl::StrCat(EnvOr("TEST_LOG_DIR", "/tmp"), "/redis-failure-", name, "-", getpid(),
                      ".log");
}

RedisOptions At(const RedisServer& server) {
  RedisOptions options;
  options.port = server.port();
  return options;
}

std::unique_ptr<RedisClient> MustConnect(const RedisOptions& options) {
  auto client = RedisClient::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

const Script kWrite("return redis.call('SET', KEYS[1], ARGV[1])");

TEST(RedisFailureTest, OutOfMemoryIsUnavailableAndPassesOnceMemoryIsRaised) {
  RedisServer server(LogFile("oom"), {"--maxmemory-policy", "noeviction"}, kOpen);
  ASSERT_TRUE(server.WaitUntilReady());
  auto client = MustConnect(At(server));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());

  auto set = client->Command({"SET", "k", "v"});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kUnavailable) << set.status();
  EXPECT_NE(set.status().message().find("OOM"), std::string_view::npos) << set.status();
  // The same error raised inside a script of ours.
  auto eval = client->Eval(kWrite, {"k"}, {"v"});
  EXPECT_EQ(eval.status().code(), absl::StatusCode::kUnavailable) << eval.status();
  auto pipeline = client->Pipeline({{"SET", "k", "v"}});
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  EXPECT_EQ(ErrorStatus("SET", (*pipeline)[0].str).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(client->Command({"GET", "k"}).ok());  // reads still work

  ASSERT_TRUE(client->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  EXPECT_TRUE(client->Command({"SET", "k", "v"}).ok());
  EXPECT_TRUE(client->Eval(kWrite, {"k"}, {"v"}).ok());
}

TEST(RedisFailureTest, WritesToAReadOnlyReplicaAreUnavailable) {
  RedisServer primary(LogFile("primary"), {}, kOpen);
  ASSERT_TRUE(primary.WaitUntilReady());
  RedisServer replica(LogFile("replica"),
                      {"--replicaof", "127.0.0.1", std::to_string(primary.port())}, kOpen);
  ASSERT_TRUE(replica.WaitUntilReady());
  auto client = MustConnect(At(replica));
  ASSERT_NE(client, nullptr);

  auto set = client->Command({"SET", "k", "v"});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kUnavailable) << set.status();
  EXPECT_NE(set.status().message().find("READONLY"), std::string_view::npos) << set.status();
  auto eval = client->Eval(kWrite, {"k"}, {"v"});
  EXPECT_EQ(eval.status().code(), absl::StatusCode::kUnavailable) << eval.status();

  // Promoted (as after a failover), the same connection writes again.
  ASSERT_TRUE(client->Command({"REPLICAOF", "NO", "ONE"}).ok());
  EXPECT_TRUE(client->Command({"SET", "k", "v"}).ok());
}

TEST(RedisFailureTest, WrongPasswordFailsConnectClearlyWithoutThePassword) {
  RedisServer server(LogFile("auth"), {"--requirepass", "the-right-one"}, kOpen);
  ASSERT_TRUE(server.WaitUntilReady());
  RedisOptions options = At(server);
  options.password = "swordfish-1729";
  auto refused = RedisClient::Connect(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_NE(refused.status().message().find("AUTH"), std::string_view::npos) << refused.status();
  EXPECT_EQ(refused.status().message().find("swordfish"), std::string_view::npos)
      << refused.status();

  // No password at all: every command is refused with NOAUTH, also Unavailable.
  options.password.clear();
  auto client = MustConnect(options);
  ASSERT_NE(client, nullptr);
  auto set = client->Command({"SET", "k", "v"});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kUnavailable) << set.status();

  options.password = "the-right-one";
  auto accepted = MustConnect(options);
  ASSERT_NE(accepted, nullptr);
  EXPECT_TRUE(accepted->Command({"SET", "k", "v"}).ok());
}

// A snapshot that cannot be written (here: into /proc) with stop-writes-on-bgsave-error makes
// Redis refuse writes with MISCONF until a snapshot succeeds or an operator intervenes.
TEST(RedisFailureTest, FailedSnapshotMisconfIsUnavailable) {
  RedisServer server(LogFile("misconf"), {"--enable-protected-configs", "yes", "--save", "3600 1",
                                          "--stop-writes-on-bgsave-error", "yes"},
                     kOpen);
  ASSERT_TRUE(server.WaitUntilReady());
  auto client = MustConnect(At(server));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Command({"CONFIG", "SET", "dir", "/proc"}).ok());
  ASSERT_TRUE(client->Command({"BGSAVE"}).ok());
  ASSERT_TRUE(Eventually([&] {
    auto info = client->Command({"INFO", "persistence"});
    return info.ok() && info->str.find("rdb_last_bgsave_status:err") != std::string::npos;
  }));

  auto set = client->Command({"SET", "k", "v"});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kUnavailable) << set.status();
  EXPECT_NE(set.status().message().find("MISCONF"), std::string_view::npos) << set.status();

  ASSERT_TRUE(client->Command({"CONFIG", "SET", "stop-writes-on-bgsave-error", "no"}).ok());
  EXPECT_TRUE(client->Command({"SET", "k", "v"}).ok());
  // Otherwise the server tries a last snapshot into /proc at SIGTERM and refuses to exit.
  EXPECT_TRUE(client->Command({"CONFIG", "SET", "save", ""}).ok());
}

}  // namespace
}  // namespace complaints::redis
