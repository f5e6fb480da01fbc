#include "libs/metrics/http_exporter.h"

#include "absl/strings/numbers.h"
#include "httplib.h"
#include "libs/metrics/metrics.h"

namespace complaints::metrics {

absl::StatusOr<std::unique_ptr<HttpExporter>> HttpExporter::Start(const std::string& address,
                                                                  Registry* registry) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("metrics.address: expected host:port, got " + address);
  }
  const std::string host = address.substr(0, colon);

  std::unique_ptr<HttpExporter> exporter(new HttpExporter());
  exporter->server_ = std::make_unique<httplib::Server>();
  // httplib's default also sets SO_REUSEPORT, with which a second instance configured on the
  // same port would silently share it (and half the scrapes): only SO_REUSEADDR, so a restart
  // binds at once but a clash is an error.
  exporter->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  exporter->server_->Get("/metrics", [registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry->Expose(), "text/plain; version=0.0.4; charset=utf-8");
  });
  exporter->port_ = port == 0 ? exporter->server_->bind_to_any_port(host)
                              : (exporter->server_->bind_to_port(host, port) ? port : -1);
  if (exporter->port_ <= 0) {
    return absl::UnavailableError("metrics.address: cannot listen on " + address);
  }
  exporter->thread_ = std::thread([server = exporter->server_.get()] {
    server->listen_after_bind();
  });
  // stop() does nothing to a server that is not running yet, and the join in the destructor
  // would then wait forever: return once it runs (a matter of microseconds).
  while (!exporter->server_->is_running()) std::this_thread::yield();
  return exporter;
}

HttpExporter::~HttpExporter() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace complaints::metrics
