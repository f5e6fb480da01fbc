#include "libs/grpcutil/status.h"

#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace complaints::grpcutil {
namespace {

TEST(StatusTest, MapsCodesOneToOneAndKeepsMessage) {
  const grpc::Status s = ToGrpcStatus(absl::NotFoundError("complaint_id: no such complaint"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "complaint_id: no such complaint");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("x")).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(StatusTest, FieldErrorNamesTheField) {
  const absl::Status s = FieldError("customer.phone", "must be 11 digits");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "customer.phone: must be 11 digits");
  auto bad_request = BadRequestOf(s);
  ASSERT_TRUE(bad_request.has_value());
  ASSERT_EQ(bad_request->field_violations_size(), 1);
  EXPECT_EQ(bad_request->field_violations(0).field(), "customer.phone");
}

TEST(StatusTest, FieldViolationsNameEveryFieldInOrder) {
  FieldViolations violations;
  EXPECT_TRUE(violations.empty());
  EXPECT_TRUE(violations.ToStatus().ok());
  violations.Add("customer.phone", "is a 95xxx service number, not a customer's");
  violations.Add("description", "is blank");
  EXPECT_TRUE(violations.Has("description"));
  EXPECT_FALSE(violations.Has("customer"));
  const absl::Status s = violations.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "customer.phone: is a 95xxx service number, not a customer's; description: is blank");
  auto bad_request = BadRequestOf(s);
  ASSERT_TRUE(bad_request.has_value());
  ASSERT_EQ(bad_request->field_violations_size(), 2);
  EXPECT_EQ(bad_request->field_violations(1).field(), "description");
  EXPECT_EQ(bad_request->field_violations(1).description(), "is blank");
  EXPECT_FALSE(BadRequestOf(absl::InvalidArgumentError("no details")).has_value());
}

// What a client does with the status (grpcurl, grpcio-status's rpc_status.from_call, grpc-go's
// status.FromError): parse the binary details as a google.rpc.Status, unpack its Any.
TEST(StatusTest, GrpcStatusCarriesTheBadRequestInItsBinaryDetails) {
  FieldViolations violations;
  violations.Add("customer.card_number", "check digit does not match (Luhn)");
  violations.Add("customer.id_number", "check character does not match (GB 11643)");
  const grpc::Status s = ToGrpcStatus(violations.ToStatus());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "customer.card_number: check digit does not match (Luhn); customer.id_number: check "
            "character does not match (GB 11643)");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.code(), 3);  // google.rpc.Code.INVALID_ARGUMENT
  EXPECT_EQ(details.message(), s.error_message());
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "customer.card_number");
  EXPECT_EQ(bad_request.field_violations(1).field(), "customer.id_number");

  // A status without payloads has no details.
  EXPECT_TRUE(ToGrpcStatus(absl::UnavailableError("kafka down")).error_details().empty());
}

}  // namespace
}  // namespace complaints::grpcutil
