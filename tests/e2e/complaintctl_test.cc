// End-to-end: complaintctl against the running platform. Submit, show (masked) and a unit's
// worklist; and an operator re-driving dead letters after a fix: a good complaint that was
// dead-lettered during an outage goes back to its topic once, is then routed, and the re-drive
// shows on its timeline; asking again,
// or two operators at the same instant, sends nothing more.
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "complaints/events/v1/complaint.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/kafka/kafka_config.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"
#include "tests/support/process.h"

namespace complaints {
namespace {

using ::testing::HasSubstr;
using testsupport::CommandResult;
using testsupport::Platform;

const std::string kDeadTopic = absl::StrCat(events::kReceivedTopic, ".dlq");

class ComplaintctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka::KafkaConfig config;
    config.bootstrap_servers = Platform::KafkaBootstrap();
    auto producer = kafka::Producer::Create(config);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }

  // A valid complaint as routing would have dead-lettered it while Redis refused writes;
  // returns "partition:offset" on the dead-letter topic.
  std::string DeadLetteredComplaint(const std::string& id) {
    events::v1::ComplaintReceived complaint;
    complaint.set_complaint_id(id);
    complaint.set_category("atm.card_retained");
    complaint.set_branch_code("BJ-0101");
    complaint.set_level(events::v1::LEVEL_ORDINARY);
    complaint.set_urgency(events::v1::URGENCY_NORMAL);
    *complaint.mutable_received_at() = common::ToProtoTime(absl::Now());
    kafka::OutgoingRecord dead =
        events::ToRecord(events::kReceivedTopic, id, complaint, common::DeterministicId({id, "r"}),
                         "/complaints/intake", id, absl::Now());
    dead.topic = kDeadTopic;
    dead.verbatim_headers = true;
    dead.extra_headers = kafka::ToHeaders(dead.event);
    for (auto header : kafka::Headers{{"dlq_reason", "redis: OOM command not allowed"},
                                      {"dlq_code", "FAILED_PRECONDITION"},
                                      {"dlq_topic", events::kReceivedTopic},
                                      {"dlq_partition", "0"},
                                      {"dlq_offset", "424242"},
                                      {"dlq_group", "complaints-routing"},
                                      {"dlq_time", kafka::FormatEventTime(absl::Now())}}) {
      dead.extra_headers.push_back(header);
    }
    auto delivered = producer_->PublishWithOffsets(std::vector{dead});
    EXPECT_TRUE(delivered.ok()) << delivered.status();
    if (!delivered.ok()) return "";
    return absl::StrCat(delivered->front().partition, ":", delivered->front().offset);
  }

  CommandResult Ctl(std::vector<std::string> args, const std::string& log = "complaintctl") {
    args.push_back("--kafka");
    args.push_back(Platform::KafkaBootstrap());
    return testsupport::RunCommand(COMPLAINTS_BINARY_DIR "/tools/complaintctl/complaintctl", args,
                                   testsupport::EnvOr("TEST_LOG_DIR", "/tmp") + "/" + log + ".log");
  }

  CommandResult Redrive(const std::string& at, const std::string& log = "complaintctl") {
    return Ctl({"dlq", "redrive", events::kReceivedTopic, "--at", at, "--note",
                "Redis maxmemory raised", "--actor", "e2e-operator"},
               log);
  }

  // The copies of dead letter `at` on the original topic.
  static size_t CopiesOf(const std::string& at) {
    auto reader = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kReceivedTopic);
    EXPECT_TRUE(reader.ok());
    EXPECT_TRUE((*reader)->ReadToEnd(absl::Seconds(30)));
    const std::vector<std::string> parts = absl::StrSplit(at, ':');
    const std::string from = absl::StrCat(kDeadTopic, "/", parts[0], "/", parts[1]);
    return (*reader)
        ->Seen([&](const kafka::IncomingRecord& r) {
          return kafka::FindHeader(r.headers, "redriven_from") == from;
        })
        .size();
  }

  static std::string NewId() {
    std::random_device random;
    return absl::StrCat("RD-", random(), random());
  }

  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(ComplaintctlTest, ADeadLetterIsListedRedrivenOnceAndThenRouted) {
  Platform platform(Platform::Options{});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("routing");
  const std::string id = NewId();
  const std::string at = DeadLetteredComplaint(id);
  ASSERT_FALSE(at.empty());

  CommandResult listed = Ctl({"dlq", "list", events::kReceivedTopic, "--pending"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr(at + "  dead"));
  EXPECT_THAT(listed.output, HasSubstr("redis: OOM command not allowed"));
  EXPECT_THAT(listed.output, HasSubstr("complaint " + id));

  CommandResult redriven = Redrive(at);
  ASSERT_EQ(redriven.exit_code, 0) << redriven.output;
  EXPECT_THAT(redriven.output, HasSubstr(at + "  re-driven to complaints.received.v1/"));

  // Routing, which had given up on it, now assigns it.
  auto assignments = kafka::TopicReader::Open(Platform::KafkaBootstrap(), events::kAssignmentsTopic);
  ASSERT_TRUE(assignments.ok());
  EXPECT_TRUE((*assignments)->WaitFor(kafka::AboutComplaint(id), absl::Seconds(60)).has_value())
      << platform.LogTail("routing");

  // The re-drive is on the complaint's timeline (analytics reads ops.redrives.v1).
  CommandResult shown;
  EXPECT_TRUE(testsupport::WaitFor(
      [&] {
        shown = Ctl({"show", id, "--intake", platform.Address("intake"), "--routing",
                     platform.Address("routing"), "--sla", platform.Address("sla_timer"),
                     "--analytics", platform.Address("analytics")});
        return shown.output.find("dead letter re-driven to complaints.received.v1 by "
                                 "e2e-operator") != std::string::npos;
      },
      absl::Seconds(60)))
      << shown.output;

  CommandResult again = Redrive(at);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr(at + "  already claimed by e2e-operator"));
  EXPECT_THAT(Ctl({"dlq", "list", events::kReceivedTopic}).output, HasSubstr(at + "  redriven"));
  EXPECT_EQ(CopiesOf(at), 1u);
}

TEST_F(ComplaintctlTest, TwoOperatorsAtOnceSendItOnce) {
  const std::string at = DeadLetteredComplaint(NewId());
  ASSERT_FALSE(at.empty());
  CommandResult first, second;
  std::thread other([&] { second = Redrive(at, "complaintctl-b"); });
  first = Redrive(at, "complaintctl-a");
  other.join();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const int sent = (first.output.find("re-driven to") != std::string::npos) +
                   (second.output.find("re-driven to") != std::string::npos);
  EXPECT_EQ(sent, 1) << first.output << "\n----\n" << second.output;
  EXPECT_EQ(CopiesOf(at), 1u);
}

// The other verbs against the running services: submit, show (masked), worklist, report.
TEST_F(ComplaintctlTest, SubmitShowAndWorklistAgainstThePlatform) {
  Platform platform(Platform::Options{});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("routing");
  const std::vector<std::string> at = {"--intake",  platform.Address("intake"),
                                       "--routing", platform.Address("routing"),
                                       "--sla",     platform.Address("sla_timer"),
                                       "--analytics", platform.Address("analytics")};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), at.begin(), at.end());
    return args;
  };
  const std::string phone = testsupport::UniqueMobile();
  CommandResult submitted =
      Ctl(with({"submit", "--external-id", NewId(), "--phone", phone, "--name", "张三丰",
                "--description", "ATM吞卡，卡还没退", "--branch", "BJ-0101", "--category",
                "atm.card_retained"}));
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  // "complaint <id> (short id ...)"
  const std::vector<std::string> words = absl::StrSplit(submitted.output, ' ');
  ASSERT_GE(words.size(), 2u);
  const std::string id = words[1];

  // Show, once routing has assigned it: the timeline (analytics) and the case (routing's
  // projection of the case topic) grow as each service catches up, not at the same instant.
  CommandResult shown;
  testsupport::WaitFor(
      [&] {
        shown = Ctl(with({"show", id}));
        return shown.output.find("assigned to BJ-0101") != std::string::npos &&
               shown.output.find("case: assigned at BJ-0101") != std::string::npos;
      },
      absl::Seconds(60));
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_THAT(shown.output, HasSubstr("assigned to BJ-0101"));
  EXPECT_THAT(shown.output, HasSubstr("case: assigned at BJ-0101"));
  EXPECT_THAT(shown.output, HasSubstr(phone.substr(0, 3) + "****" + phone.substr(7)));
  EXPECT_THAT(shown.output, ::testing::Not(HasSubstr(phone)));
  EXPECT_THAT(shown.output, ::testing::Not(HasSubstr("张三丰")));

  CommandResult worklist;
  testsupport::WaitFor(
      [&] {
        worklist = Ctl(with({"worklist", "--unit", "BJ-0101", "--due-within", "2000h"}));
        return worklist.output.find(id) != std::string::npos;
      },
      absl::Seconds(60));
  EXPECT_EQ(worklist.exit_code, 0) << worklist.output;
  EXPECT_THAT(worklist.output, HasSubstr(id));

  // The monthly report of this month (Asia/Shanghai) counts it: CSV with a BOM, and HTML.
  const std::string month =
      absl::FormatTime("%Y-%m", absl::Now(), absl::FixedTimeZone(8 * 3600));
  CommandResult report;
  testsupport::WaitFor(
      [&] {
        report = Ctl(with({"report", "--month", month}));
        return report.output.find(",atm.card_retained,ATM吞卡,") != std::string::npos;
      },
      absl::Seconds(60));
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_TRUE(report.output.starts_with("\xEF\xBB\xBF")) << report.output.substr(0, 40);
  EXPECT_THAT(report.output, HasSubstr(month + ",合计 total,TOTAL,"));
  EXPECT_THAT(report.output, HasSubstr(",业务类别 business class (JR/T 0169),"));
  EXPECT_THAT(report.output, ::testing::Not(HasSubstr(phone)));
  CommandResult html = Ctl(with({"report", "--month", month, "--html"}));
  EXPECT_EQ(html.exit_code, 0) << html.output;
  EXPECT_THAT(html.output, HasSubstr("<h1>月度投诉分析报告 Monthly complaint report " + month));
  CommandResult bad_month = Ctl(with({"report", "--month", "March"}));
  EXPECT_EQ(bad_month.exit_code, 2);
  EXPECT_THAT(bad_month.output, HasSubstr("give it as YYYY-MM"));

  CommandResult down = Ctl({"show", id, "--intake", "127.0.0.1:1", "--timeout", "2"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_THAT(down.output, HasSubstr("what to do: is the service running at 127.0.0.1:1"));
}

TEST_F(ComplaintctlTest, MistakesSayWhatToDo) {
  CommandResult no_note = Ctl({"dlq", "redrive", events::kReceivedTopic, "--at", "0:1"});
  EXPECT_EQ(no_note.exit_code, 2);
  EXPECT_THAT(no_note.output, HasSubstr("--note is required"));
  CommandResult bad_at =
      Ctl({"dlq", "redrive", events::kReceivedTopic, "--at", "zero", "--note", "x"});
  EXPECT_EQ(bad_at.exit_code, 2);
  EXPECT_THAT(bad_at.output, HasSubstr("is not PARTITION:OFFSET"));
  CommandResult missing = Ctl({"dlq", "redrive", events::kReceivedTopic, "--at", "0:999999999",
                               "--note", "x", "--actor", "e2e"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("has no record at 0:999999999"));
  CommandResult unknown = Ctl({"dlq", "purge", events::kReceivedTopic});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.output, HasSubstr("unknown verb"));
}

}  // namespace
}  // namespace complaints
