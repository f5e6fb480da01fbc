#include "services/routing/worklist.h"

#include "gtest/gtest.h"

namespace complaints::routing {
namespace {

routing::v1::Case MakeCase(const std::string& id, events::v1::Urgency urgency) {
  routing::v1::Case c;
  c.set_complaint_id(id);
  c.set_unit("U");
  c.set_state(routing::v1::CASE_STATE_ACCEPTED);
  c.set_urgency(urgency);
  return c;
}

TEST(WorklistTest, PageTokensRoundTripAndStrangersAreRefused) {
  const ListPosition p{.tier = 1, .no_deadline = false, .due_ms = 1764115200123,
                       .complaint_id = "CMP:with:colons"};
  auto back = DecodePageToken(EncodePageToken(p));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, p);
  EXPECT_FALSE(DecodePageToken("").has_value());
  EXPECT_FALSE(DecodePageToken("bm9wZQ").has_value());  // "nope"
}

// Equal deadlines are ordered by complaint id, so that a page boundary between them loses and
// repeats nothing.
TEST(WorklistTest, TiesAreBrokenByIdAcrossPages) {
  const absl::Time now = absl::FromUnixSeconds(1764115200);
  std::vector<routing::v1::Case> cases = {MakeCase("B", events::v1::URGENCY_NORMAL),
                                          MakeCase("A", events::v1::URGENCY_NORMAL),
                                          MakeCase("C", events::v1::URGENCY_NORMAL)};
  const std::map<std::string, absl::Time> deadlines = {
      {"A", now + absl::Hours(1)}, {"B", now + absl::Hours(1)}, {"C", now + absl::Hours(1)}};
  routing::v1::ListCasesRequest request;
  request.set_unit("U");
  request.set_page_size(2);
  auto query = ParseWorklistQuery(request);
  ASSERT_TRUE(query.ok());
  auto first = PageWorklist(cases, deadlines, *query, now);
  ASSERT_EQ(first.cases_size(), 2);
  EXPECT_EQ(first.cases(0).case_().complaint_id(), "A");
  EXPECT_EQ(first.cases(1).case_().complaint_id(), "B");
  request.set_page_token(first.next_page_token());
  query = ParseWorklistQuery(request);
  ASSERT_TRUE(query.ok());
  auto second = PageWorklist(cases, deadlines, *query, now);
  ASSERT_EQ(second.cases_size(), 1);
  EXPECT_EQ(second.cases(0).case_().complaint_id(), "C");
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST(WorklistTest, CasesNoLongerWithTheUnitAreLeftOut) {
  auto moved = MakeCase("A", events::v1::URGENCY_NORMAL);
  moved.set_unit("OTHER");
  routing::v1::ListCasesRequest request;
  request.set_unit("U");
  auto query = ParseWorklistQuery(request);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(PageWorklist({moved}, {}, *query, absl::Now()).cases_size(), 0);
}

}  // namespace
}  // namespace complaints::routing
