#include "libs/common/config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/files.h"

extern char** environ;

namespace complaints::common {
namespace {
constexpr std::string_view kEnvPrefix = "COMPLAINTS_";
}

namespace {

// Debian's Abseil has its own string_view type, so std::string_view is trimmed here by hand.
std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusOr<Config> Config::Parse(std::string_view text) {
  Config config;
  int line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("config line ", line_number, ": expected `key = value`"));
    }
    std::string key(Trim(line.substr(0, eq)));
    if (key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("config line ", line_number, ": empty key"));
    }
    config.values_[key] = std::string(Trim(line.substr(eq + 1)));
  }
  return config;
}

absl::StatusOr<Config> Config::Load(const std::string& path) {
  Config config;
  if (!path.empty()) {
    auto text = ReadFile(path);
    if (!text.ok()) {
      return absl::NotFoundError("config file: " + std::string(text.status().message()));
    }
    auto parsed = Parse(*text);
    if (!parsed.ok()) return parsed.status();
    config = *std::move(parsed);
  }
  config.ApplyEnvironment();
  return config;
}

std::string Config::EnvName(std::string_view key) {
  std::string name(kEnvPrefix);
  for (char c : key) name.push_back(absl::ascii_isalnum(c) ? absl::ascii_toupper(c) : '_');
  return name;
}

void Config::ApplyEnvironment() {
  // Dots and underscores are ambiguous in the reverse direction, so variables are kept by name
  // and every lookup tries EnvName(key) first.
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (!entry.starts_with(kEnvPrefix)) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env_only_[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
}

const std::string* Config::Find(std::string_view key) const {
  if (auto it = env_only_.find(EnvName(key)); it != env_only_.end()) return &it->second;
  if (auto it = values_.find(key); it != values_.end()) return &it->second;
  return nullptr;
}

bool Config::Has(std::string_view key) const { return Find(key) != nullptr; }

std::string Config::GetString(std::string_view key, std::string_view fallback) const {
  const std::string* value = Find(key);
  return value ? *value : std::string(fallback);
}

absl::StatusOr<int64_t> Config::GetInt(std::string_view key, int64_t fallback) const {
  const std::string* value = Find(key);
  if (value == nullptr) return fallback;
  int64_t parsed;
  if (!absl::SimpleAtoi(*value, &parsed)) {
    return absl::InvalidArgumentError(absl::StrCat("config ", std::string(key), ": not an integer: ", *value));
  }
  return parsed;
}

absl::StatusOr<double> Config::GetDouble(std::string_view key, double fallback) const {
  const std::string* value = Find(key);
  if (value == nullptr) return fallback;
  double parsed;
  if (!absl::SimpleAtod(*value, &parsed)) {
    return absl::InvalidArgumentError(absl::StrCat("config ", std::string(key), ": not a number: ", *value));
  }
  return parsed;
}

absl::StatusOr<bool> Config::GetBool(std::string_view key, bool fallback) const {
  const std::string* value = Find(key);
  if (value == nullptr) return fallback;
  bool parsed;
  if (!absl::SimpleAtob(*value, &parsed)) {
    return absl::InvalidArgumentError(absl::StrCat("config ", std::string(key), ": not a boolean: ", *value));
  }
  return parsed;
}

std::map<std::string, std::string> Config::WithPrefix(std::string_view prefix) const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : values_) {
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = *Find(key);
  }
  return out;
}

}  // namespace complaints::common
