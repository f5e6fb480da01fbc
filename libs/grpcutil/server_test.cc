#include "libs/grpcutil/server.h"

#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace complaints::grpcutil {
namespace {

TEST(ServerTest, ServesHealthOnAFreePortAndDrainsOnShutdown) {
  ServerRunner runner(ServerOptions{});
  ASSERT_TRUE(runner.Start().ok());
  ASSERT_GT(runner.port(), 0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(runner.port()),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  runner.Shutdown();
  runner.Wait();
}

TEST(ServerTest, OptionsRejectHalfATlsPair) {
  common::Config config({{"grpc.tls.cert_file", "/tmp/cert.pem"}});
  EXPECT_FALSE(ServerOptions::FromConfig(config, "127.0.0.1:0").ok());
}

TEST(ServerTest, StartFailsClearlyWhenTlsFilesAreMissing) {
  ServerOptions options;
  options.tls.cert_file = "/nonexistent/cert.pem";
  options.tls.key_file = "/nonexistent/key.pem";
  ServerRunner runner(options);
  EXPECT_EQ(runner.Start().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace complaints::grpcutil
