#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/process.h"

namespace complaints::testsupport {

// The five service binaries running against the test Kafka and Redis, each on a free gRPC port,
// with consumer groups of their own so that every test sees a fresh platform.
class Platform {
 public:
  struct Options {
    // Extra COMPLAINTS_* settings for every service, e.g. an accelerated clock.
    std::map<std::string, std::string> env;
    // Intake processes beyond the first, named "intake-2", "intake-3"...: the same binary and
    // settings (so the same consumer group and Redis), each on a port of its own.
    int extra_intakes = 0;
  };

  explicit Platform(const Options& options);
  ~Platform();

  // Waits until every process answers the gRPC health check with SERVING.
  bool WaitUntilServing(absl::Duration timeout);

  // A channel to `service` over mutual TLS as `principal` ("branch:BJ-0101", a credential of
  // deploy/certs.sh); without one, as the administrator, whose rights cover every RPC.
  std::shared_ptr<grpc::Channel> Channel(const std::string& service) const;
  std::shared_ptr<grpc::Channel> Channel(const std::string& service,
                                         const std::string& principal) const;
  // "127.0.0.1:<port>" of a service's gRPC server, for clients run as processes.
  std::string Address(const std::string& service) const;
  // The service's /metrics, in the Prometheus text format ("" if it cannot be fetched).
  std::string ScrapeMetrics(const std::string& service) const;
  ChildProcess& Process(const std::string& service) { return *processes_.at(service); }
  // The tail of a service's log, for failure messages.
  std::string LogTail(const std::string& service) const;
  // A service's log file, and every service's (for ScanLogs).
  const std::string& LogFile(const std::string& service) const { return logs_.at(service); }
  std::vector<std::string> LogFiles() const;

  static std::string KafkaBootstrap();
  static std::string RedisPort();

 private:
  std::map<std::string, int> ports_;
  std::map<std::string, std::string> logs_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
};

// The value of the sample `name{labels}` in a /metrics text (labels exactly as exposed, e.g.
// `grpc_method="SubmitComplaint"` inside a longer set), summed over the lines that hold all of
// them; 0 when there is none.
double MetricValue(const std::string& exposition, const std::string& name,
                   const std::vector<std::string>& labels = {});
// Empty when Prometheus's promtool accepts `exposition`, else what it said.
std::string PromtoolProblems(const std::string& exposition);

// Waits until the gRPC server at `address` answers the health check SERVING (asked as the
// administrator, over mutual TLS); false at `timeout`, or as soon as `process` has exited.
bool WaitUntilServing(const std::string& address, ChildProcess& process, absl::Duration timeout);

// Where CMake put a service's binary (see tests/CMakeLists.txt).
std::string ServiceBinary(const std::string& service);

// The services by name, as their binaries are called.
inline const std::vector<std::string> kServices = {"intake", "routing", "sla_timer", "followup",
                                                   "analytics"};

}  // namespace complaints::testsupport
