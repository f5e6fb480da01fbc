// log_pii_scan <dir>: scans every *.log file under <dir> (the test run's TEST_LOG_DIR, after the
// e2e tests) for customer data by its shape (pii_patterns.h): exit 1 listing the files and byte
// offsets when a log holds any, 0 when every log is clean. Run by deploy/run-tests.sh last.
#include <cstdio>
#include <filesystem>
#include <string>

#include "libs/common/files.h"
#include "tests/support/pii_patterns.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <log dir>\n", argv[0]);
    return 2;
  }
  int files = 0, findings = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[1], error)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".log") continue;
    ++files;
    auto text = complaints::common::ReadFile(entry.path().string());
    if (!text.ok()) {
      std::printf("%s: cannot read\n", entry.path().c_str());
      ++findings;
      continue;
    }
    for (const std::string& finding : complaints::testsupport::FindPiiShapes(*text)) {
      std::printf("%s: %s\n", entry.path().c_str(), finding.c_str());
      ++findings;
    }
  }
  if (error) {
    std::fprintf(stderr, "cannot list %s: %s\n", argv[1], error.message().c_str());
    return 2;
  }
  std::printf("log_pii_scan: %d log files, %d findings\n", files, findings);
  return findings == 0 ? 0 : 1;
}
