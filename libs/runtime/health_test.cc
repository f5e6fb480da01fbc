#include "libs/runtime/health.h"

#include <vector>

#include "gtest/gtest.h"

namespace complaints::runtime {
namespace {

TEST(DependencyHealthTest, UnhealthyWhileAnyReporterIsInAnOutage) {
  DependencyHealth health;
  std::vector<bool> seen;
  health.SetListener([&](bool healthy) { seen.push_back(healthy); });
  auto calls = health.Reporter("consumer of calls");
  auto cases = health.Reporter("consumer of cases");
  calls(true);
  cases(true);
  calls(true);  // repeated: no change
  EXPECT_FALSE(health.healthy());
  calls(false);
  EXPECT_FALSE(health.healthy());  // cases is still retrying
  cases(false);
  cases(false);
  EXPECT_TRUE(health.healthy());
  EXPECT_EQ(seen, (std::vector<bool>{true, false, true}));  // the first is SetListener's own

  health.SetListener(nullptr);
  calls(true);
  EXPECT_EQ(seen.size(), 3u);
  std::vector<bool> late;
  health.SetListener([&](bool healthy) { late.push_back(healthy); });
  EXPECT_EQ(late, std::vector<bool>{false});  // told the current state at once
}

}  // namespace
}  // namespace complaints::runtime
