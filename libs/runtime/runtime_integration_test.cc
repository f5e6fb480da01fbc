// A consumer started the way every service starts one (runtime::CreateConsumer) whose handler
// writes to a Redis that is out of memory: the record is retried, not dead-lettered, while the
// service's gRPC health check says NOT_SERVING; once memory is raised the record goes through
// and the service is SERVING again. Real Kafka ($KAFKA_BOOTSTRAP), a redis-server of its own.
#include <atomic>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/kafka/topic_catalogue.h"
#include "libs/kafka/topic_reader.h"
#include "libs/runtime/service_runtime.h"
#include "tests/support/process.h"

namespace complaints::runtime {
namespace {

using grpc::health::v1::HealthCheckResponse;
using testsupport::EnvOr;

bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

std::string Unique(const std::string& prefix) {
  std::random_device random;
  return absl::StrCat("it.", prefix, ".", absl::Hex(random()), absl::Hex(random()));
}

HealthCheckResponse::ServingStatus Health(int port) {
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  HealthCheckResponse response;
  if (!stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok()) {
    return HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

TEST(ServiceRuntimeTest, RedisOutOfMemoryIsRetriedWhileNotServing) {
  testsupport::RedisServer redis_server(
      absl::StrCat(EnvOr("TEST_LOG_DIR", "/tmp"), "/runtime-oom-redis-", getpid(), ".log"),
      {"--maxmemory-policy", "noeviction"},
      testsupport::RedisServer::Acl::kNone);  // put in a failure state: no ACL users needed
  ASSERT_TRUE(redis_server.WaitUntilReady());

  ServiceContext ctx;
  ctx.service_name = "runtime-test";
  ctx.config.Set("grpc.address", "127.0.0.1:0");
  ctx.config.Set("grpc.plaintext", "true");  // health only: TLS is authorization_test's
  ctx.config.Set("kafka.group_id", Unique("group"));
  ctx.kafka.bootstrap_servers = EnvOr("KAFKA_BOOTSTRAP", "127.0.0.1:9092");
  ctx.kafka.client_id = "runtime_integration_test";
  ctx.redis.port = redis_server.port();
  auto producer = kafka::Producer::Create(ctx.kafka);
  ASSERT_TRUE(producer.ok()) << producer.status();
  ctx.producer = *std::move(producer);

  const std::string topic = Unique("oom");
  auto specs = kafka::ParseTopicCatalogue(absl::StrCat(topic, " partitions=1 retention=1d\n"));
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_TRUE(kafka::EnsureTopics(ctx.kafka, *specs, absl::Seconds(30)).ok());

  auto admin = redis::RedisClient::Connect(ctx.redis);
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());

  auto server = StartGrpcServer(ctx, "127.0.0.1:0", {});
  ASSERT_EQ(Health(server->port()), HealthCheckResponse::SERVING);

  kafka::OutgoingRecord record;
  record.topic = topic;
  record.key = "c-1";
  record.value = "remember me";
  record.event.id = "e-1";
  record.event.type = "complaints.test.v1.Thing";
  record.event.source = "/complaints/test";
  record.event.subject = "c-1";
  ASSERT_TRUE(ctx.producer->Publish(record).ok());

  std::unique_ptr<redis::RedisClient> client;  // the consumer thread's own connection
  std::atomic<int> attempts = 0;
  std::atomic<bool> stored = false;
  kafka::ConsumerOptions options;
  options.topics = {topic};
  options.retry_backoff = absl::Milliseconds(50);
  options.max_retry_backoff = absl::Milliseconds(400);
  auto consumer = StartConsumer(ctx, options, [&](const kafka::IncomingRecord& r) {
    ++attempts;
    if (client == nullptr) {
      auto connected = redis::RedisClient::Connect(ctx.redis);
      if (!connected.ok()) return connected.status();
      client = *std::move(connected);
    }
    auto set = client->Command({"SET", "value:" + r.key, r.value});
    stored = set.ok();
    return set.status();
  });
  ASSERT_TRUE(consumer.ok()) << consumer.status();

  ASSERT_TRUE(Eventually([&] { return attempts >= 2; }));
  ASSERT_TRUE(Eventually(
      [&] { return Health(server->port()) == HealthCheckResponse::NOT_SERVING; }));
  ASSERT_TRUE(Eventually([&] { return attempts >= 4; }));
  EXPECT_FALSE(stored);

  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  ASSERT_TRUE(Eventually([&] { return stored.load(); }));
  ASSERT_TRUE(
      Eventually([&] { return Health(server->port()) == HealthCheckResponse::SERVING; }));
  auto value = (*admin)->Command({"GET", "value:c-1"});
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->str, "remember me");

  (*consumer)->Stop();
  // Never dead-lettered (a dead letter would also have ended the handler's attempts).
  auto dlq = kafka::TopicReader::Open(ctx.kafka.bootstrap_servers, topic + ".dlq");
  ASSERT_TRUE(dlq.ok()) << dlq.status();
  EXPECT_TRUE((*dlq)->All([](const kafka::IncomingRecord&) { return true; }, absl::Seconds(1))
                  .empty());
  server->Shutdown();
  ctx.health->SetListener(nullptr);
}

}  // namespace
}  // namespace complaints::runtime
