#include "services/followup/followup_grpc.h"

#include "libs/grpcutil/status.h"

namespace complaints::followup {

grpc::Status FollowUpGrpcService::RecordOutcome(grpc::ServerContext*,
                                                const followup::v1::RecordOutcomeRequest* request,
                                                followup::v1::RecordOutcomeResponse* response) {
  auto result = followup_->RecordOutcome(*request);
  if (!result.ok()) return grpcutil::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace complaints::followup
