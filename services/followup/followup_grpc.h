#pragma once

#include "complaints/followup/v1/followup.grpc.pb.h"
#include "services/followup/followup.h"

namespace complaints::followup {

// FollowUpService over gRPC: translation only, the work is FollowUp's.
class FollowUpGrpcService final : public followup::v1::FollowUpService::Service {
 public:
  explicit FollowUpGrpcService(FollowUp* followup) : followup_(followup) {}

  grpc::Status RecordOutcome(grpc::ServerContext* context,
                             const followup::v1::RecordOutcomeRequest* request,
                             followup::v1::RecordOutcomeResponse* response) override;

 private:
  FollowUp* followup_;
};

}  // namespace complaints::followup
