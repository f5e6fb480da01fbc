#pragma once

#include "complaints/sla/v1/sla.grpc.pb.h"
#include "services/sla_timer/firing/alert_hub.h"
#include "services/sla_timer/sla_timer.h"

namespace complaints::sla_timer {

// SlaService over gRPC: translation only; deadlines come from SlaTimer, live alerts from the hub.
class SlaGrpcService final : public sla::v1::SlaService::Service {
 public:
  SlaGrpcService(SlaTimer* timer, AlertHub* hub) : timer_(timer), hub_(hub) {}

  grpc::Status GetDeadlines(grpc::ServerContext* context,
                            const sla::v1::GetDeadlinesRequest* request,
                            sla::v1::GetDeadlinesResponse* response) override;
  grpc::Status ListUnitDeadlines(grpc::ServerContext* context,
                                 const sla::v1::ListUnitDeadlinesRequest* request,
                                 sla::v1::ListUnitDeadlinesResponse* response) override;
  // Streams matching alerts until the client cancels (or stops reading), the hub closes at
  // server shutdown (OK), or the client falls too far behind (RESOURCE_EXHAUSTED).
  grpc::Status WatchAlerts(grpc::ServerContext* context, const sla::v1::WatchAlertsRequest* request,
                           grpc::ServerWriter<events::v1::SlaAlert>* writer) override;
  grpc::Status PauseClocks(grpc::ServerContext*, const sla::v1::PauseClocksRequest* request,
                           sla::v1::PauseClocksResponse*) override;
  grpc::Status ResumeClocks(grpc::ServerContext*, const sla::v1::ResumeClocksRequest* request,
                            sla::v1::ResumeClocksResponse*) override;
  grpc::Status ExtendDeadline(grpc::ServerContext*, const sla::v1::ExtendDeadlineRequest* request,
                              sla::v1::ExtendDeadlineResponse*) override;

 private:
  SlaTimer* timer_;
  AlertHub* hub_;
};

}  // namespace complaints::sla_timer
