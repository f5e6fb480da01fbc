#include "libs/common/logging.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "libs/common/utf8.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace complaints::common {
namespace {

std::mutex mu;
std::string service_name = "complaints";
bool json_format = false;
spdlog::level::level_enum level = spdlog::level::info;

// The message, with any invalid UTF-8 (a third-party library's bytes, a string cut at a byte
// limit) replaced by U+FFFD: log shippers reject lines that are not UTF-8, or drop them whole.
std::string_view ValidPayload(const spdlog::details::log_msg& msg, std::string& storage) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  if (IsValidUtf8(payload)) return payload;
  storage = ToValidUtf8(payload);
  return storage;
}

// `%&` in a pattern: the message as valid UTF-8.
class Utf8Message final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string storage;
    const std::string_view text = ValidPayload(msg, storage);
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<Utf8Message>();
  }
};

// `%*` in a pattern: the message as the body of a JSON string (valid UTF-8, like `%&`).
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string storage;
    for (char c : ValidPayload(msg, storage)) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        case '\r': dest.append(std::string_view("\\r")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            dest.append(std::string_view("?"));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

std::string Pattern(const std::string& logger) {
  if (json_format) {
    return absl::StrCat(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","service":")",
                        service_name, R"(","module":")", logger, R"(","thread":%t,"msg":"%*"})");
  }
  return absl::StrCat("%Y-%m-%d %H:%M:%S.%e %^%L%$ ", service_name, "/", logger, " %&");
}

std::shared_ptr<spdlog::logger> Make(std::string_view name) {
  auto logger = std::make_shared<spdlog::logger>(std::string(name),
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<JsonEscapedMessage>('*').add_flag<Utf8Message>('&').set_pattern(
      Pattern(std::string(name)));
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace

absl::Status InitLogging(std::string_view service, const Config& config) {
  auto json = config.GetBool("log.json", false);
  if (!json.ok()) return json.status();
  const std::string level_name = config.GetString("log.level", "info");
  const auto parsed = spdlog::level::from_str(level_name);
  if (parsed == spdlog::level::off && level_name != "off") {
    return absl::InvalidArgumentError(absl::StrCat("log.level: unknown level ", level_name));
  }
  std::lock_guard lock(mu);
  service_name = std::string(service);
  json_format = *json;
  level = parsed;
  spdlog::drop_all();
  spdlog::set_default_logger(Make("main"));
  return absl::OkStatus();
}

std::shared_ptr<spdlog::logger> ModuleLogger(std::string_view module) {
  std::lock_guard lock(mu);
  if (auto existing = spdlog::get(std::string(module))) return existing;
  auto logger = Make(module);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace complaints::common
