#include "services/analytics/aggregator.h"

#include <map>
#include <random>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::analytics {
namespace {

using events::v1::CaseEvent;

// Shanghai local time (UTC+8) as an absl::Time.
absl::Time Local(int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilMinute(2026, month, day, hour, minute),
                         absl::FixedTimeZone(8 * 3600));
}

// Builds the records of a scenario with increasing offsets per topic-partition.
class Stream {
 public:
  kafka::IncomingRecord Make(const std::string& topic, const std::string& complaint,
                             const google::protobuf::Message& message, const std::string& ce_id,
                             absl::Time time, int partition = 0) {
    const int64_t offset = next_[{topic, partition}]++;
    return testing::AsIncoming(events::ToRecord(topic, complaint, message, ce_id,
                                                "/complaints/test", complaint, time),
                               partition, offset);
  }

  kafka::IncomingRecord Received(const std::string& id, absl::Time at, const std::string& category,
                                 events::v1::Channel channel,
                                 events::v1::Level level = events::v1::LEVEL_ORDINARY,
                                 int repeat_count = 1, int partition = 0) {
    events::v1::ComplaintReceived m;
    m.set_complaint_id(id);
    m.set_category(category);
    m.set_channel(channel);
    m.set_level(level);
    m.mutable_customer()->set_name("张三");
    m.mutable_risk_tags()->set_repeat_count(repeat_count);
    *m.mutable_received_at() = common::ToProtoTime(at);
    return Make(events::kReceivedTopic, id, m, "rcv-" + id, at, partition);
  }

  kafka::IncomingRecord Case(const std::string& id, absl::Time at, CaseEvent m,
                             const std::string& ce_id, int partition = 0) {
    m.set_complaint_id(id);
    *m.mutable_occurred_at() = common::ToProtoTime(at);
    return Make(events::kCaseTopic, id, m, ce_id, at, partition);
  }

  kafka::IncomingRecord Assigned(const std::string& id, absl::Time at, const std::string& unit,
                                 int sequence = 1, int partition = 0) {
    CaseEvent m;
    m.set_unit(unit);
    m.mutable_assigned()->set_sequence(sequence);
    return Case(id, at, m, "asg-" + id + "-" + std::to_string(sequence), partition);
  }

  kafka::IncomingRecord Simple(const std::string& id, absl::Time at, const std::string& what,
                               const std::string& reason = "", int partition = 0) {
    CaseEvent m;
    if (what == "accepted") m.mutable_accepted()->set_responsible("staff-1");
    if (what == "contact") m.mutable_contact_logged()->set_channel("phone");
    if (what == "transferred") m.mutable_transferred()->set_to_unit("SH-02");
    if (what == "resolved") m.mutable_resolved()->set_resolution("refunded");
    if (what == "reopened") m.mutable_reopened()->set_reason(reason);
    if (what == "closed") m.mutable_closed()->set_reason(reason);
    if (what == "escalated") m.mutable_escalated()->set_step(1);
    return Case(id, at, m, what + "-" + id + "-" + absl::FormatTime(at), partition);
  }

  kafka::IncomingRecord Alert(const std::string& id, absl::Time at, events::v1::Clock clock,
                              events::v1::AlertKind kind, int partition = 0) {
    events::v1::SlaAlert m;
    m.set_complaint_id(id);
    m.set_clock(clock);
    m.set_kind(kind);
    *m.mutable_fired_at() = common::ToProtoTime(at);
    return Make(events::kSlaAlertsTopic, id, m,
                "alert-" + id + "-" + std::to_string(clock) + "-" + std::to_string(kind), at,
                partition);
  }

 private:
  std::map<std::pair<std::string, int>, int64_t> next_;
};

// The fixture of services/analytics README ("Aggregates"), computed by hand there and here.
std::vector<kafka::IncomingRecord> Fixture() {
  Stream s;
  std::vector<kafka::IncomingRecord> r;
  using events::v1::ALERT_KIND_BREACH;
  using events::v1::ALERT_KIND_ESCALATION;
  using events::v1::CLOCK_RESOLUTION;
  // A: resolved in 2 h by its first unit, closed satisfied.
  r.push_back(s.Received("A", Local(3, 2, 10), "atm.card_retained", events::v1::CHANNEL_PHONE));
  r.push_back(s.Assigned("A", Local(3, 2, 10, 5), "BJ-01"));
  r.push_back(s.Simple("A", Local(3, 2, 10, 30), "accepted"));
  r.push_back(s.Simple("A", Local(3, 2, 11), "contact"));
  r.push_back(s.Simple("A", Local(3, 2, 12), "resolved"));
  r.push_back(s.Simple("A", Local(3, 3, 9), "closed", "customer satisfied at follow-up"));
  r.push_back(r[4]);  // A's resolution again (same ce_id): re-emitted, at a later offset
  // B: transferred to SH-02, breached and escalated, resolved after 50 h, reopened unsatisfied.
  r.push_back(s.Received("B", Local(3, 2, 11), "atm.card_retained", events::v1::CHANNEL_PHONE));
  r.push_back(s.Assigned("B", Local(3, 2, 11, 5), "BJ-01"));
  r.push_back(s.Simple("B", Local(3, 2, 15), "transferred"));
  r.push_back(s.Assigned("B", Local(3, 2, 15), "SH-02", 2));
  r.push_back(s.Alert("B", Local(3, 4, 9), CLOCK_RESOLUTION, ALERT_KIND_BREACH));
  r.push_back(s.Alert("B", Local(3, 4, 10), CLOCK_RESOLUTION, ALERT_KIND_ESCALATION));
  r.push_back(s.Simple("B", Local(3, 4, 13), "resolved"));
  r.push_back(s.Simple("B", Local(3, 5, 9), "reopened", "customer unsatisfied at follow-up: 慢"));
  // C: via the regulator, a repeat (third of its kind), never handled.
  r.push_back(s.Received("C", Local(3, 2, 12), "atm.card_retained",
                         events::v1::CHANNEL_REGULATOR, events::v1::LEVEL_ORDINARY, 3));
  r.push_back(s.Assigned("C", Local(3, 2, 12, 5), "BJ-01"));
  // D: major, at a branch, resolved in 10 h, closed when the customer could not be reached.
  r.push_back(s.Received("D", Local(3, 3, 9), "fees", events::v1::CHANNEL_BRANCH,
                         events::v1::LEVEL_MAJOR));
  r.push_back(s.Assigned("D", Local(3, 3, 9, 5), "BJ-01"));
  r.push_back(s.Simple("D", Local(3, 3, 9, 30), "accepted"));
  r.push_back(s.Simple("D", Local(3, 3, 19), "resolved"));
  r.push_back(s.Simple("D", Local(3, 6, 9), "closed", "customer unreachable after 2 attempts"));
  // G: its case events come before its receipt (cross-topic reordering); resolved in 1 h.
  r.push_back(s.Assigned("G", Local(3, 3, 10, 5), "SH-02"));
  r.push_back(s.Simple("G", Local(3, 3, 11), "resolved"));
  r.push_back(s.Received("G", Local(3, 3, 10), "fees", events::v1::CHANNEL_ONLINE));
  // Offsets in the order of the log.
  std::map<std::pair<std::string, int>, int64_t> next;
  for (auto& record : r) record.offset = next[{record.topic, record.partition}]++;
  return r;
}

const analytics::v1::ClockFigures* Clock(const analytics::v1::Figures& f, const std::string& name) {
  for (const auto& c : f.on_time()) {
    if (c.clock() == name) return &c;
  }
  return nullptr;
}

TEST(AggregatorTest, FiguresOfTheHandComputedFixture) {
  Aggregator aggregator;
  for (const auto& record : Fixture()) ASSERT_TRUE(aggregator.Apply(record).ok());

  analytics::v1::GetAggregatesRequest month;
  month.set_period(analytics::v1::PERIOD_MONTH);
  auto response = aggregator.Aggregates(month);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->rows_size(), 1);
  const auto& row = response->rows(0);
  EXPECT_EQ(row.period(), "2026-03");
  const auto& f = row.figures();
  EXPECT_EQ(f.volume(), 5);
  EXPECT_EQ(f.escalated_internal(), 1);              // B
  EXPECT_DOUBLE_EQ(f.escalation_rate_internal(), 0.2);
  EXPECT_EQ(f.escalated_regulator(), 1);             // C
  EXPECT_EQ(f.repeats(), 1);                         // C
  EXPECT_EQ(f.resolved(), 4);                        // A B D G
  EXPECT_EQ(f.first_contact_resolved(), 3);          // A D G (B was transferred)
  EXPECT_DOUBLE_EQ(f.first_contact_resolution_rate(), 0.75);
  EXPECT_EQ(f.satisfied(), 1);                       // A
  EXPECT_EQ(f.unsatisfied(), 1);                     // B
  EXPECT_DOUBLE_EQ(f.satisfaction_rate(), 0.5);
  EXPECT_EQ(f.reopened(), 1);                        // B
  EXPECT_DOUBLE_EQ(f.reopen_rate(), 0.25);
  // 1 h, 2 h, 10 h, 50 h: p50 is the 2nd (2 h), p90 the 4th (50 h); buckets are 25 % wide.
  EXPECT_NEAR(f.resolve_hours_p50(), 2.0, 2.0 * 0.12);
  EXPECT_NEAR(f.resolve_hours_p90(), 50.0, 50.0 * 0.12);
  const auto* resolution = Clock(f, "RESOLUTION");
  ASSERT_NE(resolution, nullptr);
  EXPECT_EQ(resolution->decided(), 4);  // A B D G; C is still running
  EXPECT_EQ(resolution->on_time(), 3);  // B breached
  const auto* accept = Clock(f, "ACCEPT");
  ASSERT_NE(accept, nullptr);
  EXPECT_EQ(accept->decided(), 4);      // A D accepted; B G resolved
  EXPECT_EQ(accept->on_time(), 4);
  EXPECT_EQ(response->events_applied(), 24);  // 25 records, one a duplicate

  // By day and first handling unit.
  analytics::v1::GetAggregatesRequest by_day;
  by_day.set_period(analytics::v1::PERIOD_DAY);
  by_day.add_group_by(analytics::v1::DIMENSION_UNIT);
  response = aggregator.Aggregates(by_day);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->rows_size(), 3);
  EXPECT_EQ(response->rows(0).period(), "2026-03-02");
  EXPECT_EQ(response->rows(0).unit(), "BJ-01");
  EXPECT_EQ(response->rows(0).figures().volume(), 3);  // A B C: B counts where it started
  EXPECT_EQ(response->rows(1).period(), "2026-03-03");
  EXPECT_EQ(response->rows(1).figures().volume(), 1);
  EXPECT_EQ(response->rows(2).unit(), "SH-02");
  EXPECT_EQ(response->rows(2).figures().volume(), 1);

  // Filters.
  analytics::v1::GetAggregatesRequest fees = month;
  fees.set_category("fees");
  fees.set_level("major");
  response = aggregator.Aggregates(fees);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->rows_size(), 1);
  EXPECT_EQ(response->rows(0).figures().volume(), 1);  // D

  // Backlog on 2026-03-10: B (reopened, now at SH-02, resolution breached) and C (BJ-01).
  auto backlog = aggregator.Backlog("", absl::ToUnixSeconds(Local(3, 10, 12)));
  ASSERT_EQ(backlog.rows_size(), 2);
  EXPECT_EQ(backlog.rows(0).unit(), "BJ-01");
  EXPECT_EQ(backlog.rows(0).open(), 1);
  EXPECT_EQ(backlog.rows(0).overdue(), 0);
  EXPECT_EQ(backlog.rows(0).by_age(3), 1);  // 8 days: 7-15d
  EXPECT_EQ(backlog.rows(1).unit(), "SH-02");
  EXPECT_EQ(backlog.rows(1).overdue(), 1);
}

// Satisfaction is read from the FollowUpResult the case events carry, whatever their reason says:
// satisfied customers whose fix is pending count, partly satisfied ones count apart, and the
// close that follows a fix report or an unreachable customer counts nothing.
TEST(AggregatorTest, SatisfactionComesFromTheFollowUpResults) {
  Stream s;
  std::vector<kafka::IncomingRecord> r;
  const auto answered = [&](const std::string& id, absl::Time at, const std::string& what,
                            events::v1::FollowUpOutcome outcome) {
    CaseEvent m;
    events::v1::FollowUpResult result;
    result.set_outcome(outcome);
    result.set_score(outcome == events::v1::FOLLOW_UP_OUTCOME_SATISFIED ? 5 : 2);
    const std::string reason = "said by the agent in words analytics does not read";
    if (what == "closed") {
      m.mutable_closed()->set_reason(reason);
      *m.mutable_closed()->mutable_follow_up() = result;
    } else if (what == "awaiting_fix") {
      m.mutable_awaiting_fix()->set_reason(reason);
      *m.mutable_awaiting_fix()->mutable_follow_up() = result;
    } else {
      m.mutable_reopened()->set_reason(reason);
      *m.mutable_reopened()->mutable_follow_up() = result;
    }
    r.push_back(s.Case(id, at, m, what + "-" + id));
  };
  for (const std::string id : {"S", "W", "P", "U", "N"}) {
    r.push_back(s.Received(id, Local(3, 2, 9), "atm.card_retained", events::v1::CHANNEL_PHONE));
    r.push_back(s.Assigned(id, Local(3, 2, 10), "BJ-01"));
    r.push_back(s.Simple(id, Local(3, 2, 11), "resolved"));
  }
  answered("S", Local(3, 3, 9), "closed", events::v1::FOLLOW_UP_OUTCOME_SATISFIED);
  answered("W", Local(3, 3, 9), "awaiting_fix", events::v1::FOLLOW_UP_OUTCOME_SATISFIED);
  r.push_back(s.Simple("W", Local(3, 6, 9), "closed", "business problem fixed: archived"));
  answered("P", Local(3, 3, 9), "closed", events::v1::FOLLOW_UP_OUTCOME_PARTLY_SATISFIED);
  answered("U", Local(3, 3, 9), "reopened", events::v1::FOLLOW_UP_OUTCOME_UNSATISFIED);
  answered("N", Local(3, 3, 9), "closed", events::v1::FOLLOW_UP_OUTCOME_UNREACHABLE);

  Aggregator aggregator;
  for (const auto& record : r) ASSERT_TRUE(aggregator.Apply(record).ok());
  analytics::v1::GetAggregatesRequest month;
  month.set_period(analytics::v1::PERIOD_MONTH);
  auto response = aggregator.Aggregates(month);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->rows_size(), 1);
  const auto& f = response->rows(0).figures();
  EXPECT_EQ(f.satisfied(), 2);         // S, and W before its fix
  EXPECT_EQ(f.partly_satisfied(), 1);  // P
  EXPECT_EQ(f.unsatisfied(), 1);       // U
  EXPECT_DOUBLE_EQ(f.satisfaction_rate(), 0.5);

  // A snapshot keeps the answers.
  Aggregator restored;
  ASSERT_TRUE(restored.Restore(aggregator.Snapshot()).ok());
  auto again = restored.Aggregates(month);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows(0).figures().partly_satisfied(), 1);
  EXPECT_EQ(again->rows(0).figures().satisfied(), 2);
}

// 跟回复: promises are counted one by one. P promises three contacts: the first is kept by the
// next contact (which promises nothing), the second breaches (the SLA timer's one PROMISE breach,
// named by the offset of the contact that made it), the third is kept by the resolution.
TEST(AggregatorTest, PromisesKeptAndMissed) {
  Stream s;
  std::vector<kafka::IncomingRecord> r;
  const auto promise = [&](absl::Time at, absl::Time promised, const std::string& ce_id) {
    CaseEvent m;
    m.mutable_contact_logged()->set_channel("phone");
    *m.mutable_contact_logged()->mutable_next_contact_promised_at() = common::ToProtoTime(promised);
    return s.Case("P", at, m, ce_id);
  };
  r.push_back(s.Received("P", Local(3, 2, 10), "fees", events::v1::CHANNEL_PHONE));
  r.push_back(s.Assigned("P", Local(3, 2, 10, 5), "BJ-01"));
  r.push_back(promise(Local(3, 2, 11), Local(3, 3, 11), "promise-1"));
  r.push_back(s.Simple("P", Local(3, 2, 16), "contact"));               // keeps 1
  r.push_back(promise(Local(3, 3, 10), Local(3, 4, 10), "promise-2"));
  events::v1::SlaAlert missed;
  missed.set_complaint_id("P");
  missed.set_clock(events::v1::CLOCK_PROMISE);
  missed.set_kind(events::v1::ALERT_KIND_BREACH);
  missed.set_deadline_version(r.back().offset);
  *missed.mutable_fired_at() = common::ToProtoTime(Local(3, 4, 10));
  const kafka::IncomingRecord breach =
      s.Make(events::kSlaAlertsTopic, "P", missed, "breach-2", Local(3, 4, 10));
  const kafka::IncomingRecord third = promise(Local(3, 4, 15), Local(3, 6, 10), "promise-3");
  const kafka::IncomingRecord resolved = s.Simple("P", Local(3, 5, 9), "resolved");

  const auto figures = [](const Aggregator& aggregator) {
    analytics::v1::GetAggregatesRequest month;
    month.set_period(analytics::v1::PERIOD_MONTH);
    auto response = aggregator.Aggregates(month);
    EXPECT_TRUE(response.ok() && response->rows_size() == 1);
    return response->rows(0).figures();
  };
  Aggregator aggregator;
  for (size_t i = 0; i < r.size(); ++i) {
    ASSERT_TRUE(aggregator.Apply(r[i]).ok());
    if (i == 2) {
      EXPECT_EQ(figures(aggregator).promises_decided(), 0);  // the first is open
    } else if (i == 3) {
      EXPECT_EQ(figures(aggregator).promises_kept(), 1);  // kept by the contact
    }
  }
  EXPECT_EQ(figures(aggregator).promises_decided(), 1);  // the second is still open
  EXPECT_EQ(figures(aggregator).promises_kept(), 1);
  ASSERT_TRUE(aggregator.Apply(breach).ok());
  ASSERT_TRUE(aggregator.Apply(breach).ok());  // de-duplicated on ce_id
  EXPECT_EQ(figures(aggregator).promises_decided(), 2);  // missed while still open
  EXPECT_EQ(figures(aggregator).promises_kept(), 1);
  ASSERT_TRUE(aggregator.Apply(third).ok());
  EXPECT_EQ(figures(aggregator).promises_decided(), 2);
  ASSERT_TRUE(aggregator.Apply(resolved).ok());
  const analytics::v1::Figures f = figures(aggregator);
  EXPECT_EQ(f.promises_decided(), 3);
  EXPECT_EQ(f.promises_kept(), 2);
  EXPECT_NEAR(f.promises_kept_rate(), 2.0 / 3, 1e-9);
  const analytics::v1::ClockFigures* clock = Clock(f, "PROMISE");
  ASSERT_NE(clock, nullptr);
  EXPECT_EQ(clock->decided(), 3);
  EXPECT_EQ(clock->on_time(), 2);

  // The breach read before the contact that made the promise (another topic): the same figures.
  Aggregator reordered;
  ASSERT_TRUE(reordered.Apply(breach).ok());
  for (const auto& record : r) ASSERT_TRUE(reordered.Apply(record).ok());
  EXPECT_EQ(figures(reordered).promises_decided(), 2);
  EXPECT_EQ(figures(reordered).promises_kept(), 1);
  // And through a snapshot.
  Aggregator restored;
  ASSERT_TRUE(restored.Restore(reordered.Snapshot()).ok());
  ASSERT_TRUE(restored.Apply(third).ok());
  ASSERT_TRUE(restored.Apply(resolved).ok());
  EXPECT_EQ(figures(restored).promises_decided(), 3);
  EXPECT_EQ(figures(restored).promises_kept(), 2);
}

TEST(AggregatorTest, BadRequestsNameTheField) {
  Aggregator aggregator;
  analytics::v1::GetAggregatesRequest request;
  request.set_period(analytics::v1::PERIOD_DAY);
  request.set_from("2026-03");
  auto response = aggregator.Aggregates(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(response.status().message()), ::testing::HasSubstr("from"));
  request.set_from("");
  request.set_channel("carrier-pigeon");
  EXPECT_THAT(std::string(aggregator.Aggregates(request).status().message()),
              ::testing::HasSubstr("channel"));
}

TEST(AggregatorTest, BadRecordsAreRefused) {
  Aggregator aggregator;
  Stream s;
  auto record = s.Received("A", Local(3, 2, 10), "fees", events::v1::CHANNEL_PHONE);
  record.value = "\xff\xff not a protobuf";
  EXPECT_EQ(aggregator.Apply(record).code(), absl::StatusCode::kInvalidArgument);
  auto other = s.Received("A", Local(3, 2, 10), "fees", events::v1::CHANNEL_PHONE);
  other.topic = "somewhere.else.v1";
  EXPECT_EQ(aggregator.Apply(other).code(), absl::StatusCode::kInvalidArgument);
  auto untyped = s.Received("A", Local(3, 2, 10), "fees", events::v1::CHANNEL_PHONE);
  untyped.headers.clear();
  EXPECT_EQ(aggregator.Apply(untyped).code(), absl::StatusCode::kInvalidArgument);
}

// A synthetic history: complaints over 40 days on 3 partitions, each complaint's events in
// order on its partition, with breaches, transfers, reopenings and follow-up outcomes.
std::vector<std::vector<kafka::IncomingRecord>> SyntheticPartitions(int complaints, int seed) {
  std::mt19937 random(seed);
  Stream s;
  std::vector<std::vector<kafka::IncomingRecord>> partitions(3);
  const char* categories[] = {"atm.card_retained", "fees", "cards", "loans"};
  const char* units[] = {"BJ-01", "BJ-02", "SH-01"};
  for (int i = 0; i < complaints; ++i) {
    const std::string id = "C" + std::to_string(i);
    const int p = i % 3;
    auto& out = partitions[p];
    const absl::Time at = Local(2, 1, 8) + absl::Minutes(random() % (40 * 24 * 60));
    out.push_back(s.Received(id, at, categories[random() % 4],
                             static_cast<events::v1::Channel>(1 + random() % 6),
                             static_cast<events::v1::Level>(1 + random() % 3),
                             1 + static_cast<int>(random() % 3), p));
    out.push_back(s.Assigned(id, at + absl::Minutes(5), units[random() % 3], 1, p));
    absl::Time t = at + absl::Minutes(10 + random() % 600);
    if (random() % 4 == 0) {
      out.push_back(s.Simple(id, t, "transferred", "", p));
      out.push_back(s.Assigned(id, t, units[random() % 3], 2, p));
    }
    if (random() % 5 == 0) {
      out.push_back(s.Alert(id, t + absl::Hours(3), events::v1::CLOCK_RESOLUTION,
                            events::v1::ALERT_KIND_BREACH, p));
    }
    if (random() % 3 != 0) {
      t += absl::Minutes(random() % 5000);
      out.push_back(s.Simple(id, t, "resolved", "", p));
      if (random() % 2 == 0) {
        out.push_back(s.Simple(id, t + absl::Hours(30), "closed", "customer satisfied at follow-up", p));
      } else if (random() % 2 == 0) {
        out.push_back(s.Simple(id, t + absl::Hours(30), "reopened", "customer unsatisfied at follow-up", p));
      }
    }
  }
  return partitions;
}

analytics::v1::GetAggregatesResponse AllFigures(const Aggregator& aggregator) {
  analytics::v1::GetAggregatesRequest request;
  request.set_period(analytics::v1::PERIOD_DAY);
  for (int d = 1; d <= 4; ++d) request.add_group_by(static_cast<analytics::v1::Dimension>(d));
  return *aggregator.Aggregates(request);
}

// Live: partitions interleaved as they come, a restart from a snapshot halfway (after which the
// consumer gets some records again), duplicates. Replay: every partition from its beginning, in
// another interleaving, into a new aggregator. The figures must be the same.
TEST(AggregatorTest, ReplayEqualsLive) {
  const auto partitions = SyntheticPartitions(600, 7);
  std::mt19937 random(11);

  auto live = std::make_unique<Aggregator>();
  std::vector<size_t> next(partitions.size(), 0);
  size_t total = 0;
  for (const auto& p : partitions) total += p.size();
  size_t fed = 0;
  bool restarted = false;
  while (fed < total) {
    const size_t p = random() % partitions.size();
    if (next[p] == partitions[p].size()) continue;
    ASSERT_TRUE(live->Apply(partitions[p][next[p]]).ok());
    if (random() % 10 == 0) {
      ASSERT_TRUE(live->Apply(partitions[p][next[p]]).ok());  // redelivered
    }
    ++next[p];
    ++fed;
    if (!restarted && fed > total / 2) {
      restarted = true;
      const auto snapshot = live->Snapshot();
      std::string bytes;
      ASSERT_TRUE(snapshot.SerializeToString(&bytes));
      analytics::v1::AggregatesSnapshot parsed;
      ASSERT_TRUE(parsed.ParseFromString(bytes));
      live = std::make_unique<Aggregator>();
      ASSERT_TRUE(live->Restore(parsed).ok());
      // The consumer resumes from older committed offsets: records come again.
      for (size_t q = 0; q < partitions.size(); ++q) next[q] -= std::min<size_t>(next[q], 5);
      fed = 0;
      for (size_t q = 0; q < partitions.size(); ++q) fed += next[q];
    }
  }
  ASSERT_TRUE(restarted);

  Aggregator replay;
  std::vector<size_t> order(partitions.size());
  for (size_t q = 0; q < partitions.size(); ++q) order[q] = partitions.size() - 1 - q;
  for (size_t q : order) {
    for (const auto& record : partitions[q]) ASSERT_TRUE(replay.Apply(record).ok());
  }

  const auto live_figures = AllFigures(*live);
  const auto replay_figures = AllFigures(replay);
  ASSERT_GT(replay_figures.rows_size(), 50);
  std::string difference;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differencer.Compare(live_figures, replay_figures)) << difference;
  const int64_t now = absl::ToUnixSeconds(Local(3, 20, 12));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(live->Backlog("", now),
                                                                 replay.Backlog("", now)));
  EXPECT_EQ(live->complaints(), 600u);
}

// The roll-ups (made by a first query, then kept by every fold, made again after a restore)
// answer as a scan of every cell does, whatever the grouping, filters and range.
TEST(AggregatorTest, RollupsAnswerAsAFullScan) {
  const auto partitions = SyntheticPartitions(500, 23);
  std::mt19937 random(5);
  const auto random_request = [&] {
    analytics::v1::GetAggregatesRequest r;
    const bool by_day = random() % 2 == 0;
    r.set_period(by_day ? analytics::v1::PERIOD_DAY : analytics::v1::PERIOD_MONTH);
    for (int d = 1; d <= 4; ++d) {
      if (random() % 2 == 0) r.add_group_by(static_cast<analytics::v1::Dimension>(d));
    }
    if (random() % 3 == 0) r.set_category(random() % 2 == 0 ? "fees" : "unknown.category");
    if (random() % 3 == 0) r.set_unit(random() % 2 == 0 ? "BJ-02" : "SH-01");
    if (random() % 4 == 0) r.set_channel("branch");
    if (random() % 4 == 0) r.set_level(random() % 2 == 0 ? "ordinary" : "major");
    const auto key = [&](int day) {
      const std::string name = absl::FormatCivilTime(absl::CivilDay(2026, 2, 1) + day);
      return by_day ? name : name.substr(0, 7);
    };
    if (random() % 2 == 0) r.set_from(key(static_cast<int>(random() % 40)));
    if (random() % 2 == 0) r.set_to(key(static_cast<int>(random() % 45)));
    return r;
  };
  const absl::flat_hash_map<std::string, std::string> groups = {{"fees", "charges"},
                                                                {"cards", "charges"}};
  int compared = 0, with_rows = 0;
  const auto compare_some = [&](const Aggregator& aggregator, int count) {
    for (int i = 0; i < count; ++i) {
      const auto request = random_request();
      const auto* mapping = random() % 4 == 0 ? &groups : nullptr;
      const auto rolled = aggregator.Aggregates(request, mapping);
      const auto scanned = aggregator.AggregatesByFullScan(request, mapping);
      ASSERT_TRUE(rolled.ok()) << rolled.status();
      ASSERT_TRUE(scanned.ok()) << scanned.status();
      std::string difference;
      google::protobuf::util::MessageDifferencer differencer;
      differencer.ReportDifferencesToString(&difference);
      EXPECT_TRUE(differencer.Compare(*rolled, *scanned))
          << request.ShortDebugString() << "\n" << difference;
      ++compared;
      if (scanned->rows_size() > 0) ++with_rows;
    }
  };

  auto aggregator = std::make_unique<Aggregator>();
  std::vector<size_t> next(partitions.size(), 0);
  size_t total = 0;
  for (const auto& p : partitions) total += p.size();
  for (size_t fed = 0; fed < total;) {
    const size_t p = random() % partitions.size();
    if (next[p] == partitions[p].size()) continue;
    ASSERT_TRUE(aggregator->Apply(partitions[p][next[p]++]).ok());
    ++fed;
    if (fed % 500 == 0) compare_some(*aggregator, 8);
    if (fed == total / 2) {
      auto restored = std::make_unique<Aggregator>();
      ASSERT_TRUE(restored->Restore(aggregator->Snapshot()).ok());
      aggregator = std::move(restored);
    }
  }
  compare_some(*aggregator, 200);
  EXPECT_GT(with_rows, compared / 3);
}

}  // namespace
}  // namespace complaints::analytics
