#include "libs/common/logging.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/common/utf8.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/base_sink.h"

namespace complaints::common {
namespace {

std::mutex mu;
std::string service_name = "complaints";
bool json_format = false;
spdlog::level::level_enum level = spdlog::level::info;

// The lines of every logger, on their way to stderr. A write(2) per line cost a busy intake a
// twentieth of its CPU (a line per complaint accepted), so once InitLogging has started the
// periodic flush, lines gather here and go out in blocks: at kBlockBytes, at every flush (each
// log.flush_ms, and at once for a warning or worse: flush_on), and at exit. A process killed
// outright loses at most that interval of its info lines. Before InitLogging (tests, tools) each
// line is written at once.
class StderrBlocks {
 public:
  static StderrBlocks& Get() {
    static StderrBlocks* blocks = [] {
      auto* made = new StderrBlocks();  // never destroyed: loggers may log during exit
      std::atexit([] { Get().StopBuffering(); });
      return made;
    }();
    return *blocks;
  }

  void Append(const spdlog::memory_buf_t& line) {
    std::lock_guard lock(mu_);
    buffer_.append(line.data(), line.size());
    if (!buffering_ || buffer_.size() >= kBlockBytes) WriteLocked();
  }
  void Flush() {
    std::lock_guard lock(mu_);
    WriteLocked();
  }
  // Buffers lines, flushed every `interval` by a thread of its own (started by the first call;
  // a later call restarts its wait with the new interval). A zero interval writes each line at
  // once.
  void StartBuffering(std::chrono::milliseconds interval) {
    {
      std::lock_guard lock(mu_);
      interval_ = interval;
      buffering_ = interval.count() > 0;
      restarted_ = true;
      WriteLocked();
      if (!flusher_started_) {
        flusher_started_ = true;
        std::thread([this] { FlushPeriodically(); }).detach();
      }
    }
    changed_.notify_all();
  }
  void StopBuffering() {
    std::lock_guard lock(mu_);
    buffering_ = false;
    WriteLocked();
  }

 private:
  static constexpr size_t kBlockBytes = 32 * 1024;

  void FlushPeriodically() {
    std::unique_lock lock(mu_);
    const auto restarted = [this] { return restarted_; };
    for (;;) {
      const bool woken = buffering_ ? changed_.wait_for(lock, interval_, restarted)
                                    : (changed_.wait(lock, restarted), true);
      if (woken) {
        restarted_ = false;
      } else {
        WriteLocked();
      }
    }
  }

  void WriteLocked() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nowhere to write: drop, as stdio would
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
  }

  std::mutex mu_;
  std::string buffer_;
  bool buffering_ = false;
  bool flusher_started_ = false;
  bool restarted_ = false;
  std::chrono::milliseconds interval_{0};
  std::condition_variable changed_;
};

// Each logger's own sink (its formatter names its module), all writing to StderrBlocks.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    StderrBlocks::Get().Append(formatted);
  }
  void flush_() override { StderrBlocks::Get().Flush(); }
};

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
                                                 std::make_shared<StderrSink>());
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
  auto flush_ms = config.GetInt("log.flush_ms", 200);
  if (!flush_ms.ok()) return flush_ms.status();
  if (*flush_ms < 0) return absl::InvalidArgumentError("log.flush_ms: must be 0 or more");
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
  StderrBlocks::Get().StartBuffering(std::chrono::milliseconds(*flush_ms));
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
