// Runs against the real Redis at 127.0.0.1:$REDIS_PORT (default 6379), which other suites
// share: every key carries a random prefix and is deleted afterwards, and nothing is flushed
// except the script cache (which clients must survive anyway).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/redis/redis_client.h"
#include "libs/testing/scratch_redis.h"

namespace complaints::redis {
namespace {

using Type = Reply::Type;

using testing::TestRedisOptions;

std::unique_ptr<RedisClient> MustConnect(const RedisOptions& options = TestRedisOptions()) {
  auto client = RedisClient::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

class RedisIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MustConnect();
    admin_ = MustConnect();
    ASSERT_NE(client_, nullptr);
    ASSERT_NE(admin_, nullptr);
    prefix_ = absl::StrCat("test:redis:", std::random_device()(), ":");
  }

  void TearDown() override {
    if (admin_ == nullptr || keys_.empty()) return;
    std::vector<std::string> del = {"DEL"};
    del.insert(del.end(), keys_.begin(), keys_.end());
    EXPECT_TRUE(admin_->Command(del).ok());
  }

  // A key of this test, deleted in TearDown.
  std::string Key(const std::string& name) {
    keys_.push_back(absl::StrCat(prefix_, name));
    return keys_.back();
  }

  int64_t ClientId(RedisClient& client) {
    auto id = client.Command({"CLIENT", "ID"});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? id->integer : -1;
  }

  // Closes `client_`'s connection from the server side, as a restart or idle timeout would.
  void KillClientConnection() {
    auto killed = admin_->Command({"CLIENT", "KILL", "ID", absl::StrCat(ClientId(*client_))});
    ASSERT_TRUE(killed.ok()) << killed.status();
    ASSERT_EQ(killed->integer, 1);
  }

  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RedisClient> admin_;
  std::string prefix_;
  std::vector<std::string> keys_;
};

TEST_F(RedisIntegrationTest, BasicCommands) {
  const std::string key = Key("basic");
  auto set = client_->Command({"SET", key, "value"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->type, Type::kStatus);
  EXPECT_EQ(set->str, "OK");

  auto get = client_->Command({"GET", key});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->type, Type::kString);
  EXPECT_EQ(get->str, "value");

  auto missing = client_->Command({"GET", Key("missing")});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_TRUE(missing->is_nil());

  const std::string counter = Key("counter");
  auto incr = client_->Command({"INCRBY", counter, "41"});
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ(incr->type, Type::kInteger);
  EXPECT_EQ(incr->integer, 41);

  const std::string list = Key("list");
  ASSERT_TRUE(client_->Command({"RPUSH", list, "a", "b"}).ok());
  auto range = client_->Command({"LRANGE", list, "0", "-1"});
  ASSERT_TRUE(range.ok()) << range.status();
  ASSERT_EQ(range->type, Type::kArray);
  ASSERT_EQ(range->elements.size(), 2u);
  EXPECT_EQ(range->elements[0].str, "a");
  EXPECT_EQ(range->elements[1].str, "b");
}

TEST_F(RedisIntegrationTest, KeysAndValuesAreBinarySafe) {
  const std::string key = Key(std::string("bin\0key", 7));
  const std::string value("a\0b\r\n\xff\0", 7);
  ASSERT_TRUE(client_->Command({"SET", key, value}).ok());
  auto get = client_->Command({"GET", key});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, value);
  EXPECT_EQ(get->str.size(), 7u);
  // The key truncated at its NUL byte is a different key.
  auto truncated = client_->Command({"EXISTS", absl::StrCat(prefix_, "bin")});
  ASSERT_TRUE(truncated.ok()) << truncated.status();
  EXPECT_EQ(truncated->integer, 0);
}

TEST_F(RedisIntegrationTest, PipelineKeepsErrorReplyInItsSlot) {
  const std::string key = Key("pipeline");
  auto replies = client_->Pipeline({{"SET", key, "not a number"}, {"INCR", key}, {"GET", key}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].type, Type::kStatus);
  EXPECT_EQ((*replies)[1].type, Type::kError);
  EXPECT_NE((*replies)[1].str.find("not an integer"), std::string::npos) << (*replies)[1].str;
  EXPECT_EQ((*replies)[2].type, Type::kString);
  EXPECT_EQ((*replies)[2].str, "not a number");

  auto empty = client_->Pipeline({});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
}

const Script kSetAndEcho(R"(
  redis.call('SET', KEYS[1], ARGV[1])
  return {KEYS[1], ARGV[1], 42, redis.call('GET', KEYS[1])}
)");

// True if the server has `script` in its cache (redis.sha1hex gives the SHA that EVALSHA uses).
bool ServerHasScript(RedisClient& admin, const Script& script) {
  auto sha = admin.Command({"EVAL", "return redis.sha1hex(ARGV[1])", "0", script.source()});
  EXPECT_TRUE(sha.ok()) << sha.status();
  auto exists = admin.Command({"SCRIPT", "EXISTS", sha.ok() ? sha->str : ""});
  EXPECT_TRUE(exists.ok()) << exists.status();
  return exists.ok() && exists->elements.size() == 1 && exists->elements[0].integer == 1;
}

TEST_F(RedisIntegrationTest, EvalLoadsScriptAndReturnsResult) {
  const std::string key = Key("eval");
  auto reply = client_->Eval(kSetAndEcho, {key}, {std::string("v\0w", 3)});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->type, Type::kArray);
  ASSERT_EQ(reply->elements.size(), 4u);
  EXPECT_EQ(reply->elements[0].str, key);
  EXPECT_EQ(reply->elements[1].str, std::string("v\0w", 3));
  EXPECT_EQ(reply->elements[2].type, Type::kInteger);
  EXPECT_EQ(reply->elements[2].integer, 42);
  EXPECT_EQ(reply->elements[3].str, std::string("v\0w", 3));
  EXPECT_TRUE(ServerHasScript(*admin_, kSetAndEcho));

  // The second call goes straight to EVALSHA with the cached SHA.
  auto again = client_->Eval(kSetAndEcho, {key}, {"x"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->elements[3].str, "x");
}

TEST_F(RedisIntegrationTest, EvalReloadsAfterScriptFlush) {
  const std::string key = Key("flush");
  ASSERT_TRUE(client_->Eval(kSetAndEcho, {key}, {"before"}).ok());
  ASSERT_TRUE(admin_->Command({"SCRIPT", "FLUSH"}).ok());
  ASSERT_FALSE(ServerHasScript(*admin_, kSetAndEcho));

  auto reply = client_->Eval(kSetAndEcho, {key}, {"after"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->elements[3].str, "after");
  EXPECT_TRUE(ServerHasScript(*admin_, kSetAndEcho));
}

TEST_F(RedisIntegrationTest, EvalErrorsBecomeStatuses) {
  const std::string key = Key("eval_error");
  ASSERT_TRUE(client_->Command({"SET", key, "text"}).ok());
  // An argument error raised by redis.call keeps its meaning.
  auto failed = client_->Eval(Script("return redis.call('INCR', KEYS[1])"), {key}, {});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("not an integer"), std::string_view::npos)
      << failed.status();
  // A runtime error of the script itself is a bug of ours, not a bad record: retried.
  auto bug = client_->Eval(Script("return nil + 1"), {}, {});
  EXPECT_EQ(bug.status().code(), absl::StatusCode::kUnavailable) << bug.status();
  EXPECT_NE(bug.status().message().find("user_script"), std::string_view::npos) << bug.status();

  auto syntax = client_->Eval(Script("this is not lua"), {}, {});
  EXPECT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("SCRIPT LOAD"), std::string_view::npos)
      << syntax.status();
}

TEST_F(RedisIntegrationTest, ReconnectsAfterServerClosesConnection) {
  const std::string key = Key("reconnect");
  const int64_t first_id = ClientId(*client_);

  KillClientConnection();
  auto set = client_->Command({"SET", key, "1"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_NE(ClientId(*client_), first_id);

  KillClientConnection();
  auto replies = client_->Pipeline({{"GET", key}, {"INCR", key}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ((*replies)[1].integer, 2);

  ASSERT_TRUE(client_->Eval(kSetAndEcho, {key}, {"cached"}).ok());
  KillClientConnection();
  auto eval = client_->Eval(kSetAndEcho, {key}, {"after kill"});
  ASSERT_TRUE(eval.ok()) << eval.status();
  EXPECT_EQ(eval->elements[3].str, "after kill");
}

// A write bigger than the socket buffer to a connection the server has closed fails with EPIPE;
// without SIGPIPE ignored, that signal would kill the process. ECHO keeps the megabytes out of
// the shared server's data and append-only file.
TEST_F(RedisIntegrationTest, LargeWriteToClosedConnectionRetries) {
  const std::string payload(4 << 20, 'x');
  KillClientConnection();
  auto echo = client_->Command({"ECHO", payload});
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->str.size(), payload.size());
}

TEST_F(RedisIntegrationTest, ErrorRepliesMapToStatuses) {
  const std::string key = Key("error");
  ASSERT_TRUE(client_->Command({"SET", key, "string"}).ok());

  auto wrong_type = client_->Command({"LPUSH", key, "x"});
  EXPECT_EQ(wrong_type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_type.status().message().find("WRONGTYPE"), std::string_view::npos)
      << wrong_type.status();

  auto arity = client_->Command({"GET"});
  EXPECT_EQ(arity.status().code(), absl::StatusCode::kInvalidArgument) << arity.status();

  auto syntax = client_->Command({"SET", key, "v", "NOT-AN-OPTION"});
  EXPECT_EQ(syntax.status().code(), absl::StatusCode::kInvalidArgument) << syntax.status();

  // Renamed or disabled by an operator, or a server too old: not the record's fault.
  auto unknown = client_->Command({"NO-SUCH-COMMAND"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(unknown.status().message().find("unknown command"), std::string_view::npos)
      << unknown.status();

  EXPECT_EQ(client_->Command({}).status().code(), absl::StatusCode::kInvalidArgument);
  // Error replies leave the connection usable.
  EXPECT_TRUE(client_->Command({"GET", key}).ok());
}

TEST_F(RedisIntegrationTest, CommandTimeoutIsUnavailable) {
  RedisOptions options = TestRedisOptions();
  // Long enough for a PING on the shared, busy test server; far shorter than the BLPOP.
  options.command_timeout = absl::Milliseconds(300);
  auto client = MustConnect(options);
  ASSERT_NE(client, nullptr);
  auto blocked = client->Command({"BLPOP", Key("never"), "10"});
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable) << blocked.status();
  // The next call reconnects.
  auto ping = client->Command({"PING"});
  EXPECT_TRUE(ping.ok()) << ping.status();
}

TEST_F(RedisIntegrationTest, SelectsDatabase) {
  RedisOptions options = TestRedisOptions();
  options.db = 1;
  auto client = MustConnect(options);
  ASSERT_NE(client, nullptr);
  auto info = client->Command({"CLIENT", "INFO"});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_NE(info->str.find(" db=1 "), std::string::npos) << info->str;
}

TEST(RedisConnectTest, UnavailableWhenNothingListens) {
  // A port bound but not listening refuses connections, and no one else can take it meanwhile.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);

  RedisOptions options;
  options.port = ntohs(address.sin_port);
  auto client = RedisClient::Connect(options);
  close(fd);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find(absl::StrCat("127.0.0.1:", options.port)),
            std::string_view::npos)
      << client.status();
}

TEST(RedisConnectTest, RefusedAuthIsUnavailableWithoutThePassword) {
  RedisOptions options = TestRedisOptions();
  options.password = "hunter2-not-the-password";
  auto client = RedisClient::Connect(options);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find("AUTH"), std::string_view::npos) << client.status();
  EXPECT_EQ(client.status().message().find("hunter2"), std::string_view::npos) << client.status();
}

}  // namespace
}  // namespace complaints::redis
