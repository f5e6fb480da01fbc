#include "libs/grpcutil/metrics_interceptor.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "libs/metrics/metrics.h"

namespace complaints::grpcutil {
namespace {

using grpc::experimental::InterceptionHookPoints;

metrics::Family<metrics::Counter>& Handled() {
  static auto& family = metrics::Registry::Default().AddCounter(
      "grpc_server_handled_total", "RPCs completed on the server, by status code.",
      {"grpc_service", "grpc_method", "grpc_code"});
  return family;
}

metrics::Family<metrics::Histogram>& Latency() {
  static auto& family = metrics::Registry::Default().AddHistogram(
      "grpc_server_handling_seconds", "Time from an RPC's arrival to its status, in seconds.",
      {"grpc_service", "grpc_method"});
  return family;
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info) : start_(absl::Now()) {
    // "/complaints.intake.v1.IntakeService/SubmitComplaint"
    const std::string full = info->method() == nullptr ? "" : info->method();
    const size_t slash = full.rfind('/');
    service_ = slash == std::string::npos || slash == 0 ? "unknown" : full.substr(1, slash - 1);
    method_ = slash == std::string::npos ? full : full.substr(slash + 1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto code = static_cast<absl::StatusCode>(methods->GetSendStatus().error_code());
      Handled().With({service_, method_, absl::StatusCodeToString(code)}).Increment();
      Latency().With({service_, method_}).Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  const absl::Time start_;
  std::string service_;
  std::string method_;
};

}  // namespace

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(info);
}

}  // namespace complaints::grpcutil
