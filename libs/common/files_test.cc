#include "libs/common/files.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

namespace complaints::common {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/files_test_" + name;
}

TEST(ReadFileTest, ReadsEveryByte) {
  const std::string path = TempPath("bytes");
  const std::string bytes("a\0b\n\xff", 5);
  std::ofstream(path, std::ios::binary) << bytes;
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
  std::remove(path.c_str());
}

TEST(ReadFileTest, AnEmptyFileIsEmpty) {
  const std::string path = TempPath("empty");
  std::ofstream(path).close();
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
  std::remove(path.c_str());
}

TEST(ReadFileTest, AMissingFileIsNotFoundNamingIt) {
  auto read = ReadFile("/nonexistent/settings.conf");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("/nonexistent/settings.conf"), absl::string_view::npos);
}

}  // namespace
}  // namespace complaints::common
