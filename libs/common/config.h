#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace complaints::common {

// Settings from a `key = value` file (with `#` comments), overridden by environment variables:
// key `kafka.bootstrap` is overridden by `COMPLAINTS_KAFKA_BOOTSTRAP`. Missing keys fall back to
// the caller's default, so every service runs with no file at all.
class Config {
 public:
  Config() = default;
  // For tests and defaults: Config({{"kafka.bootstrap", "127.0.0.1:9092"}}).
  explicit Config(std::initializer_list<std::pair<const std::string, std::string>> values)
      : values_(values) {}

  // Loads `path` (empty: no file) and captures the COMPLAINTS_* environment overrides.
  static absl::StatusOr<Config> Load(const std::string& path);
  static absl::StatusOr<Config> Parse(std::string_view text);

  // The environment variable that overrides `key`.
  static std::string EnvName(std::string_view key);

  bool Has(std::string_view key) const;
  std::string GetString(std::string_view key, std::string_view fallback = "") const;
  // Bad numbers or booleans are configuration errors: they fail loudly at start-up.
  absl::StatusOr<int64_t> GetInt(std::string_view key, int64_t fallback) const;
  absl::StatusOr<double> GetDouble(std::string_view key, double fallback) const;
  absl::StatusOr<bool> GetBool(std::string_view key, bool fallback) const;
  // Every key starting with `prefix`, with the prefix removed (e.g. pass-through client settings).
  std::map<std::string, std::string> WithPrefix(std::string_view prefix) const;

  void Set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }

 private:
  void ApplyEnvironment();
  const std::string* Find(std::string_view key) const;

  std::map<std::string, std::string, std::less<>> values_;
  // COMPLAINTS_* variables, by variable name; they win over the file.
  std::map<std::string, std::string, std::less<>> env_only_;
};

}  // namespace complaints::common
