// Runs against the real Redis at 127.0.0.1:$REDIS_PORT (default 6379), shared with other suites:
// every key carries a random prefix and is deleted afterwards; nothing is flushed.
#include "libs/cases/redis_case_ledger_store.h"

#include <map>
#include <thread>

#include "gtest/gtest.h"
#include "libs/cases/case_ledger.h"
#include "libs/testing/fake_publisher.h"
#include "libs/testing/scratch_redis.h"

namespace complaints::cases {
namespace {

routing::v1::CaseRecord Record(const std::string& unit, bool pending) {
  routing::v1::CaseRecord record;
  record.mutable_case_()->set_complaint_id("CMP1");
  record.mutable_case_()->set_unit(unit);
  record.mutable_case_()->set_state(routing::v1::CASE_STATE_ACCEPTED);
  record.add_applied_event_ids("e1");
  if (pending) record.add_pending()->set_ce_id("e1");
  return record;
}

class RedisCaseLedgerStoreTest : public ::testing::Test {
 protected:
  int64_t Ttl(const std::string& complaint_id) {
    auto redis = scratch_.pool().Acquire();
    return (*redis)->Command({"PTTL", store_.CaseKey(complaint_id)})->integer;
  }

  testing::ScratchRedis scratch_{"cases", 8};
  RedisCaseLedgerStore store_{&scratch_.pool(), scratch_.prefix()};
};

TEST_F(RedisCaseLedgerStoreTest, CompareAndSetWritesOnlyOverTheRevisionItRead) {
  auto empty = store_.Load("CMP1");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->revision, 0);
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 0, Record("A", false), absl::ZeroDuration()));
  EXPECT_FALSE(*store_.CompareAndSet("CMP1", 0, Record("B", false), absl::ZeroDuration()));
  auto loaded = store_.Load("CMP1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->revision, 1);
  EXPECT_EQ(loaded->record.case_().unit(), "A");
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 1, Record("B", false), absl::ZeroDuration()));
  EXPECT_EQ(store_.Load("CMP1")->record.case_().unit(), "B");
}

// The unit index (ListCases) follows every write: unit and state, leaving the old unit's list.
TEST_F(RedisCaseLedgerStoreTest, TheUnitIndexFollowsTheCase) {
  const std::vector<routing::v1::CaseState> open = {routing::v1::CASE_STATE_ASSIGNED,
                                                    routing::v1::CASE_STATE_ACCEPTED};
  const auto ids = [&](const std::string& unit, std::vector<routing::v1::CaseState> states) {
    std::vector<std::string> out;
    auto cases = store_.UnitCases(unit, states);
    EXPECT_TRUE(cases.ok()) << cases.status();
    for (const auto& c : *cases) out.push_back(c.complaint_id());
    return out;
  };
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 0, Record("A", false), absl::ZeroDuration()));
  EXPECT_EQ(ids("A", open), std::vector<std::string>{"CMP1"});
  EXPECT_TRUE(ids("B", open).empty());
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 1, Record("B", false), absl::ZeroDuration()));
  EXPECT_TRUE(ids("A", open).empty());
  EXPECT_EQ(ids("B", open), std::vector<std::string>{"CMP1"});
  auto resolved = Record("B", false);
  resolved.mutable_case_()->set_state(routing::v1::CASE_STATE_RESOLVED);
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 2, resolved, absl::ZeroDuration()));
  EXPECT_TRUE(ids("B", open).empty());
  EXPECT_EQ(ids("B", {routing::v1::CASE_STATE_RESOLVED}), std::vector<std::string>{"CMP1"});
  // A record that expired (a closed case's) leaves the index when next listed.
  auto redis = scratch_.pool().Acquire();
  ASSERT_TRUE((*redis)->Command({"DEL", store_.CaseKey("CMP1")}).ok());
  EXPECT_TRUE(ids("B", {routing::v1::CASE_STATE_RESOLVED}).empty());
  EXPECT_EQ((*redis)->Command({"EXISTS", scratch_.prefix() + "case-unit:B"})->integer, 0);
}

// The batched replay's writes (CompareAndSetMany, one pipelined round trip) are the same
// compare-and-set: over the revision read only, and keeping the unit index.
TEST_F(RedisCaseLedgerStoreTest, CompareAndSetManyWritesEachLikeCompareAndSet) {
  ASSERT_TRUE(*store_.CompareAndSet("CMP2", 0, Record("A", false), absl::ZeroDuration()));
  const std::vector<CaseLedgerStore::Write> writes = {
      {.complaint_id = "CMP1", .expected_revision = 0, .record = Record("A", false),
       .ttl = absl::ZeroDuration()},
      {.complaint_id = "CMP2", .expected_revision = 0, .record = Record("B", false),
       .ttl = absl::ZeroDuration()},  // CMP2 is at revision 1: refused
      {.complaint_id = "CMP3", .expected_revision = 0, .record = Record("B", true),
       .ttl = absl::ZeroDuration()}};
  const auto written = store_.CompareAndSetMany(writes);
  ASSERT_EQ(written.size(), 3u);
  for (const auto& w : written) ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(*written[0]);
  EXPECT_FALSE(*written[1]);
  EXPECT_TRUE(*written[2]);
  auto a = store_.UnitCases("A", {routing::v1::CASE_STATE_ACCEPTED});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->size(), 2u);  // CMP1 and CMP2 (still at A)
  auto b = store_.UnitCases("B", {routing::v1::CASE_STATE_ACCEPTED});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->size(), 1u);  // CMP3 (Record() names every case CMP1 inside)
  EXPECT_EQ(*store_.PendingCases(10), std::vector<std::string>{"CMP3"});
}

// More writes than one script call takes: each answered in its place, across the calls.
TEST_F(RedisCaseLedgerStoreTest, ManyWritesSpanScriptCallsAndAnswerInOrder) {
  constexpr int kWrites = 600;
  ASSERT_TRUE(*store_.CompareAndSet("CMP-599", 0, Record("A", false), absl::ZeroDuration()));
  std::vector<CaseLedgerStore::Write> writes;
  for (int i = 0; i < kWrites; ++i) {
    writes.push_back({.complaint_id = "CMP-" + std::to_string(i), .expected_revision = 0,
                      .record = Record("A", false), .ttl = absl::ZeroDuration()});
  }
  const auto written = store_.CompareAndSetMany(writes);
  ASSERT_EQ(written.size(), static_cast<size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(written[i].ok()) << written[i].status();
    EXPECT_EQ(*written[i], i != kWrites - 1) << i;  // the last had moved to revision 1
  }
  for (CaseLedgerStore::Write& w : writes) w.expected_revision = 1;
  const auto cleared = store_.ClearPendingMany(writes);
  ASSERT_EQ(cleared.size(), static_cast<size_t>(kWrites));
  for (const auto& c : cleared) EXPECT_TRUE(c.ok() && *c);
  EXPECT_EQ(store_.Load("CMP-300")->revision, 2);
}

TEST_F(RedisCaseLedgerStoreTest, PendingRecordsListTheCaseUntilAWriteWithoutThem) {
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 0, Record("A", true), absl::ZeroDuration()));
  EXPECT_EQ(*store_.PendingCases(10), std::vector<std::string>{"CMP1"});
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 1, Record("A", false), absl::ZeroDuration()));
  EXPECT_TRUE(store_.PendingCases(10)->empty());
}

TEST_F(RedisCaseLedgerStoreTest, TtlIsSetForClosedCasesAndRemovedOtherwise) {
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 0, Record("A", false), absl::Hours(1)));
  EXPECT_GT(Ttl("CMP1"), 3500 * 1000);
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 1, Record("A", false), absl::ZeroDuration()));
  EXPECT_EQ(Ttl("CMP1"), -1);  // no expiry
}

// The light write of a published outbox: over the revision it read only; the case leaves the
// pending list and keeps its unit index entry and its expiry.
TEST_F(RedisCaseLedgerStoreTest, ClearPendingWritesOverItsRevisionAndKeepsIndexAndExpiry) {
  ASSERT_TRUE(*store_.CompareAndSet("CMP1", 0, Record("A", true), absl::Hours(1)));
  ASSERT_EQ(*store_.PendingCases(10), std::vector<std::string>{"CMP1"});
  const std::vector<CaseLedgerStore::Write> stale = {{"CMP1", 0, Record("A", false), absl::Hours(1)}};
  ASSERT_FALSE(*store_.ClearPendingMany(stale)[0]);
  const std::vector<CaseLedgerStore::Write> clear = {{"CMP1", 1, Record("A", false), absl::Hours(1)}};
  ASSERT_TRUE(*store_.ClearPendingMany(clear)[0]);
  EXPECT_TRUE(store_.PendingCases(10)->empty());
  const StoredCase stored = *store_.Load("CMP1");
  EXPECT_EQ(stored.revision, 2);
  EXPECT_TRUE(stored.record.pending().empty());
  EXPECT_GT(Ttl("CMP1"), 3500 * 1000);
  EXPECT_EQ(store_.UnitCases("A", {stored.record.case_().state()})->size(), 1u);
}

// Many threads race to accept-and-count the same case through the real Redis: every increment
// lands exactly once, as the compare-and-set serialises them.
TEST_F(RedisCaseLedgerStoreTest, ConcurrentLedgerCommandsSerialise) {
  testing::FakePublisher publisher;
  common::ManualClock clock(absl::FromUnixSeconds(1764115200));
  CaseLedger ledger(&store_, &publisher, &clock,
                    {.event_source = "/test", .max_attempts = 1000});
  Command route;
  route.complaint_id = "CMP1";
  route.what = "routed";
  route.request_id = "received";
  route.creates_case = true;
  route.decide = [](const routing::v1::Case&) {
    Decision d;
    d.events.emplace_back().set_unit("A");
    d.events.back().mutable_assigned()->set_sequence(1);
    return d;
  };
  ASSERT_TRUE(ledger.Execute(route).ok());

  constexpr int kThreads = 6, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        Command pause;
        pause.complaint_id = "CMP1";
        pause.what = "paused";
        pause.decide = [](const routing::v1::Case&) {
          Decision d;
          d.events.emplace_back().mutable_paused();
          return d;
        };
        auto result = ledger.Execute(pause);
        EXPECT_TRUE(result.ok()) << result.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_.Load("CMP1")->record.case_().version(), 1 + kThreads * kEach);
  // Each event once after de-duplication on ce_id, and one content per ce_id.
  std::map<std::string, std::string> by_id;
  for (const auto& record : publisher.published()) {
    auto [it, fresh] = by_id.emplace(record.event.id, record.value);
    EXPECT_EQ(it->second, record.value) << "two contents for ce_id " << record.event.id;
  }
  EXPECT_EQ(by_id.size(), 1u + kThreads * kEach);
}

}  // namespace
}  // namespace complaints::cases
