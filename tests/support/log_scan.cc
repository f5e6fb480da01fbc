#include "tests/support/log_scan.h"

#include <fstream>
#include <sstream>

#include "libs/common/utf8.h"

namespace complaints::testsupport {
namespace {

// The offset of the first byte that is not part of valid UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view text) {
  for (size_t offset = 0; offset < text.size();) {
    const size_t length = common::Utf8SequenceLength(text.substr(offset));
    if (length == 0) return offset;
    offset += length;
  }
  return std::string_view::npos;
}

}  // namespace

std::vector<std::string> ScanLogs(const std::vector<std::string>& files,
                                  const std::vector<CustomerValue>& customer_values) {
  std::vector<std::string> problems;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      problems.push_back(file + ": cannot be read");
      continue;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    if (const size_t bad = FirstInvalidUtf8(text); bad != std::string_view::npos) {
      problems.push_back(file + ": invalid UTF-8 at byte " + std::to_string(bad));
    }
    for (const CustomerValue& customer : customer_values) {
      if (customer.value.empty()) continue;
      if (const size_t at = text.find(customer.value); at != std::string::npos) {
        problems.push_back(file + ": the customer's " + customer.kind + " at byte " +
                           std::to_string(at));
      }
    }
  }
  return problems;
}

}  // namespace complaints::testsupport
