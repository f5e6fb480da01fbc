#include "tests/support/process.h"

#include <mutex>
#include <random>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "libs/common/files.h"
#include "tests/support/eventually.h"

extern char** environ;

namespace complaints::testsupport {

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env,
                           const std::string& log_file)
    : log_file_(log_file) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    // The parent may block signals (gRPC, our runtime); the child starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() { Stop(); }

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::Kill(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int ChildProcess::Stop(int grace_seconds) {
  if (!Running()) return exit_status_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_seconds);
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
      pid_ = -1;
      exit_status_ = -SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return exit_status_;
}

CommandResult RunCommand(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& log_file, int timeout_seconds) {
  // A fresh file per run, so that the output is this run's alone.
  std::remove(log_file.c_str());
  CommandResult result;
  {
    ChildProcess process(binary, args, {}, log_file);
    if (!WaitFor([&] { return !process.Running(); }, absl::Seconds(timeout_seconds),
                 absl::Milliseconds(20))) {
      process.Kill(SIGKILL);
    }
    result.exit_code = process.Stop();
  }
  const absl::StatusOr<std::string> output = common::ReadFile(log_file);
  if (output.ok()) result.output = *output;
  return result;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

namespace {

std::vector<std::string> RedisArgs(int port, const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"--port", std::to_string(port), "--bind",   "127.0.0.1",
                                   "--save", "",                    "--appendonly", "no",
                                   "--dir",  "/tmp"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return args;
}

std::vector<std::string> WithAcl(std::vector<std::string> extra_args, RedisServer::Acl acl) {
  const std::string dir = EnvOr("STACK_CREDENTIALS_DIR", "");
  if (acl == RedisServer::Acl::kStack && !dir.empty()) {
    extra_args.insert(extra_args.begin(), {"--aclfile", dir + "/redis-users.acl"});
  }
  return extra_args;
}

}  // namespace

std::string RedisCredentialsFile(const std::string& user) {
  const std::string dir = EnvOr("STACK_CREDENTIALS_DIR", "");
  return dir.empty() ? "" : dir + "/redis-" + user;
}

std::map<std::string, std::string> ServiceRedisEnv(const std::string& service,
                                                   const std::string& port) {
  std::map<std::string, std::string> env = {{"COMPLAINTS_REDIS_PORT", port}};
  if (std::string file = RedisCredentialsFile(service); !file.empty()) {
    env["COMPLAINTS_REDIS_CREDENTIALS_FILE"] = std::move(file);
  }
  return env;
}

RedisServer::RedisServer(const std::string& log_file, const std::vector<std::string>& extra_args,
                         Acl acl)
    : port_(FreePort()),
      log_file_(log_file),
      extra_args_(WithAcl(extra_args, acl)),
      process_(std::make_unique<ChildProcess>("/usr/bin/redis-server",
                                              RedisArgs(port_, extra_args_),
                                              std::map<std::string, std::string>{}, log_file)) {}

void RedisServer::Restart() {
  process_->Kill(SIGKILL);
  process_->Stop(5);
  process_ = std::make_unique<ChildProcess>("/usr/bin/redis-server", RedisArgs(port_, extra_args_),
                                            std::map<std::string, std::string>{}, log_file_);
}

bool RedisServer::WaitUntilReady(int timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (connected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string UniqueMobile() {
  static std::mt19937_64 random{std::random_device{}()};
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::string phone = "13";
  for (int i = 0; i < 9; ++i) phone.push_back(static_cast<char>('0' + random() % 10));
  return phone;
}

}  // namespace complaints::testsupport
