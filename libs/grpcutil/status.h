#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/support/status.h"

namespace complaints::grpcutil {

// The type URL under which a google.rpc.BadRequest travels: as an absl::Status payload and as
// the google.protobuf.Any in a google.rpc.Status's details.
inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// absl and gRPC share their status codes one to one. The message travels as it is; the payloads
// (e.g. the BadRequest of FieldViolations) travel as a serialized google.rpc.Status in the
// binary error details (trailer `grpc-status-details-bin`), where grpcurl, grpcio-status and
// grpc-go's status package read them.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The BadRequest `status` carries, if any.
std::optional<google::rpc::BadRequest> BadRequestOf(const absl::Status& status);

// Collects every bad field of a request, so that one answer names them all.
//   FieldViolations violations;
//   if (phone.empty()) violations.Add("customer.phone", "is required");
//   ...
//   return violations.ToStatus();
// Descriptions say what is wrong, never what the value was: requests carry customer data.
class FieldViolations {
 public:
  void Add(std::string_view field, std::string_view description);
  bool empty() const { return violations_.empty(); }
  // Whether `field` has a violation already (to skip checks that would only repeat it).
  bool Has(std::string_view field) const;
  const std::vector<std::pair<std::string, std::string>>& violations() const {
    return violations_;
  }

  // OK when there is none; otherwise InvalidArgument whose message lists every
  // "<field>: <description>" in the order added, joined by "; ", and which carries them as a
  // google.rpc.BadRequest payload (kBadRequestTypeUrl).
  absl::Status ToStatus() const;

 private:
  std::vector<std::pair<std::string, std::string>> violations_;
};

// InvalidArgument naming the offending request field: "<field>: <reason>", with the
// BadRequest payload of that one violation.
absl::Status FieldError(std::string_view field, std::string_view reason);

}  // namespace complaints::grpcutil
