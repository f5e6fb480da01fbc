#include "libs/grpcutil/status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace complaints::grpcutil {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status FieldError(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(std::string(field) + ": " + std::string(reason));
}

}  // namespace complaints::grpcutil
