#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace complaints::metrics {

class Registry;

// Serves `GET /metrics` (the registry in the Prometheus text format) over HTTP on its own thread,
// for Prometheus to scrape. Nothing else: no customer data ever passes through it.
class HttpExporter {
 public:
  // `address` is host:port; port 0 picks a free one (see port()). InvalidArgument for a
  // malformed address, Unavailable when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpExporter>> Start(const std::string& address,
                                                             Registry* registry);
  ~HttpExporter();  // stops serving

  int port() const { return port_; }

 private:
  HttpExporter() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace complaints::metrics
