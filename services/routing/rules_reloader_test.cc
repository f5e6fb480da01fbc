#include "services/routing/rules_reloader.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/cases/memory_case_ledger_store.h"
#include "libs/common/clock.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/testing/fake_publisher.h"
#include "services/routing/router.h"

namespace complaints::routing {
namespace {

using ::testing::HasSubstr;

constexpr char kUnits[] = R"(
unit { code: "HO" tier: UNIT_TIER_HEAD_OFFICE }
unit { code: "HO-CARDS" tier: UNIT_TIER_HEAD_OFFICE parent: "HO" }
unit { code: "BJ" tier: UNIT_TIER_BRANCH parent: "HO" region: "north" }
unit { code: "BJ-1" tier: UNIT_TIER_OUTLET parent: "BJ" }
)";

// Version A sends cards to the card centre, version B to head office.
constexpr char kRulesA[] = R"(
fallback_unit: "HO"
rule { id: "cards" precedence: 10 match { category_prefix: "cards." } unit: "HO-CARDS" }
rule { id: "atm" precedence: 10 match { category_prefix: "atm." } unit: "${branch}" }
)";
constexpr char kRulesB[] = R"(
fallback_unit: "HO"
rule { id: "cards" precedence: 10 match { category_prefix: "cards." } unit: "HO" }
rule { id: "north" precedence: 20 match { region: "north" } unit: "BJ" }
)";

class RulesReloaderTest : public ::testing::Test {
 protected:
  static std::filesystem::path MakeDir() {
    auto dir = std::filesystem::temp_directory_path() /
               ("rules-reloader-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    return dir;
  }

  RulesReloaderTest() {
    Write("units.textproto", kUnits);
    Write("rules.textproto", kRulesA);
  }
  ~RulesReloaderTest() override { std::filesystem::remove_all(dir_); }

  // Writes a file and moves its modification time on, so that a change is seen even within the
  // file system's timestamp granularity.
  void Write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() +
                                               std::chrono::seconds(++writes_));
  }

  RulesFiles Files() const {
    return {.rules = (dir_ / "rules.textproto").string(),
            .units = (dir_ / "units.textproto").string(),
            .taxonomy = ""};
  }

  std::vector<events::v1::RulesReloaded> Announced() const {
    std::vector<events::v1::RulesReloaded> out;
    for (const auto& record : publisher_.PublishedTo(events::kRulesTopic)) {
      EXPECT_EQ(record.key, "rules");
      out.emplace_back().ParseFromString(record.value);
    }
    return out;
  }

  std::filesystem::path dir_ = MakeDir();  // before reloader_, which names its files
  int writes_ = 0;
  testing::FakePublisher publisher_;
  common::ManualClock clock_{absl::FromUnixSeconds(1764115200)};
  MemoryRulesVersions versions_;
  RulesHolder holder_;
  RulesReloader reloader_{&holder_, Files(), &versions_, &publisher_, &clock_, "host:1"};
};

TEST_F(RulesReloaderTest, FirstLoadIsVersionOneAndAnnounced) {
  auto outcome = reloader_.Reload("start-up", "routing started");
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->version, 1);
  EXPECT_TRUE(outcome->changed);
  ASSERT_NE(holder_.Get(), nullptr);
  EXPECT_EQ(holder_.Get()->version(), 1);
  const auto announced = Announced();
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0].version(), 1);
  EXPECT_EQ(announced[0].previous_version(), 0);
  EXPECT_EQ(announced[0].actor(), "start-up");
  EXPECT_EQ(announced[0].reason(), "routing started");
  EXPECT_EQ(announced[0].instance(), "host:1");
  EXPECT_EQ(announced[0].added_size(), 2);
  EXPECT_EQ(announced[0].units_added_size(), 4);
  EXPECT_EQ(announced[0].reloaded_at().seconds(), 1764115200);
}

TEST_F(RulesReloaderTest, UnchangedFilesAreNoNewVersion) {
  ASSERT_TRUE(reloader_.Reload("start-up", "").ok());
  auto again = reloader_.Reload("ops-alice", "just checking");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(Announced().size(), 1u);
}

TEST_F(RulesReloaderTest, ChangedFilesAreTheNextVersionWithTheDiff) {
  ASSERT_TRUE(reloader_.Reload("start-up", "").ok());
  events::v1::ComplaintReceived card;
  card.set_category("cards.fraud");
  EXPECT_EQ(holder_.Route(card).unit, "HO-CARDS");

  Write("rules.textproto", kRulesB);
  auto outcome = reloader_.Reload("ops-alice", "cards to head office during the audit");
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->changed);
  EXPECT_EQ(outcome->version, 2);
  const RouteDecision decision = holder_.Route(card);
  EXPECT_EQ(decision.unit, "HO");
  EXPECT_EQ(decision.rules_version, 2);

  const auto announced = Announced();
  ASSERT_EQ(announced.size(), 2u);
  const auto& diff = announced[1];
  EXPECT_EQ(diff.version(), 2);
  EXPECT_EQ(diff.previous_version(), 1);
  EXPECT_EQ(diff.actor(), "ops-alice");
  EXPECT_EQ(diff.reason(), "cards to head office during the audit");
  ASSERT_EQ(diff.added_size(), 1);
  EXPECT_EQ(diff.added(0).id(), "north");
  ASSERT_EQ(diff.removed_size(), 1);
  EXPECT_EQ(diff.removed(0).id(), "atm");
  ASSERT_EQ(diff.changed_size(), 1);
  EXPECT_EQ(diff.changed(0).after().unit(), "HO");
  EXPECT_EQ(outcome->event.SerializeAsString(), diff.SerializeAsString());

  // Back to A: a new number, not the old one.
  Write("rules.textproto", kRulesA);
  auto back = reloader_.Reload("ops-alice", "audit over");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->version, 3);
}

TEST_F(RulesReloaderTest, ABadFileKeepsTheRulesInForce) {
  ASSERT_TRUE(reloader_.Reload("start-up", "").ok());
  Write("rules.textproto",
        "fallback_unit: \"HO\"\n"
        "rule { id: \"cards\" precedence: 10 match { category_prefix: \"cards.\" } unit: \"HO-GONE\" }\n");
  auto outcome = reloader_.Reload("ops-bob", "");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("rules of version 1 stay"));
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("rules.textproto:2: rule cards: unknown unit HO-GONE"));
  EXPECT_EQ(holder_.Get()->version(), 1);
  EXPECT_EQ(Announced().size(), 1u);
  // The units file is checked too; a missing file is a problem, not a crash.
  Write("rules.textproto", kRulesB);
  Write("units.textproto", "unit { code: \"HO\" tier: UNIT_TIER_HEAD_OFFICE }\n");
  outcome = reloader_.Reload("ops-bob", "");
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("unknown unit BJ"));
  std::filesystem::remove(dir_ / "units.textproto");
  EXPECT_EQ(reloader_.Reload("ops-bob", "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // No version number was used up by the bad files.
  Write("units.textproto", kUnits);
  auto good = reloader_.Reload("ops-bob", "");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->version, 2);
}

TEST_F(RulesReloaderTest, ABrokerDownKeepsTheRulesInForce) {
  ASSERT_TRUE(reloader_.Reload("start-up", "").ok());
  Write("rules.textproto", kRulesB);
  publisher_.FailWith(absl::UnavailableError("broker down"));
  auto outcome = reloader_.Reload("ops-alice", "");
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(holder_.Get()->version(), 1);  // not in force unannounced
  publisher_.FailWith(absl::OkStatus());
  outcome = reloader_.Reload("ops-alice", "");
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(holder_.Get()->version(), 2);
}

TEST_F(RulesReloaderTest, TheFileWatchReloadsOncePerChange) {
  ASSERT_TRUE(reloader_.Reload("start-up", "").ok());
  EXPECT_FALSE(reloader_.PollFiles());  // nothing changed since the load
  Write("rules.textproto", kRulesB);
  EXPECT_TRUE(reloader_.PollFiles());
  EXPECT_EQ(holder_.Get()->version(), 2);
  EXPECT_EQ(Announced().back().actor(), "file-watch");
  EXPECT_FALSE(reloader_.PollFiles());
  // A bad change is tried once, and the rules stay.
  Write("rules.textproto", "rule {");
  EXPECT_TRUE(reloader_.PollFiles());
  EXPECT_FALSE(reloader_.PollFiles());
  EXPECT_EQ(holder_.Get()->version(), 2);
  EXPECT_EQ(Announced().size(), 2u);
}

// The unit each version sends a card complaint from BJ-1 to.
const std::map<int64_t, std::string> kCardUnitByVersion = {
    {1, "HO-CARDS"}, {2, "BJ"}, {3, "HO-CARDS"}, {4, "BJ"}, {5, "HO-CARDS"}, {6, "BJ"}};

// Complaints routed while the rules are reloaded over and over: each is assigned once, by one
// version, to the unit that version chooses; none is lost, none assigned twice.
TEST_F(RulesReloaderTest, AReloadDuringLoadLosesAndDuplicatesNothing) {
  ASSERT_TRUE(reloader_.Reload("start-up", "").ok());
  cases::MemoryCaseLedgerStore store;
  cases::CaseLedger ledger(&store, &publisher_, &clock_, {.event_source = "/complaints/routing"});
  std::shared_ptr<const RouteTable> table(&holder_, [](const RouteTable*) {});
  Router router(&ledger, {.rules = table});

  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::atomic<bool> done{false};
  std::thread reloads([&] {
    for (int i = 0; i < 5; ++i) {
      Write("rules.textproto", i % 2 == 0 ? kRulesB : kRulesA);
      EXPECT_TRUE(reloader_.Reload("ops", "flip").ok());
      std::this_thread::yield();
    }
    done = true;
  });
  std::vector<std::thread> routers;
  for (int t = 0; t < kThreads; ++t) {
    routers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        events::v1::ComplaintReceived c;
        c.set_complaint_id("CMP-" + std::to_string(t) + "-" + std::to_string(i));
        c.set_category("cards.fraud");
        c.set_branch_code("BJ-1");
        c.set_level(events::v1::LEVEL_ORDINARY);
        const auto record = events::ToRecord(events::kReceivedTopic, c.complaint_id(), c,
                                             "e-" + c.complaint_id(), "/test", c.complaint_id(),
                                             clock_.Now());
        // Every complaint twice: a redelivery must not assign it again.
        for (int delivery = 0; delivery < 2; ++delivery) {
          EXPECT_TRUE(router.HandleReceived(testing::AsIncoming(record)).ok());
        }
      }
    });
  }
  for (auto& thread : routers) thread.join();
  reloads.join();
  ASSERT_TRUE(done);

  std::map<std::string, int> assignments_of;
  std::set<int64_t> versions_seen;
  for (const auto& record : publisher_.PublishedTo(events::kAssignmentsTopic)) {
    events::v1::Assignment a;
    ASSERT_TRUE(a.ParseFromString(record.value));
    ++assignments_of[record.event.subject];
    ASSERT_TRUE(kCardUnitByVersion.contains(a.rules_version())) << a.rules_version();
    EXPECT_EQ(a.unit(), kCardUnitByVersion.at(a.rules_version())) << record.event.subject;
    EXPECT_EQ(a.rule_id(), a.unit() == "BJ" ? "north" : "cards");
    versions_seen.insert(a.rules_version());
  }
  EXPECT_EQ(assignments_of.size(), static_cast<size_t>(kThreads * kPerThread));  // none lost
  for (const auto& [id, count] : assignments_of) EXPECT_EQ(count, 1) << id;  // none twice
  // The case events name the same version as their assignment.
  for (const auto& record : publisher_.PublishedTo(events::kCaseTopic)) {
    events::v1::CaseEvent e;
    ASSERT_TRUE(e.ParseFromString(record.value));
    ASSERT_TRUE(e.has_assigned());
    EXPECT_EQ(e.unit(), kCardUnitByVersion.at(e.assigned().rules_version()));
  }
  EXPECT_EQ(holder_.Get()->version(), 6);
  EXPECT_EQ(table->Current()->units().Parent("BJ-1"), "BJ");
  std::printf("versions seen by the assignments: %zu of 6\n", versions_seen.size());
}

}  // namespace
}  // namespace complaints::routing
