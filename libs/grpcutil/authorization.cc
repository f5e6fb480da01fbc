#include "libs/grpcutil/authorization.h"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpc/byte_buffer.h"
#include "grpc/byte_buffer_reader.h"
#include "grpc/grpc.h"
#include "grpc/grpc_security.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/impl/service_type.h"
#include "libs/authz/masking.h"
#include "libs/common/logging.h"
#include "libs/grpcutil/lenient.h"

namespace complaints::grpcutil {

// grpc::Service keeps its methods, and a method its handler, in private members with no other
// way in; an explicit instantiation may name private members (C++ [temp.spec.general]/6), which
// is how the decorator reaches them. Checked against gRPC 1.51 (Debian bookworm); a gRPC whose
// layout differs fails to compile here rather than misbehave.
namespace access {

using Methods = std::vector<std::unique_ptr<grpc::internal::RpcServiceMethod>>;
using Handler = std::unique_ptr<grpc::internal::MethodHandler>;

template <typename Tag, typename Tag::type Member>
struct Steal {
  friend typename Tag::type Get(Tag) { return Member; }
};
struct ServiceMethods {
  using type = Methods grpc::Service::*;
  friend type Get(ServiceMethods);
};
struct MethodHandlerSlot {
  using type = Handler grpc::internal::RpcServiceMethod::*;
  friend type Get(MethodHandlerSlot);
};
template struct Steal<ServiceMethods, &grpc::Service::methods_>;
template struct Steal<MethodHandlerSlot, &grpc::internal::RpcServiceMethod::handler_>;

}  // namespace access

namespace {

using grpc::internal::MethodHandler;
using grpc::internal::RpcMethod;
using grpc::internal::RpcServiceMethod;

std::string CnOf(grpc_call* call) {
  grpc_auth_context* context = grpc_call_auth_context(call);
  if (context == nullptr) return "";
  std::string cn;
  grpc_auth_property_iterator it =
      grpc_auth_context_find_properties_by_name(context, GRPC_X509_CN_PROPERTY_NAME);
  if (const grpc_auth_property* property = grpc_auth_property_iterator_next(&it)) {
    cn.assign(property->value, property->value_length);
  }
  grpc_auth_context_release(context);
  return cn;
}

std::string BytesOf(grpc_byte_buffer* buffer) {
  if (buffer == nullptr) return "";
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, buffer)) return "";
  grpc_slice slice = grpc_byte_buffer_reader_readall(&reader);
  std::string bytes(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
                    GRPC_SLICE_LENGTH(slice));
  grpc_slice_unref(slice);
  grpc_byte_buffer_reader_destroy(&reader);
  return bytes;
}

grpc_byte_buffer* BufferOf(const std::string& bytes) {
  grpc_slice slice = grpc_slice_from_copied_buffer(bytes.data(), bytes.size());
  grpc_byte_buffer* buffer = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return buffer;
}

// Answers the call with `status` at once, whatever the handler later does with it.
void Refuse(grpc_call* call, const grpc::Status& status) {
  grpc_call_cancel_with_status(call, static_cast<grpc_status_code>(status.error_code()),
                               status.error_message().c_str(), nullptr);
}

// The authorization step in front of one method's handler.
class AuthorizingHandler final : public MethodHandler {
 public:
  AuthorizingHandler(std::unique_ptr<MethodHandler> inner, std::string method, RpcMethod::RpcType type,
                     RpcServiceMethod::ApiType api, Authorization* authorization)
      : inner_(std::move(inner)),
        method_(std::move(method)),
        streamed_request_(type == RpcMethod::CLIENT_STREAMING || type == RpcMethod::BIDI_STREAMING),
        api_(api),
        authorization_(authorization) {}

  // Unary and server-streaming calls: decided here, with the request, before it reaches the
  // handler. A refusal leaves no request: the handler is never called (the sync API answers
  // the failed status; the callback API would answer UNIMPLEMENTED, which Refuse overrides).
  // Note: a callback handler's Deserialize must still run on a refusal (see below): its
  // RunHandler needs the message holder to end the call.
  void* Deserialize(grpc_call* call, grpc_byte_buffer* request, grpc::Status* status,
                    void** handler_data) override {
    const std::string bytes = BytesOf(request);
    Authorization::Verdict verdict = authorization_->Authorize(CnOf(call), method_, &bytes);
    if (!verdict.status.ok()) {
      Refuse(call, verdict.status);
      if (api_ == RpcServiceMethod::ApiType::SYNC) {
        if (request != nullptr) grpc_byte_buffer_destroy(request);
      } else {
        // A callback handler ends even a failed call through the message holder its
        // Deserialize allocates (and releases with the call): let it make one.
        inner_->Deserialize(call, request, status, handler_data);
      }
      *status = verdict.status;
      return nullptr;
    }
    if (!verdict.rewritten.empty()) {
      if (request != nullptr) grpc_byte_buffer_destroy(request);
      request = BufferOf(verdict.rewritten);
    }
    return inner_->Deserialize(call, request, status, handler_data);
  }

  // Streamed requests have nothing to read before the handler starts: decided on the method.
  void RunHandler(const HandlerParameter& param) override {
    if (streamed_request_) {
      Authorization::Verdict verdict = authorization_->Authorize(CnOf(param.call->call()), method_, nullptr);
      if (!verdict.status.ok()) {
        Refuse(param.call->call(), verdict.status);
        // A sync handler would run on the refused call; not running it is enough, the server
        // cleans the call up after RunHandler. A callback one must set up its reactor to end
        // the call: it does so without calling the handler when the status is not OK.
        if (api_ == RpcServiceMethod::ApiType::SYNC) return;
        inner_->RunHandler(HandlerParameter(param.call, param.server_context, param.request,
                                            verdict.status, param.internal_data,
                                            param.call_requester));
        return;
      }
    }
    inner_->RunHandler(param);
  }

 private:
  const std::unique_ptr<MethodHandler> inner_;
  const std::string method_;
  const bool streamed_request_;
  const RpcServiceMethod::ApiType api_;
  Authorization* const authorization_;
};

// The request's fields the policy looks at, by name: `complaint_id` and `unit`.
const google::protobuf::FieldDescriptor* Field(const google::protobuf::Descriptor* type,
                                               const char* name) {
  const auto* field = type == nullptr ? nullptr : type->FindFieldByName(name);
  return field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
                 !field->is_repeated()
             ? field
             : nullptr;
}

class MaskingInterceptor final : public grpc::experimental::Interceptor {
 public:
  MaskingInterceptor(grpc::experimental::ServerRpcInfo* info, const Authorization* authorization)
      : info_(info), authorization_(authorization) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE) && Mask()) {
      // Our services' responses are generated protobuf messages (the method is one of ours).
      if (const void* message = methods->GetSendMessage()) {
        const auto* original = static_cast<const google::protobuf::Message*>(message);
        masked_.reset(original->New());
        masked_->CopyFrom(*original);
        if (authz::MaskCustomerData(masked_.get()) > 0) methods->ModifySendMessage(masked_.get());
      }
    }
    methods->Proceed();
  }

 private:
  // Decided at the first response, not when the interceptor is made: a sync call's context has
  // no call (so no peer certificate) yet at that point, and would remember an empty one.
  bool Mask() {
    if (!mask_.has_value()) {
      mask_ = false;
      if (info_->server_context() != nullptr) {
        const auto context = info_->server_context()->auth_context();
        auto principal = authz::ParsePrincipal(authorization_->PrincipalOf(context.get()));
        if (principal.ok()) {
          const authz::v1::Role* role = authorization_->policy().FindRole(principal->role);
          mask_ = role != nullptr && role->mask_customer();
        }
      }
    }
    return *mask_;
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const Authorization* const authorization_;
  std::optional<bool> mask_;
  std::unique_ptr<google::protobuf::Message> masked_;  // sent in place of the response
};

// Does nothing: for gRPC's own services (health, reflection), whose answers are not ours to
// rewrite.
class PassThroughInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }
};

class MaskingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MaskingInterceptorFactory(const Authorization* authorization)
      : authorization_(authorization) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* method = info->method();
    if (method == nullptr || std::string_view(method).rfind("/complaints.", 0) != 0) {
      return new PassThroughInterceptor();
    }
    return new MaskingInterceptor(info, authorization_);
  }

 private:
  const Authorization* authorization_;
};

}  // namespace

Authorization::Authorization(AuthorizationOptions options) : options_(std::move(options)) {}

void Authorization::Install(grpc::Service* service) {
  for (auto& method : service->*Get(access::ServiceMethods{})) {
    if (method == nullptr) continue;  // generic
    access::Handler& handler = (*method).*Get(access::MethodHandlerSlot{});
    if (handler == nullptr) continue;  // async methods: none of ours
    if (dynamic_cast<AuthorizingHandler*>(handler.get()) != nullptr) continue;
    std::string name = method->name();  // "/pkg.Service/Method"
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    handler = std::make_unique<AuthorizingHandler>(std::move(handler), std::move(name),
                                                   method->method_type(), method->api_type(), this);
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Authorization::MaskingInterceptorFactory() const {
  return std::make_unique<grpcutil::MaskingInterceptorFactory>(this);
}

std::string Authorization::PrincipalOf(const grpc::AuthContext* context) const {
  if (context != nullptr) {
    for (const auto& value : context->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
      return std::string(value.data(), value.size());
    }
  }
  return options_.plaintext_principal;
}

Authorization::Verdict Authorization::Authorize(const std::string& cn_or_empty,
                                                const std::string& method,
                                                const std::string* request) {
  Verdict verdict;
  const std::string cn = cn_or_empty.empty() ? options_.plaintext_principal : cn_or_empty;
  auto principal = authz::ParsePrincipal(cn);
  if (!principal.ok()) {
    verdict.status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  cn.empty() ? "a client certificate is required"
                                             : std::string(principal.status().message()));
    return verdict;
  }
  authz::CallFacts facts;
  facts.method = method;

  // The request's complaint and unit, read from its bytes by the method's descriptor.
  std::unique_ptr<google::protobuf::Message> parsed;
  const google::protobuf::FieldDescriptor* unit_field = nullptr;
  if (request != nullptr) {
    std::string dotted = method;
    if (const size_t slash = dotted.rfind('/'); slash != std::string::npos) dotted[slash] = '.';
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
    const auto* type = descriptor == nullptr ? nullptr : descriptor->input_type();
    const auto* id_field = Field(type, "complaint_id");
    unit_field = Field(type, "unit");
    if (id_field != nullptr || unit_field != nullptr) {
      parsed.reset(google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
      // Leniently: a request whose strings are not UTF-8 is the handler's to refuse, by name.
      if (!ParseLenient(*request, parsed.get()).ok()) {
        parsed.reset();
        unit_field = nullptr;
      } else {
        const auto* reflection = parsed->GetReflection();
        if (id_field != nullptr) facts.complaint_id = reflection->GetString(*parsed, id_field);
        if (unit_field != nullptr) {
          facts.has_unit_field = true;
          facts.request_unit = reflection->GetString(*parsed, unit_field);
        }
      }
    }
  }

  if (!facts.complaint_id.empty() && options_.policy->NeedsCaseUnit(*principal, method)) {
    if (options_.resolver != nullptr) {
      auto unit = options_.resolver->UnitOf(facts.complaint_id);
      if (unit.ok()) {
        facts.case_unit = *unit;
      } else if (!absl::IsNotFound(unit.status())) {
        verdict.status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                      "cannot tell the complaint's unit now; retry");
        return verdict;
      }
    }
  }

  const authz::Decision decision = options_.policy->Decide(*principal, facts, *options_.units);
  if (options_.audit && !facts.complaint_id.empty()) {
    options_.audit(AccessRecord{.principal = cn,
                                .role = principal->role,
                                .method = method,
                                .complaint_id = facts.complaint_id,
                                .unit = facts.case_unit.value_or(""),
                                .change = decision.change,
                                .allowed = decision.status.ok(),
                                .reason = std::string(decision.status.message())});
  }
  if (!decision.status.ok()) {
    common::ModuleLogger("authz")->info("refused {} to {}: {}", method, cn,
                                        std::string(decision.status.message()));
    verdict.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                  std::string(decision.status.message()));
    return verdict;
  }
  if (!decision.fill_unit.empty() && parsed != nullptr && unit_field != nullptr &&
      facts.request_unit != decision.fill_unit) {
    parsed->GetReflection()->SetString(parsed.get(), unit_field, decision.fill_unit);
    verdict.rewritten = parsed->SerializeAsString();
  }
  return verdict;
}

}  // namespace complaints::grpcutil
