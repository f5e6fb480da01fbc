#include "services/intake/intake_grpc.h"

#include "libs/grpcutil/status.h"

namespace complaints::intake {

using grpcutil::ToGrpcStatus;

grpc::Status IntakeGrpcService::SubmitComplaint(grpc::ServerContext*,
                                                const intake::v1::SubmitComplaintRequest* request,
                                                intake::v1::SubmitComplaintResponse* response) {
  auto result = intake_->Submit(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status IntakeGrpcService::SubmitComplaints(
    grpc::ServerContext*, grpc::ServerReader<intake::v1::SubmitComplaintRequest>* reader,
    intake::v1::SubmitComplaintsResponse* response) {
  intake::v1::SubmitComplaintRequest request;
  for (int index = 0; reader->Read(&request); ++index) {
    auto result = intake_->Submit(request);
    if (!result.ok()) {
      // Complaints before this one are accepted; re-sending the whole batch is safe because
      // re-submission is idempotent.
      return grpc::Status(static_cast<grpc::StatusCode>(result.status().code()),
                          "complaint " + std::to_string(index) + ": " +
                              std::string(result.status().message()));
    }
    intake::v1::SubmitComplaintResult* item = response->add_results();
    item->set_index(index);
    *item->mutable_response() = *std::move(result);
  }
  return grpc::Status::OK;
}

grpc::Status IntakeGrpcService::GetComplaint(grpc::ServerContext*,
                                             const intake::v1::GetComplaintRequest* request,
                                             intake::v1::GetComplaintResponse* response) {
  auto complaint = intake_->Get(request->complaint_id());
  if (!complaint.ok()) return ToGrpcStatus(complaint.status());
  *response->mutable_complaint() = *std::move(complaint);
  return grpc::Status::OK;
}

}  // namespace complaints::intake
