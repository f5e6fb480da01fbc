#include "libs/testing/scratch_redis.h"

#include <cstdlib>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace complaints::testing {
namespace {

// `text` as a SCAN MATCH pattern that matches only itself.
std::string GlobLiteral(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

redis::RedisOptions TestRedisOptions() {
  int port = 6379;
  if (const char* value = std::getenv("REDIS_PORT"); value != nullptr && *value != '\0') {
    port = std::atoi(value);
  }
  return TestRedisOptions(port);
}

redis::RedisOptions TestRedisOptions(int port) {
  redis::RedisOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  if (const char* dir = std::getenv("STACK_CREDENTIALS_DIR"); dir != nullptr && *dir != '\0') {
    const absl::Status loaded =
        redis::LoadCredentials(std::string(dir) + "/redis-admin", options);
    EXPECT_TRUE(loaded.ok()) << loaded;
  }
  return options;
}

ScratchRedis::ScratchRedis(const std::string& suite, int max_connections)
    : prefix_("test:" + suite + ":" + std::to_string(std::random_device()()) + ":"),
      pool_(TestRedisOptions(), max_connections) {}

// Failures here are reported against the test whose fixture is being destroyed.
ScratchRedis::~ScratchRedis() {
  auto redis = pool_.Acquire();
  if (!redis.ok()) {
    ADD_FAILURE() << "cannot delete the keys under " << prefix_ << ": " << redis.status();
    return;
  }
  const std::string pattern = GlobLiteral(prefix_) + "*";
  std::string cursor = "0";
  do {
    auto reply = (*redis)->Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!reply.ok() || reply->elements.size() != 2) {
      ADD_FAILURE() << "SCAN under " << prefix_ << ": " << reply.status();
      return;
    }
    cursor = reply->elements[0].str;
    std::vector<std::string> del = {"DEL"};
    for (const auto& key : reply->elements[1].elements) del.push_back(key.str);
    if (del.size() > 1) {
      if (auto deleted = (*redis)->Command(del); !deleted.ok()) {
        ADD_FAILURE() << "DEL under " << prefix_ << ": " << deleted.status();
        return;
      }
    }
  } while (cursor != "0");
}

}  // namespace complaints::testing
