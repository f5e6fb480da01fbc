#include "services/routing/routing_grpc.h"

#include "libs/grpcutil/status.h"

namespace complaints::routing {
namespace {

// Every CaseService response carries the case as it is after the command.
template <typename Response>
grpc::Status Reply(absl::StatusOr<routing::v1::Case> result, Response* response) {
  if (!result.ok()) return grpcutil::ToGrpcStatus(result.status());
  *response->mutable_case_() = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status CaseGrpcService::AcceptCase(grpc::ServerContext*,
                                         const routing::v1::AcceptCaseRequest* request,
                                         routing::v1::AcceptCaseResponse* response) {
  return Reply(router_->Accept(*request), response);
}

grpc::Status CaseGrpcService::LogContact(grpc::ServerContext*,
                                         const routing::v1::LogContactRequest* request,
                                         routing::v1::LogContactResponse* response) {
  return Reply(router_->LogContact(*request), response);
}

grpc::Status CaseGrpcService::TransferCase(grpc::ServerContext*,
                                           const routing::v1::TransferCaseRequest* request,
                                           routing::v1::TransferCaseResponse* response) {
  return Reply(router_->Transfer(*request), response);
}

grpc::Status CaseGrpcService::RequestExtension(grpc::ServerContext*,
                                               const routing::v1::RequestExtensionRequest* request,
                                               routing::v1::RequestExtensionResponse* response) {
  return Reply(router_->RequestExtension(*request), response);
}

grpc::Status CaseGrpcService::ApproveExtension(grpc::ServerContext*,
                                               const routing::v1::ApproveExtensionRequest* request,
                                               routing::v1::ApproveExtensionResponse* response) {
  return Reply(router_->ApproveExtension(*request), response);
}

grpc::Status CaseGrpcService::ReportFix(grpc::ServerContext*,
                                        const routing::v1::ReportFixRequest* request,
                                        routing::v1::ReportFixResponse* response) {
  return Reply(router_->ReportFix(*request), response);
}

grpc::Status CaseGrpcService::RefuseExtension(grpc::ServerContext*,
                                              const routing::v1::RefuseExtensionRequest* request,
                                              routing::v1::RefuseExtensionResponse* response) {
  return Reply(router_->RefuseExtension(*request), response);
}

grpc::Status CaseGrpcService::ResolveCase(grpc::ServerContext*,
                                          const routing::v1::ResolveCaseRequest* request,
                                          routing::v1::ResolveCaseResponse* response) {
  return Reply(router_->Resolve(*request), response);
}

grpc::Status CaseGrpcService::PauseCase(grpc::ServerContext*,
                                        const routing::v1::PauseCaseRequest* request,
                                        routing::v1::PauseCaseResponse* response) {
  return Reply(router_->Pause(*request), response);
}

grpc::Status CaseGrpcService::ResumeCase(grpc::ServerContext*,
                                         const routing::v1::ResumeCaseRequest* request,
                                         routing::v1::ResumeCaseResponse* response) {
  return Reply(router_->Resume(*request), response);
}

grpc::Status CaseGrpcService::RecordNewFacts(grpc::ServerContext*,
                                             const routing::v1::RecordNewFactsRequest* request,
                                             routing::v1::RecordNewFactsResponse* response) {
  return Reply(router_->RecordNewFacts(*request), response);
}

grpc::Status CaseGrpcService::GetCase(grpc::ServerContext*,
                                      const routing::v1::GetCaseRequest* request,
                                      routing::v1::GetCaseResponse* response) {
  return Reply(router_->Get(request->complaint_id()), response);
}

grpc::Status CaseGrpcService::ListCases(grpc::ServerContext*,
                                        const routing::v1::ListCasesRequest* request,
                                        routing::v1::ListCasesResponse* response) {
  auto result = router_->ListCases(*request);
  if (!result.ok()) return grpcutil::ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status RoutingAdminGrpcService::ListRules(grpc::ServerContext*,
                                                const routing::v1::ListRulesRequest*,
                                                routing::v1::ListRulesResponse* response) {
  const auto rules = rules_->Get();
  if (rules == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no rules loaded yet");
  response->set_version(rules->version());
  response->set_fallback_unit(rules->fallback_unit());
  for (const auto& rule : rules->rules()) *response->add_rules() = rule;
  *response->mutable_units() = rules->units().proto();
  return grpc::Status::OK;
}

grpc::Status RoutingAdminGrpcService::ReloadRules(grpc::ServerContext*,
                                                  const routing::v1::ReloadRulesRequest* request,
                                                  routing::v1::ReloadRulesResponse* response) {
  if (request->actor().empty()) {
    return grpcutil::ToGrpcStatus(grpcutil::FieldError("actor", "is required (who reloads)"));
  }
  if (request->actor().size() > 128) {
    return grpcutil::ToGrpcStatus(grpcutil::FieldError("actor", "is longer than 128 characters"));
  }
  if (request->reason().size() > 1000) {
    return grpcutil::ToGrpcStatus(
        grpcutil::FieldError("reason", "is longer than 1000 characters"));
  }
  if (reloader_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this instance reads no rules files");
  }
  auto outcome = reloader_->Reload(request->actor(), request->reason());
  if (!outcome.ok()) return grpcutil::ToGrpcStatus(outcome.status());
  response->set_version(outcome->version);
  response->set_changed(outcome->changed);
  if (outcome->changed) *response->mutable_reload() = std::move(outcome->event);
  return grpc::Status::OK;
}

grpc::Status RoutingAdminGrpcService::ExplainRoute(grpc::ServerContext*,
                                                   const routing::v1::ExplainRouteRequest* request,
                                                   routing::v1::ExplainRouteResponse* response) {
  if (!request->has_complaint()) {
    return grpcutil::ToGrpcStatus(grpcutil::FieldError("complaint", "is required"));
  }
  const auto rules = rules_->Get();
  if (rules == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no rules loaded yet");
  const Explanation explanation = rules->Explain(request->complaint());
  response->set_unit(explanation.decision.unit);
  response->set_rule_id(explanation.decision.rule_id);
  response->set_rules_version(explanation.decision.rules_version);
  for (const PassedOver& passed : explanation.passed_over) {
    auto* out = response->add_passed_over();
    out->set_rule_id(passed.rule.id());
    out->set_precedence(passed.rule.precedence());
    out->set_unit(passed.rule.unit());
    out->set_reason(passed.reason);
  }
  return grpc::Status::OK;
}

}  // namespace complaints::routing
