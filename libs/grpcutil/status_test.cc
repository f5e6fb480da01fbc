#include "libs/grpcutil/status.h"

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
}

}  // namespace
}  // namespace complaints::grpcutil
