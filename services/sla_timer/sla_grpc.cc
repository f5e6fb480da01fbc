#include "services/sla_timer/sla_grpc.h"

#include "libs/grpcutil/status.h"

namespace complaints::sla_timer {

using grpcutil::ToGrpcStatus;

grpc::Status SlaGrpcService::GetDeadlines(grpc::ServerContext*,
                                          const sla::v1::GetDeadlinesRequest* request,
                                          sla::v1::GetDeadlinesResponse* response) {
  auto result = timer_->GetDeadlines(request->complaint_id());
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status SlaGrpcService::ListUnitDeadlines(grpc::ServerContext*,
                                               const sla::v1::ListUnitDeadlinesRequest* request,
                                               sla::v1::ListUnitDeadlinesResponse* response) {
  auto result = timer_->ListUnitDeadlines(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status SlaGrpcService::WatchAlerts(grpc::ServerContext* context,
                                         const sla::v1::WatchAlertsRequest* request,
                                         grpc::ServerWriter<events::v1::SlaAlert>* writer) {
  if (!events::v1::AlertKind_IsValid(request->kind())) {
    return ToGrpcStatus(grpcutil::FieldError("kind", "unknown value"));
  }
  if (!events::v1::Level_IsValid(request->level())) {
    return ToGrpcStatus(grpcutil::FieldError("level", "unknown value"));
  }
  Watch watch(
      hub_,
      AlertFilter{.unit = request->unit(), .kind = request->kind(), .level = request->level()});
  events::v1::SlaAlert alert;
  // The short wait bounds how long a cancelled call holds its thread.
  while (!context->IsCancelled()) {
    switch (watch->Next(absl::Milliseconds(200), &alert)) {
      case AlertHub::Subscription::Outcome::kAlert:
        if (!writer->Write(alert)) return grpc::Status::CANCELLED;  // the client went away
        break;
      case AlertHub::Subscription::Outcome::kTimeout:
        break;
      case AlertHub::Subscription::Outcome::kClosed:
        return grpc::Status::OK;
      case AlertHub::Subscription::Outcome::kOverflow:
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "alerts arrive faster than this stream reads them; reconnect");
    }
  }
  return grpc::Status::CANCELLED;
}

grpc::Status SlaGrpcService::PauseClocks(grpc::ServerContext*,
                                         const sla::v1::PauseClocksRequest* request,
                                         sla::v1::PauseClocksResponse*) {
  return ToGrpcStatus(timer_->Pause(*request));
}

grpc::Status SlaGrpcService::ResumeClocks(grpc::ServerContext*,
                                          const sla::v1::ResumeClocksRequest* request,
                                          sla::v1::ResumeClocksResponse*) {
  return ToGrpcStatus(timer_->Resume(*request));
}

grpc::Status SlaGrpcService::ExtendDeadline(grpc::ServerContext*,
                                            const sla::v1::ExtendDeadlineRequest* request,
                                            sla::v1::ExtendDeadlineResponse*) {
  return ToGrpcStatus(timer_->Extend(*request));
}

}  // namespace complaints::sla_timer
