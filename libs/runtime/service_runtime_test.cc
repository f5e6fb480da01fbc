#include "libs/runtime/service_runtime.h"

#include "gtest/gtest.h"

namespace complaints::runtime {
namespace {

// README (Metrics): /metrics on the gRPC port + 100 unless metrics.address says otherwise.
TEST(MetricsAddressTest, IsTheGrpcPortPlusOneHundredUnlessConfigured) {
  common::Config config;
  EXPECT_EQ(MetricsAddress(config, "127.0.0.1:50051"), "127.0.0.1:50151");
  EXPECT_EQ(MetricsAddress(config, "0.0.0.0:50055"), "0.0.0.0:50155");
  // A gRPC server on any free port: the metrics too.
  EXPECT_EQ(MetricsAddress(config, "127.0.0.1:0"), "127.0.0.1:0");
  config.Set("metrics.address", "127.0.0.1:9464");
  EXPECT_EQ(MetricsAddress(config, "127.0.0.1:50051"), "127.0.0.1:9464");
}

}  // namespace
}  // namespace complaints::runtime
