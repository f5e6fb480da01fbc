#include "services/analytics/analytics_grpc.h"

#include "libs/grpcutil/status.h"

namespace complaints::analytics {

using grpcutil::ToGrpcStatus;

grpc::Status AnalyticsGrpcService::GetTimeline(grpc::ServerContext*,
                                               const analytics::v1::GetTimelineRequest* request,
                                               analytics::v1::GetTimelineResponse* response) {
  auto result = analytics_->GetTimeline(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status AnalyticsGrpcService::GetCounts(grpc::ServerContext*,
                                             const analytics::v1::GetCountsRequest*,
                                             analytics::v1::GetCountsResponse* response) {
  auto result = analytics_->GetCounts();
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace complaints::analytics
