#include "services/intake/submit_batcher.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace complaints::intake {
namespace {

// Each submission gets its own answer (here: its external id echoed as the complaint id).
std::vector<absl::StatusOr<SubmitBatcher::Response>> Echo(
    std::span<const SubmitBatcher::Request> requests) {
  std::vector<absl::StatusOr<SubmitBatcher::Response>> out;
  for (const auto& r : requests) {
    SubmitBatcher::Response response;
    response.set_complaint_id(r.external_id());
    out.push_back(response);
  }
  return out;
}

TEST(SubmitBatcherTest, ALoneCallRunsAtOnce) {
  SubmitBatcher batcher(Echo, 2, 64);
  SubmitBatcher::Request request;
  request.set_external_id("a");
  auto response = batcher.Submit(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->complaint_id(), "a");
}

// While a batch runs, the calls that arrive wait and then go together in the next one, each
// with its own result.
TEST(SubmitBatcherTest, CallsArrivingDuringABatchShareTheNext) {
  absl::Notification release;
  absl::Notification first_running;
  std::mutex mu;
  std::vector<size_t> batch_sizes;
  SubmitBatcher batcher(
      [&](std::span<const SubmitBatcher::Request> requests) {
        {
          std::lock_guard lock(mu);
          batch_sizes.push_back(requests.size());
        }
        if (requests.front().external_id() == "first") {
          first_running.Notify();
          release.WaitForNotification();
        }
        return Echo(requests);
      },
      /*max_in_flight=*/1, /*max_batch=*/64);

  std::thread first([&] {
    SubmitBatcher::Request request;
    request.set_external_id("first");
    EXPECT_EQ(batcher.Submit(request)->complaint_id(), "first");
  });
  ASSERT_TRUE(first_running.WaitForNotificationWithTimeout(absl::Seconds(10)));

  std::vector<std::thread> others;
  for (int i = 0; i < 10; ++i) {
    others.emplace_back([&, i] {
      SubmitBatcher::Request request;
      request.set_external_id("call-" + std::to_string(i));
      EXPECT_EQ(batcher.Submit(request)->complaint_id(), "call-" + std::to_string(i));
    });
  }
  ASSERT_TRUE(batcher.WaitUntilQueued(10, absl::Seconds(10)));
  ASSERT_EQ(batcher.queued(), 10u);
  release.Notify();
  first.join();
  for (auto& t : others) t.join();
  std::lock_guard lock(mu);
  EXPECT_EQ(batch_sizes, (std::vector<size_t>{1, 10}));
}

}  // namespace
}  // namespace complaints::intake
