#pragma once
// Who may do what, enforced in one place for every service (README.md, "Who may do what").
//
// ServerRunner gives every service it runs to Authorization::Install, which puts an
// authorization step in front of each of the service's method handlers. For each call it takes
// the caller's principal from the subject CN of its client certificate (mutual TLS), gathers the
// facts the access policy needs (libs/authz: the complaint and unit the request names, and for a
// unit scope the unit of that complaint's case, from a CaseUnitResolver), and either lets the
// handler run — with the request's `unit` set from the credential for unit-bound roles — or
// answers PERMISSION_DENIED naming the role and the missing scope, before the handler runs.
// Calls about a complaint are recorded through an AuditSink, allowed or not.
//
// Why a handler decorator and not a grpc::experimental::Interceptor: gRPC C++ server
// interceptors cannot refuse a call — the handler runs whatever they do (grpc/grpc#22395,
// #24017). The masking of customer data in responses, which only rewrites what is sent, is an
// interceptor (MaskingInterceptorFactory), installed beside the metrics one.
//
// Health checks and server reflection are gRPC's own services, not ours: any caller with a
// certificate the CA signed may use them (probes need nothing more).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"
#include "libs/authz/access_policy.h"

namespace complaints::grpcutil {

// Where a complaint's case is: the question a unit scope asks of the service's state.
class CaseUnitResolver {
 public:
  virtual ~CaseUnitResolver() = default;
  // The unit the case is with; NotFound when the complaint has no case (unknown or not routed
  // yet); another error when the store cannot say now (the call is answered UNAVAILABLE).
  virtual absl::StatusOr<std::string> UnitOf(const std::string& complaint_id) = 0;
};

// One decision about a complaint, for the access audit trail.
struct AccessRecord {
  std::string principal = "";
  std::string role = "";
  std::string method = "";  // "complaints.routing.v1.CaseService/GetCase"
  std::string complaint_id = "";
  std::string unit = "";    // the case's unit when the decision looked it up
  bool change = false;
  bool allowed = false;
  std::string reason = "";  // the refusal's message
};
using AuditSink = std::function<void(const AccessRecord&)>;

struct AuthorizationOptions {
  std::shared_ptr<const authz::AccessPolicy> policy = nullptr;
  std::shared_ptr<const authz::UnitTree> units = nullptr;
  CaseUnitResolver* resolver = nullptr;  // without one, unit scopes over complaints are refused
  AuditSink audit = nullptr;             // empty: calls are not audited
  // The caller of a call without a client certificate (a plaintext development server); empty:
  // such calls are refused.
  std::string plaintext_principal = "";
};

class Authorization {
 public:
  explicit Authorization(AuthorizationOptions options);

  // Puts the authorization step in front of every method of `service` (before the server
  // starts). Methods that already go through it are left alone.
  void Install(grpc::Service* service);

  // Customer fields masked in the responses of roles whose policy says mask_customer.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MaskingInterceptorFactory()
      const;

  // The decision for a call of `method` ("pkg.Service/Method") by the caller of `call`, about
  // `request` (serialized; nullptr for a streamed request, decided on the method alone).
  // `rewritten` receives the request with its unit filled from the credential when the policy
  // says so. Exposed for tests.
  struct Verdict {
    grpc::Status status;
    std::string rewritten;  // empty: the request stands as it came
  };
  Verdict Authorize(const std::string& cn, const std::string& method,
                    const std::string* request);

  // The principal of a call: its certificate's CN, or plaintext_principal without one.
  std::string PrincipalOf(const grpc::AuthContext* context) const;
  const authz::AccessPolicy& policy() const { return *options_.policy; }

 private:
  AuthorizationOptions options_;
};

}  // namespace complaints::grpcutil
