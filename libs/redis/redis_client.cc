#include "libs/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/common/files.h"
#include "libs/common/logging.h"
#include "libs/metrics/metrics.h"

namespace complaints::redis {
namespace {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// hiredis takes parallel arrays of pointers and lengths; lengths keep the arguments binary safe.
struct ArgvView {
  explicit ArgvView(const std::vector<std::string>& argv) {
    pointers.reserve(argv.size());
    lengths.reserve(argv.size());
    for (const std::string& arg : argv) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  int argc() const { return static_cast<int>(pointers.size()); }

  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
};

// Round trips to Redis (a command, or a pipeline of them), for /metrics: what batching saves.
metrics::Counter& RoundTrips() {
  static auto& counter = metrics::Registry::Default()
                             .AddCounter("redis_round_trips_total",
                                         "Round trips to Redis: a command or a whole pipeline.")
                             .With({});
  return counter;
}
metrics::Counter& CommandsSent() {
  static auto& counter = metrics::Registry::Default()
                             .AddCounter("redis_commands_total", "Commands sent to Redis.")
                             .With({});
  return counter;
}

ReplyPtr SendCommand(redisContext* context, const std::vector<std::string>& argv) {
  RoundTrips().Increment();
  CommandsSent().Increment();
  ArgvView view(argv);  // hiredis 0.14 takes `const char**`
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(context, view.argc(), view.pointers.data(), view.lengths.data())));
}

Reply Convert(const redisReply& raw) {
  Reply reply;
  switch (raw.type) {
    case REDIS_REPLY_STRING:
      reply.type = Reply::Type::kString;
      reply.str.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_STATUS:
      reply.type = Reply::Type::kStatus;
      reply.str.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_ERROR:
      reply.type = Reply::Type::kError;
      reply.str.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_INTEGER:
      reply.type = Reply::Type::kInteger;
      reply.integer = raw.integer;
      break;
    case REDIS_REPLY_ARRAY:
      reply.type = Reply::Type::kArray;
      reply.elements.reserve(raw.elements);
      for (size_t i = 0; i < raw.elements; ++i) reply.elements.push_back(Convert(*raw.element[i]));
      break;
    default:  // REDIS_REPLY_NIL, also for nil arrays; RESP2 has no other types.
      break;
  }
  return reply;
}

// Error codes (the first word of an error reply) that mean the server cannot serve writes, or
// anything, right now: out of memory with noeviction (OOM), a replica (READONLY), a failed
// snapshot with stop-writes-on-bgsave-error (MISCONF), credentials or ACLs that changed under us
// (NOAUTH, WRONGPASS, NOPERM), start-up (LOADING), a long script (BUSY), a replica without its
// master (MASTERDOWN), cluster states (TRYAGAIN, CLUSTERDOWN, MOVED, ASK). None of them says
// anything about the command's arguments: the same command succeeds once an operator or the
// server itself has fixed the state.
constexpr absl::string_view kInfrastructureCodes[] = {
    "OOM",  "READONLY",   "MISCONF",  "NOAUTH",      "WRONGPASS", "NOPERM",    "LOADING",
    "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "MOVED",     "ASK",       "NOREPLICAS"};

// Replies that blame the arguments we sent: a value of the wrong kind under a key, a malformed
// or out-of-range argument. Only these may mean the record that produced the arguments is bad.
bool BlamesArguments(absl::string_view message) {
  return absl::StartsWith(message, "WRONGTYPE ") || absl::StartsWith(message, "ERR syntax") ||
         absl::StartsWith(message, "ERR wrong number of arguments") ||
         absl::StartsWith(message, "ERR value is not") ||
         absl::StartsWith(message, "ERR invalid expire time") ||
         absl::StartsWith(message, "ERR increment or decrement would overflow");
}

}  // namespace

absl::Status ErrorStatus(absl::string_view command, absl::string_view message) {
  std::string text = absl::StrCat("redis ", command, ": ", message);
  const absl::string_view code = message.substr(0, message.find(' '));
  for (absl::string_view transient : kInfrastructureCodes) {
    if (code == transient) return absl::UnavailableError(std::move(text));
  }
  if (BlamesArguments(message)) return absl::InvalidArgumentError(std::move(text));
  // Everything else is retried: unknown codes (a newer server, a proxy, a module), unknown
  // commands (renamed or disabled by the operator) and errors raised inside our own Lua scripts
  // ("ERR user_script:...", "ERR Error running script...": a bug in our code, or a server error
  // such as OOM re-raised by redis.call). None of them is the record's fault, and a bank would
  // rather stall a partition loudly (retry with backoff, health NOT_SERVING, an error in the log
  // every attempt) until an operator or a fix makes it pass, than dead-letter good records
  // quietly and rely on someone replaying them.
  return absl::UnavailableError(std::move(text));
}

namespace {

absl::StatusOr<Reply> ToResult(absl::string_view command, Reply reply) {
  if (reply.type == Reply::Type::kError) return ErrorStatus(command, reply.str);
  return reply;
}

// A key or command outside the user's ACL ("NOPERM this user has no permissions to access one of
// the keys used as arguments"; from a script's redis.call "ERR The user executing the script
// can't access at least one of the keys..."): the message says which user, for the operator.
absl::Status NamingUser(absl::Status status, const RedisOptions& options) {
  if (status.ok() || options.user.empty() ||
      !(absl::StrContains(status.message(), "NOPERM") ||
        absl::StrContains(status.message(), "user executing the script can't access"))) {
    return status;
  }
  return absl::Status(status.code(),
                      absl::StrCat(status.message(), " (redis user '", options.user, "')"));
}

bool IsNoScript(const Reply& reply) {
  return reply.type == Reply::Type::kError && absl::StartsWith(reply.str, "NOSCRIPT");
}

// The default action of SIGPIPE kills the process, and hiredis writes without MSG_NOSIGNAL. A
// handler the program installed itself is left alone.
void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current = {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  });
}

absl::StatusOr<int64_t> IntInRange(const common::Config& config, const char* key,
                                   int64_t fallback, int64_t low, int64_t high) {
  absl::StatusOr<int64_t> value = config.GetInt(key, fallback);
  if (!value.ok()) return value.status();
  if (*value < low || *value > high) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", key, ": ", *value, " is outside ", low, "..", high));
  }
  return value;
}

// Who authenticates, for messages: the user and where its password came from, never the
// password itself.
std::string Principal(const RedisOptions& options) {
  std::string who = options.user.empty() ? std::string("the default user")
                                         : absl::StrCat("user '", options.user, "'");
  if (!options.credentials_file.empty()) {
    absl::StrAppend(&who, " (credentials from ", options.credentials_file, ")");
  }
  return who;
}

}  // namespace

absl::Status LoadCredentials(const std::string& file, RedisOptions& options) {
  absl::StatusOr<std::string> text = common::ReadFile(file);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis credentials file ", file, ": cannot be read"));
  }
  std::string user;
  std::string password;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t equals = line.find('=');
    const absl::string_view key =
        absl::StripAsciiWhitespace(line.substr(0, std::min(equals, line.size())));
    // The value is the rest of the line (it may hold '=' and inner spaces); the whitespace
    // around the line, a CR included, is not part of it.
    const absl::string_view value =
        equals == absl::string_view::npos ? absl::string_view() : line.substr(equals + 1);
    if (equals == absl::string_view::npos || (key != "user" && key != "password")) {
      // The line is not quoted: it may be a password put there without its key.
      return absl::InvalidArgumentError(absl::StrCat("redis credentials file ", file, ": line ",
                                                     line_number,
                                                     " is not user=<name> or password=<password>"));
    }
    (key == "user" ? user : password) = std::string(value);
  }
  if (password.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis credentials file ", file, ": no password=<password> line"));
  }
  options.user = std::move(user);
  options.password = std::move(password);
  options.credentials_file = file;
  return absl::OkStatus();
}

absl::StatusOr<RedisOptions> RedisOptions::FromConfig(const common::Config& config) {
  RedisOptions options;
  options.host = config.GetString("redis.host", options.host);
  if (options.host.empty()) return absl::InvalidArgumentError("config redis.host: empty");
  options.user = config.GetString("redis.user");
  options.password = config.GetString("redis.password");
  const std::string credentials_file = config.GetString("redis.credentials_file");
  if (!credentials_file.empty()) {
    RedisOptions from_file;
    if (absl::Status status = LoadCredentials(credentials_file, from_file); !status.ok()) {
      return status;
    }
    if (!from_file.user.empty()) options.user = from_file.user;
    options.password = from_file.password;
    options.credentials_file = credentials_file;
  }

  auto port = IntInRange(config, "redis.port", options.port, 1, 65535);
  if (!port.ok()) return port.status();
  options.port = static_cast<int>(*port);
  auto db = IntInRange(config, "redis.db", options.db, 0, INT_MAX);
  if (!db.ok()) return db.status();
  options.db = static_cast<int>(*db);

  auto connect_ms = IntInRange(config, "redis.connect_timeout_ms",
                               absl::ToInt64Milliseconds(options.connect_timeout), 1, INT_MAX);
  if (!connect_ms.ok()) return connect_ms.status();
  options.connect_timeout = absl::Milliseconds(*connect_ms);
  auto command_ms = IntInRange(config, "redis.command_timeout_ms",
                               absl::ToInt64Milliseconds(options.command_timeout), 1, INT_MAX);
  if (!command_ms.ok()) return command_ms.status();
  options.command_timeout = absl::Milliseconds(*command_ms);
  return options;
}

struct RedisClient::Impl {
  // Replaces the connection; AUTH and SELECT run again, and cached SHAs are forgotten.
  absl::Status Open();
  absl::Status EnsureOpen() { return context ? absl::OkStatus() : Open(); }
  // Drops a broken connection (hiredis cannot use a context after an I/O error).
  absl::Status Drop(absl::string_view command);

  // Error replies come back as Reply::Type::kError; only connection errors fail.
  absl::StatusOr<Reply> Execute(const std::vector<std::string>& argv);
  // `retryable` is set when the connection broke before any reply was read.
  absl::StatusOr<std::vector<Reply>> PipelineOnce(
      const std::vector<std::vector<std::string>>& commands, bool& retryable);
  absl::StatusOr<std::string> Sha(const Script& script);
  absl::StatusOr<Reply> EvalSha(const Script& script, std::vector<std::string>& argv);

  std::string Where() const { return absl::StrCat(options.host, ":", options.port); }

  RedisOptions options;
  // Set by Open when the server answered AUTH or SELECT with an error: refused credentials or
  // rights, not an outage.
  bool refused = false;
  ContextPtr context;  // null after a connection error, until the next call reopens it
  std::unordered_map<std::string, std::string> script_shas;  // by source, for `context`
  std::shared_ptr<spdlog::logger> logger = common::ModuleLogger("redis");
};

absl::Status RedisClient::Impl::Open() {
  context.reset();
  script_shas.clear();
  ContextPtr fresh(redisConnectWithTimeout(options.host.c_str(), options.port,
                                           absl::ToTimeval(options.connect_timeout)));
  if (fresh == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis connect to ", Where(), ": out of memory"));
  }
  if (fresh->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("redis connect to ", Where(), " failed: ", fresh->errstr));
  }
  if (redisSetTimeout(fresh.get(), absl::ToTimeval(options.command_timeout)) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("redis set timeout on ", Where(), " failed: ", fresh->errstr));
  }
  // The AUTH arguments hold the password: messages name the command and the user only (Redis's
  // own replies, e.g. "WRONGPASS invalid username-password pair", never quote it).
  std::vector<std::vector<std::string>> setup;
  if (!options.password.empty() && options.user.empty()) {
    setup.push_back({"AUTH", options.password});
  } else if (!options.password.empty()) {
    setup.push_back({"AUTH", options.user, options.password});
  }
  if (options.db != 0) setup.push_back({"SELECT", absl::StrCat(options.db)});
  refused = false;
  for (const auto& argv : setup) {
    ReplyPtr reply = SendCommand(fresh.get(), argv);
    if (reply == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("redis ", argv[0], " on ", Where(), " failed: ", fresh->errstr));
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      refused = true;
      return absl::UnavailableError(absl::StrCat("redis ", argv[0], " on ", Where(), " refused ",
                                                 Principal(options), ": ",
                                                 std::string(reply->str, reply->len)));
    }
  }
  context = std::move(fresh);
  return absl::OkStatus();
}

absl::Status RedisClient::Impl::Drop(absl::string_view command) {
  std::string message = absl::StrCat("redis connection to ", Where(), " lost during ", command,
                                     ": ", context->errstr);
  logger->warn("{}; reconnecting", message);
  context.reset();
  return absl::UnavailableError(std::move(message));
}

absl::StatusOr<Reply> RedisClient::Impl::Execute(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("redis: empty command");
  absl::Status failure;
  for (int attempt = 0; attempt < 2; ++attempt) {
    failure = EnsureOpen();
    if (!failure.ok()) continue;
    if (ReplyPtr reply = SendCommand(context.get(), argv)) return Convert(*reply);
    failure = Drop(argv[0]);
  }
  return failure;
}

absl::StatusOr<std::vector<Reply>> RedisClient::Impl::PipelineOnce(
    const std::vector<std::vector<std::string>>& commands, bool& retryable) {
  retryable = true;
  if (absl::Status status = EnsureOpen(); !status.ok()) return status;
  RoundTrips().Increment();
  CommandsSent().Increment(static_cast<double>(commands.size()));
  // Appending only fills hiredis's output buffer; the first redisGetReply writes it out.
  for (const auto& argv : commands) {
    ArgvView view(argv);  // hiredis 0.14 takes `const char**`
    if (redisAppendCommandArgv(context.get(), view.argc(), view.pointers.data(),
                               view.lengths.data()) != REDIS_OK) {
      return Drop("pipeline");
    }
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context.get(), &raw) != REDIS_OK) {
      retryable = replies.empty();
      return Drop("pipeline");
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies.push_back(Convert(*reply));
  }
  return replies;
}

absl::StatusOr<std::string> RedisClient::Impl::Sha(const Script& script) {
  if (auto it = script_shas.find(script.source()); it != script_shas.end()) return it->second;
  absl::StatusOr<Reply> reply = Execute({"SCRIPT", "LOAD", script.source()});
  if (!reply.ok()) return reply.status();
  if (reply->type == Reply::Type::kError) return ErrorStatus("SCRIPT LOAD", reply->str);
  if (reply->type != Reply::Type::kString) {
    return absl::InternalError("redis SCRIPT LOAD: reply is not a string");
  }
  // Inserted after Execute, which clears the cache if it had to reconnect.
  script_shas[script.source()] = reply->str;
  return std::move(reply->str);
}

absl::StatusOr<Reply> RedisClient::Impl::EvalSha(const Script& script,
                                                 std::vector<std::string>& argv) {
  absl::StatusOr<std::string> sha = Sha(script);
  if (!sha.ok()) return sha.status();
  argv[1] = *std::move(sha);
  return Execute(argv);
}

RedisClient::RedisClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisClient::~RedisClient() = default;

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisOptions& options) {
  IgnoreSigpipe();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (absl::Status status = impl->Open(); !status.ok()) return status;
  return std::unique_ptr<RedisClient>(new RedisClient(std::move(impl)));
}

absl::Status CheckCredentials(const RedisOptions& options) {
  IgnoreSigpipe();
  RedisClient::Impl impl;
  impl.options = options;
  absl::Status status = impl.Open();
  if (!status.ok()) {
    return impl.refused ? absl::PermissionDeniedError(status.message()) : status;
  }
  // No credentials at all, against a server whose default user is off or has a password: every
  // command would be refused with NOAUTH.
  absl::StatusOr<Reply> ping = impl.Execute({"PING"});
  if (!ping.ok()) return ping.status();
  if (ping->type == Reply::Type::kError && absl::StartsWith(ping->str, "NOAUTH")) {
    return absl::PermissionDeniedError(
        absl::StrCat("redis at ", impl.Where(), " refused ", Principal(options), ": ", ping->str,
                     " (no password configured: set redis.credentials_file)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Reply> RedisClient::Command(const std::vector<std::string>& argv) {
  absl::StatusOr<Reply> reply = impl_->Execute(argv);
  if (!reply.ok()) return reply.status();
  absl::StatusOr<Reply> result = ToResult(argv[0], *std::move(reply));
  if (!result.ok()) return NamingUser(result.status(), impl_->options);
  return result;
}

absl::StatusOr<std::vector<Reply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  for (const auto& argv : commands) {
    if (argv.empty()) return absl::InvalidArgumentError("redis: empty command in pipeline");
  }
  if (commands.empty()) return std::vector<Reply>();
  bool retryable = false;
  absl::StatusOr<std::vector<Reply>> replies = impl_->PipelineOnce(commands, retryable);
  if (!replies.ok() && retryable) replies = impl_->PipelineOnce(commands, retryable);
  return replies;
}

absl::StatusOr<Reply> RedisClient::Eval(const Script& script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"EVALSHA", "", absl::StrCat(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<Reply> reply = impl_->EvalSha(script, argv);
  // The server lost its script cache (restart, SCRIPT FLUSH, failover): load and try once more.
  if (reply.ok() && IsNoScript(*reply)) {
    impl_->script_shas.erase(script.source());
    reply = impl_->EvalSha(script, argv);
  }
  if (!reply.ok()) return NamingUser(reply.status(), impl_->options);
  absl::StatusOr<Reply> result = ToResult("EVALSHA", *std::move(reply));
  if (!result.ok()) return NamingUser(result.status(), impl_->options);
  return result;
}

absl::StatusOr<std::vector<Reply>> RedisClient::EvalMany(const Script& script,
                                                        const std::vector<ScriptCall>& calls) {
  if (calls.empty()) return std::vector<Reply>();
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::string> sha = impl_->Sha(script);
    if (!sha.ok()) return sha.status();
    std::vector<std::vector<std::string>> commands;
    commands.reserve(calls.size());
    for (const ScriptCall& call : calls) {
      std::vector<std::string>& argv = commands.emplace_back();
      argv.reserve(3 + call.keys.size() + call.args.size());
      argv.insert(argv.end(), {"EVALSHA", *sha, absl::StrCat(call.keys.size())});
      argv.insert(argv.end(), call.keys.begin(), call.keys.end());
      argv.insert(argv.end(), call.args.begin(), call.args.end());
    }
    absl::StatusOr<std::vector<Reply>> replies = Pipeline(commands);
    if (!replies.ok()) return replies.status();
    // A server that lost its script cache refuses every call of the pipeline alike: load the
    // script and run them all again.
    if (attempt == 0 && IsNoScript(replies->front())) {
      impl_->script_shas.erase(script.source());
      continue;
    }
    return replies;
  }
}

}  // namespace complaints::redis
