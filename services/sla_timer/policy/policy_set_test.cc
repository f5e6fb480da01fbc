#include "services/sla_timer/policy/policy_set.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace complaints::sla_policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr ClockKind kAccept = events::v1::CLOCK_ACCEPT;
constexpr ClockKind kResolution = events::v1::CLOCK_RESOLUTION;
constexpr ClockKind kRegulatory = events::v1::CLOCK_REGULATORY;
constexpr ClockKind kFirstContact = events::v1::CLOCK_FIRST_CONTACT;

PolicySet MustParse(const std::string& text) {
  auto set = ParsePolicyText(text);
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

std::string Error(const std::string& text) {
  auto set = ParsePolicyText(text);
  EXPECT_FALSE(set.ok());
  return set.ok() ? "" : std::string(set.status().message());
}

Subject Of(events::v1::Level level, events::v1::Urgency urgency = events::v1::URGENCY_NORMAL,
           const std::string& category = "") {
  return Subject{level, urgency, category};
}

int Hours(const std::optional<ResolvedClock>& r) {
  return r.has_value() ? r->policy.span().working_hours() : -1;
}

constexpr char kLayered[] = R"pb(
  name: "layered"
  default_alerts { warn_at: 0.5 escalation { after { working_hours: 2 } } }
  rule {
    name: "base"
    accept { span { working_hours: 8 } paused_by: PAUSE_REASON_WAITING_ON_CUSTOMER }
    resolution { span { working_hours: 40 } }
  }
  rule {
    name: "major"
    when { level: LEVEL_MAJOR level: LEVEL_ESCALATED }
    accept { span { working_hours: 4 } }
  }
  rule {
    name: "cards"
    when { category_prefix: "card." }
    accept { span { working_hours: 6 } }
    resolution { span { working_hours: 30 } alerts { warn_at: 0.9 } }
  }
  rule {
    name: "lost cards"
    when { category_prefix: "card.lost" category_prefix: "card.stolen" }
    accept { span { working_hours: 1 } }
  }
  rule {
    name: "major cards"
    when { level: LEVEL_MAJOR category_prefix: "card." }
    accept { span { working_hours: 3 } }
  }
  rule {
    name: "very urgent"
    when { urgency: URGENCY_VERY_URGENT }
    priority: 5
    accept { span { working_hours: 2 } }
  }
  rule {
    name: "twin of major"
    when { level: LEVEL_MAJOR }
    accept { span { working_hours: 5 } }
  }
  rule {
    name: "no resolution for suggestions"
    when { category_prefix: "suggestion." }
    resolution { disabled: true }
  }
)pb";

TEST(PolicySetTest, BaseRuleAppliesToEveryone) {
  const PolicySet set = MustParse(kLayered);
  EXPECT_EQ(set.name(), "layered");
  const auto accept = set.Resolve(kAccept, Of(events::v1::LEVEL_ORDINARY));
  EXPECT_EQ(Hours(accept), 8);
  EXPECT_EQ(accept->rule, "base");
  EXPECT_THAT(accept->rules, ElementsAre("base"));
  // A clock no rule speaks of is not armed.
  EXPECT_FALSE(set.Resolve(kRegulatory, Of(events::v1::LEVEL_ORDINARY)).has_value());
}

TEST(PolicySetTest, MoreConditionsWin) {
  const PolicySet set = MustParse(kLayered);
  EXPECT_EQ(Hours(set.Resolve(kAccept, Of(events::v1::LEVEL_MAJOR))), 4);
  EXPECT_EQ(Hours(set.Resolve(kAccept, Of(events::v1::LEVEL_ESCALATED))), 4);
  EXPECT_EQ(Hours(set.Resolve(kAccept, Of(events::v1::LEVEL_ORDINARY, {}, "card.fee"))), 6);
  // level + category beats either alone.
  const auto major_card = set.Resolve(kAccept, Of(events::v1::LEVEL_MAJOR, {}, "card.fee"));
  EXPECT_EQ(Hours(major_card), 3);
  EXPECT_EQ(major_card->rule, "major cards");
}

TEST(PolicySetTest, LongerCategoryPrefixWins) {
  const PolicySet set = MustParse(kLayered);
  EXPECT_EQ(Hours(set.Resolve(kAccept, Of(events::v1::LEVEL_ORDINARY, {}, "card.lost.abroad"))),
            1);
  EXPECT_EQ(Hours(set.Resolve(kAccept, Of(events::v1::LEVEL_ORDINARY, {}, "card.stolen"))), 1);
  // A prefix is a prefix of the code, not a substring.
  EXPECT_EQ(Hours(set.Resolve(kAccept, Of(events::v1::LEVEL_ORDINARY, {}, "xcard.lost"))), 8);
}

TEST(PolicySetTest, PriorityBeatsSpecificity) {
  const PolicySet set = MustParse(kLayered);
  const auto r = set.Resolve(kAccept, Of(events::v1::LEVEL_MAJOR, events::v1::URGENCY_VERY_URGENT,
                                          "card.lost"));
  EXPECT_EQ(Hours(r), 2);
  EXPECT_EQ(r->rule, "very urgent");
  EXPECT_EQ(r->rules.back(), "very urgent");
}

TEST(PolicySetTest, EqualSpecificityEarlierRuleWins) {
  const PolicySet set = MustParse(kLayered);
  // "major" and "twin of major" are equally specific: the earlier one wins.
  const auto r = set.Resolve(kAccept, Of(events::v1::LEVEL_MAJOR));
  EXPECT_EQ(r->rule, "major");
  EXPECT_THAT(r->rules, ElementsAre("base", "twin of major", "major"));
}

TEST(PolicySetTest, UnspecifiedLevelAndUrgencyCountAsOrdinaryAndNormal) {
  const PolicySet set = MustParse(R"pb(
    rule { name: "base" accept { span { working_hours: 8 } } }
    rule {
      name: "ordinary normal"
      when { level: LEVEL_ORDINARY urgency: URGENCY_NORMAL }
      accept { span { working_hours: 7 } }
    }
  )pb");
  EXPECT_EQ(Hours(set.Resolve(kAccept, Of(events::v1::LEVEL_UNSPECIFIED,
                                          events::v1::URGENCY_UNSPECIFIED))),
            7);
}

TEST(PolicySetTest, FieldsMergeFromLessSpecificRules) {
  const PolicySet set = MustParse(kLayered);
  // "major" sets only the span: the base's pause reasons and the default alerts remain.
  const auto accept = set.Resolve(kAccept, Of(events::v1::LEVEL_MAJOR));
  EXPECT_THAT(accept->policy.paused_by(), ElementsAre(events::v1::PAUSE_REASON_WAITING_ON_CUSTOMER));
  EXPECT_THAT(accept->policy.alerts().warn_at(), ElementsAre(0.5));
  ASSERT_EQ(accept->policy.alerts().escalation_size(), 1);
  // "cards" replaces the alert plan as a whole: its warnings, and no ladder.
  const auto resolution = set.Resolve(kResolution, Of(events::v1::LEVEL_ORDINARY, {}, "card.x"));
  EXPECT_EQ(Hours(resolution), 30);
  EXPECT_THAT(resolution->policy.alerts().warn_at(), ElementsAre(0.9));
  EXPECT_EQ(resolution->policy.alerts().escalation_size(), 0);
  // Clocks without a plan of their own take the file's default.
  const auto plain = set.Resolve(kResolution, Of(events::v1::LEVEL_ORDINARY));
  EXPECT_THAT(plain->policy.alerts().warn_at(), ElementsAre(0.5));
  EXPECT_EQ(plain->policy.alerts().escalation_size(), 1);
}

TEST(PolicySetTest, DisabledClockIsNotArmed) {
  const PolicySet set = MustParse(kLayered);
  EXPECT_FALSE(
      set.Resolve(kResolution, Of(events::v1::LEVEL_ORDINARY, {}, "suggestion.app")).has_value());
  EXPECT_TRUE(set.Resolve(kAccept, Of(events::v1::LEVEL_ORDINARY, {}, "suggestion.app")).has_value());
}

TEST(PolicySetTest, ClockPolicyOf) {
  sla::v1::PolicyRule rule;
  rule.mutable_first_contact()->mutable_span()->set_working_days(1);
  EXPECT_NE(ClockPolicyOf(rule, kFirstContact), nullptr);
  EXPECT_EQ(ClockPolicyOf(rule, kAccept), nullptr);
  EXPECT_EQ(ClockPolicyOf(rule, events::v1::CLOCK_UNSPECIFIED), nullptr);
}

TEST(PolicySetTest, SyntaxErrorsNameTheLine) {
  EXPECT_THAT(Error("name: \"x\"\nrule {\n  nme: \"base\"\n}\n"), HasSubstr("3:"));
  EXPECT_THAT(Error("rule { name: \"a\" accept { span { working_hours: 2 } clock: CLOCK_NOPE } }"),
              HasSubstr("1:"));
}

TEST(PolicySetTest, RejectsBadFiles) {
  EXPECT_THAT(Error("name: \"empty\""), HasSubstr("no rule"));
  EXPECT_THAT(Error(R"pb(rule { accept { span { working_hours: 1 } } })pb"), HasSubstr("name"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" } rule { name: "a" })pb"), HasSubstr("twice"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" accept { span { working_hours: 0 } } })pb"),
              HasSubstr("positive"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" accept { span {} } })pb"), HasSubstr("positive"));
  EXPECT_THAT(Error(R"pb(default_alerts { warn_at: 0.8 warn_at: 0.5 }
                         rule { name: "a" })pb"),
              HasSubstr("warn_at"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" accept { alerts { warn_at: 1.0 } } })pb"),
              HasSubstr("warn_at"));
  EXPECT_THAT(Error(R"pb(rule {
                           name: "a"
                           regulatory {
                             extension { to { calendar_days: 30 } }
                             extension { to { calendar_days: 20 } }
                           }
                         })pb"),
              HasSubstr("longer"));
  EXPECT_THAT(Error(R"pb(rule {
                           name: "a"
                           regulatory {
                             extension { to { calendar_days: 30 } }
                             extension { to { working_days: 60 } }
                           }
                         })pb"),
              HasSubstr("same unit"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" when { category_prefix: "" } })pb"),
              HasSubstr("category_prefix"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" when { level: LEVEL_UNSPECIFIED } })pb"),
              HasSubstr("LEVEL_UNSPECIFIED"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" resolution { paused_by: PAUSE_REASON_UNSPECIFIED } })pb"),
              HasSubstr("paused_by"));
  EXPECT_THAT(Error(R"pb(rule {
                           name: "a"
                           resolution { agreed_extension { max_delay {} } }
                         })pb"),
              HasSubstr("max_delay"));
  // The promise clock is due at the promised time: no span, its reminder in calendar time.
  EXPECT_THAT(Error(R"pb(rule { name: "a" promise { span { working_days: 1 } } })pb"),
              HasSubstr("promised time"));
  EXPECT_THAT(
      Error(R"pb(rule { name: "a" promise { paused_by: PAUSE_REASON_WAITING_ON_CUSTOMER } })pb"),
      HasSubstr("promised time"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" promise { warn_before { working_hours: 2 } } })pb"),
              HasSubstr("warn_before"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" promise { alerts { warn_at: 0.5 } } })pb"),
              HasSubstr("warn_at"));
  EXPECT_THAT(Error(R"pb(rule { name: "a" accept { warn_before { calendar_hours: 1 } } })pb"),
              HasSubstr("promise clock only"));
  std::string ladder = "rule { name: \"a\" accept { alerts {";
  for (int i = 0; i < 10; ++i) ladder += " escalation { after { working_hours: 1 } }";
  ladder += " } } }";
  EXPECT_THAT(Error(ladder), HasSubstr("at most 9"));
}

TEST(PolicySetTest, RejectsAChainThatDoesNotExtendTheMergedSpan) {
  // Each rule is fine alone; for a major complaint the chain (calendar days) meets a span in
  // working days. Caught at load, naming the combination.
  const std::string error = Error(R"pb(
    rule {
      name: "base"
      regulatory { span { calendar_days: 15 } extension { to { calendar_days: 30 } } }
    }
    rule {
      name: "major"
      when { level: LEVEL_MAJOR }
      regulatory { span { working_days: 10 } }
    }
  )pb");
  EXPECT_THAT(error, HasSubstr("LEVEL_MAJOR"));
  EXPECT_THAT(error, HasSubstr("same unit"));
  EXPECT_THAT(Error(R"pb(rule {
                           name: "a"
                           regulatory { span { calendar_days: 30 } extension { to { calendar_days: 30 } } }
                         })pb"),
              HasSubstr("longer"));
}

TEST(PolicySetTest, LoadPolicyFileReportsMissingFile) {
  auto set = LoadPolicyFile("/nonexistent/policy.textproto");
  EXPECT_EQ(set.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace complaints::sla_policy
