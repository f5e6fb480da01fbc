#include "services/intake/intake_grpc.h"

#include <deque>
#include <future>
#include <string>
#include <utility>

#include "libs/common/utf8.h"
#include "libs/grpcutil/status.h"

namespace complaints::intake {
namespace {

using grpcutil::ToGrpcStatus;

std::string MethodPath(const char* method) {
  return "/" + std::string(intake::v1::IntakeService::service_full_name()) + "/" + method;
}

}  // namespace

IntakeGrpcService::IntakeGrpcService(Intake* intake)
    : intake_(intake),
      batcher_([intake](std::span<const intake::v1::SubmitComplaintRequest> requests) {
        return intake->SubmitBatch(requests);
      },
               kUnaryBatchesInFlight, kUnaryBatch) {
  // In the proto's order, as the generated service registers them.
  AddCallbackUnary<intake::v1::SubmitComplaintRequest, intake::v1::SubmitComplaintResponse>(
      MethodPath("SubmitComplaint"),
      [this](grpc::CallbackServerContext* context, const SubmitRequest& request,
             intake::v1::SubmitComplaintResponse* response) {
        return SubmitComplaint(context, request, response);
      });
  AddClientStream<intake::v1::SubmitComplaintRequest, intake::v1::SubmitComplaintsResponse>(
      MethodPath("SubmitComplaints"),
      [this](grpc::ServerContext*, grpc::ServerReader<SubmitRequest>* reader,
             intake::v1::SubmitComplaintsResponse* response) {
        return SubmitComplaints(reader, response);
      });
  AddUnary<intake::v1::GetComplaintRequest, intake::v1::GetComplaintResponse>(
      MethodPath("GetComplaint"),
      [this](grpc::ServerContext*,
             const grpcutil::Lenient<intake::v1::GetComplaintRequest>& request,
             intake::v1::GetComplaintResponse* response) {
        return GetComplaint(request, response);
      });
}

grpc::ServerUnaryReactor* IntakeGrpcService::SubmitComplaint(
    grpc::CallbackServerContext* context, const SubmitRequest& request,
    intake::v1::SubmitComplaintResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!request.parse_status.ok()) {
    reactor->Finish(ToGrpcStatus(request.parse_status));
    return reactor;
  }
  // Finished from the batcher's thread once the batch is done (the response outlives it: the
  // call is not over before Finish).
  batcher_.SubmitAsync(request.message, [reactor, response](
                                            absl::StatusOr<intake::v1::SubmitComplaintResponse>
                                                result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    *response = *std::move(result);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> IntakeGrpcService::SubmitBatch(
    const std::vector<SubmitRequest>& batch) {
  std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> outcomes(batch.size());
  std::vector<intake::v1::SubmitComplaintRequest> parsed;
  std::vector<size_t> positions;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].parse_status.ok()) {
      outcomes[i] = batch[i].parse_status;
    } else {
      parsed.push_back(batch[i].message);
      positions.push_back(i);
    }
  }
  auto submitted = intake_->SubmitBatch(parsed);
  for (size_t k = 0; k < positions.size(); ++k) outcomes[positions[k]] = std::move(submitted[k]);
  return outcomes;
}

grpc::Status IntakeGrpcService::SubmitComplaints(grpc::ServerReader<SubmitRequest>* reader,
                                                 intake::v1::SubmitComplaintsResponse* response) {
  // Each submission stands alone (re-submitting is idempotent), so one that fails — invalid,
  // ALREADY_EXISTS, or UNAVAILABLE because Kafka is down — is reported in its result and the
  // stream goes on; the client re-sends the ones whose result says so. Batches in flight at once
  // are as independent as concurrent calls; their results are added in the stream's order.
  using Outcomes = std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>>;
  std::deque<std::future<Outcomes>> running;
  int index = 0;
  const auto collect_oldest = [&] {
    for (auto& outcome : running.front().get()) {
      *response->add_results() = ResultOf(index++, std::move(outcome));
    }
    running.pop_front();
  };
  std::vector<SubmitRequest> batch;
  const auto submit = [&] {
    if (batch.empty()) return;
    while (running.size() >= kStreamBatchesInFlight) collect_oldest();
    running.push_back(std::async(std::launch::async, [this, taken = std::move(batch)] {
      return SubmitBatch(taken);
    }));
    batch.clear();
  };
  for (SubmitRequest request; reader->Read(&request); request = SubmitRequest()) {
    batch.push_back(std::move(request));
    if (batch.size() == kStreamBatch) submit();
  }
  submit();
  while (!running.empty()) collect_oldest();
  return grpc::Status::OK;
}

grpc::Status IntakeGrpcService::GetComplaint(
    const grpcutil::Lenient<intake::v1::GetComplaintRequest>& request,
    intake::v1::GetComplaintResponse* response) {
  if (!request.parse_status.ok()) return ToGrpcStatus(request.parse_status);
  if (!common::IsValidUtf8(request.message.complaint_id())) {
    return ToGrpcStatus(grpcutil::FieldError("complaint_id", "is not valid UTF-8"));
  }
  auto complaint = intake_->Get(request.message.complaint_id());
  if (!complaint.ok()) return ToGrpcStatus(complaint.status());
  *response->mutable_complaint() = *std::move(complaint);
  return grpc::Status::OK;
}

intake::v1::SubmitComplaintResult ResultOf(
    int index, absl::StatusOr<intake::v1::SubmitComplaintResponse> outcome) {
  intake::v1::SubmitComplaintResult result;
  result.set_index(index);
  if (outcome.ok()) {
    *result.mutable_response() = *std::move(outcome);
    return result;
  }
  result.set_error_code(static_cast<int>(outcome.status().code()));
  result.set_error_message(std::string(outcome.status().message()));
  if (auto bad_request = grpcutil::BadRequestOf(outcome.status())) {
    for (const auto& violation : bad_request->field_violations()) {
      intake::v1::FieldViolation* out = result.add_field_violations();
      out->set_field(violation.field());
      out->set_description(violation.description());
    }
  }
  return result;
}

}  // namespace complaints::intake
