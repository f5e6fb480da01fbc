#include "libs/redis/redis_client.h"

#include <unistd.h>

#include <fstream>

#include "gtest/gtest.h"

namespace complaints::redis {
namespace {

absl::StatusOr<RedisOptions> Parse(
    const std::vector<std::pair<std::string, std::string>>& values) {
  common::Config config;
  for (const auto& [key, value] : values) config.Set(key, value);
  return RedisOptions::FromConfig(config);
}

TEST(RedisOptionsTest, DefaultsWithoutKeys) {
  auto options = Parse({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 6379);
  EXPECT_EQ(options->password, "");
  EXPECT_EQ(options->db, 0);
  EXPECT_EQ(options->connect_timeout, absl::Seconds(2));
  EXPECT_EQ(options->command_timeout, absl::Seconds(5));
}

TEST(RedisOptionsTest, ReadsEveryKey) {
  auto options = Parse({{"redis.host", "redis.internal"},
                        {"redis.port", "6380"},
                        {"redis.password", "s3cret"},
                        {"redis.db", "3"},
                        {"redis.connect_timeout_ms", "250"},
                        {"redis.command_timeout_ms", "1500"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "redis.internal");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->password, "s3cret");
  EXPECT_EQ(options->db, 3);
  EXPECT_EQ(options->connect_timeout, absl::Milliseconds(250));
  EXPECT_EQ(options->command_timeout, absl::Milliseconds(1500));
}

TEST(RedisOptionsTest, RejectsBadValues) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"redis.port", "abc"},
      {"redis.port", "0"},
      {"redis.port", "65536"},
      {"redis.port", "99999999999999999999"},
      {"redis.db", "-1"},
      {"redis.db", "1.5"},
      {"redis.connect_timeout_ms", "0"},
      {"redis.connect_timeout_ms", "soon"},
      {"redis.command_timeout_ms", "-5"},
      {"redis.host", ""},
  };
  for (const auto& [key, value] : bad) {
    auto options = Parse({{key, value}});
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << key << "=" << value;
    if (!options.ok()) {
      EXPECT_NE(options.status().message().find(key), std::string_view::npos)
          << options.status();
    }
  }
}

// A credentials file of the test's own, with `content`.
std::string CredentialsFile(const std::string& name, const std::string& content) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/redis-options-test-" +
                           std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(RedisOptionsTest, CredentialsFileGivesUserAndPassword) {
  const std::string file =
      CredentialsFile("ok", "# the routing service\nuser=routing\npassword=pa ss=word\n");
  auto options = Parse({{"redis.user", "ignored"},
                        {"redis.password", "ignored-too"},
                        {"redis.credentials_file", file}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->user, "routing");
  EXPECT_EQ(options->password, "pa ss=word");
  EXPECT_EQ(options->credentials_file, file);

  // Without a user line: redis.user, else the default user.
  const std::string password_only = CredentialsFile("password-only", "password=p\r\n");
  options = Parse({{"redis.user", "analytics"}, {"redis.credentials_file", password_only}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->user, "analytics");
  EXPECT_EQ(options->password, "p");
}

TEST(RedisOptionsTest, BadCredentialsFilesNameTheFileNotTheContent) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"no-password", "user=routing\n"},
      {"bare-password", "user=routing\nhunter2-secret\n"},
      {"unknown-key", "user=routing\npasword=hunter2-secret\n"},
  };
  for (const auto& [name, content] : bad) {
    const std::string file = CredentialsFile(name, content);
    auto options = Parse({{"redis.credentials_file", file}});
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_NE(options.status().message().find(file), std::string_view::npos) << options.status();
    EXPECT_EQ(options.status().message().find("hunter2"), std::string_view::npos)
        << options.status();
  }
  auto missing = Parse({{"redis.credentials_file", "/nonexistent/redis-routing"}});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("/nonexistent/redis-routing"), std::string_view::npos)
      << missing.status();
}

}  // namespace
}  // namespace complaints::redis
