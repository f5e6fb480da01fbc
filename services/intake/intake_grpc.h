#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "libs/grpcutil/lenient.h"
#include "services/intake/intake.h"
#include "services/intake/submit_batcher.h"

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

  // On gRPC's callback API: the call waits for its batch (SubmitBatcher) without a thread.
  grpc::ServerUnaryReactor* SubmitComplaint(grpc::CallbackServerContext* context,
                                            const SubmitRequest& request,
                                            intake::v1::SubmitComplaintResponse* response);
  // One result per submission, in order: a bad one does not stop the others.
  grpc::Status SubmitComplaints(grpc::ServerReader<SubmitRequest>* reader,
                                intake::v1::SubmitComplaintsResponse* response);
  grpc::Status GetComplaint(const grpcutil::Lenient<intake::v1::GetComplaintRequest>& request,
                            intake::v1::GetComplaintResponse* response);

  // How many submissions of a stream are read before they are submitted together (one produce,
  // a few Redis round trips), and how many such batches of one stream are submitted at once:
  // while one waits for its round trips, the next is read and classified.
  static constexpr size_t kStreamBatch = 512;
  static constexpr size_t kStreamBatchesInFlight = 2;
  // Concurrent unary submissions are gathered into batches of up to kUnaryBatch, at most
  // kUnaryBatchesInFlight at a time (SubmitBatcher).
  static constexpr size_t kUnaryBatch = 256;
  static constexpr int kUnaryBatchesInFlight = 16;

 private:
  // Submits `batch` (in order) with Intake::SubmitBatch; one outcome each, the parse failures'
  // their own.
  std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> SubmitBatch(
      const std::vector<SubmitRequest>& batch);

  Intake* intake_;
  SubmitBatcher batcher_;
};

// The result of a stream's submission `index`: the response, or the status it would have had as
// a unary call (code, message and field violations).
intake::v1::SubmitComplaintResult ResultOf(
    int index, absl::StatusOr<intake::v1::SubmitComplaintResponse> outcome);

}  // namespace complaints::intake
