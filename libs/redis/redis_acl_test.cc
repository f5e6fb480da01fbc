// The stack's Redis ACL (deploy/redis-credentials.sh) against a redis-server of the test's own
// that loads it: each service's user works on its own keys and the keys shared with it, is
// refused (NOPERM, a clear error naming the user) on another service's, and a wrong password is
// refused at connection naming the user and the credentials file, never the password.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/redis/read_only_script.h"
#include "libs/redis/redis_client.h"
#include "tests/support/process.h"

namespace complaints::redis {
namespace {

using testsupport::EnvOr;
using testsupport::RedisServer;

class RedisAclTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The credentials in a private temporary directory; the logs with the run's.
    char temp[] = "/tmp/redis-acl-test-XXXXXX";
    ASSERT_NE(mkdtemp(temp), nullptr);
    dir_ = new std::string(temp);
    const std::string logs = absl::StrCat(EnvOr("TEST_LOG_DIR", "/tmp"), "/redis-acl-", getpid());
    const std::string script = std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/redis-credentials.sh";
    const auto made = testsupport::RunCommand("/bin/bash", {script, *dir_ + "/credentials"},
                                              logs + "-generate.log");
    ASSERT_EQ(made.exit_code, 0) << made.output;
    server_ = new RedisServer(logs + "-redis.log",
                              {"--aclfile", *dir_ + "/credentials/redis-users.acl"},
                              RedisServer::Acl::kNone);
    ASSERT_TRUE(server_->WaitUntilReady());
  }
  static void TearDownTestSuite() {
    delete server_;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::string File(const std::string& user) { return *dir_ + "/credentials/redis-" + user; }

  // `user`'s options, as a service reads them from its credentials file.
  static RedisOptions As(const std::string& user) {
    RedisOptions options;
    options.port = server_->port();
    const absl::Status loaded = LoadCredentials(File(user), options);
    EXPECT_TRUE(loaded.ok()) << loaded;
    return options;
  }

  static std::unique_ptr<RedisClient> MustConnect(const RedisOptions& options) {
    auto client = RedisClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  static std::string* dir_;
  static RedisServer* server_;
};

std::string* RedisAclTest::dir_ = nullptr;
RedisServer* RedisAclTest::server_ = nullptr;

TEST_F(RedisAclTest, CredentialsFilesArePrivateAndTheAclHoldsNoPassword) {
  RedisOptions routing = As("routing");
  EXPECT_EQ(routing.user, "routing");
  EXPECT_GE(routing.password.size(), 32u);
  EXPECT_EQ(routing.credentials_file, File("routing"));
  EXPECT_NE(As("intake").password, routing.password);
  for (const std::string name : {"redis-routing", "redis-admin", "redis-users.acl"}) {
    EXPECT_EQ(access((*dir_ + "/credentials/" + name).c_str(), R_OK), 0) << name;
    struct stat st = {};
    ASSERT_EQ(stat((*dir_ + "/credentials/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
  std::ifstream acl(*dir_ + "/credentials/redis-users.acl");
  const std::string text((std::istreambuf_iterator<char>(acl)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(routing.password), std::string::npos);
  EXPECT_NE(text.find("user default off"), std::string::npos);
}

TEST_F(RedisAclTest, EachServiceWorksOnItsOwnPrefixAndTheSharedKeys) {
  const std::string id = absl::StrCat("acl-", getpid());
  for (const std::string service : {"intake", "routing", "sla_timer", "followup", "analytics"}) {
    auto client = MustConnect(As(service));
    ASSERT_NE(client, nullptr);
    const std::string prefix = service == "sla_timer" ? "sla:" : service + ":";
    EXPECT_TRUE(client->Command({"SET", prefix + id, "v"}).ok()) << service;
    auto got = client->Command({"GET", prefix + id});
    ASSERT_TRUE(got.ok()) << service << ": " << got.status();
    EXPECT_EQ(got->str, "v");
    // Scripts as the stores run them: SCRIPT LOAD, EVALSHA.
    const Script script("return redis.call('INCR', KEYS[1])");
    EXPECT_TRUE(client->Eval(script, {prefix + id + ":n"}, {}).ok()) << service;
    // Every service reads the case ledger (who may see a complaint).
    EXPECT_TRUE(client->Command({"HMGET", "case:" + id, "rev"}).ok()) << service;
  }
  // The ledger's writers, and what they read of each other.
  for (const std::string writer : {"routing", "sla_timer", "followup"}) {
    auto client = MustConnect(As(writer));
    ASSERT_NE(client, nullptr);
    EXPECT_TRUE(client->Command({"HSET", "case:" + id, "rev", "1"}).ok()) << writer;
    EXPECT_TRUE(client->Command({"SADD", "case-pending", id}).ok()) << writer;
    EXPECT_TRUE(client->Command({"ZADD", "case-unit:BJ-0101", "1", id}).ok()) << writer;
  }
  EXPECT_TRUE(MustConnect(As("sla_timer"))->Command({"GET", "routing:rebuild:t:0"}).ok());
  auto routing = MustConnect(As("routing"));
  ASSERT_NE(routing, nullptr);
  EXPECT_TRUE(routing->Command({"ZRANGE", "sla:wi:BJ-0101", "0", "-1"}).ok());
  // A script on keys routing only reads (the SLA timer's worklist query) runs read-only: EVALSHA
  // declares its keys as written, which a read-only pattern refuses.
  const Script worklist("return redis.call('ZCARD', KEYS[1])");
  auto read_only = EvalReadOnly(*routing, worklist, {"sla:wi:BJ-0101"}, {});
  EXPECT_TRUE(read_only.ok()) << read_only.status();
  auto as_write = routing->Eval(worklist, {"sla:wi:BJ-0101"}, {});
  EXPECT_NE(as_write.status().message().find("NOPERM"), std::string_view::npos)
      << as_write.status();
  // Read-only means it: a write inside fails even on routing's own keys.
  const Script writes("return redis.call('SET', KEYS[1], 'v')");
  EXPECT_FALSE(EvalReadOnly(*routing, writes, {"routing:" + id}, {}).ok());
}

TEST_F(RedisAclTest, AnotherServicesPrefixIsRefusedNamingTheUser) {
  auto routing = MustConnect(As("routing"));
  ASSERT_NE(routing, nullptr);
  auto write = routing->Command({"SET", "intake:complaint:x", "v"});
  EXPECT_EQ(write.status().code(), absl::StatusCode::kUnavailable) << write.status();
  EXPECT_NE(write.status().message().find("NOPERM"), std::string_view::npos) << write.status();
  EXPECT_NE(write.status().message().find("redis user 'routing'"), std::string_view::npos)
      << write.status();
  // Shared read-only: routing reads the SLA timer's worklists, never writes them.
  auto sla = routing->Command({"SET", "sla:c:x", "v"});
  EXPECT_NE(sla.status().message().find("NOPERM"), std::string_view::npos) << sla.status();
  // Reading is refused too where nothing is shared.
  auto read = routing->Command({"GET", "analytics:timeline:x"});
  EXPECT_NE(read.status().message().find("NOPERM"), std::string_view::npos) << read.status();
  // The same from inside a script: the key comes from ARGV, as some stores build theirs.
  const Script script("return redis.call('SET', ARGV[1], 'v')");
  auto scripted = routing->Eval(script, {}, {"followup:case:x"});
  EXPECT_EQ(scripted.status().code(), absl::StatusCode::kUnavailable) << scripted.status();
  EXPECT_NE(scripted.status().message().find("redis user 'routing'"), std::string_view::npos)
      << scripted.status();
  // Intake and analytics only read the ledger.
  auto ledger = MustConnect(As("intake"))->Command({"HSET", "case:x", "rev", "1"});
  EXPECT_NE(ledger.status().message().find("NOPERM"), std::string_view::npos) << ledger.status();
  // Dangerous commands are the admin's.
  auto flush = routing->Command({"FLUSHALL"});
  EXPECT_NE(flush.status().message().find("NOPERM"), std::string_view::npos) << flush.status();
  auto admin = MustConnect(As("admin"));
  ASSERT_NE(admin, nullptr);
  EXPECT_TRUE(admin->Command({"SET", "intake:complaint:x", "v"}).ok());
  EXPECT_TRUE(admin->Command({"DBSIZE"}).ok());
}

TEST_F(RedisAclTest, AWrongPasswordIsRefusedNamingTheUserAndFileNotThePassword) {
  const std::string file = *dir_ + "/wrong-routing";
  std::ofstream(file) << "user=routing\npassword=swordfish-4711\n";
  RedisOptions options;
  options.port = server_->port();
  ASSERT_TRUE(LoadCredentials(file, options).ok());
  const std::string right = As("routing").password;

  const absl::Status checked = CheckCredentials(options);
  EXPECT_EQ(checked.code(), absl::StatusCode::kPermissionDenied) << checked;
  for (const absl::Status& status : {checked, RedisClient::Connect(options).status()}) {
    EXPECT_NE(status.message().find("user 'routing'"), std::string_view::npos) << status;
    EXPECT_NE(status.message().find("WRONGPASS"), std::string_view::npos) << status;
    EXPECT_NE(status.message().find(file), std::string_view::npos) << status;
    EXPECT_EQ(status.message().find("swordfish"), std::string_view::npos) << status;
    EXPECT_EQ(status.message().find(right), std::string_view::npos) << status;
  }
  // The right user with another service's password is as wrong.
  options.password = As("intake").password;
  EXPECT_EQ(CheckCredentials(options).code(), absl::StatusCode::kPermissionDenied);
  // No credentials at all: the default user is off.
  RedisOptions anonymous;
  anonymous.port = server_->port();
  const absl::Status noauth = CheckCredentials(anonymous);
  EXPECT_EQ(noauth.code(), absl::StatusCode::kPermissionDenied) << noauth;
  EXPECT_NE(noauth.message().find("NOAUTH"), std::string_view::npos) << noauth;
  // The right credentials pass; a server that is not there is an outage, not a refusal.
  EXPECT_TRUE(CheckCredentials(As("routing")).ok());
  RedisOptions nowhere = As("routing");
  nowhere.port = testsupport::FreePort();
  EXPECT_EQ(CheckCredentials(nowhere).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace complaints::redis
