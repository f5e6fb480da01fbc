#include "libs/common/config.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

TEST(ConfigTest, ParsesKeysValuesAndComments) {
  auto config = Config::Parse("# a comment\n kafka.bootstrap = 127.0.0.1:9092 \n\nx=1\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetString("kafka.bootstrap"), "127.0.0.1:9092");
  EXPECT_EQ(*config->GetInt("x", 0), 1);
  EXPECT_EQ(config->GetString("missing", "fallback"), "fallback");
  EXPECT_FALSE(config->Has("missing"));
}

TEST(ConfigTest, RejectsLineWithoutEquals) {
  auto config = Config::Parse("a = 1\nnot a setting\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("line 2"), std::string_view::npos);
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  EXPECT_EQ(Config::EnvName("redis.command_timeout-ms"), "COMPLAINTS_REDIS_COMMAND_TIMEOUT_MS");
  setenv("COMPLAINTS_TEST_OVERRIDE_KEY", "from-env", 1);
  auto config = Config::Load("");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->GetString("test.override.key"), "from-env");
  unsetenv("COMPLAINTS_TEST_OVERRIDE_KEY");
}

TEST(ConfigTest, BadNumbersAreErrors) {
  Config config({{"n", "twelve"}, {"b", "maybe"}, {"d", "1.5"}});
  EXPECT_EQ(config.GetInt("n", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.GetBool("b", false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_DOUBLE_EQ(*config.GetDouble("d", 0), 1.5);
}

TEST(ConfigTest, WithPrefixStripsThePrefix) {
  Config config({{"kafka.client.security.protocol", "SASL_SSL"}, {"kafka.bootstrap", "x"}});
  auto extra = config.WithPrefix("kafka.client.");
  ASSERT_EQ(extra.size(), 1u);
  EXPECT_EQ(extra["security.protocol"], "SASL_SSL");
}

TEST(ConfigTest, LoadFailsOnMissingFile) {
  EXPECT_EQ(Config::Load("/nonexistent/file.conf").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace complaints::common
