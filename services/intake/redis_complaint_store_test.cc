// Runs against the real Redis at 127.0.0.1:$REDIS_PORT (default 6379), shared with other suites:
// every key carries a random prefix and is deleted afterwards; nothing is flushed.
#include "services/intake/redis_complaint_store.h"

#include "gtest/gtest.h"
#include "libs/testing/scratch_redis.h"
#include "services/intake/complaint_store_contract.h"

namespace complaints::intake {
namespace {

struct RedisHarness {
  ComplaintStore& store() { return store_; }
  testing::ScratchRedis scratch_{"intake", 12};
  RedisComplaintStore store_{&scratch_.pool(), scratch_.prefix()};
};
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, ComplaintStoreContract, RedisHarness);

class RedisComplaintStoreTest : public ::testing::Test {
 protected:
  int64_t Ttl(const std::string& key, const char* command = "TTL") {
    auto redis = scratch_.pool().Acquire();
    EXPECT_TRUE(redis.ok()) << redis.status();
    auto reply = (*redis)->Command({command, key});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? reply->integer : -3;
  }

  testing::ScratchRedis scratch_{"intake", 2};
  RedisComplaintStore store_{&scratch_.pool(), scratch_.prefix(), absl::Hours(24 * 90)};
};

// The batch calls take each complaint's bytes beside it: a caller's mismatch is refused whole,
// never read past its end, and nothing is written.
TEST_F(RedisComplaintStoreTest, ABatchWhoseEncodingsDoNotMatchIsRefused) {
  const std::vector<events::v1::ComplaintReceived> batch = {ContractComplaint("CMP1", 100),
                                                            ContractComplaint("CMP2", 100)};
  const auto claims = store_.ClaimMany(batch, {batch[0].SerializeAsString()}, {"a", "b"},
                                       absl::Seconds(30));
  ASSERT_EQ(claims.size(), 2u);
  for (const auto& claim : claims) EXPECT_EQ(claim.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store_.MarkPublishedMany(batch, {}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Ttl(scratch_.prefix() + "claim:CMP1"), -2);  // no such key
  EXPECT_FALSE(store_.Get("CMP1")->has_value());
}

TEST_F(RedisComplaintStoreTest, EveryKeyExpires) {
  auto complaint = ContractComplaint("CMP1", 100);
  complaint.set_short_id("K7QF-29XM-4C");
  ASSERT_TRUE(store_.Claim(complaint, "a", absl::Seconds(30)).ok());
  const int64_t ninety_days = 90 * 24 * 3600;
  EXPECT_GT(Ttl(scratch_.prefix() + "claim:CMP1"), ninety_days - 60);
  EXPECT_LE(Ttl(scratch_.prefix() + "claim:CMP1"), ninety_days);
  const int64_t lease_ms = Ttl(scratch_.prefix() + "lease:CMP1", "PTTL");
  EXPECT_GT(lease_ms, 0);
  EXPECT_LE(lease_ms, 30000);

  ASSERT_TRUE(store_.MarkPublished(complaint).ok());
  EXPECT_GT(Ttl(scratch_.prefix() + "complaint:CMP1"), ninety_days - 60);
  EXPECT_GT(Ttl(scratch_.prefix() + "short:K7QF-29XM-4C"), ninety_days - 60);
  EXPECT_LE(Ttl(scratch_.prefix() + "short:K7QF-29XM-4C"), ninety_days);
  EXPECT_EQ(Ttl(scratch_.prefix() + "claim:CMP1"), -2);  // gone: the claim is complete
  EXPECT_EQ(Ttl(scratch_.prefix() + "lease:CMP1"), -2);
}

TEST_F(RedisComplaintStoreTest, AComplaintCachedBeforeClaimsExistedIsPublished) {
  // intake:complaint:<id> as earlier releases wrote it (a bare SET, no claim).
  const auto complaint = ContractComplaint("CMP1", 100);
  {
    auto redis = scratch_.pool().Acquire();
    ASSERT_TRUE(redis.ok());
    ASSERT_TRUE((*redis)->Command({"SET", scratch_.prefix() + "complaint:CMP1",
                                   complaint.SerializeAsString()}).ok());
  }
  auto claim = store_.Claim(ContractComplaint("CMP1", 200), "a", absl::Seconds(30));
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->outcome, ComplaintClaim::Outcome::kPublished);
  EXPECT_EQ(claim->complaint.SerializeAsString(), complaint.SerializeAsString());
}

}  // namespace
}  // namespace complaints::intake
