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

namespace complaints::analytics {

using grpcutil::ToGrpcStatus;

grpc::Status AnalyticsGrpcService::GetAggregates(grpc::ServerContext*,
                                                 const analytics::v1::GetAggregatesRequest* request,
                                                 analytics::v1::GetAggregatesResponse* response) {
  auto result = aggregates_->Aggregates(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status AnalyticsGrpcService::GetBacklog(grpc::ServerContext*,
                                              const analytics::v1::GetBacklogRequest* request,
                                              analytics::v1::GetBacklogResponse* response) {
  *response = aggregates_->Backlog(request->unit());
  return grpc::Status::OK;
}

grpc::Status AnalyticsGrpcService::ListHotSpots(grpc::ServerContext*,
                                                const analytics::v1::ListHotSpotsRequest* request,
                                                analytics::v1::ListHotSpotsResponse* response) {
  if (request->limit() < 0) {
    return ToGrpcStatus(grpcutil::FieldError("limit", "must not be negative"));
  }
  *response = aggregates_->HotSpots(request->limit());
  return grpc::Status::OK;
}

grpc::Status AnalyticsGrpcService::ExportMonthlyReport(
    grpc::ServerContext*, const analytics::v1::ExportMonthlyReportRequest* request,
    analytics::v1::ExportMonthlyReportResponse* response) {
  auto result = aggregates_->MonthlyReport(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace complaints::analytics
