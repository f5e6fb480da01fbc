#pragma once

#include "complaints/intake/v1/intake.grpc.pb.h"
#include "services/intake/intake.h"

namespace complaints::intake {

// IntakeService over gRPC: translation only, the work is Intake's.
class IntakeGrpcService final : public intake::v1::IntakeService::Service {
 public:
  explicit IntakeGrpcService(Intake* intake) : intake_(intake) {}

  grpc::Status SubmitComplaint(grpc::ServerContext* context,
                               const intake::v1::SubmitComplaintRequest* request,
                               intake::v1::SubmitComplaintResponse* response) override;
  grpc::Status SubmitComplaints(grpc::ServerContext* context,
                                grpc::ServerReader<intake::v1::SubmitComplaintRequest>* reader,
                                intake::v1::SubmitComplaintsResponse* response) override;
  grpc::Status GetComplaint(grpc::ServerContext* context,
                            const intake::v1::GetComplaintRequest* request,
                            intake::v1::GetComplaintResponse* response) override;

 private:
  Intake* intake_;
};

}  // namespace complaints::intake
