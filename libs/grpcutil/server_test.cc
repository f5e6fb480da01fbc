#include "libs/grpcutil/server.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/common/files.h"
#include "libs/metrics/metrics.h"

namespace complaints::grpcutil {
namespace {

// A GetComplaint that holds its call open until the test lets it go: an in-flight call.
class HeldService final : public intake::v1::IntakeService::Service {
 public:
  grpc::Status GetComplaint(grpc::ServerContext*, const intake::v1::GetComplaintRequest* request,
                            intake::v1::GetComplaintResponse* response) override {
    std::unique_lock lock(mu_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
    response->mutable_complaint()->set_complaint_id(request->complaint_id());
    return grpc::Status::OK;
  }
  bool WaitUntilEntered(absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                             [this] { return entered_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool released_ = false;
};

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         grpc::health::v1::HealthCheckResponse* response = nullptr) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse ignored;
  return health->Check(&context, request, response != nullptr ? response : &ignored);
}

TEST(ServerTest, ServesHealthOnAFreePort) {
  ServerRunner runner(ServerOptions{});
  ASSERT_TRUE(runner.Start().ok());
  ASSERT_GT(runner.port(), 0);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(runner.port()),
                                     grpc::InsecureChannelCredentials());
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(CheckHealth(channel, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Every RPC is counted by service, method and status code, and timed (metrics_interceptor.h).
TEST(ServerTest, CountsAndTimesEveryRpcByMethodAndCode) {
  auto& registry = metrics::Registry::Default();
  auto& handled = registry.AddCounter("grpc_server_handled_total", "",
                                      {"grpc_service", "grpc_method", "grpc_code"});
  auto& latency = registry.AddHistogram("grpc_server_handling_seconds", "",
                                        {"grpc_service", "grpc_method"});
  const std::string service = "complaints.intake.v1.IntakeService";
  auto& ok = handled.With({service, "GetComplaint", "OK"});
  auto& unimplemented = handled.With({service, "SubmitComplaint", "UNIMPLEMENTED"});
  auto& timed = latency.With({service, "GetComplaint"});
  const double ok_before = ok.Value(), unimplemented_before = unimplemented.Value();
  const uint64_t timed_before = timed.Read().cumulative.back();

  HeldService held;
  held.Release();
  ServerOptions options;
  ServerRunner runner(options);
  runner.AddService(&held);
  ASSERT_TRUE(runner.Start().ok());
  auto stub = intake::v1::IntakeService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(runner.port()), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    intake::v1::GetComplaintResponse response;
    ASSERT_TRUE(stub->GetComplaint(&context, {}, &response).ok());
  }
  grpc::ClientContext context;
  intake::v1::SubmitComplaintResponse response;
  EXPECT_EQ(stub->SubmitComplaint(&context, {}, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  runner.Shutdown();  // the status is counted as it is sent: all of them are by now

  EXPECT_EQ(ok.Value() - ok_before, 2);
  EXPECT_EQ(unimplemented.Value() - unimplemented_before, 1);
  EXPECT_EQ(timed.Read().cumulative.back() - timed_before, 2u);
}

TEST(ServerTest, ShutdownLetsAnInFlightCallFinishWhileRefusingNewOnes) {
  ServerOptions options;
  options.shutdown_grace = absl::Seconds(30);
  ServerRunner runner(options);
  HeldService held;
  runner.AddService(&held);
  ASSERT_TRUE(runner.Start().ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(runner.port()),
                                     grpc::InsecureChannelCredentials());

  std::atomic<bool> in_flight_done = false;
  grpc::Status in_flight_status;
  intake::v1::GetComplaintResponse in_flight_response;
  std::thread in_flight([&] {
    auto stub = intake::v1::IntakeService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    intake::v1::GetComplaintRequest request;
    request.set_complaint_id("CMP1");
    in_flight_status = stub->GetComplaint(&context, request, &in_flight_response);
    in_flight_done = true;
  });
  ASSERT_TRUE(held.WaitUntilEntered(absl::Seconds(10)));

  std::atomic<bool> shutdown_done = false;
  std::thread shutdown([&] {
    runner.Shutdown();
    runner.Wait();
    shutdown_done = true;
  });

  // Shutdown has begun once a new call is refused (health may still read SERVING until the
  // shutdown thread gets going, then NOT_SERVING, then no call is taken at all).
  bool refused = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!refused && absl::Now() < deadline) {
    grpc::health::v1::HealthCheckResponse response;
    refused = !CheckHealth(grpc::CreateChannel("127.0.0.1:" + std::to_string(runner.port()),
                                               grpc::InsecureChannelCredentials()),
                           &response)
                   .ok();
  }
  EXPECT_TRUE(refused);
  // ... while the call that was in flight is still being served, and shutdown waits for it.
  EXPECT_FALSE(in_flight_done);
  EXPECT_FALSE(shutdown_done);

  held.Release();
  in_flight.join();
  shutdown.join();
  EXPECT_TRUE(in_flight_status.ok()) << in_flight_status.error_message();
  EXPECT_EQ(in_flight_response.complaint().complaint_id(), "CMP1");
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

std::string ReadAll(const std::string& path) { return common::ReadFile(path).value_or(""); }

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
