#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/analytics/aggregates_consumer.h"
#include "services/analytics/analytics.h"

namespace httplib {
class Server;
}

namespace complaints::analytics {

// The operations dashboard (README "Dashboard"): one page, its charts drawn by Chart.js served
// from this machine (Debian's libjs-chart.js), and the JSON it reads. Codes and complaint ids
// only: no customer data passes through it.
class Dashboard {
 public:
  struct Options {
    std::string address = "127.0.0.1:50255";  // host:port; port 0 picks a free one
    std::string chart_js = "/usr/share/javascript/chart.js/chart.min.js";
  };
  static absl::StatusOr<std::unique_ptr<Dashboard>> Start(Options options,
                                                          AggregatesConsumer* aggregates,
                                                          Analytics* timelines);
  ~Dashboard();

  int port() const { return port_; }

  // The JSON the page reads (also served as /api/summary.json), for tests and benchmarks.
  static std::string SummaryJson(const AggregatesConsumer& aggregates);

 private:
  Dashboard() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace complaints::analytics
