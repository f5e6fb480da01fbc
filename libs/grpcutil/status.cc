#include "libs/grpcutil/status.h"

#include <algorithm>
#include <string>

#include "absl/strings/cord.h"
#include "google/rpc/status.pb.h"

namespace complaints::grpcutil {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  status.ForEachPayload([&details](absl::string_view type_url, const absl::Cord& payload) {
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  if (details.details().empty()) return grpc::Status(code, std::move(message));
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  return grpc::Status(code, std::move(message), details.SerializeAsString());
}

std::optional<google::rpc::BadRequest> BadRequestOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kBadRequestTypeUrl);  // an absl::optional
  if (!payload) return std::nullopt;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return std::nullopt;
  return bad_request;
}

void FieldViolations::Add(std::string_view field, std::string_view description) {
  violations_.emplace_back(std::string(field), std::string(description));
}

bool FieldViolations::Has(std::string_view field) const {
  return std::any_of(violations_.begin(), violations_.end(),
                     [field](const auto& violation) { return violation.first == field; });
}

absl::Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  std::string message;
  google::rpc::BadRequest bad_request;
  for (const auto& [field, description] : violations_) {
    if (!message.empty()) message += "; ";
    message += field + ": " + description;
    google::rpc::BadRequest::FieldViolation* violation = bad_request.add_field_violations();
    violation->set_field(field);
    violation->set_description(description);
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status FieldError(std::string_view field, std::string_view reason) {
  FieldViolations violations;
  violations.Add(field, reason);
  return violations.ToStatus();
}

}  // namespace complaints::grpcutil
