#include "libs/kafka/cloud_event.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::kafka {
namespace {

using ::testing::Pair;

CloudEvent Sample() {
  CloudEvent event;
  event.id = "e-1";
  event.type = "complaints.events.v1.ComplaintReceived";
  event.source = "/complaints/intake";
  event.subject = "c-42";
  event.time = absl::FromUnixMillis(1710491400123);  // 2024-03-15T08:30:00.123Z
  return event;
}

TEST(CloudEventTest, WritesBinaryModeHeaders) {
  EXPECT_THAT(ToHeaders(Sample()),
              ::testing::ElementsAre(
                  Pair("ce_id", "e-1"), Pair("ce_type", "complaints.events.v1.ComplaintReceived"),
                  Pair("ce_source", "/complaints/intake"), Pair("ce_specversion", "1.0"),
                  Pair("ce_time", "2024-03-15T08:30:00.123Z"), Pair("ce_subject", "c-42"),
                  Pair("content-type", "application/protobuf")));
}

TEST(CloudEventTest, RoundTrips) {
  auto parsed = FromHeaders(ToHeaders(Sample()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, "e-1");
  EXPECT_EQ(parsed->type, "complaints.events.v1.ComplaintReceived");
  EXPECT_EQ(parsed->source, "/complaints/intake");
  EXPECT_EQ(parsed->subject, "c-42");
  EXPECT_EQ(parsed->time, Sample().time);
  EXPECT_EQ(parsed->content_type, "application/protobuf");
}

TEST(CloudEventTest, OmitsEmptyOptionalAttributes) {
  CloudEvent event = Sample();
  event.subject.clear();
  event.content_type.clear();
  const Headers headers = ToHeaders(event);
  EXPECT_FALSE(FindHeader(headers, "ce_subject"));
  EXPECT_FALSE(FindHeader(headers, "content-type"));
  auto parsed = FromHeaders(headers);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->subject, "");
  EXPECT_EQ(parsed->content_type, "");
}

TEST(CloudEventTest, AcceptsOtherRfc3339Forms) {
  Headers headers = ToHeaders(Sample());
  for (auto& [name, value] : headers) {
    if (name == "ce_time") value = "2024-03-15T16:30:00.123+08:00";
  }
  auto parsed = FromHeaders(headers);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->time, Sample().time);
}

TEST(CloudEventTest, MissingRequiredHeaderIsNamed) {
  for (const char* name : {"ce_id", "ce_type", "ce_source", "ce_specversion"}) {
    Headers headers;
    for (const auto& header : ToHeaders(Sample())) {
      if (header.first != name) headers.push_back(header);
    }
    auto parsed = FromHeaders(headers);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(std::string(parsed.status().message()), ::testing::HasSubstr(name));
  }
}

TEST(CloudEventTest, RejectsBadTimeAndVersion) {
  Headers headers = ToHeaders(Sample());
  headers[4].second = "15/03/2024";
  EXPECT_THAT(std::string(FromHeaders(headers).status().message()), ::testing::HasSubstr("ce_time"));
  // Errors never repeat the header's bytes (they go to DLQ reasons and logs).
  EXPECT_THAT(std::string(FromHeaders(headers).status().message()),
              ::testing::Not(::testing::HasSubstr("15/03")));
  headers = ToHeaders(Sample());
  headers[3].second = "0.3\xe5";
  EXPECT_THAT(std::string(FromHeaders(headers).status().message()), ::testing::HasSubstr("ce_specversion"));
  EXPECT_THAT(std::string(FromHeaders(headers).status().message()),
              ::testing::Not(::testing::HasSubstr("0.3")));
}

TEST(CloudEventTest, FindHeaderReturnsFirst) {
  const Headers headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(FindHeader(headers, "a"), "1");
  EXPECT_EQ(FindHeader(headers, "c"), std::nullopt);
}

}  // namespace
}  // namespace complaints::kafka
