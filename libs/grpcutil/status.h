#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace complaints::grpcutil {

// absl and gRPC share their status codes one to one; only the message travels.
grpc::Status ToGrpcStatus(const absl::Status& status);

// InvalidArgument naming the offending request field: "<field>: <reason>".
absl::Status FieldError(std::string_view field, std::string_view reason);

}  // namespace complaints::grpcutil
