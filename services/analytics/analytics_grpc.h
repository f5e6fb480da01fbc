#pragma once

#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "services/analytics/analytics.h"

namespace complaints::analytics {

// AnalyticsService over gRPC: translation only, the work is Analytics'.
class AnalyticsGrpcService final : public analytics::v1::AnalyticsService::Service {
 public:
  explicit AnalyticsGrpcService(Analytics* analytics) : analytics_(analytics) {}

  grpc::Status GetTimeline(grpc::ServerContext* context,
                           const analytics::v1::GetTimelineRequest* request,
                           analytics::v1::GetTimelineResponse* response) override;
  grpc::Status GetCounts(grpc::ServerContext* context,
                         const analytics::v1::GetCountsRequest* request,
                         analytics::v1::GetCountsResponse* response) override;

 private:
  Analytics* analytics_;
};

}  // namespace complaints::analytics
