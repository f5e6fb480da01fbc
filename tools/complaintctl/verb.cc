#include "tools/complaintctl/verb.h"

#include <chrono>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/grpcutil/client_credentials.h"

namespace complaints::complaintctl {
namespace {

std::string DefaultFor(const std::string& name, const std::string& fallback) {
  const std::string variable = "COMPLAINTCTL_" + absl::AsciiStrToUpper(name);
  const char* value = std::getenv(variable.c_str());
  return value != nullptr && *value != '\0' ? value : fallback;
}

// What an operator can do about a failed call, by its code.
std::string Advice(grpc::StatusCode code, const std::string& address) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("is the service running at ", address,
                          "? Start the stack with deploy/run-demo.sh, or point the flag at it "
                          "(--intake, --routing, --sla, --analytics); a service rebuilding its "
                          "state answers UNAVAILABLE for a while: retry");
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return "correct the argument the message names and run again";
    case grpc::StatusCode::NOT_FOUND:
      return "check the id (a complaint id, not the short id read to the customer)";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "the case is not in a state that allows this; `complaintctl show <id>` shows it";
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return "use a credential whose role allows this";
    default:
      return "";
  }
}

}  // namespace

std::vector<FlagSpec> CommonFlags() {
  return {
      {"intake", "HOST:PORT", "IntakeService (default 127.0.0.1:50051)"},
      {"routing", "HOST:PORT", "CaseService (default 127.0.0.1:50052)"},
      {"sla", "HOST:PORT", "SlaService (default 127.0.0.1:50053)"},
      {"analytics", "HOST:PORT", "AnalyticsService (default 127.0.0.1:50055)"},
      {"kafka", "HOST:PORT", "Kafka bootstrap servers (default 127.0.0.1:9092)"},
      {"timeout", "SECONDS", "deadline of each call (default 10)"},
  };
}

Endpoints EndpointsFrom(const Arguments& args) {
  return {
      .intake = args.Get("intake", DefaultFor("intake", "127.0.0.1:50051")),
      .routing = args.Get("routing", DefaultFor("routing", "127.0.0.1:50052")),
      .sla = args.Get("sla", DefaultFor("sla", "127.0.0.1:50053")),
      .analytics = args.Get("analytics", DefaultFor("analytics", "127.0.0.1:50055")),
      .kafka = args.Get("kafka", DefaultFor("kafka", "127.0.0.1:9092")),
  };
}

// Over mutual TLS as $COMPLAINTCTL_PRINCIPAL (a credential of deploy/certs.sh), the platform's
// administrator by default: the operator's tool submits, reads and watches alerts.
std::shared_ptr<grpc::Channel> Invocation::Channel(const std::string& address) const {
  const char* principal = std::getenv("COMPLAINTCTL_PRINCIPAL");
  return grpcutil::ClientChannel(address, principal != nullptr && *principal != '\0'
                                              ? principal
                                              : grpcutil::kDefaultClientPrincipal);
}

std::unique_ptr<grpc::ClientContext> Invocation::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_seconds));
  return context;
}

int Invocation::Fail(const std::string& what, const grpc::Status& status,
                     const std::string& address) const {
  std::fprintf(err, "complaintctl: %s: %s\n", what.c_str(),
               absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(
                                status.error_code())),
                            ": ", status.error_message())
                   .c_str());
  const std::string advice = Advice(status.error_code(), address);
  if (!advice.empty()) std::fprintf(err, "  what to do: %s\n", advice.c_str());
  return 1;
}

int Invocation::Fail(const std::string& what, const absl::Status& status) const {
  std::fprintf(err, "complaintctl: %s: %s\n", what.c_str(), status.ToString().c_str());
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    std::fprintf(err, "  what to do: is Kafka running at %s? Pass --kafka HOST:PORT\n",
                 endpoints.kafka.c_str());
  }
  return 1;
}

}  // namespace complaints::complaintctl
