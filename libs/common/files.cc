#include "libs/common/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace complaints::common {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  // An empty file sets failbit on the copy; only a read error (badbit) is one.
  if (in.bad()) return absl::NotFoundError("cannot read " + path);
  return text.str();
}

}  // namespace complaints::common
