// ScanLogs finds every customer value by its first offset, whatever their number and lengths
// (the one-pass scan the fault suite needs), and reports files that are not valid UTF-8.
#include "tests/support/log_scan.h"

#include <fstream>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::testsupport {
namespace {

std::string WriteLog(const std::string& text) {
  std::random_device random;
  const std::string path = ::testing::TempDir() + "/log-scan-" + std::to_string(random()) + ".log";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ScanLogsTest, CleanLogHasNoProblems) {
  const std::string log = WriteLog("[info] complaint CMP1 assigned to BJ-0101\n");
  EXPECT_THAT(ScanLogs({log}, {{"phone", "13812345678"}, {"name", "张三"}}), ::testing::IsEmpty());
}

TEST(ScanLogsTest, FindsEachValueAtItsFirstOffset) {
  const std::string text = "a 13812345678 b 张三 c 13812345678 d 11010519491231002X";
  const std::string log = WriteLog(text);
  const auto problems = ScanLogs({log}, {{"phone", "13812345678"},
                                         {"name", "张三"},
                                         {"id_number", "11010519491231002X"},
                                         {"card_number", "6222021234567890123"},
                                         {"name", ""}});
  EXPECT_THAT(problems,
              ::testing::ElementsAre(log + ": the customer's phone at byte 2",
                                     log + ": the customer's name at byte " +
                                         std::to_string(text.find("张三")),
                                     log + ": the customer's id_number at byte " +
                                         std::to_string(text.find("110105"))));
}

TEST(ScanLogsTest, ManyValuesOfTheSameLength) {
  std::vector<CustomerValue> values;
  for (int i = 0; i < 5000; ++i) values.push_back({"phone", "139" + std::to_string(10000000 + i)});
  const std::string log = WriteLog("x 1391000421 139100042 13910004217 y, at the end: 13910004999");
  EXPECT_THAT(ScanLogs({log}, values),
              ::testing::ElementsAre(log + ": the customer's phone at byte 23",
                                     log + ": the customer's phone at byte 50"));
}

TEST(ScanLogsTest, ValueAtTheVeryEndAndTextShorterThanAValue) {
  const std::string log = WriteLog("..13812345678");
  EXPECT_THAT(ScanLogs({log}, {{"phone", "13812345678"}, {"card_number", "6222021234567890123"}}),
              ::testing::ElementsAre(log + ": the customer's phone at byte 2"));
}

TEST(ScanLogsTest, InvalidUtf8IsReported) {
  const std::string log = WriteLog(std::string("ok \xe5\xbc", 5));
  EXPECT_THAT(ScanLogs({log}, {}),
              ::testing::ElementsAre(log + ": invalid UTF-8 at byte 3"));
}

}  // namespace
}  // namespace complaints::testsupport
