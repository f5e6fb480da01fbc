#pragma once

#include "grpcpp/support/server_interceptor.h"

namespace complaints::grpcutil {

// Counts every RPC a server handles and times it, into the process's metrics registry
// (libs/metrics): grpc_server_handled_total{grpc_service, grpc_method, grpc_code} and
// grpc_server_handling_seconds{grpc_service, grpc_method} (the names go-grpc-prometheus uses, so
// existing dashboards and alert rules apply). The time runs from the call's arrival to its status
// being sent. ServerRunner installs it on every server.
class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace complaints::grpcutil
