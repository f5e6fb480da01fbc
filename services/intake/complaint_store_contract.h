#pragma once
// What every ComplaintStore must do, as typed tests: instantiated for MemoryComplaintStore in
// intake_test.cc and for RedisComplaintStore in redis_complaint_store_test.cc, so the fake that
// the logic's unit tests use keeps the semantics of the store production uses.
//
// `Harness` is default-constructible and has `ComplaintStore& store()`.

#include <barrier>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "services/intake/complaint_store.h"

namespace complaints::intake {

inline events::v1::ComplaintReceived ContractComplaint(const std::string& id, int64_t received_s,
                                                       const std::string& description = "排队") {
  events::v1::ComplaintReceived c;
  c.set_complaint_id(id);
  c.set_source("ivr-95533");
  c.set_external_id("call-" + id);
  c.mutable_customer()->set_phone("13812345678");
  c.set_category("branch.waiting_time");
  c.set_description(description);
  *c.mutable_received_at() = common::ToProtoTime(absl::FromUnixSeconds(received_s));
  return c;
}

template <typename Harness>
class ComplaintStoreContract : public ::testing::Test {
 protected:
  ComplaintStore& store() { return harness_.store(); }
  Harness harness_;
};

TYPED_TEST_SUITE_P(ComplaintStoreContract);

constexpr absl::Duration kContractLease = absl::Seconds(30);

TYPED_TEST_P(ComplaintStoreContract, FirstClaimBindsTheIdToItsContent) {
  const auto first = ContractComplaint("CMP1", 100);
  auto won = this->store().Claim(first, "a", kContractLease);
  ASSERT_TRUE(won.ok()) << won.status();
  EXPECT_EQ(won->outcome, ComplaintClaim::Outcome::kWon);
  EXPECT_TRUE(won->first);
  EXPECT_EQ(won->Content(first).SerializeAsString(), first.SerializeAsString());

  // Later candidates get the first one's content, received_at included.
  auto busy = this->store().Claim(ContractComplaint("CMP1", 200, "别的"), "b", kContractLease);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ(busy->outcome, ComplaintClaim::Outcome::kBusy);
  EXPECT_FALSE(busy->first);
  EXPECT_EQ(busy->complaint.SerializeAsString(), first.SerializeAsString());

  // Not published yet: not found.
  auto got = this->store().Get("CMP1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TYPED_TEST_P(ComplaintStoreContract, TheHolderAskingAgainStillHoldsTheLease) {
  const auto first = ContractComplaint("CMP1", 100);
  ASSERT_TRUE(this->store().Claim(first, "a", kContractLease).ok());
  auto again = this->store().Claim(ContractComplaint("CMP1", 200), "a", kContractLease);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->outcome, ComplaintClaim::Outcome::kWon);
  EXPECT_FALSE(again->first);
  EXPECT_EQ(again->complaint.SerializeAsString(), first.SerializeAsString());
}

TYPED_TEST_P(ComplaintStoreContract, APublishedClaimIsFoundAndAnsweredAsPublished) {
  const auto first = ContractComplaint("CMP1", 100);
  ASSERT_TRUE(this->store().Claim(first, "a", kContractLease).ok());
  ASSERT_TRUE(this->store().MarkPublished(first).ok());
  auto got = this->store().Get("CMP1");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->SerializeAsString(), first.SerializeAsString());
  auto claim = this->store().Claim(ContractComplaint("CMP1", 200), "b", kContractLease);
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->outcome, ComplaintClaim::Outcome::kPublished);
  EXPECT_EQ(claim->complaint.SerializeAsString(), first.SerializeAsString());
}

TYPED_TEST_P(ComplaintStoreContract, AReleasedClaimIsTakenOverWithItsOwnContent) {
  const auto first = ContractComplaint("CMP1", 100);
  ASSERT_TRUE(this->store().Claim(first, "a", kContractLease).ok());
  // Only the holder's token releases it.
  ASSERT_TRUE(this->store().Release("CMP1", "b").ok());
  EXPECT_EQ(this->store().Claim(first, "b", kContractLease)->outcome,
            ComplaintClaim::Outcome::kBusy);
  ASSERT_TRUE(this->store().Release("CMP1", "a").ok());
  auto taken = this->store().Claim(ContractComplaint("CMP1", 200), "b", kContractLease);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->outcome, ComplaintClaim::Outcome::kWon);
  EXPECT_FALSE(taken->first);
  EXPECT_EQ(taken->complaint.SerializeAsString(), first.SerializeAsString());
  // ... and now "a" is the one kept out.
  EXPECT_EQ(this->store().Claim(first, "a", kContractLease)->outcome,
            ComplaintClaim::Outcome::kBusy);
}

TYPED_TEST_P(ComplaintStoreContract, AnExpiredLeaseIsTakenOver) {
  const auto first = ContractComplaint("CMP1", 100);
  ASSERT_TRUE(this->store().Claim(first, "a", absl::Milliseconds(50)).ok());
  // The holder died: nobody releases. Someone else gets the claim once the lease is over.
  ComplaintClaim::Outcome outcome = ComplaintClaim::Outcome::kBusy;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (outcome == ComplaintClaim::Outcome::kBusy && absl::Now() < deadline) {
    auto claim = this->store().Claim(ContractComplaint("CMP1", 200), "b", kContractLease);
    ASSERT_TRUE(claim.ok()) << claim.status();
    outcome = claim->outcome;
    if (outcome == ComplaintClaim::Outcome::kWon) {
      EXPECT_EQ(claim->complaint.SerializeAsString(), first.SerializeAsString());
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(outcome, ComplaintClaim::Outcome::kWon);
}

TYPED_TEST_P(ComplaintStoreContract, ConcurrentClaimsHaveOneWinner) {
  constexpr int kCallers = 8;
  std::barrier start(kCallers);
  std::vector<absl::StatusOr<ComplaintClaim>> claims(kCallers, absl::UnknownError("not run"));
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      start.arrive_and_wait();
      claims[i] = this->store().Claim(ContractComplaint("CMP1", 100 + i), "t" + std::to_string(i),
                                      kContractLease);
    });
  }
  for (auto& caller : callers) caller.join();
  int won = 0;
  std::string content;
  for (int i = 0; i < kCallers; ++i) {
    const auto& claim = claims[i];
    ASSERT_TRUE(claim.ok()) << claim.status();
    if (claim->outcome == ComplaintClaim::Outcome::kWon) {
      ++won;
      EXPECT_TRUE(claim->first);
    }
    const std::string bound = claim->Content(ContractComplaint("CMP1", 100 + i)).SerializeAsString();
    if (content.empty()) content = bound;
    EXPECT_EQ(bound, content);
  }
  EXPECT_EQ(won, 1);
}

TYPED_TEST_P(ComplaintStoreContract, AShortIdNamesItsPublishedComplaintAndTheFirstKeepsIt) {
  auto first = ContractComplaint("CMP1", 100);
  first.set_short_id("K7QF-29XM-4C");
  ASSERT_TRUE(this->store().Claim(first, "a", kContractLease).ok());
  // Not published yet: not found by its short id either.
  auto before = this->store().FindByShortId("K7QF-29XM-4C");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->has_value());
  ASSERT_TRUE(this->store().MarkPublished(first).ok());
  auto found = this->store().FindByShortId("K7QF-29XM-4C");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ(**found, "CMP1");

  // Another complaint with the same short id (a collision): the first keeps it; the second is
  // published all the same and found by its id.
  auto second = ContractComplaint("CMP2", 200);
  second.set_short_id("K7QF-29XM-4C");
  ASSERT_TRUE(this->store().MarkPublished(second).ok());
  EXPECT_EQ(**this->store().FindByShortId("K7QF-29XM-4C"), "CMP1");
  EXPECT_TRUE(this->store().Get("CMP2")->has_value());
  // Replaying the first again changes nothing.
  ASSERT_TRUE(this->store().MarkPublished(first).ok());
  EXPECT_EQ(**this->store().FindByShortId("K7QF-29XM-4C"), "CMP1");
  EXPECT_FALSE(this->store().FindByShortId("0000-0000-00")->has_value());
}

// A batch answers each complaint as Claim would one after the other: a new one first, one
// published, one another token is publishing, one this token holds, and the same id twice in the
// batch (the second meets the first's claim). MarkPublishedMany then publishes each, short ids
// included, and keeps what was published first.
TYPED_TEST_P(ComplaintStoreContract, ABatchIsClaimedAndMarkedAsOneCallAfterAnother) {
  auto published = ContractComplaint("CMP2", 100);
  ASSERT_TRUE(this->store().Claim(published, "x", kContractLease).ok());
  ASSERT_TRUE(this->store().MarkPublished(published).ok());
  ASSERT_TRUE(this->store().Claim(ContractComplaint("CMP3", 100), "x", kContractLease).ok());
  ASSERT_TRUE(this->store().Claim(ContractComplaint("CMP4", 100), "d", kContractLease).ok());

  auto fresh = ContractComplaint("CMP1", 200);
  fresh.set_short_id("K7QF-29XM-4C");
  const std::vector<events::v1::ComplaintReceived> batch = {
      fresh, ContractComplaint("CMP2", 200, "别的"), ContractComplaint("CMP3", 200),
      ContractComplaint("CMP4", 200), ContractComplaint("CMP1", 300, "别的")};
  const auto claims =
      this->store().ClaimMany(batch, Encode(batch), {"a", "b", "c", "d", "e"}, kContractLease);
  ASSERT_EQ(claims.size(), 5u);
  for (const auto& claim : claims) ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claims[0]->outcome, ComplaintClaim::Outcome::kWon);
  EXPECT_TRUE(claims[0]->first);
  EXPECT_EQ(claims[0]->Content(fresh).SerializeAsString(), fresh.SerializeAsString());
  EXPECT_EQ(claims[1]->outcome, ComplaintClaim::Outcome::kPublished);
  EXPECT_EQ(claims[1]->complaint.SerializeAsString(), published.SerializeAsString());
  EXPECT_EQ(claims[2]->outcome, ComplaintClaim::Outcome::kBusy);
  EXPECT_EQ(claims[2]->complaint.SerializeAsString(),
            ContractComplaint("CMP3", 100).SerializeAsString());
  EXPECT_EQ(claims[3]->outcome, ComplaintClaim::Outcome::kWon);  // "d" holds it already
  EXPECT_FALSE(claims[3]->first);
  EXPECT_EQ(claims[3]->complaint.SerializeAsString(),
            ContractComplaint("CMP4", 100).SerializeAsString());
  EXPECT_EQ(claims[4]->outcome, ComplaintClaim::Outcome::kBusy);
  EXPECT_EQ(claims[4]->complaint.SerializeAsString(), fresh.SerializeAsString());

  const std::vector<events::v1::ComplaintReceived> published_now = {
      claims[0]->Content(fresh), claims[3]->complaint, ContractComplaint("CMP2", 300, "又一个")};
  ASSERT_TRUE(this->store().MarkPublishedMany(published_now, Encode(published_now)).ok());
  EXPECT_EQ((*this->store().Get("CMP1"))->SerializeAsString(), fresh.SerializeAsString());
  EXPECT_EQ(**this->store().FindByShortId("K7QF-29XM-4C"), "CMP1");
  EXPECT_EQ((*this->store().Get("CMP4"))->SerializeAsString(),
            ContractComplaint("CMP4", 100).SerializeAsString());
  EXPECT_EQ((*this->store().Get("CMP2"))->SerializeAsString(), published.SerializeAsString());
  // Published now: a claim answers so.
  auto again = this->store().Claim(ContractComplaint("CMP4", 400), "z", kContractLease);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->outcome, ComplaintClaim::Outcome::kPublished);
}

REGISTER_TYPED_TEST_SUITE_P(ComplaintStoreContract, FirstClaimBindsTheIdToItsContent,
                            TheHolderAskingAgainStillHoldsTheLease,
                            APublishedClaimIsFoundAndAnsweredAsPublished,
                            AReleasedClaimIsTakenOverWithItsOwnContent, AnExpiredLeaseIsTakenOver,
                            ConcurrentClaimsHaveOneWinner,
                            AShortIdNamesItsPublishedComplaintAndTheFirstKeepsIt,
                            ABatchIsClaimedAndMarkedAsOneCallAfterAnother);

}  // namespace complaints::intake
