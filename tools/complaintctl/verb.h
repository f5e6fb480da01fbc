#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "tools/complaintctl/command_line.h"

namespace complaints::complaintctl {

// Where the platform is. Every verb takes these flags; the defaults are the local stack's ports
// (README), and COMPLAINTCTL_<NAME> (e.g. COMPLAINTCTL_KAFKA) overrides a default.
struct Endpoints {
  std::string intake;
  std::string routing;
  std::string sla;
  std::string analytics;
  std::string kafka;
};

// The flags every verb accepts (--intake, --routing, --sla, --analytics, --kafka, --timeout).
std::vector<FlagSpec> CommonFlags();
Endpoints EndpointsFrom(const Arguments& args);

// What a verb gets: its parsed arguments and where to write.
struct Invocation {
  Arguments args;
  Endpoints endpoints;
  int timeout_seconds = 10;
  std::FILE* out = stdout;
  std::FILE* err = stderr;

  std::shared_ptr<grpc::Channel> Channel(const std::string& address) const;
  // A client context with the invocation's deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;
  // Prints "complaintctl: <what>: <status>" and what to do about it; returns the exit code (1).
  int Fail(const std::string& what, const grpc::Status& status, const std::string& address) const;
  int Fail(const std::string& what, const absl::Status& status) const;
};

struct Verb {
  VerbSpec spec;
  std::function<int(const Invocation&)> run;
};

// The verbs, by area.
std::vector<Verb> ComplaintVerbs();   // submit, show, worklist, alerts
std::vector<Verb> DeadLetterVerbs();  // dlq list, dlq redrive
std::vector<Verb> ReportVerbs();      // report

}  // namespace complaints::complaintctl
