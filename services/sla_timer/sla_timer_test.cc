#include "services/sla_timer/sla_timer.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <utility>

#include "gtest/gtest.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/sla_timer/firing/firer.h"
#include "services/sla_timer/store/memory_deadline_store.h"
#include "services/sla_timer/policy/policy_set.h"

namespace complaints::sla_timer {
namespace {

using events::v1::CaseEvent;
const absl::Time kT0 = absl::FromUnixSeconds(1764115200);
constexpr int32_t kPartition = 2;

kafka::IncomingRecord Record(const CaseEvent& event, int64_t offset) {
  const auto out = events::ToRecord(events::kCaseTopic, event.complaint_id(), event,
                                    "ev-" + std::to_string(offset), "/complaints/routing",
                                    event.complaint_id(), kT0);
  return testing::AsIncoming(out, kPartition, offset);
}

CaseEvent Event(absl::Time at, const std::string& id = "CMP1") {
  CaseEvent e;
  e.set_complaint_id(id);
  e.set_unit("BJ-0101");
  *e.mutable_occurred_at() = common::ToProtoTime(at);
  return e;
}
CaseEvent Assigned(absl::Time at, const std::string& id = "CMP1") {
  CaseEvent e = Event(at, id);
  e.mutable_assigned()->set_sequence(1);
  e.mutable_assigned()->set_level(events::v1::LEVEL_MAJOR);
  return e;
}
CaseEvent Reassigned(absl::Time at, const std::string& id = "CMP1") {
  CaseEvent e = Event(at, id);
  e.set_unit("BJ-0202");
  e.mutable_assigned()->set_sequence(2);
  e.mutable_assigned()->set_level(events::v1::LEVEL_MAJOR);
  return e;
}
CaseEvent Accepted(absl::Time at, const std::string& id = "CMP1") {
  CaseEvent e = Event(at, id);
  e.mutable_accepted();
  return e;
}
CaseEvent Paused(absl::Time at, const std::string& id = "CMP1") {
  CaseEvent e = Event(at, id);
  e.mutable_paused()->set_reason(events::v1::PAUSE_REASON_WAITING_ON_CUSTOMER);
  return e;
}
CaseEvent Resumed(absl::Time at, const std::string& id = "CMP1") {
  CaseEvent e = Event(at, id);
  e.mutable_resumed();
  return e;
}
CaseEvent Closed(absl::Time at) {
  CaseEvent e = Event(at);
  e.mutable_closed();
  return e;
}

// Calendar hours, one warning-free ladder: deadlines are plain arithmetic on kT0.
constexpr char kPolicy[] = R"pb(
  name: "timer-test"
  region: "CN"
  rule {
    name: "base"
    accept { span { calendar_hours: 4 } }
    resolution {
      span { calendar_hours: 168 }
      paused_by: PAUSE_REASON_WAITING_ON_CUSTOMER
    }
    regulatory {
      span { calendar_hours: 360 }
      statutory: true
      extension {
        to { calendar_hours: 720 }
        requires_approval: true
        requires_customer_notice: true
      }
    }
  }
)pb";

sla_policy::PolicySet TestPolicies() {
  auto policies = sla_policy::ParsePolicyText(kPolicy);
  EXPECT_TRUE(policies.ok()) << policies.status();
  return *std::move(policies);
}

class SlaTimerTest : public ::testing::Test {
 protected:
  absl::Status Handle(const CaseEvent& event, int64_t offset) {
    return timer_.HandleCaseEvent(Record(event, offset));
  }
  std::vector<events::v1::SlaAlert> Alerts() {
    std::vector<events::v1::SlaAlert> out;
    for (const auto& r : publisher_.PublishedTo(events::kSlaAlertsTopic)) {
      out.push_back(*events::ParseRecordAs<events::v1::SlaAlert>(testing::AsIncoming(r)));
    }
    return out;
  }

  const sla_policy::PolicySet policies_ = TestPolicies();
  const sla_policy::SimpleWorkCalendar calendar_{sla_policy::SimpleWorkCalendar::Options{}};
  const sla_policy::PolicyEngine engine_{&policies_, &calendar_};
  MemoryDeadlineStore store_;
  testing::FakePublisher publisher_;
  common::ManualClock clock_{kT0};
  cases::MemoryCaseLedgerStore ledger_store_;
  cases::CaseLedger ledger_{&ledger_store_, &publisher_, &clock_,
                            {.event_source = "/complaints/sla-timer",
                             .pending_grace = absl::ZeroDuration()}};
  SlaTimer timer_{&store_, &engine_, &clock_, &ledger_, absl::Hours(24 * 30)};
  AlertFirer firer_{&store_, &publisher_, &clock_, &engine_, FiringOptions{}};
};

TEST_F(SlaTimerTest, AssignmentArmsThreeDeadlinesInItsPartition) {
  ASSERT_TRUE(Handle(Assigned(kT0), 5).ok());
  auto deadlines = timer_.GetDeadlines("CMP1");
  ASSERT_TRUE(deadlines.ok()) << deadlines.status();
  ASSERT_EQ(deadlines->deadlines_size(), 3);
  const auto& accept = deadlines->deadlines(0);
  EXPECT_EQ(accept.clock(), events::v1::CLOCK_ACCEPT);
  EXPECT_EQ(common::FromProtoTime(accept.due_at()), kT0 + absl::Hours(4));
  EXPECT_EQ(accept.version(), 5);
  EXPECT_EQ(accept.unit(), "BJ-0101");
  EXPECT_EQ(accept.status(), sla::v1::DEADLINE_STATUS_RUNNING);
  EXPECT_EQ(common::FromProtoTime(accept.armed_at()), kT0);
  EXPECT_EQ(deadlines->deadlines(1).clock(), events::v1::CLOCK_RESOLUTION);
  EXPECT_EQ(deadlines->deadlines(2).clock(), events::v1::CLOCK_REGULATORY);
  EXPECT_EQ(common::FromProtoTime(deadlines->deadlines(2).due_at()), kT0 + absl::Hours(360));
  EXPECT_EQ(store_.Scheduled(kPartition).size(), 3u);
}

TEST_F(SlaTimerTest, RedeliveredRecordsChangeNothing) {
  ASSERT_TRUE(Handle(Assigned(kT0), 5).ok());
  ASSERT_TRUE(Handle(Accepted(kT0 + absl::Hours(1)), 6).ok());
  const auto before = store_.Get("CMP1");
  // The consumer crashed before committing: both records come again.
  ASSERT_TRUE(Handle(Assigned(kT0), 5).ok());
  ASSERT_TRUE(Handle(Accepted(kT0 + absl::Hours(1)), 6).ok());
  EXPECT_EQ(store_.Get("CMP1").clocks, before.clocks);
  EXPECT_EQ(store_.Scheduled(kPartition).size(), 2u);
}

TEST_F(SlaTimerTest, EventsWithoutEffectAreNotWritten) {
  ASSERT_TRUE(Handle(Accepted(kT0), 3).ok());
  EXPECT_EQ(store_.Get("CMP1").clocks.last_offset, -1);
}

TEST_F(SlaTimerTest, BadRecordsAreInvalid) {
  kafka::IncomingRecord garbage = Record(Assigned(kT0), 1);
  garbage.value = "\xff\xff not a proto";
  EXPECT_EQ(timer_.HandleCaseEvent(garbage).code(), absl::StatusCode::kInvalidArgument);

  CaseEvent no_time = Assigned(kT0);
  no_time.clear_occurred_at();
  EXPECT_EQ(Handle(no_time, 2).code(), absl::StatusCode::kInvalidArgument);

  kafka::IncomingRecord wrong_key = Record(Assigned(kT0), 3);
  wrong_key.key = "CMP-OTHER";
  EXPECT_EQ(timer_.HandleCaseEvent(wrong_key).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SlaTimerTest, StoreOutageIsTransient) {
  store_.FailWith(absl::UnavailableError("redis down"));
  const absl::Status s = Handle(Assigned(kT0), 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(kafka::IsTransient(s));
}

TEST_F(SlaTimerTest, ConcurrentUpdateIsTransientAndTheRetryConverges) {
  ASSERT_TRUE(Handle(Assigned(kT0), 5).ok());
  // Another instance applied offset 6 in between this instance's load and write: simulated by
  // writing it, then handling a record computed against the old state.
  const CaseClocks stale = *store_.Load("CMP1");
  ASSERT_TRUE(Handle(Accepted(kT0 + absl::Hours(1)), 6).ok());
  CaseUpdate update;
  update.expected_last_offset = stale.last_offset;
  update.last_offset = 6;
  const absl::Status s = store_.Update(kPartition, "CMP1", update);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(kafka::IsTransient(s));
  ASSERT_TRUE(Handle(Accepted(kT0 + absl::Hours(1)), 6).ok());  // the retry: already applied
}

TEST_F(SlaTimerTest, ClosingStopsEverythingAndLetsTheRecordExpire) {
  ASSERT_TRUE(Handle(Assigned(kT0), 1).ok());
  EXPECT_EQ(store_.Get("CMP1").expire_after, absl::ZeroDuration());
  ASSERT_TRUE(Handle(Closed(kT0 + absl::Hours(2)), 2).ok());
  EXPECT_TRUE(store_.Scheduled(kPartition).empty());
  EXPECT_EQ(store_.Get("CMP1").expire_after, absl::Hours(24 * 30));
  auto deadlines = timer_.GetDeadlines("CMP1");
  ASSERT_TRUE(deadlines.ok()) << deadlines.status();
  ASSERT_EQ(deadlines->deadlines_size(), 3);
  for (const auto& d : deadlines->deadlines()) {
    EXPECT_EQ(d.status(), sla::v1::DEADLINE_STATUS_STOPPED);
  }
}

TEST_F(SlaTimerTest, GetDeadlines) {
  EXPECT_EQ(timer_.GetDeadlines("").status().code(), absl::StatusCode::kInvalidArgument);
  auto none = timer_.GetDeadlines("CMP-UNKNOWN");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->deadlines_size(), 0);
  ASSERT_TRUE(Handle(Assigned(kT0), 1).ok());
  clock_.Advance(absl::Hours(5));
  const auto d = timer_.GetDeadlines("CMP1");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->deadlines(0).status(), sla::v1::DEADLINE_STATUS_BREACHED);
  EXPECT_EQ(d->deadlines(1).status(), sla::v1::DEADLINE_STATUS_RUNNING);
}

TEST_F(SlaTimerTest, UnacceptedAssignmentBreachesItsAcceptClock) {
  ASSERT_TRUE(Handle(Assigned(kT0), 1).ok());
  ASSERT_TRUE(Handle(Assigned(kT0, "CMP2"), 2).ok());
  ASSERT_TRUE(Handle(Accepted(kT0 + absl::Hours(3)), 3).ok());  // CMP1 accepted in time
  clock_.Advance(absl::Hours(4));
  EXPECT_EQ(*firer_.FireDue(kPartition), 1);
  const auto alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].complaint_id(), "CMP2");
  EXPECT_EQ(alerts[0].clock(), events::v1::CLOCK_ACCEPT);
  EXPECT_EQ(alerts[0].level(), events::v1::LEVEL_MAJOR);  // for WatchAlerts' level filter

  // A week on, both resolution clocks breach; fifteen days on, both regulatory clocks.
  clock_.Set(kT0 + absl::Hours(168));
  EXPECT_EQ(*firer_.FireDue(kPartition), 2);
  clock_.Set(kT0 + absl::Hours(360));
  EXPECT_EQ(*firer_.FireDue(kPartition), 2);
  EXPECT_EQ(*firer_.FireDue(kPartition), 0);
  EXPECT_TRUE(store_.Scheduled(kPartition).empty());
}

TEST_F(SlaTimerTest, PausedClocksShowAsPausedAndResumeLater) {
  ASSERT_TRUE(Handle(Assigned(kT0), 1).ok());
  CaseEvent paused = Event(kT0 + absl::Hours(1));
  paused.mutable_paused()->set_reason(events::v1::PAUSE_REASON_WAITING_ON_CUSTOMER);
  ASSERT_TRUE(Handle(paused, 2).ok());
  auto d = timer_.GetDeadlines("CMP1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->deadlines(1).clock(), events::v1::CLOCK_RESOLUTION);
  EXPECT_EQ(d->deadlines(1).status(), sla::v1::DEADLINE_STATUS_PAUSED);
  EXPECT_EQ(d->deadlines(0).status(), sla::v1::DEADLINE_STATUS_RUNNING);  // not paused by it

  CaseEvent resumed = Event(kT0 + absl::Hours(11));
  resumed.mutable_resumed();
  ASSERT_TRUE(Handle(resumed, 3).ok());
  d = timer_.GetDeadlines("CMP1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->deadlines(1).status(), sla::v1::DEADLINE_STATUS_RUNNING);
  // Ten hours waiting on the customer do not count.
  EXPECT_EQ(common::FromProtoTime(d->deadlines(1).due_at()), kT0 + absl::Hours(178));
}

TEST_F(SlaTimerTest, ClockOperationsArePublishedAsCaseEvents) {
  sla::v1::PauseClocksRequest pause;
  pause.set_complaint_id("CMP1");
  pause.set_reason(events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL);
  EXPECT_EQ(timer_.Pause(pause).code(), absl::StatusCode::kNotFound);  // no case yet
  ASSERT_TRUE(Handle(Assigned(kT0), 1).ok());
  // Routing's side: the case is assigned to BJ-0101.
  routing::v1::CaseRecord assigned;
  assigned.mutable_case_()->set_complaint_id("CMP1");
  assigned.mutable_case_()->set_unit("BJ-0101");
  assigned.mutable_case_()->set_state(routing::v1::CASE_STATE_ASSIGNED);
  assigned.mutable_case_()->set_assignment_sequence(1);
  ASSERT_TRUE(*ledger_store_.CompareAndSet("CMP1", 0, assigned, absl::ZeroDuration()));
  ASSERT_TRUE(timer_.Pause(pause).ok());
  pause.set_reason(events::v1::PAUSE_REASON_UNSPECIFIED);
  EXPECT_EQ(timer_.Pause(pause).code(), absl::StatusCode::kInvalidArgument);

  sla::v1::ExtendDeadlineRequest extend;
  extend.set_complaint_id("CMP1");
  auto* extension = extend.mutable_extension();
  extension->set_clock(events::v1::CLOCK_REGULATORY);
  extension->set_stage(1);
  EXPECT_EQ(timer_.Extend(extend).code(), absl::StatusCode::kInvalidArgument);  // no reason
  extension->set_reason("appraisal of the disputed transaction");
  // The stage needs approval and customer notice.
  EXPECT_FALSE(timer_.Extend(extend).ok());
  extension->set_approved_by("head-office complaint management");
  extension->set_customer_notified(true);
  ASSERT_TRUE(timer_.Extend(extend).ok());

  const auto published = publisher_.PublishedTo(events::kCaseTopic);
  ASSERT_EQ(published.size(), 2u);
  auto paused = events::ParseRecordAs<CaseEvent>(testing::AsIncoming(published[0]));
  ASSERT_TRUE(paused.ok());
  EXPECT_EQ(paused->paused().reason(), events::v1::PAUSE_REASON_EXTERNAL_APPRAISAL);
  EXPECT_EQ(paused->unit(), "BJ-0101");
  auto extended = events::ParseRecordAs<CaseEvent>(testing::AsIncoming(published[1]));
  ASSERT_TRUE(extended.ok());
  EXPECT_EQ(extended->extension_approved().stage(), 1);

  // Applied like any case event: the regulatory clock moves to 30 days.
  ASSERT_TRUE(timer_.HandleCaseEvent(testing::AsIncoming(published[1], kPartition, 7)).ok());
  const auto d = timer_.GetDeadlines("CMP1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(common::FromProtoTime(d->deadlines(2).due_at()), kT0 + absl::Hours(720));
}

TEST_F(SlaTimerTest, AUnitsWorklistListsOverdueThenDueSoonWithEveryClock) {
  ASSERT_TRUE(Handle(Assigned(kT0, "CMP1"), 1).ok());
  ASSERT_TRUE(Handle(Assigned(kT0 + absl::Hours(2), "CMP2"), 2).ok());
  ASSERT_TRUE(Handle(Assigned(kT0 + absl::Hours(30), "CMP3"), 3).ok());
  clock_.Advance(absl::Hours(5));  // CMP1's accept deadline (4 h) is past, CMP2's is not

  sla::v1::ListUnitDeadlinesRequest request;
  request.set_unit("BJ-0101");
  auto list = timer_.ListUnitDeadlines(request);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->overdue_count(), 1);
  EXPECT_EQ(list->due_soon_count(), 1);  // CMP3's accept is due in 29 h: beyond the day
  ASSERT_EQ(list->items_size(), 2);
  EXPECT_EQ(common::FromProtoTime(list->as_of()), kT0 + absl::Hours(5));
  const auto& first = list->items(0);
  EXPECT_EQ(first.complaint_id(), "CMP1");
  EXPECT_EQ(first.level(), events::v1::LEVEL_MAJOR);
  EXPECT_EQ(first.first().clock(), events::v1::CLOCK_ACCEPT);
  EXPECT_EQ(first.first().status(), sla::v1::DEADLINE_STATUS_BREACHED);
  EXPECT_EQ(first.deadlines_size(), 3);
  EXPECT_EQ(list->items(1).complaint_id(), "CMP2");
  EXPECT_EQ(list->items(1).first().status(), sla::v1::DEADLINE_STATUS_RUNNING);
  EXPECT_EQ(list->next_page_token(), "");

  // A wider window, one item a page.
  request.mutable_due_within()->set_seconds(48 * 3600);
  request.set_page_size(1);
  std::vector<std::string> ids;
  for (int page = 0; page < 5; ++page) {
    auto got = timer_.ListUnitDeadlines(request);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->due_soon_count(), 2);
    for (const auto& item : got->items()) ids.push_back(item.complaint_id());
    if (got->next_page_token().empty()) break;
    request.set_page_token(got->next_page_token());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"CMP1", "CMP2", "CMP3"}));

  // Accepted: CMP1 now waits on its resolution, a week out.
  ASSERT_TRUE(Handle(Accepted(kT0 + absl::Hours(5)), 4).ok());
  request.Clear();
  request.set_unit("BJ-0101");
  EXPECT_EQ(timer_.ListUnitDeadlines(request)->overdue_count(), 0);
}

TEST_F(SlaTimerTest, WorklistRequestsAreChecked) {
  sla::v1::ListUnitDeadlinesRequest request;
  auto missing = timer_.ListUnitDeadlines(request);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("unit"), std::string::npos);
  request.set_unit("BJ-0101");
  request.mutable_due_within()->set_seconds(-1);
  EXPECT_NE(timer_.ListUnitDeadlines(request).status().message().find("due_within"),
            std::string::npos);
  request.clear_due_within();
  request.set_page_size(-3);
  EXPECT_NE(timer_.ListUnitDeadlines(request).status().message().find("page_size"),
            std::string::npos);
  request.set_page_size(0);
  request.set_page_token("garbage");
  EXPECT_NE(timer_.ListUnitDeadlines(request).status().message().find("page_token"),
            std::string::npos);
  request.clear_page_token();
  auto empty = timer_.ListUnitDeadlines(request);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->items_size(), 0);
}

// ---------------------------------------------------------------------------------------------
// Batches (HandleCaseEvents): the same results as one record at a time, in fewer round trips.

// What the store holds of the complaints and the partition's schedule, for comparing stores.
struct Snapshot {
  std::map<std::string, StoredCase> cases;
  std::map<std::string, absl::Duration> expire_after;
  std::map<std::string, absl::Time> scheduled;
  bool operator==(const Snapshot&) const = default;
};

Snapshot Take(MemoryDeadlineStore& store, const std::vector<std::string>& ids) {
  Snapshot out;
  for (const std::string& id : ids) {
    const MemoryDeadlineStore::Case c = store.Get(id);
    out.cases[id] = StoredCase{c.clocks, c.policy_state};
    out.expire_after[id] = c.expire_after;
  }
  out.scheduled = store.Scheduled(kPartition);
  return out;
}

// Counts the round trips, and can run something between a batch's load and its write (another
// instance updating a complaint meanwhile).
class CountingStore final : public DeadlineStore {
 public:
  explicit CountingStore(MemoryDeadlineStore* next) : next_(next) {}
  absl::StatusOr<StoredCase> LoadCase(const std::string& id) override {
    ++loads;
    return next_->LoadCase(id);
  }
  absl::Status Update(int32_t partition, const std::string& id, const CaseUpdate& u) override {
    ++updates;
    return next_->Update(partition, id, u);
  }
  std::vector<absl::StatusOr<StoredCase>> LoadCases(const std::vector<std::string>& ids) override {
    ++loads;
    auto out = next_->LoadCases(ids);
    if (after_load) std::exchange(after_load, nullptr)();
    return out;
  }
  std::vector<absl::Status> UpdateCases(const std::vector<CaseWrite>& writes) override {
    ++updates;
    return next_->UpdateCases(writes);
  }
  absl::StatusOr<std::vector<DueItem>> Claim(int32_t p, absl::Time now, absl::Time until,
                                             int limit) override {
    return next_->Claim(p, now, until, limit);
  }
  absl::StatusOr<std::vector<std::optional<StoredCase>>> Lookup(
      const std::vector<DueItem>& items) override {
    return next_->Lookup(items);
  }
  absl::Status Acknowledge(int32_t p, const std::vector<Acknowledgement>& acks) override {
    return next_->Acknowledge(p, acks);
  }
  absl::StatusOr<WorklistPage> Worklist(const WorklistQuery& query) override {
    return next_->Worklist(query);
  }
  absl::StatusOr<std::optional<absl::Time>> NextDue(int32_t p) override {
    return next_->NextDue(p);
  }
  absl::StatusOr<std::vector<int32_t>> UnmarkedPartitions(const std::vector<int32_t>& p) override {
    return next_->UnmarkedPartitions(p);
  }
  absl::Status MarkPartitions(const std::vector<int32_t>& p) override {
    return next_->MarkPartitions(p);
  }

  std::atomic<int> loads = 0;
  std::atomic<int> updates = 0;  // UpdateCases runs on helper threads for large batches
  std::function<void()> after_load;

 private:
  MemoryDeadlineStore* next_;
};

class SlaTimerBatchTest : public SlaTimerTest {
 protected:
  // The same records, one at a time, into a store of their own: what a batch must equal.
  Snapshot OneByOne(const std::vector<kafka::IncomingRecord>& records,
                    const std::vector<std::string>& ids) {
    MemoryDeadlineStore store;
    SlaTimer timer(&store, &engine_, &clock_, &ledger_, absl::Hours(24 * 30));
    for (const kafka::IncomingRecord& r : records) timer.HandleCaseEvent(r).IgnoreError();
    return Take(store, ids);
  }
  std::vector<absl::Status> HandleBatch(const std::vector<kafka::IncomingRecord>& records) {
    return batch_timer_.HandleCaseEvents(records);
  }

  CountingStore counting_{&store_};
  SlaTimer batch_timer_{&counting_, &engine_, &clock_, &ledger_, absl::Hours(24 * 30)};
};

bool AllOk(const std::vector<absl::Status>& statuses) {
  return std::all_of(statuses.begin(), statuses.end(), [](const auto& s) { return s.ok(); });
}

TEST_F(SlaTimerBatchTest, ManyRecordsOfOneComplaintEqualThemOneByOne) {
  // Assigned, accepted, paused, resumed, re-assigned (ACCEPT armed a second time), closed: every
  // kind of change, the same clock armed twice in one write.
  const std::vector<kafka::IncomingRecord> records = {
      Record(Assigned(kT0), 5),
      Record(Accepted(kT0 + absl::Hours(1)), 6),
      Record(Paused(kT0 + absl::Hours(2)), 7),
      Record(Resumed(kT0 + absl::Hours(5)), 8),
      Record(Reassigned(kT0 + absl::Hours(6)), 9),
  };
  const std::vector<std::string> ids = {"CMP1"};
  const auto statuses = HandleBatch(records);
  ASSERT_EQ(statuses.size(), records.size());
  EXPECT_TRUE(AllOk(statuses));
  EXPECT_EQ(counting_.loads, 1);
  EXPECT_EQ(counting_.updates, 1);
  const Snapshot batch = Take(store_, ids);
  EXPECT_EQ(batch, OneByOne(records, ids));
  EXPECT_EQ(batch.cases.at("CMP1").clocks.last_offset, 9);
  EXPECT_EQ(batch.scheduled.size(), 3u);  // ACCEPT for the new unit, RESOLUTION, REGULATORY

  // The whole life up to closing, in one batch, also ends like one by one.
  std::vector<kafka::IncomingRecord> closing = records;
  closing.push_back(Record(Closed(kT0 + absl::Hours(7)), 10));
  MemoryDeadlineStore store;
  SlaTimer timer(&store, &engine_, &clock_, &ledger_, absl::Hours(24 * 30));
  EXPECT_TRUE(AllOk(timer.HandleCaseEvents(closing)));
  EXPECT_EQ(Take(store, ids), OneByOne(closing, ids));
  EXPECT_TRUE(store.Scheduled(kPartition).empty());
  EXPECT_EQ(store.Get("CMP1").expire_after, absl::Hours(24 * 30));
}

TEST_F(SlaTimerBatchTest, InterleavedComplaintsAreWrittenOnceEach) {
  const std::vector<kafka::IncomingRecord> records = {
      Record(Assigned(kT0, "CMP1"), 1),
      Record(Assigned(kT0, "CMP2"), 2),
      Record(Accepted(kT0 + absl::Hours(1), "CMP1"), 3),
      Record(Assigned(kT0, "CMP3"), 4),
      Record(Paused(kT0 + absl::Hours(2), "CMP2"), 5),
  };
  const std::vector<std::string> ids = {"CMP1", "CMP2", "CMP3"};
  EXPECT_TRUE(AllOk(HandleBatch(records)));
  EXPECT_EQ(counting_.loads, 1);
  EXPECT_EQ(counting_.updates, 1);
  EXPECT_EQ(Take(store_, ids), OneByOne(records, ids));
}

TEST_F(SlaTimerBatchTest, LargeBatchesAreWrittenInChunksWithTheSameResult) {
  // More complaints than one write chunk: the writes overlap the applying of later complaints.
  std::vector<kafka::IncomingRecord> records;
  std::vector<std::string> ids;
  int64_t offset = 1;
  for (int i = 0; i < 350; ++i) ids.push_back("CMP-" + std::to_string(i));
  for (const std::string& id : ids) records.push_back(Record(Assigned(kT0, id), offset++));
  for (const std::string& id : ids) {
    records.push_back(Record(Accepted(kT0 + absl::Hours(1), id), offset++));
  }
  // A concurrent writer makes one complaint's write fail; the others are unaffected.
  counting_.after_load = [&] { ASSERT_TRUE(Handle(Assigned(kT0, "CMP-200"), 0).ok()); };
  const auto statuses = HandleBatch(records);
  ASSERT_EQ(statuses.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].key == "CMP-200") {
      EXPECT_EQ(statuses[i].code(), absl::StatusCode::kAborted);
    } else {
      EXPECT_TRUE(statuses[i].ok()) << i << ": " << statuses[i];
    }
  }
  EXPECT_EQ(counting_.loads, 1);
  EXPECT_EQ(counting_.updates, 8);  // 350 complaints: 25, six chunks of 50, the last 25
  std::vector<kafka::IncomingRecord> in_order = {Record(Assigned(kT0, "CMP-200"), 0)};
  for (const kafka::IncomingRecord& r : records) {
    if (r.key != "CMP-200") in_order.push_back(r);
  }
  EXPECT_EQ(Take(store_, ids), OneByOne(in_order, ids));
}

TEST_F(SlaTimerBatchTest, RedeliveredRecordsAreSkipped) {
  const std::vector<kafka::IncomingRecord> records = {
      Record(Assigned(kT0), 5),
      Record(Accepted(kT0 + absl::Hours(1)), 6),
      Record(Paused(kT0 + absl::Hours(2)), 7),
  };
  ASSERT_TRUE(Handle(Assigned(kT0), 5).ok());
  ASSERT_TRUE(Handle(Accepted(kT0 + absl::Hours(1)), 6).ok());
  // The consumer crashed before committing 5 and 6: they come again, with 7.
  EXPECT_TRUE(AllOk(HandleBatch(records)));
  EXPECT_EQ(Take(store_, {"CMP1"}), OneByOne(records, {"CMP1"}));
  // The whole batch again changes nothing and writes nothing.
  const Snapshot before = Take(store_, {"CMP1"});
  counting_.updates = 0;
  EXPECT_TRUE(AllOk(HandleBatch(records)));
  EXPECT_EQ(counting_.updates, 0);
  EXPECT_EQ(Take(store_, {"CMP1"}), before);
}

TEST_F(SlaTimerBatchTest, BadRecordsFailAloneAndTheChainGoesOn) {
  kafka::IncomingRecord garbage = Record(Assigned(kT0), 6);
  garbage.value = "\xff\xff not a proto";
  CaseEvent no_time = Accepted(kT0);
  no_time.clear_occurred_at();
  kafka::IncomingRecord wrong_key = Record(Accepted(kT0), 8);
  wrong_key.key = "CMP-OTHER";
  const std::vector<kafka::IncomingRecord> records = {
      Record(Assigned(kT0), 5),
      garbage,
      Record(no_time, 7),
      wrong_key,
      Record(Accepted(kT0 + absl::Hours(1)), 9),
      Record(Paused(kT0 + absl::Hours(2)), 10),
  };
  const auto statuses = HandleBatch(records);
  ASSERT_EQ(statuses.size(), records.size());
  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_EQ(statuses[1].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(statuses[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(statuses[3].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(statuses[4].ok()) << statuses[4];
  EXPECT_TRUE(statuses[5].ok()) << statuses[5];
  EXPECT_EQ(Take(store_, {"CMP1"}), OneByOne(records, {"CMP1"}));
  EXPECT_EQ(store_.Get("CMP1").clocks.last_offset, 10);
}

TEST_F(SlaTimerBatchTest, AnAbortedWriteFailsEveryRecordOfItsComplaintOnly) {
  ASSERT_TRUE(Handle(Assigned(kT0), 1).ok());
  const std::vector<kafka::IncomingRecord> records = {
      Record(Accepted(kT0 + absl::Hours(1)), 3),
      Record(Assigned(kT0, "CMP2"), 4),
      Record(Paused(kT0 + absl::Hours(2)), 5),
      Record(Resumed(kT0 + absl::Hours(3)), 6),
  };
  // Another instance (a rebalance overlap) applies offset 2 to CMP1 between load and write.
  counting_.after_load = [&] { ASSERT_TRUE(Handle(Reassigned(kT0 + absl::Minutes(30)), 2).ok()); };
  const auto statuses = HandleBatch(records);
  ASSERT_EQ(statuses.size(), records.size());
  EXPECT_EQ(statuses[0].code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(statuses[1].ok()) << statuses[1];
  EXPECT_EQ(statuses[2].code(), absl::StatusCode::kAborted);
  EXPECT_EQ(statuses[3].code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(kafka::IsTransient(statuses[0]));
  EXPECT_EQ(store_.Get("CMP1").clocks.last_offset, 2);  // none of CMP1's records applied
  EXPECT_EQ(store_.Get("CMP2").clocks.last_offset, 4);

  // The consumer retries the failed ones, in order, as a batch: they apply to the new state.
  EXPECT_TRUE(AllOk(HandleBatch({records[0], records[2], records[3]})));
  std::vector<kafka::IncomingRecord> in_order = {Record(Assigned(kT0), 1),
                                                 Record(Reassigned(kT0 + absl::Minutes(30)), 2)};
  in_order.insert(in_order.end(), records.begin(), records.end());
  EXPECT_EQ(Take(store_, {"CMP1", "CMP2"}), OneByOne(in_order, {"CMP1", "CMP2"}));
}

TEST_F(SlaTimerBatchTest, StoreOutageFailsEveryRecordTransiently) {
  store_.FailWith(absl::UnavailableError("redis down"));
  const auto statuses = HandleBatch({Record(Assigned(kT0), 1), Record(Assigned(kT0, "CMP2"), 2)});
  ASSERT_EQ(statuses.size(), 2u);
  for (const absl::Status& s : statuses) EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

TEST_F(SlaTimerBatchTest, AMissingPartitionStateFailsItsWrites) {
  store_.guard_partitions = true;
  const auto statuses = HandleBatch({Record(Assigned(kT0), 1), Record(Accepted(kT0), 2)});
  ASSERT_EQ(statuses.size(), 2u);
  for (const absl::Status& s : statuses) {
    EXPECT_TRUE(IsPartitionStateMissing(s)) << s;
    EXPECT_TRUE(kafka::IsTransient(s));
  }
}

}  // namespace
}  // namespace complaints::sla_timer
