#include "libs/cases/case_batch.h"

#include <condition_variable>
#include <mutex>

#include "gtest/gtest.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/common/clock.h"
#include "libs/common/proto_time.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::cases {
namespace {

using routing::v1::Case;

events::v1::CaseEvent EventFor(const std::string& id, const std::string& unit) {
  events::v1::CaseEvent e;
  e.set_complaint_id(id);
  e.set_unit(unit);
  return e;
}

// The first assignment of `id` to unit A, as routing decides it from the received record.
Command Route(const std::string& id) {
  Command command;
  command.complaint_id = id;
  command.what = "routed";
  command.request_id = "received";
  command.creates_case = true;
  command.during_replay = true;
  command.actor = "routing";
  command.decide = [](const Case& c) -> absl::StatusOr<Decision> {
    Decision d;
    if (c.state() != routing::v1::CASE_STATE_UNSPECIFIED) return d;
    events::v1::CaseEvent& e = d.events.emplace_back();
    e.set_unit("A");
    e.mutable_assigned()->set_sequence(1);
    *e.mutable_occurred_at() = common::ToProtoTime(absl::FromUnixSeconds(1764115200));
    events::v1::Assignment& a = d.assignments.emplace_back();
    a.set_unit("A");
    a.set_sequence(1);
    return d;
  };
  return command;
}

// What a consumer meets for one complaint: its routing, its events from the topic (one
// illegal: a close of a case that is not resolved; one repeated) and its routing again.
struct Step {
  bool route = false;
  events::v1::CaseEvent event;
  std::string event_id;
};
std::vector<Step> History(const std::string& id) {
  std::vector<Step> steps;
  steps.push_back({true, {}, ""});
  events::v1::CaseEvent accepted = EventFor(id, "A");
  accepted.mutable_accepted();
  steps.push_back({false, accepted, id + "-accepted"});
  events::v1::CaseEvent closed = EventFor(id, "A");
  closed.mutable_closed()->set_reason("too early");
  steps.push_back({false, closed, id + "-closed"});
  steps.push_back({false, accepted, id + "-accepted"});
  events::v1::CaseEvent resolved = EventFor(id, "A");
  resolved.mutable_resolved()->set_resolution("refunded");
  steps.push_back({false, resolved, id + "-resolved"});
  steps.push_back({true, {}, ""});
  return steps;
}

class CaseBatchTest : public ::testing::Test {
 protected:
  // Routed once, its publish failed (the broker down): its two records (the assigned event and
  // the assignment) stay in its outbox and it is listed pending until the sweep, once the
  // broker is back, publishes them.
  void ExpectLeftToTheSweep(const std::string& id) {
    EXPECT_EQ(store_.Load(id)->record.pending_size(), 2);
    EXPECT_EQ(*store_.PendingCases(10), std::vector<std::string>{id});
    publisher_.FailWith(absl::OkStatus());
    ASSERT_TRUE(ledger_.FlushPending(10).ok());  // the first sweep only notes it
    EXPECT_EQ(*ledger_.FlushPending(10), 1);
    EXPECT_EQ(publisher_.published().size(), 2u);
    EXPECT_TRUE(store_.Load(id)->record.pending().empty());
  }

  testing::FakePublisher publisher_;
  MemoryCaseLedgerStore store_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764200000)};
  CaseLedger ledger_{&store_, &publisher_, &clock_,
                     {.event_source = "/complaints/routing", .pending_grace = absl::ZeroDuration()}};
};

// The batch's records, stored cases and published records are those of the ledger's own path.
TEST_F(CaseBatchTest, DoesWhatTheLedgerDoesOneByOne) {
  const std::vector<std::string> ids = {"CMP1", "CMP2"};
  testing::FakePublisher single_publisher;
  MemoryCaseLedgerStore single_store;
  CaseLedger single(&single_store, &single_publisher, &clock_, {.event_source = "/complaints/routing"});
  CaseBatch batch(&ledger_);
  ASSERT_TRUE(batch.Load({"CMP1", "CMP2", "CMP1"}).ok());
  // Interleaved, as a consumer's batch mixes complaints.
  const auto h1 = History("CMP1");
  const auto h2 = History("CMP2");
  for (size_t k = 0; k < h1.size(); ++k) {
    for (const auto* h : {&h1, &h2}) {
      const Step& step = (*h)[k];
      const std::string id = h == &h1 ? "CMP1" : "CMP2";
      ASSERT_TRUE(batch.Takes(id));
      if (step.route) {
        auto one = single.Execute(Route(id));
        auto many = batch.Execute(Route(id));
        ASSERT_TRUE(one.ok() && many.ok()) << one.status() << many.status();
        EXPECT_EQ(one->DebugString(), many->DebugString());
      } else {
        auto one = single.Observe(step.event, step.event_id);
        auto many = batch.Observe(step.event, step.event_id);
        ASSERT_TRUE(one.ok() && many.ok());
        EXPECT_EQ(*one, *many) << id << " step " << k;
      }
    }
  }
  EXPECT_TRUE(publisher_.published().empty());  // nothing before Commit
  const CaseBatch::Result result = batch.Commit();
  for (const std::string& id : ids) {
    EXPECT_EQ(result.outcomes.at(id), CaseBatch::Outcome::kDone);
    const StoredCase one = *single_store.Load(id);
    const StoredCase many = *store_.Load(id);
    EXPECT_EQ(many.record.DebugString(), one.record.DebugString());
    EXPECT_TRUE(many.record.pending().empty());
    EXPECT_EQ(many.record.case_().state(), routing::v1::CASE_STATE_RESOLVED);
    EXPECT_EQ(many.record.refusals_size(), 1);
  }
  ASSERT_EQ(publisher_.published().size(), single_publisher.published().size());
  EXPECT_EQ(publisher_.calls(), 1);  // one publish for the whole batch
  for (size_t i = 0; i < publisher_.published().size(); ++i) {
    EXPECT_EQ(publisher_.published()[i].event.id, single_publisher.published()[i].event.id);
    EXPECT_EQ(publisher_.published()[i].value, single_publisher.published()[i].value);
  }
}

// Another writer came between the load and the write: nothing of the batch is written for that
// case, and the caller is told to do its records again one by one.
TEST_F(CaseBatchTest, AConflictWritesNothingAndSaysSo) {
  ASSERT_TRUE(ledger_.Execute(Route("CMP1")).ok());
  CaseBatch batch(&ledger_);
  ASSERT_TRUE(batch.Load({"CMP1"}).ok());
  events::v1::CaseEvent accepted = EventFor("CMP1", "A");
  accepted.mutable_accepted();
  ASSERT_EQ(*batch.Observe(accepted, "acc-1"), Observation::kApplied);
  store_.before_write = [&] {
    events::v1::CaseEvent paused = EventFor("CMP1", "A");
    paused.mutable_paused();
    ASSERT_EQ(*ledger_.Observe(paused, "pause-1"), Observation::kApplied);
  };
  const CaseBatch::Result result = batch.Commit();
  EXPECT_EQ(result.outcomes.at("CMP1"), CaseBatch::Outcome::kConflict);
  const auto stored = store_.Load("CMP1")->record;
  EXPECT_EQ(stored.case_().state(), routing::v1::CASE_STATE_ASSIGNED);
  EXPECT_EQ(stored.applied_event_ids(stored.applied_event_ids_size() - 1), "pause-1");
}

// A case with another writer's records not yet published is left to the ledger's own path.
TEST_F(CaseBatchTest, ACaseWithPendingRecordsIsNotTaken) {
  publisher_.FailWith(absl::UnavailableError("broker down"));
  EXPECT_FALSE(ledger_.Execute(Route("CMP1")).ok());
  CaseBatch batch(&ledger_);
  ASSERT_TRUE(batch.Load({"CMP1", "CMP2"}).ok());
  EXPECT_FALSE(batch.Takes("CMP1"));
  EXPECT_TRUE(batch.Takes("CMP2"));
  EXPECT_FALSE(batch.Takes("CMP3"));  // not loaded
}

// Kafka down after the write: the records stay in the outbox (and the case is listed pending),
// so the retry or the sweep publishes them; the records are failed to be retried.
TEST_F(CaseBatchTest, APublishThatFailsLeavesTheOutbox) {
  CaseBatch batch(&ledger_);
  ASSERT_TRUE(batch.Load({"CMP1"}).ok());
  ASSERT_TRUE(batch.Execute(Route("CMP1")).ok());
  publisher_.FailWith(absl::UnavailableError("broker down"));
  const CaseBatch::Result result = batch.Commit();
  EXPECT_EQ(result.outcomes.at("CMP1"), CaseBatch::Outcome::kFailed);
  EXPECT_TRUE(absl::IsUnavailable(result.failures.at("CMP1")));
  ExpectLeftToTheSweep("CMP1");
}

// Redis down at the load: the batch does nothing, and says why.
TEST_F(CaseBatchTest, ALoadThatFailsIsTheBatchs) {
  class DownStore final : public CaseLedgerStore {
    absl::StatusOr<StoredCase> Load(const std::string&) override {
      return absl::UnavailableError("redis down");
    }
    absl::StatusOr<bool> CompareAndSet(const std::string&, int64_t, const routing::v1::CaseRecord&,
                                       absl::Duration) override {
      return absl::UnavailableError("redis down");
    }
    absl::StatusOr<std::vector<std::string>> PendingCases(int) override {
      return std::vector<std::string>{};
    }
    absl::StatusOr<std::vector<routing::v1::Case>> UnitCases(
        const std::string&, const std::vector<routing::v1::CaseState>&) override {
      return absl::UnavailableError("redis down");
    }
  } down;
  CaseLedger ledger(&down, &publisher_, &clock_, {.event_source = "/r"});
  CaseBatch batch(&ledger);
  EXPECT_TRUE(absl::IsUnavailable(batch.Load({"CMP1"})));
  EXPECT_FALSE(batch.Takes("CMP1"));
}

// A publisher that holds every publish until released: what a slow broker looks like.
class HeldPublisher final : public kafka::Publisher {
 public:
  explicit HeldPublisher(kafka::Publisher* inner) : inner_(inner) {}
  absl::StatusOr<std::vector<kafka::Delivery>> PublishWithOffsets(
      std::span<const kafka::OutgoingRecord> records) override {
    std::unique_lock lock(mu_);
    released_cv_.wait(lock, [this] { return released_; });
    return inner_->PublishWithOffsets(records);
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

 private:
  kafka::Publisher* inner_;
  std::mutex mu_;
  std::condition_variable released_cv_;
  bool released_ = false;
};

// With a flusher, Commit returns once the cases are written, their records durable in the
// outboxes, while the publish waits on the broker; the flusher then publishes them in order and
// clears the outboxes. The ids of the case events appended are given back at once.
TEST_F(CaseBatchTest, WithAFlusherCommitReturnsOnceWrittenAndTheFlusherPublishesAndClears) {
  HeldPublisher held(&publisher_);
  OutboxFlusher flusher(&store_, &held);
  CaseBatch batch(&ledger_, &flusher);
  ASSERT_TRUE(batch.Load({"CMP1", "CMP2"}).ok());
  ASSERT_TRUE(batch.Execute(Route("CMP1")).ok());
  ASSERT_TRUE(batch.Execute(Route("CMP2")).ok());
  const CaseBatch::Result result = batch.Commit(events::kCaseTopic);
  EXPECT_EQ(result.outcomes.at("CMP1"), CaseBatch::Outcome::kDone);
  EXPECT_EQ(result.outcomes.at("CMP2"), CaseBatch::Outcome::kDone);
  ASSERT_EQ(result.appended_ids.size(), 2u);
  EXPECT_TRUE(publisher_.published().empty());
  EXPECT_EQ(store_.Load("CMP1")->record.pending_size(), 2);  // the assigned event + assignment

  held.Release();
  flusher.Drain();
  const auto events = publisher_.PublishedTo(events::kCaseTopic);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event.id, result.appended_ids[0]);
  EXPECT_EQ(events[1].event.id, result.appended_ids[1]);
  EXPECT_EQ(publisher_.published().size(), 4u);
  EXPECT_TRUE(store_.Load("CMP1")->record.pending().empty());
  EXPECT_TRUE(store_.Load("CMP2")->record.pending().empty());
  EXPECT_TRUE(store_.PendingCases(10)->empty());
}

// The flusher's publish fails: the records stay in the outbox, the case listed pending, and the
// ledger's sweep publishes them once the broker is back.
TEST_F(CaseBatchTest, AFlushThatFailsLeavesTheOutboxToTheSweep) {
  OutboxFlusher flusher(&store_, &publisher_);
  CaseBatch batch(&ledger_, &flusher);
  ASSERT_TRUE(batch.Load({"CMP1"}).ok());
  ASSERT_TRUE(batch.Execute(Route("CMP1")).ok());
  publisher_.FailWith(absl::UnavailableError("broker down"));
  EXPECT_EQ(batch.Commit().outcomes.at("CMP1"), CaseBatch::Outcome::kDone);
  flusher.Drain();
  ExpectLeftToTheSweep("CMP1");
}

}  // namespace
}  // namespace complaints::cases
