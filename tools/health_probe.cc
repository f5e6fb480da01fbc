// health_probe <host:port> [timeout_seconds]: waits until the gRPC server answers the standard
// health check with SERVING (exit 0) or the timeout passes (exit 1). Used by deploy/services.sh.
// Connects with mutual TLS as operations:ops (COMPLAINTS_PROBE_PRINCIPAL), or in plaintext
// under COMPLAINTS_GRPC_PLAINTEXT=true (grpcutil::ClientChannel).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/grpcutil/client_credentials.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <host:port> [timeout_seconds]\n", argv[0]);
    return 2;
  }
  const int timeout_seconds = argc > 2 ? std::atoi(argv[2]) : 30;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  auto stub = grpc::health::v1::Health::NewStub(
      complaints::grpcutil::ClientChannel(argv[1], std::getenv("COMPLAINTS_PROBE_PRINCIPAL") != nullptr
                                                       ? std::getenv("COMPLAINTS_PROBE_PRINCIPAL")
                                                       : "operations:ops"));
  for (;;) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      std::printf("%s: SERVING\n", argv[1]);
      return 0;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::fprintf(stderr, "%s: not serving (%s)\n", argv[1],
                   status.ok() ? "NOT_SERVING" : status.error_message().c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}
