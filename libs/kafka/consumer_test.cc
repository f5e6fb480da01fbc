#include "libs/kafka/consumer.h"

#include "gtest/gtest.h"

namespace complaints::kafka {
namespace {

TEST(IsTransientTest, DependencyOutagesAreRetried) {
  EXPECT_TRUE(IsTransient(absl::UnavailableError("")));
  EXPECT_TRUE(IsTransient(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsTransient(absl::AbortedError("")));
  EXPECT_TRUE(IsTransient(absl::ResourceExhaustedError("")));
}

TEST(IsTransientTest, BadRecordsAreNot) {
  EXPECT_FALSE(IsTransient(absl::OkStatus()));
  EXPECT_FALSE(IsTransient(absl::InvalidArgumentError("")));
  EXPECT_FALSE(IsTransient(absl::NotFoundError("")));
  EXPECT_FALSE(IsTransient(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsTransient(absl::InternalError("")));
  EXPECT_FALSE(IsTransient(absl::UnknownError("")));
}

class NullPublisher final : public Publisher {
 public:
  absl::StatusOr<std::vector<Delivery>> PublishWithOffsets(
      std::span<const OutgoingRecord> records) override {
    return std::vector<Delivery>(records.size());
  }
};

TEST(ConsumerTest, RejectsIncompleteOptions) {
  NullPublisher dlq;
  ConsumerOptions options;
  options.topics = {"t"};
  EXPECT_EQ(Consumer::Create({}, options, &dlq).status().code(),
            absl::StatusCode::kInvalidArgument);  // no group
  options.group_id = "g";
  EXPECT_EQ(Consumer::Create({}, options, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  KafkaConfig config;
  config.extra["enable.auto.offset.store"] = "true";
  EXPECT_EQ(Consumer::Create(config, options, &dlq).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace complaints::kafka
