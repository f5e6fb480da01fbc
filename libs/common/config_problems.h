#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/utf8.h"

namespace complaints::common {

// The problems found in a data file (routing rules and units, the classifier's config and
// taxonomy), each with its file and line, so that one load reports all of them at once (the
// operator fixes the file in one go).
class ConfigProblems {
 public:
  void Add(const std::string& file, int line, const std::string& what) {
    list_.push_back(line > 0 ? absl::StrCat(file, ":", line, ": ", what)
                             : absl::StrCat(file, ": ", what));
  }
  // A problem whose text names its file and line already (a parse error of ParseTextProto).
  void AddLocated(std::string what) { list_.push_back(std::move(what)); }
  bool empty() const { return list_.empty(); }
  const std::vector<std::string>& list() const { return list_; }
  // InvalidArgument with one problem per line; OK when there are none. Problems quote the
  // files (unit codes, ids), which may hold broken UTF-8: the text is made valid, as it is logged.
  absl::Status ToStatus() const {
    if (list_.empty()) return absl::OkStatus();
    return common::WithValidUtf8(absl::InvalidArgumentError(absl::StrJoin(list_, "\n")));
  }

 private:
  std::vector<std::string> list_;
};

}  // namespace complaints::common
