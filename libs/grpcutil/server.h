#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "libs/common/config.h"
#include "libs/grpcutil/authorization.h"

namespace complaints::grpcutil {

struct TlsOptions {
  std::string cert_file;       // server certificate chain (PEM); empty: plaintext
  std::string key_file;        // server private key (PEM)
  std::string client_ca_file;  // when set, clients must present a certificate it signed (mTLS)
};

struct ServerOptions {
  std::string address = "127.0.0.1:0";  // port 0: pick a free port (see ServerRunner::port)
  TlsOptions tls;
  absl::Duration shutdown_grace = absl::Seconds(10);

  // From `grpc.address`, `grpc.tls.*`, `grpc.shutdown_grace_ms`. Mutual TLS unless
  // `grpc.plaintext = true` (a development setting, warned about at start): the certificate,
  // key and client CA are `grpc.tls.cert_file`, `grpc.tls.key_file`, `grpc.tls.client_ca_file`,
  // by default server.crt, server.key and ca.crt in `grpc.tls.dir` (deploy/certs.sh makes them
  // in <repo>/.certs).
  static absl::StatusOr<ServerOptions> FromConfig(const common::Config& config,
                                                  std::string_view default_address);
};

// The health-check service name that says only "the process is alive": SERVING from Start to
// Shutdown, whatever the dependencies. Liveness probes ask for it, readiness probes for the
// overall status (""), so an instance waiting out a Redis or Kafka outage is taken out of load
// balancing but not restarted (restarting every instance would not bring Redis back).
inline constexpr std::string_view kLivenessService = "liveness";

// Builds and runs a gRPC server with the standard health service (grpc.health.v1: the overall
// status SERVING once started, NOT_SERVING while a dependency is down (SetServing) and while
// draining; kLivenessService NOT_SERVING only while draining) and server reflection, so grpcurl and
// Kubernetes probes work against any of our binaries.
class ServerRunner {
 public:
  explicit ServerRunner(ServerOptions options);
  ~ServerRunner();

  // Services must outlive the runner.
  void AddService(grpc::Service* service);
  // Every service's calls go through `authorization` (authorization.h), installed at Start.
  // Without one, every caller may call everything (unit tests of the runner only).
  void SetAuthorization(std::shared_ptr<Authorization> authorization) {
    authorization_ = std::move(authorization);
  }
  absl::Status Start();
  int port() const { return port_; }

  // The overall health status (service ""), e.g. NOT_SERVING while a dependency is down.
  // Ignored before Start and after Shutdown (which is NOT_SERVING for good). Thread-safe.
  void SetServing(bool serving);

  // Marks everything NOT_SERVING, lets in-flight calls finish for up to shutdown_grace, then
  // cancels the rest. Idempotent; safe from any thread except a signal handler.
  void Shutdown();
  void Wait();

 private:
  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::shared_ptr<Authorization> authorization_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex mu_;  // orders SetServing against Shutdown
  bool shut_down_ = false;
};

// Blocks the calling thread until SIGTERM or SIGINT arrives (both are blocked in every thread
// created after InstallShutdownSignals). Call InstallShutdownSignals first thing in main().
void InstallShutdownSignals();
int WaitForShutdownSignal();

}  // namespace complaints::grpcutil
