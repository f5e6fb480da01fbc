#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "libs/grpcutil/lenient.h"
#include "services/intake/intake.h"

namespace complaints::intake {

// IntakeService (complaints.intake.v1) over gRPC: translation only, the work is Intake's.
//
// Not the generated IntakeService::Service: its requests are parsed leniently
// (grpcutil::Lenient), so that a string field that is not UTF-8 is answered INVALID_ARGUMENT
// naming it, with the request's other violations, instead of gRPC's bare INTERNAL — and, in
// the stream, as that item's result rather than a silent end of the stream. Method names and
// messages are the proto service's: clients use the generated stub.
class IntakeGrpcService final : public grpcutil::LenientService {
 public:
  using SubmitRequest = grpcutil::Lenient<intake::v1::SubmitComplaintRequest>;

  explicit IntakeGrpcService(Intake* intake);

  grpc::Status SubmitComplaint(const SubmitRequest& request,
                               intake::v1::SubmitComplaintResponse* response);
  // One result per submission, in order: a bad one does not stop the others.
  grpc::Status SubmitComplaints(grpc::ServerReader<SubmitRequest>* reader,
                                intake::v1::SubmitComplaintsResponse* response);
  grpc::Status GetComplaint(const grpcutil::Lenient<intake::v1::GetComplaintRequest>& request,
                            intake::v1::GetComplaintResponse* response);

  // How many submissions of a stream are read before they are submitted together.
  static constexpr size_t kStreamBatch = 64;

 private:
  // Submits `batch` (in order); one outcome each. Today one Intake::Submit per item: the seam
  // where a batched publish replaces it.
  std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> SubmitBatch(
      const std::vector<SubmitRequest>& batch);

  Intake* intake_;
};

// The result of a stream's submission `index`: the response, or the status it would have had as
// a unary call (code, message and field violations).
intake::v1::SubmitComplaintResult ResultOf(
    int index, absl::StatusOr<intake::v1::SubmitComplaintResponse> outcome);

}  // namespace complaints::intake
