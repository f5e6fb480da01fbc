#pragma once

#include <string>
#include <vector>

namespace complaints::testsupport {

// A customer value a test sent, and what it is (for failure messages).
struct CustomerValue {
  std::string kind;  // "phone", "name", "id_number", "card_number"...
  std::string value;
};

// Reads every file in `files` whole (not a tail: a leak early in a run counts as much as a late
// one) and returns one line per problem: a file that cannot be read, a file that is not valid
// UTF-8 (with the byte offset), and every customer value found in a file (by kind and byte
// offset; the value itself is not repeated). Empty when the logs are clean.
std::vector<std::string> ScanLogs(const std::vector<std::string>& files,
                                  const std::vector<CustomerValue>& customer_values);

}  // namespace complaints::testsupport
