#pragma once

// Shared by the libFuzzer targets: what every decoder must do with any input besides not
// crashing (sanitizers catch the rest).
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "libs/common/files.h"
#include "libs/common/utf8.h"

namespace complaints::fuzz {

// A broken property is a crash, so that libFuzzer keeps the input.
inline void Require(bool holds, const char* property) {
  if (!holds) {
    std::fprintf(stderr, "property broken: %s\n", property);
    std::abort();
  }
}

// Error messages end up in logs, DLQ headers and gRPC statuses: they must stay valid UTF-8
// whatever the input was (an input cut mid-character once made a log file invalid).
inline void RequireCleanError(const absl::Status& status) {
  const std::string_view message(status.message().data(), status.message().size());
  if (!status.ok() && !common::IsValidUtf8(message)) {
    std::fprintf(stderr, "message: %s\n", absl::CHexEscape(status.message()).c_str());
  }
  Require(status.ok() || common::IsValidUtf8(message), "error message is valid UTF-8");
}

// A shipped file the target needs beside the fuzzed one (read once; abort if missing).
inline std::string ShippedFile(const std::string& relative) {
  auto text = common::ReadFile(std::string(COMPLAINTS_SOURCE_DIR) + "/" + relative);
  Require(text.ok(), "shipped file readable");
  return *text;
}

}  // namespace complaints::fuzz
