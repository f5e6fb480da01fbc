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
  for (const auto& rule : router_->rules()) *response->add_rules() = rule;
  return grpc::Status::OK;
}

}  // namespace complaints::routing
