#include "libs/common/logging.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace complaints::common {
namespace {

std::mutex mu;
std::string service_name = "complaints";
bool json_format = false;
spdlog::level::level_enum level = spdlog::level::info;

// `%*` in a pattern: the message as the body of a JSON string.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
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
  return absl::StrCat("%Y-%m-%d %H:%M:%S.%e %^%L%$ ", service_name, "/", logger, " %v");
}

std::shared_ptr<spdlog::logger> Make(std::string_view name) {
  auto logger = std::make_shared<spdlog::logger>(std::string(name),
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<JsonEscapedMessage>('*').set_pattern(Pattern(std::string(name)));
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
