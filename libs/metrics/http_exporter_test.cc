#include "libs/metrics/http_exporter.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/metrics/metrics.h"

namespace complaints::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(HttpExporterTest, ServesTheRegistryAtMetrics) {
  Registry registry;
  registry.AddCounter("requests_total", "Requests.", {"method"}).With({"Get"}).Increment();
  auto exporter = HttpExporter::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(exporter.ok()) << exporter.status();

  httplib::Client client("127.0.0.1", (*exporter)->port());
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->get_header_value("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  EXPECT_THAT(response->body, HasSubstr("requests_total{method=\"Get\"} 1\n"));
  // Scrapes see live values.
  registry.AddCounter("requests_total", "Requests.", {"method"}).With({"Get"}).Increment();
  EXPECT_THAT(client.Get("/metrics")->body, HasSubstr("requests_total{method=\"Get\"} 2\n"));
  EXPECT_EQ(client.Get("/other")->status, 404);
}

TEST(HttpExporterTest, BadOrBusyAddressesAreClearErrors) {
  Registry registry;
  EXPECT_EQ(HttpExporter::Start("no-port", &registry).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto first = HttpExporter::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(first.ok());
  auto second =
      HttpExporter::Start("127.0.0.1:" + std::to_string((*first)->port()), &registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

// Prometheus's own checker (promtool, from Debian's prometheus package, which deploy/setup.sh
// installs) accepts what we expose, histograms and escaped labels included.
TEST(HttpExporterTest, PromtoolAcceptsTheExposition) {
  Registry registry;
  registry.AddCounter("dead_letters_total", "Records dead-lettered.", {"topic", "reason"})
      .With({"ivr.calls.v1", "quote \" and \\ back"})
      .Increment();
  registry.AddGauge("kafka_consumer_lag", "Lag.", {"topic", "partition"})
      .With({"complaints.case.v1", "0"})
      .Set(12);
  registry.AddHistogram("grpc_server_handling_seconds", "Latency.", {"grpc_method"})
      .With({"SubmitComplaint"})
      .Observe(0.003);
  const std::string file = ::testing::TempDir() + "/exposition.prom";
  std::ofstream(file) << registry.Expose();
  const int status = std::system(("promtool check metrics < " + file + " 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status)) << "promtool did not run";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "promtool check metrics rejected:\n" << registry.Expose();
}

}  // namespace
}  // namespace complaints::metrics
