#include "tests/support/log_scan.h"

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

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

// The first offset of each customer value in `text` (npos if absent). One rolling-hash pass per
// distinct value length instead of one find() per value: the fault suite looks for hundreds of
// thousands of values in logs of hundreds of megabytes.
std::vector<size_t> FirstOffsets(std::string_view text,
                                 const std::vector<CustomerValue>& customer_values) {
  std::vector<size_t> first(customer_values.size(), std::string_view::npos);
  std::map<size_t, std::unordered_multimap<uint64_t, size_t>> by_length;
  constexpr uint64_t kBase = 1099511628211ULL;
  auto hash = [&](std::string_view s) {
    uint64_t h = 0;
    for (unsigned char c : s) h = h * kBase + c;
    return h;
  };
  for (size_t i = 0; i < customer_values.size(); ++i) {
    const std::string& value = customer_values[i].value;
    if (!value.empty()) by_length[value.size()].emplace(hash(value), i);
  }
  for (const auto& [length, values] : by_length) {
    if (text.size() < length) continue;
    uint64_t top = 1;  // kBase^(length-1), to drop the byte leaving the window
    for (size_t i = 1; i < length; ++i) top *= kBase;
    uint64_t h = hash(text.substr(0, length));
    size_t remaining = values.size();
    for (size_t at = 0; remaining > 0; ++at) {
      const auto [begin, end] = values.equal_range(h);
      for (auto it = begin; it != end; ++it) {
        if (first[it->second] == std::string_view::npos &&
            text.compare(at, length, customer_values[it->second].value) == 0) {
          first[it->second] = at;
          --remaining;
        }
      }
      if (at + length >= text.size()) break;
      h = (h - static_cast<unsigned char>(text[at]) * top) * kBase +
          static_cast<unsigned char>(text[at + length]);
    }
  }
  return first;
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
    const std::vector<size_t> found = FirstOffsets(text, customer_values);
    for (size_t i = 0; i < customer_values.size(); ++i) {
      if (found[i] != std::string_view::npos) {
        problems.push_back(file + ": the customer's " + customer_values[i].kind + " at byte " +
                           std::to_string(found[i]));
      }
    }
  }
  return problems;
}

}  // namespace complaints::testsupport
