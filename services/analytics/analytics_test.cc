#include "services/analytics/analytics.h"

#include <map>
#include <set>

#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/events/v1/ops.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "gtest/gtest.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"

namespace complaints::analytics {
namespace {

class MemoryStore final : public AnalyticsStore {
 public:
  std::vector<absl::StatusOr<bool>> RecordAll(const std::vector<Observation>& all) override {
    ++record_all_calls_;
    std::vector<absl::StatusOr<bool>> out;
    for (const Observation& o : all) out.push_back(RecordOne(o));
    return out;
  }
  absl::StatusOr<bool> RecordOne(const Observation& o) {
    if (!fail_.ok()) return fail_;
    if (!seen_[o.complaint_id].insert(o.entry.event_id()).second) return false;
    timelines_[o.complaint_id].push_back(o.entry);
    ++(*counts_.mutable_by_event_type())[o.entry.kind()];
    if (!o.category.empty()) ++(*counts_.mutable_by_category())[o.category];
    if (!o.unit.empty()) ++(*counts_.mutable_by_unit())[o.unit];
    return true;
  }
  absl::StatusOr<std::vector<analytics::v1::TimelineEntry>> Timeline(
      const std::string& id) override {
    if (!fail_.ok()) return fail_;
    return timelines_[id];
  }
  absl::StatusOr<analytics::v1::GetCountsResponse> Counts() override {
    if (!fail_.ok()) return fail_;
    return counts_;
  }

  absl::Status fail_;
  int record_all_calls_ = 0;
  std::map<std::string, std::set<std::string>> seen_;
  std::map<std::string, std::vector<analytics::v1::TimelineEntry>> timelines_;
  analytics::v1::GetCountsResponse counts_;
};

constexpr char kComplaint[] = "CMP42";
const absl::Time kT0 = absl::FromUnixSeconds(1764115200);

kafka::IncomingRecord Record(const std::string& topic, const google::protobuf::Message& message,
                             const std::string& ce_id, absl::Time ce_time = kT0,
                             const std::string& subject = kComplaint) {
  return testing::AsIncoming(
      events::ToRecord(topic, subject, message, ce_id, "/complaints/test", subject, ce_time));
}

kafka::IncomingRecord Received(const std::string& ce_id = "rcv-1") {
  events::v1::ComplaintReceived m;
  m.set_complaint_id(kComplaint);
  m.mutable_customer()->set_name("张三丰");
  m.mutable_customer()->set_phone("13812345678");
  m.set_channel(events::v1::CHANNEL_PHONE);
  m.set_category("atm.card_retained");
  m.set_level(events::v1::LEVEL_ORDINARY);
  m.set_urgency(events::v1::URGENCY_VERY_URGENT);
  m.set_description("客户13812345678说ATM吞卡");
  m.set_branch_code("BJ-0101");
  *m.mutable_received_at() = common::ToProtoTime(kT0);
  return Record(events::kReceivedTopic, m, ce_id);
}

kafka::IncomingRecord Assigned(absl::Time at) {
  events::v1::Assignment m;
  m.set_complaint_id(kComplaint);
  m.set_unit("BJ-0101");
  m.set_rule_id("atm");
  m.set_category("atm.card_retained");
  m.set_sequence(1);
  *m.mutable_assigned_at() = common::ToProtoTime(at);
  return Record(events::kAssignmentsTopic, m, "asg-1");
}

kafka::IncomingRecord Resolved(absl::Time at) {
  events::v1::CaseEvent m;
  m.set_complaint_id(kComplaint);
  m.set_unit("BJ-0101");
  *m.mutable_occurred_at() = common::ToProtoTime(at);
  m.mutable_resolved()->set_resolution("card returned to 张三丰");
  return Record(events::kCaseTopic, m, "res-1");
}

kafka::IncomingRecord Breach(absl::Time at) {
  events::v1::SlaAlert m;
  m.set_complaint_id(kComplaint);
  m.set_clock(events::v1::CLOCK_RESOLUTION);
  m.set_kind(events::v1::ALERT_KIND_BREACH);
  *m.mutable_fired_at() = common::ToProtoTime(at);
  return Record(events::kSlaAlertsTopic, m, "sla-1");
}

class AnalyticsTest : public ::testing::Test {
 protected:
  analytics::v1::TimelineEntry Only(const kafka::IncomingRecord& record) {
    auto observation = Observe(record);
    EXPECT_TRUE(observation.ok()) << observation.status();
    return observation.ok() ? observation->entry : analytics::v1::TimelineEntry();
  }
  std::vector<std::string> Summaries() {
    analytics::v1::GetTimelineRequest request;
    request.set_complaint_id(kComplaint);
    auto timeline = analytics_.GetTimeline(request);
    EXPECT_TRUE(timeline.ok()) << timeline.status();
    std::vector<std::string> out;
    if (timeline.ok()) {
      for (const auto& e : timeline->entries()) out.push_back(e.summary());
    }
    return out;
  }

  MemoryStore store_;
  Analytics analytics_{&store_};
};

TEST_F(AnalyticsTest, ReceivedIsSummarisedWithoutPersonalData) {
  auto observation = Observe(Received());
  ASSERT_TRUE(observation.ok()) << observation.status();
  EXPECT_EQ(observation->complaint_id, kComplaint);
  EXPECT_EQ(observation->category, "atm.card_retained");
  EXPECT_TRUE(observation->unit.empty());
  const auto& entry = observation->entry;
  EXPECT_EQ(entry.topic(), events::kReceivedTopic);
  EXPECT_EQ(entry.event_type(), "complaints.events.v1.ComplaintReceived");
  EXPECT_EQ(entry.event_id(), "rcv-1");
  EXPECT_EQ(entry.kind(), "received");
  EXPECT_EQ(entry.summary(),
            "received: atm.card_retained via phone, ordinary, very urgent, about branch BJ-0101");
  EXPECT_EQ(entry.summary().find("138"), std::string::npos);
  EXPECT_EQ(entry.summary().find("张"), std::string::npos);
}

TEST_F(AnalyticsTest, EachTopicHasItsSummaryAndKind) {
  EXPECT_EQ(Only(Assigned(kT0)).summary(), "assigned to BJ-0101 by rule atm");
  EXPECT_EQ(Only(Assigned(kT0)).kind(), "assignment");
  EXPECT_EQ(Only(Resolved(kT0)).summary(), "resolved");
  EXPECT_EQ(Only(Resolved(kT0)).kind(), "case.resolved");
  EXPECT_EQ(Only(Breach(kT0)).summary(), "SLA breach: RESOLUTION");
  EXPECT_EQ(Only(Breach(kT0)).kind(), "sla.breach");

  events::v1::SlaAlert escalation;
  escalation.set_complaint_id(kComplaint);
  escalation.set_clock(events::v1::CLOCK_REGULATORY);
  escalation.set_kind(events::v1::ALERT_KIND_ESCALATION);
  escalation.set_step(2);
  EXPECT_EQ(Only(Record(events::kSlaAlertsTopic, escalation, "e")).summary(),
            "SLA escalation step 2: REGULATORY");

  events::v1::CaseEvent transfer;
  transfer.set_complaint_id(kComplaint);
  transfer.mutable_transferred()->set_from_unit("BJ-0101");
  transfer.mutable_transferred()->set_to_unit("HO-CARDS");
  transfer.mutable_transferred()->set_reason("客户张三要求");
  EXPECT_EQ(Only(Record(events::kCaseTopic, transfer, "t")).summary(),
            "transferred from BJ-0101 to HO-CARDS");

  events::v1::CaseEvent reopened;
  reopened.set_complaint_id(kComplaint);
  reopened.mutable_reopened()->set_reason("customer unsatisfied at follow-up: 电话13812345678");
  EXPECT_EQ(Only(Record(events::kCaseTopic, reopened, "r")).summary(), "reopened");

  events::v1::FollowUpTask task;
  task.set_complaint_id(kComplaint);
  task.set_attempt(2);
  task.set_channel(events::v1::FOLLOW_UP_CHANNEL_CALLBACK);
  *task.mutable_due_at() = common::ToProtoTime(kT0);
  const auto entry = Only(Record(events::kFollowUpTasksTopic, task, "f", kT0 + absl::Hours(1)));
  EXPECT_EQ(entry.summary(), "follow-up attempt 2 by callback due 2025-11-26T00:00:00.000Z");
  EXPECT_EQ(entry.kind(), "followup.task");
  // A task has no time of its own: the record's ce_time.
  EXPECT_EQ(common::FromProtoTime(entry.time()), kT0 + absl::Hours(1));
}

TEST_F(AnalyticsTest, TheEventsOwnTimeWinsOverCeTime) {
  auto entry = Only(Resolved(kT0 + absl::Hours(5)));
  EXPECT_EQ(common::FromProtoTime(entry.time()), kT0 + absl::Hours(5));
}

TEST_F(AnalyticsTest, ComplaintIdFromSubjectOrElseFromTheMessage) {
  events::v1::CaseEvent event;
  event.set_complaint_id("FROM-MESSAGE");
  event.mutable_accepted();
  EXPECT_EQ(Observe(Record(events::kCaseTopic, event, "a", kT0, "FROM-SUBJECT"))->complaint_id,
            "FROM-SUBJECT");
  EXPECT_EQ(Observe(Record(events::kCaseTopic, event, "a", kT0, ""))->complaint_id,
            "FROM-MESSAGE");
  event.clear_complaint_id();
  EXPECT_EQ(Observe(Record(events::kCaseTopic, event, "a", kT0, "")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AnalyticsTest, BadRecordsAreInvalid) {
  auto garbage = Resolved(kT0);
  garbage.value = "\xff\xfe garbage";
  EXPECT_EQ(analytics_.HandleRecord(garbage).code(), absl::StatusCode::kInvalidArgument);
  auto headless = Resolved(kT0);
  headless.headers.clear();
  EXPECT_EQ(analytics_.HandleRecord(headless).code(), absl::StatusCode::kInvalidArgument);
  auto wrong_type = Resolved(kT0);
  wrong_type.topic = events::kSlaAlertsTopic;  // a CaseEvent on the SLA topic
  EXPECT_EQ(analytics_.HandleRecord(wrong_type).code(), absl::StatusCode::kInvalidArgument);
  auto other_topic = Resolved(kT0);
  other_topic.topic = "ivr.calls.v1";
  EXPECT_EQ(analytics_.HandleRecord(other_topic).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_.timelines_.empty());
}

TEST_F(AnalyticsTest, CountsOnlyNewEvents) {
  ASSERT_TRUE(analytics_.HandleRecord(Received()).ok());
  ASSERT_TRUE(analytics_.HandleRecord(Received()).ok());  // a duplicate
  ASSERT_TRUE(analytics_.HandleRecord(Assigned(kT0)).ok());
  ASSERT_TRUE(analytics_.HandleRecord(Resolved(kT0)).ok());
  auto counts = analytics_.GetCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->by_event_type().at("received"), 1);
  EXPECT_EQ(counts->by_event_type().at("assignment"), 1);
  EXPECT_EQ(counts->by_event_type().at("case.resolved"), 1);
  EXPECT_EQ(counts->by_category().at("atm.card_retained"), 1);
  EXPECT_EQ(counts->by_category().size(), 1u);  // the assignment's category is not recounted
  EXPECT_EQ(counts->by_unit().at("BJ-0101"), 1);
  EXPECT_EQ(Summaries().size(), 3u);
}

TEST_F(AnalyticsTest, TimelineIsSortedByEventTimeThenArrival) {
  // Cross-topic reordering: the breach and the resolution arrive before the assignment.
  ASSERT_TRUE(analytics_.HandleRecord(Breach(kT0 + absl::Hours(2))).ok());
  ASSERT_TRUE(analytics_.HandleRecord(Resolved(kT0 + absl::Hours(2))).ok());
  ASSERT_TRUE(analytics_.HandleRecord(Assigned(kT0 + absl::Hours(1))).ok());
  ASSERT_TRUE(analytics_.HandleRecord(Received()).ok());
  EXPECT_EQ(Summaries(),
            (std::vector<std::string>{
                "received: atm.card_retained via phone, ordinary, very urgent, about branch BJ-0101",
                "assigned to BJ-0101 by rule atm", "SLA breach: RESOLUTION", "resolved"}));
}

TEST_F(AnalyticsTest, TimelineRequests) {
  analytics::v1::GetTimelineRequest request;
  EXPECT_EQ(analytics_.GetTimeline(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.set_complaint_id("CMP-UNKNOWN");
  EXPECT_EQ(analytics_.GetTimeline(request).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AnalyticsTest, StoreOutageIsTransient) {
  store_.fail_ = absl::UnavailableError("redis down");
  EXPECT_EQ(analytics_.HandleRecord(Received()).code(), absl::StatusCode::kUnavailable);
}

// A replay hands records over in batches: one store call for a batch, and each record gets the
// status it would get alone, whatever its neighbours did.
TEST_F(AnalyticsTest, ABatchIsOneStoreCallWithAStatusPerRecord) {
  auto garbage = Resolved(kT0);
  garbage.value = "\xff\xfe garbage";
  events::v1::DeadLetterRedrive claim;
  claim.set_phase(events::v1::DeadLetterRedrive::CLAIMED);
  claim.set_complaint_id(kComplaint);
  const std::vector<absl::Status> statuses = analytics_.HandleBatch(
      {Received(), garbage, Received(), Record(events::kRedrivesTopic, claim, "claim"),
       Assigned(kT0)});
  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_EQ(statuses[1].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(statuses[2].ok()) << statuses[2];  // a duplicate of the first: nothing new
  EXPECT_TRUE(statuses[3].ok()) << statuses[3];  // a claim: on no timeline
  EXPECT_TRUE(statuses[4].ok()) << statuses[4];
  EXPECT_EQ(store_.record_all_calls_, 1);
  EXPECT_EQ(Summaries().size(), 2u);
  EXPECT_EQ(store_.counts_.by_event_type().at("received"), 1);

  store_.fail_ = absl::UnavailableError("redis down");
  const std::vector<absl::Status> during_outage = analytics_.HandleBatch({Resolved(kT0), garbage});
  EXPECT_EQ(during_outage[0].code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(during_outage[1].code(), absl::StatusCode::kInvalidArgument);
}

// complaintctl dlq redrive: the finished re-drive is on the complaint's timeline, the claim and
// dead letters of no complaint are not, and the operator's note (free text) never is.
TEST_F(AnalyticsTest, AFinishedRedriveIsOnTheTimeline) {
  ASSERT_TRUE(analytics_.HandleRecord(Received()).ok());
  events::v1::DeadLetterRedrive redrive;
  redrive.set_phase(events::v1::DeadLetterRedrive::CLAIMED);
  redrive.set_claim_id("claim-1");
  redrive.set_dead_letter_topic("complaints.received.v1.dlq");
  redrive.set_dead_letter_partition(2);
  redrive.set_dead_letter_offset(17);
  redrive.set_topic("complaints.received.v1");
  redrive.set_dead_letter_group("complaints-routing");
  redrive.set_complaint_id(kComplaint);
  redrive.set_actor("ops-li");
  redrive.set_note("Redis maxmemory raised; 客户张三 called");
  *redrive.mutable_at() = common::ToProtoTime(kT0 + absl::Minutes(5));
  ASSERT_TRUE(analytics_.HandleRecord(Record(events::kRedrivesTopic, redrive, "claim")).ok());
  EXPECT_EQ(Summaries().size(), 1u);  // the claim alone adds nothing

  redrive.set_phase(events::v1::DeadLetterRedrive::DONE);
  ASSERT_TRUE(analytics_.HandleRecord(Record(events::kRedrivesTopic, redrive, "done")).ok());
  const auto summaries = Summaries();
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[1],
            "dead letter re-driven to complaints.received.v1 by ops-li (from "
            "complaints.received.v1.dlq 2:17, dead-lettered by complaints-routing)");
  EXPECT_EQ(store_.counts_.by_event_type().at("ops.redrive"), 1);

  redrive.set_complaint_id("");
  EXPECT_TRUE(
      analytics_.HandleRecord(Record(events::kRedrivesTopic, redrive, "done-2", kT0, "")).ok());
  EXPECT_EQ(Summaries().size(), 2u);
}

}  // namespace
}  // namespace complaints::analytics
