#pragma once

#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "services/analytics/aggregates_consumer.h"
#include "services/analytics/analytics.h"

namespace complaints::analytics {

// AnalyticsService over gRPC: translation only, the work is Analytics' (timelines, counts) and
// AggregatesConsumer's (aggregates, backlog, hot spots, the monthly report).
class AnalyticsGrpcService final : public analytics::v1::AnalyticsService::Service {
 public:
  AnalyticsGrpcService(Analytics* analytics, AggregatesConsumer* aggregates)
      : analytics_(analytics), aggregates_(aggregates) {}

  grpc::Status GetTimeline(grpc::ServerContext* context,
                           const analytics::v1::GetTimelineRequest* request,
                           analytics::v1::GetTimelineResponse* response) override;
  grpc::Status GetCounts(grpc::ServerContext* context,
                         const analytics::v1::GetCountsRequest* request,
                         analytics::v1::GetCountsResponse* response) override;
  grpc::Status GetAggregates(grpc::ServerContext* context,
                             const analytics::v1::GetAggregatesRequest* request,
                             analytics::v1::GetAggregatesResponse* response) override;
  grpc::Status GetBacklog(grpc::ServerContext* context,
                          const analytics::v1::GetBacklogRequest* request,
                          analytics::v1::GetBacklogResponse* response) override;
  grpc::Status ListHotSpots(grpc::ServerContext* context,
                            const analytics::v1::ListHotSpotsRequest* request,
                            analytics::v1::ListHotSpotsResponse* response) override;
  grpc::Status ExportMonthlyReport(grpc::ServerContext* context,
                                   const analytics::v1::ExportMonthlyReportRequest* request,
                                   analytics::v1::ExportMonthlyReportResponse* response) override;

 private:
  Analytics* analytics_;
  AggregatesConsumer* aggregates_;
};

}  // namespace complaints::analytics
