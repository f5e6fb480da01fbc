#include "libs/grpcutil/server.h"

#include <fstream>
#include <sstream>

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

grpc::health::v1::HealthCheckResponse::ServingStatus Status(ServerRunner& runner,
                                                           const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(runner.port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!health->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

// A dependency outage takes the instance out of load balancing (readiness asks for "") but does
// not fail liveness, which would restart it for nothing.
TEST(ServerTest, SetServingChangesTheOverallStatusButNotLiveness) {
  using grpc::health::v1::HealthCheckResponse;
  ServerRunner runner(ServerOptions{});
  ASSERT_TRUE(runner.Start().ok());
  const std::string liveness(kLivenessService);
  EXPECT_EQ(Status(runner, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Status(runner, liveness), HealthCheckResponse::SERVING);
  runner.SetServing(false);
  EXPECT_EQ(Status(runner, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Status(runner, liveness), HealthCheckResponse::SERVING);
  runner.SetServing(true);
  EXPECT_EQ(Status(runner, ""), HealthCheckResponse::SERVING);

  runner.Shutdown();
  runner.SetServing(true);  // too late: draining stays NOT_SERVING
  EXPECT_NE(Status(runner, ""), HealthCheckResponse::SERVING);
  runner.Wait();
}

std::string TestData(const std::string& name) {
  return std::string(COMPLAINTS_SOURCE_DIR) + "/libs/grpcutil/testdata/" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return health->Check(&context, request, &response);
}

TEST(ServerTest, ServesOverTls) {
  ServerOptions options;
  options.tls.cert_file = TestData("server.crt");
  options.tls.key_file = TestData("server.key");
  ServerRunner runner(options);
  ASSERT_TRUE(runner.Start().ok());
  // The certificate names 127.0.0.1 too: no name lookup (c-ares leaks a little under LSan).
  const std::string target = "127.0.0.1:" + std::to_string(runner.port());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadAll(TestData("ca.crt"));
  EXPECT_TRUE(CheckHealth(grpc::CreateChannel(target, grpc::SslCredentials(ssl))).ok());
  // A plaintext client gets nowhere.
  EXPECT_FALSE(
      CheckHealth(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())).ok());
}

TEST(ServerTest, MutualTlsRejectsClientsWithoutACertificate) {
  ServerOptions options;
  options.tls.cert_file = TestData("server.crt");
  options.tls.key_file = TestData("server.key");
  options.tls.client_ca_file = TestData("ca.crt");
  ServerRunner runner(options);
  ASSERT_TRUE(runner.Start().ok());
  // The certificate names 127.0.0.1 too: no name lookup (c-ares leaks a little under LSan).
  const std::string target = "127.0.0.1:" + std::to_string(runner.port());

  grpc::SslCredentialsOptions anonymous;
  anonymous.pem_root_certs = ReadAll(TestData("ca.crt"));
  EXPECT_FALSE(CheckHealth(grpc::CreateChannel(target, grpc::SslCredentials(anonymous))).ok());

  // The server's own certificate is signed by the CA, so it serves as a client one here.
  grpc::SslCredentialsOptions with_certificate = anonymous;
  with_certificate.pem_cert_chain = ReadAll(TestData("server.crt"));
  with_certificate.pem_private_key = ReadAll(TestData("server.key"));
  EXPECT_TRUE(
      CheckHealth(grpc::CreateChannel(target, grpc::SslCredentials(with_certificate))).ok());
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
