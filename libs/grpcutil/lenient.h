#pragma once
// Requests whose string fields are not UTF-8 answered INVALID_ARGUMENT naming the fields, instead
// of gRPC's INTERNAL with an empty message.
//
// Protobuf refuses to parse a proto3 message whose `string` field holds invalid UTF-8, and gRPC's
// server answers a request it cannot parse with INTERNAL and no message; in a client stream the
// failed read looks like the end of the stream, so later items would be dropped silently. Here the
// request type of a method is `Lenient<T>`: its parse keeps such strings as they came (through a
// mirror of T whose strings are bytes), so the handler sees the request and its validation names
// every field that is not UTF-8 (InvalidUtf8Fields), together with any other bad field.
// `Lenient<T>` is our own type, so its SerializationTraits specialization below cannot clash with
// the protobuf one that the generated code of T uses.

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/server_context.h"
#include "grpcpp/impl/serialization_traits.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/sync_stream.h"

namespace complaints::grpcutil {

// Parses `bytes` into `message` like ParseFromString, except that a string field that is not
// UTF-8 is kept as it came instead of failing the parse. InvalidArgument if the bytes are not a
// `message` at all (the message says so without quoting them).
absl::Status ParseLenient(std::string_view bytes, google::protobuf::Message* message);

// The paths ("customer.name", "tags[2]") of the string fields of `message` that are not valid
// UTF-8, in field order. Map keys and values are not looked at.
std::vector<std::string> InvalidUtf8Fields(const google::protobuf::Message& message);

// A request of type T as ParseLenient parsed it; `parse_status` is not OK when the bytes were not
// a T at all (the handler answers it: a failed Deserialize would end a client stream silently).
template <class T>
struct Lenient {
  T message;
  absl::Status parse_status;
};

absl::Status ParseLenient(grpc::ByteBuffer* buffer, google::protobuf::Message* message);

// A synchronous service whose methods take Lenient requests. Like a generated Service it is
// registered with a grpc::ServerBuilder (or runtime::StartGrpcServer); method names are the full
// names of the proto service's methods, so reflection and clients see the proto service.
class LenientService : public grpc::Service {
 protected:
  template <class Request, class Response>
  using UnaryHandler =
      std::function<grpc::Status(grpc::ServerContext*, const Lenient<Request>&, Response*)>;
  template <class Request, class Response>
  using ClientStreamHandler = std::function<grpc::Status(
      grpc::ServerContext*, grpc::ServerReader<Lenient<Request>>*, Response*)>;

  // `path` is "/<package>.<Service>/<Method>".
  template <class Request, class Response>
  void AddUnary(std::string path, UnaryHandler<Request, Response> handler) {
    paths_.push_back(std::move(path));
    AddMethod(new grpc::internal::RpcServiceMethod(
        paths_.back().c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<LenientService, Lenient<Request>, Response,
                                             Lenient<Request>, google::protobuf::MessageLite>(
            [handler = std::move(handler)](LenientService*, grpc::ServerContext* context,
                                           const Lenient<Request>* request, Response* response) {
              return handler(context, *request, response);
            },
            this)));
  }

  // A unary method on gRPC's callback API: the handler returns a reactor (usually
  // context->DefaultReactor()) and may Finish it later from any thread, so a call waiting for its
  // result holds no thread. The request and response live until the reactor is finished.
  template <class Request, class Response>
  using CallbackUnaryHandler = std::function<grpc::ServerUnaryReactor*(
      grpc::CallbackServerContext*, const Lenient<Request>&, Response*)>;
  template <class Request, class Response>
  void AddCallbackUnary(std::string path, CallbackUnaryHandler<Request, Response> handler) {
    paths_.push_back(std::move(path));
    // Added without a handler, then marked callback with one (the generated
    // WithCallbackMethod_ classes do the same to a method the base class added).
    AddMethod(new grpc::internal::RpcServiceMethod(
        paths_.back().c_str(), grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(
        static_cast<int>(paths_.size() - 1),
        new grpc::internal::CallbackUnaryHandler<Lenient<Request>, Response>(
            [handler = std::move(handler)](grpc::CallbackServerContext* context,
                                           const Lenient<Request>* request, Response* response) {
              return handler(context, *request, response);
            }));
  }

  template <class Request, class Response>
  void AddClientStream(std::string path, ClientStreamHandler<Request, Response> handler) {
    paths_.push_back(std::move(path));
    AddMethod(new grpc::internal::RpcServiceMethod(
        paths_.back().c_str(), grpc::internal::RpcMethod::CLIENT_STREAMING,
        new grpc::internal::ClientStreamingHandler<LenientService, Lenient<Request>, Response>(
            [handler = std::move(handler)](LenientService*, grpc::ServerContext* context,
                                           grpc::ServerReader<Lenient<Request>>* reader,
                                           Response* response) {
              return handler(context, reader, response);
            },
            this)));
  }

 private:
  // RpcServiceMethod keeps a pointer to its name; a deque never moves its elements.
  std::deque<std::string> paths_;
};

}  // namespace complaints::grpcutil

namespace grpc {

template <class T>
class SerializationTraits<complaints::grpcutil::Lenient<T>, void> {
 public:
  static Status Serialize(const complaints::grpcutil::Lenient<T>& request, ByteBuffer* buffer,
                          bool* own_buffer) {
    return SerializationTraits<T>::Serialize(request.message, buffer, own_buffer);
  }
  // Always OK: a request that is not a T is answered by the handler, from parse_status.
  static Status Deserialize(ByteBuffer* buffer, complaints::grpcutil::Lenient<T>* request) {
    request->parse_status = complaints::grpcutil::ParseLenient(buffer, &request->message);
    buffer->Clear();
    return Status::OK;
  }
};

}  // namespace grpc
