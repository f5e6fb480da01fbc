#include "libs/grpcutil/client_credentials.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "libs/common/files.h"

namespace complaints::grpcutil {

std::string CertsDir() {
  const char* dir = std::getenv("COMPLAINTS_TLS_DIR");
  return dir != nullptr && *dir != '\0' ? dir : COMPLAINTS_DEFAULT_CERTS_DIR;
}

bool PlaintextFromEnvironment() {
  const char* value = std::getenv("COMPLAINTS_GRPC_PLAINTEXT");
  if (value == nullptr) return false;
  const std::string v = absl::AsciiStrToLower(value);
  return v == "1" || v == "true" || v == "yes";
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(
    const std::string& principal, const std::string& certs_dir) {
  const std::string base = certs_dir + "/" + absl::StrReplaceAll(principal, {{":", "_"}});
  grpc::SslCredentialsOptions ssl;
  for (auto [file, into] : {std::pair{certs_dir + "/ca.crt", &ssl.pem_root_certs},
                            std::pair{base + ".crt", &ssl.pem_cert_chain},
                            std::pair{base + ".key", &ssl.pem_private_key}}) {
    auto content = common::ReadFile(file);
    if (!content.ok()) {
      return absl::NotFoundError("no credential for " + principal + " (" + file +
                                 "): run deploy/certs.sh " + principal);
    }
    *into = *std::move(content);
  }
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::Channel> ClientChannel(const std::string& address,
                                             const std::string& principal,
                                             const grpc::ChannelArguments& args) {
  if (PlaintextFromEnvironment()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  auto credentials = ClientCredentials(principal);
  if (!credentials.ok()) {
    std::fprintf(stderr, "%s\n", std::string(credentials.status().message()).c_str());
    std::abort();
  }
  return grpc::CreateCustomChannel(address, *credentials, args);
}

}  // namespace complaints::grpcutil
