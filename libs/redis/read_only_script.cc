#include "libs/redis/read_only_script.h"

#include <map>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace complaints::redis {
namespace {

// SHA1s by script source: the same on every server and connection.
std::mutex sha_mu;
std::map<std::string, std::string>& Shas() {
  static auto* shas = new std::map<std::string, std::string>();
  return *shas;
}

absl::StatusOr<std::string> Load(RedisClient& client, const Script& script) {
  absl::StatusOr<Reply> loaded = client.Command({"SCRIPT", "LOAD", script.source()});
  if (!loaded.ok()) return loaded.status();
  if (loaded->type != Reply::Type::kString) {
    return absl::InternalError("redis SCRIPT LOAD: reply is not a string");
  }
  std::lock_guard lock(sha_mu);
  Shas()[script.source()] = loaded->str;
  return loaded->str;
}

}  // namespace

absl::StatusOr<Reply> EvalReadOnly(RedisClient& client, const Script& script,
                                   const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args) {
  std::string sha;
  {
    std::lock_guard lock(sha_mu);
    if (auto it = Shas().find(script.source()); it != Shas().end()) sha = it->second;
  }
  for (int attempt = 0;; ++attempt) {
    if (sha.empty()) {
      absl::StatusOr<std::string> loaded = Load(client, script);
      if (!loaded.ok()) return loaded.status();
      sha = *std::move(loaded);
    }
    std::vector<std::string> argv = {"EVALSHA_RO", sha, absl::StrCat(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<Reply> reply = client.Command(argv);
    if (attempt == 0 && !reply.ok() && absl::StrContains(reply.status().message(), "NOSCRIPT")) {
      sha.clear();
      continue;
    }
    return reply;
  }
}

}  // namespace complaints::redis
