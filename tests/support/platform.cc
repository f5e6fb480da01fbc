#include "tests/support/platform.h"

#include <cstdlib>
#include <fstream>
#include <random>

#include "grpc/health/v1/health.grpc.pb.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "httplib.h"
#include "libs/common/files.h"
#include "libs/grpcutil/client_credentials.h"
#include "tests/support/eventually.h"

namespace complaints::testsupport {
namespace {

std::string RunId() {
  std::random_device random;
  return std::to_string(random()) + std::to_string(random());
}

}  // namespace

std::string ServiceBinary(const std::string& service) {
  return std::string(COMPLAINTS_BINARY_DIR) + "/services/" + service + "/" + service;
}

std::string Platform::KafkaBootstrap() { return EnvOr("KAFKA_BOOTSTRAP", "127.0.0.1:9092"); }
std::string Platform::RedisPort() { return EnvOr("REDIS_PORT", "6379"); }

Platform::Platform(const Options& options) {
  const std::string run = RunId();
  const std::string log_dir = EnvOr("TEST_LOG_DIR", "/tmp");
  std::vector<std::pair<std::string, std::string>> instances;  // name, binary
  for (const std::string& service : kServices) instances.emplace_back(service, service);
  for (int i = 0; i < options.extra_intakes; ++i) {
    instances.emplace_back("intake-" + std::to_string(i + 2), "intake");
  }
  for (const auto& [name, binary] : instances) {
    const std::string& service = name;
    ports_[service] = FreePort();
    logs_[service] = log_dir + "/e2e-" + run + "-" + service + ".log";
    // Each binary as its own Redis ACL user; a test's own Redis (options.env) loads the same
    // users (RedisServer::Acl::kStack).
    std::map<std::string, std::string> env = ServiceRedisEnv(binary, RedisPort());
    env.insert({
        {"COMPLAINTS_KAFKA_BOOTSTRAP", KafkaBootstrap()},
        {"COMPLAINTS_GRPC_ADDRESS", "127.0.0.1:" + std::to_string(ports_[service])},
        // Any free port, read back from the log: a port picked here could be taken by the time
        // the service binds it.
        {"COMPLAINTS_METRICS_ADDRESS", "127.0.0.1:0"},
        {"COMPLAINTS_KAFKA_GROUP_ID", "e2e-" + run + "-" + binary},
        {"COMPLAINTS_LOG_LEVEL", "debug"},
    });
    // Each service authenticates to Kafka as itself when the stack has credentials
    // (deploy/stack-credentials.sh); the test process itself runs as the admin.
    if (const std::string dir = EnvOr("STACK_CREDENTIALS_DIR", ""); !dir.empty()) {
      env["COMPLAINTS_KAFKA_CREDENTIALS_FILE"] = dir + "/kafka-" + binary;
    }
    for (const auto& [name, value] : options.env) env[name] = value;
    processes_[service] =
        std::make_unique<ChildProcess>(ServiceBinary(binary), std::vector<std::string>{}, env,
                                       logs_[service]);
  }
}

Platform::~Platform() {
  for (auto& [service, process] : processes_) process->Stop();
}

std::shared_ptr<grpc::Channel> Platform::Channel(const std::string& service) const {
  return Channel(service, grpcutil::kDefaultClientPrincipal);
}

std::shared_ptr<grpc::Channel> Platform::Channel(const std::string& service,
                                                 const std::string& principal) const {
  return grpcutil::ClientChannel(Address(service), principal);
}

std::string Platform::Address(const std::string& service) const {
  return "127.0.0.1:" + std::to_string(ports_.at(service));
}

std::string Platform::ScrapeMetrics(const std::string& service) const {
  // "metrics on http://127.0.0.1:<port>/metrics", logged by runtime::StartGrpcServer.
  const std::string log = common::ReadFile(logs_.at(service)).value_or("");
  const std::string marker = "metrics on http://127.0.0.1:";
  const size_t at = log.rfind(marker);
  int port = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(log.substr(at + marker.size(),
                                   log.find('/', at + marker.size()) - at - marker.size()),
                        &port)) {
    return "";
  }
  httplib::Client client("127.0.0.1", port);
  auto response = client.Get("/metrics");
  return response && response->status == 200 ? response->body : "";
}

double MetricValue(const std::string& exposition, const std::string& name,
                   const std::vector<std::string>& labels) {
  double total = 0;
  for (const absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, name + "{") && !absl::StartsWith(line, name + " ")) continue;
    const size_t value_at = line.rfind(' ');
    const absl::string_view series = line.substr(0, value_at);
    bool all = true;
    for (const std::string& label : labels) all &= absl::StrContains(series, label);
    double value = 0;
    if (all && absl::SimpleAtod(line.substr(value_at + 1), &value)) total += value;
  }
  return total;
}

std::string PromtoolProblems(const std::string& exposition) {
  const std::string file = EnvOr("TEST_LOG_DIR", "/tmp") + "/metrics-" + RunId() + ".prom";
  if (!(std::ofstream(file) << exposition)) return "cannot write " + file;
  const std::string out = file + ".promtool";
  const int status = std::system(("promtool check metrics < " + file + " > " + out + " 2>&1").c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return "promtool: " + common::ReadFile(out).value_or("(no output)");
}

bool Platform::WaitUntilServing(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (const auto& [service, port] : ports_) {
    if (!testsupport::WaitUntilServing(Address(service), *processes_[service],
                                       deadline - absl::Now())) {
      return false;
    }
  }
  return true;
}

bool WaitUntilServing(const std::string& address, ChildProcess& process, absl::Duration timeout) {
  // A channel of its own for every probe: a channel whose first attempt found the port not yet
  // open waits out gRPC's reconnect backoff (1 s, growing 1.6x) before it tries again, which
  // kept every e2e test waiting ~14 s for a platform that was already serving.
  grpc::ChannelArguments own_connection;
  own_connection.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  bool serving = false;
  WaitFor(
      [&] {
        auto stub = grpc::health::v1::Health::NewStub(
            grpcutil::ClientChannel(address, grpcutil::kDefaultClientPrincipal, own_connection));
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
        grpc::health::v1::HealthCheckRequest request;
        grpc::health::v1::HealthCheckResponse response;
        serving = stub->Check(&context, request, &response).ok() &&
                  response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
        return serving || !process.Running();
      },
      timeout, absl::Milliseconds(100));
  return serving;
}

std::string Platform::LogTail(const std::string& service) const {
  const std::string all = common::ReadFile(logs_.at(service)).value_or("");
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

std::vector<std::string> Platform::LogFiles() const {
  std::vector<std::string> files;
  for (const auto& [service, file] : logs_) files.push_back(file);
  return files;
}

}  // namespace complaints::testsupport
