#pragma once
// How every client of the platform (tools, tests, the demo feed, the fault suite) connects: with
// mutual TLS, as a principal whose credential deploy/certs.sh made, or in plaintext when asked.
//
//   auto channel = grpcutil::ClientChannel("127.0.0.1:50052", "branch:BJ-0101");
//
// The credential of principal "<role>:<name>" is <dir>/<role>_<name>.crt and .key, with the CA
// <dir>/ca.crt; <dir> is $COMPLAINTS_TLS_DIR, else <repo>/.certs. COMPLAINTS_GRPC_PLAINTEXT=true
// (the services' grpc.plaintext) makes plaintext channels instead.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace complaints::grpcutil {

// The principal clients use when they name none: the platform's administrator, whose rights
// cover every RPC (deploy/authz/policy.textproto).
inline constexpr char kDefaultClientPrincipal[] = "admin:root";

// $COMPLAINTS_TLS_DIR, else the directory deploy/certs.sh writes (<repo>/.certs).
std::string CertsDir();
// Whether $COMPLAINTS_GRPC_PLAINTEXT says true.
bool PlaintextFromEnvironment();

// Channel credentials for `principal`; NotFound naming the file when its credential is missing
// (run deploy/certs.sh <principal>).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(
    const std::string& principal, const std::string& certs_dir = CertsDir());

// A channel to `address` as `principal`, or plaintext when the environment says so. Aborts with
// the reason when the credential is missing: a client without one cannot do anything useful.
std::shared_ptr<grpc::Channel> ClientChannel(const std::string& address,
                                             const std::string& principal = kDefaultClientPrincipal,
                                             const grpc::ChannelArguments& args = {});

}  // namespace complaints::grpcutil
