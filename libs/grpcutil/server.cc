#include "libs/grpcutil/server.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "libs/common/files.h"
#include "libs/common/logging.h"
#include "libs/grpcutil/metrics_interceptor.h"

namespace complaints::grpcutil {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const TlsOptions& tls) {
  if (tls.cert_file.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(
      tls.client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  auto cert = common::ReadFile(tls.cert_file);
  if (!cert.ok()) return cert.status();
  auto key = common::ReadFile(tls.key_file);
  if (!key.ok()) return key.status();
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!tls.client_ca_file.empty()) {
    auto ca = common::ReadFile(tls.client_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<ServerOptions> ServerOptions::FromConfig(const common::Config& config,
                                                        std::string_view default_address) {
  ServerOptions options;
  options.address = config.GetString("grpc.address", default_address);
  // A certificate named without its key (or the reverse) is a mistake, whatever the defaults.
  if (config.GetString("grpc.tls.cert_file").empty() !=
      config.GetString("grpc.tls.key_file").empty()) {
    return absl::InvalidArgumentError("grpc.tls.cert_file and grpc.tls.key_file go together");
  }
  auto plaintext = config.GetBool("grpc.plaintext", false);
  if (!plaintext.ok()) return plaintext.status();
  if (!*plaintext) {
    const std::string dir = config.GetString("grpc.tls.dir", COMPLAINTS_DEFAULT_CERTS_DIR);
    options.tls.cert_file = config.GetString("grpc.tls.cert_file", dir + "/server.crt");
    options.tls.key_file = config.GetString("grpc.tls.key_file", dir + "/server.key");
    options.tls.client_ca_file = config.GetString("grpc.tls.client_ca_file", dir + "/ca.crt");
  } else {
    options.tls.cert_file = config.GetString("grpc.tls.cert_file");
    options.tls.key_file = config.GetString("grpc.tls.key_file");
    options.tls.client_ca_file = config.GetString("grpc.tls.client_ca_file");
  }
  auto grace_ms = config.GetInt("grpc.shutdown_grace_ms", 10000);
  if (!grace_ms.ok()) return grace_ms.status();
  options.shutdown_grace = absl::Milliseconds(*grace_ms);
  return options;
}

ServerRunner::ServerRunner(ServerOptions options) : options_(std::move(options)) {}

ServerRunner::~ServerRunner() { Shutdown(); }

void ServerRunner::AddService(grpc::Service* service) { services_.push_back(service); }

absl::Status ServerRunner::Start() {
  auto credentials = Credentials(options_.tls);
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  // gRPC's built-in health service carries no protobuf descriptor; linking the generated one
  // lets reflection describe it, so grpcurl and other generic clients can call it.
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.address, *credentials, &port_);
  for (grpc::Service* service : services_) {
    if (authorization_ != nullptr) authorization_->Install(service);
    builder.RegisterService(service);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>());
  if (authorization_ != nullptr) interceptors.push_back(authorization_->MaskingInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address));
  }
  {
    std::lock_guard lock(mu_);
    server_ = std::move(server);
    server_->GetHealthCheckService()->SetServingStatus(true);
    server_->GetHealthCheckService()->SetServingStatus(std::string(kLivenessService), true);
  }
  if (options_.tls.cert_file.empty()) {
    common::ModuleLogger("grpc")->warn(
        "listening on {} (port {}) in PLAINTEXT: callers are not authenticated (a development "
        "setting, grpc.plaintext; never in production)", options_.address, port_);
  } else {
    common::ModuleLogger("grpc")->info("listening on {} (port {}, {})", options_.address, port_,
                                       options_.tls.client_ca_file.empty() ? "TLS" : "mutual TLS");
  }
  return absl::OkStatus();
}

void ServerRunner::SetServing(bool serving) {
  std::lock_guard lock(mu_);
  if (server_ == nullptr || shut_down_) return;
  // The overall status ("") only: kLivenessService stays SERVING through a dependency outage.
  server_->GetHealthCheckService()->SetServingStatus("", serving);
}

void ServerRunner::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (server_ == nullptr || shut_down_) return;
    shut_down_ = true;
    server_->GetHealthCheckService()->SetServingStatus(false);
  }
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(options_.shutdown_grace));
}

void ServerRunner::Wait() {
  if (server_ != nullptr) server_->Wait();
}

void InstallShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

}  // namespace complaints::grpcutil
