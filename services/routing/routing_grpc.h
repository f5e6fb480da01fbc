#pragma once

#include "complaints/routing/v1/routing.grpc.pb.h"
#include "services/routing/router.h"
#include "services/routing/rules_holder.h"
#include "services/routing/rules_reloader.h"

namespace complaints::routing {

// CaseService over gRPC, for branch systems and complaint specialists.
class CaseGrpcService final : public routing::v1::CaseService::Service {
 public:
  explicit CaseGrpcService(Router* router) : router_(router) {}

  grpc::Status AcceptCase(grpc::ServerContext*, const routing::v1::AcceptCaseRequest* request,
                          routing::v1::AcceptCaseResponse* response) override;
  grpc::Status LogContact(grpc::ServerContext*, const routing::v1::LogContactRequest* request,
                          routing::v1::LogContactResponse* response) override;
  grpc::Status TransferCase(grpc::ServerContext*, const routing::v1::TransferCaseRequest* request,
                            routing::v1::TransferCaseResponse* response) override;
  grpc::Status RequestExtension(grpc::ServerContext*,
                                const routing::v1::RequestExtensionRequest* request,
                                routing::v1::RequestExtensionResponse* response) override;
  grpc::Status ApproveExtension(grpc::ServerContext*,
                                const routing::v1::ApproveExtensionRequest* request,
                                routing::v1::ApproveExtensionResponse* response) override;
  grpc::Status ReportFix(grpc::ServerContext*, const routing::v1::ReportFixRequest* request,
                         routing::v1::ReportFixResponse* response) override;
  grpc::Status RefuseExtension(grpc::ServerContext*,
                               const routing::v1::RefuseExtensionRequest* request,
                               routing::v1::RefuseExtensionResponse* response) override;
  grpc::Status ResolveCase(grpc::ServerContext*, const routing::v1::ResolveCaseRequest* request,
                           routing::v1::ResolveCaseResponse* response) override;
  grpc::Status PauseCase(grpc::ServerContext*, const routing::v1::PauseCaseRequest* request,
                         routing::v1::PauseCaseResponse* response) override;
  grpc::Status ResumeCase(grpc::ServerContext*, const routing::v1::ResumeCaseRequest* request,
                          routing::v1::ResumeCaseResponse* response) override;
  grpc::Status RecordNewFacts(grpc::ServerContext*,
                              const routing::v1::RecordNewFactsRequest* request,
                              routing::v1::RecordNewFactsResponse* response) override;
  grpc::Status GetCase(grpc::ServerContext*, const routing::v1::GetCaseRequest* request,
                       routing::v1::GetCaseResponse* response) override;
  grpc::Status ListCases(grpc::ServerContext*, const routing::v1::ListCasesRequest* request,
                         routing::v1::ListCasesResponse* response) override;

 private:
  Router* router_;
};

// RoutingAdminService: the routing rules in force, their reload and a dry run of them.
class RoutingAdminGrpcService final : public routing::v1::RoutingAdminService::Service {
 public:
  // `reloader` null: ReloadRules answers UNIMPLEMENTED.
  RoutingAdminGrpcService(const RulesHolder* rules, RulesReloader* reloader)
      : rules_(rules), reloader_(reloader) {}
  grpc::Status ListRules(grpc::ServerContext*, const routing::v1::ListRulesRequest*,
                         routing::v1::ListRulesResponse* response) override;
  grpc::Status ReloadRules(grpc::ServerContext*, const routing::v1::ReloadRulesRequest* request,
                           routing::v1::ReloadRulesResponse* response) override;
  grpc::Status ExplainRoute(grpc::ServerContext*, const routing::v1::ExplainRouteRequest* request,
                            routing::v1::ExplainRouteResponse* response) override;

 private:
  const RulesHolder* rules_;
  RulesReloader* reloader_;
};

}  // namespace complaints::routing
