// The labelled corpus (tests/classifier/): per-class precision and recall, and the targets of
// issue 8, on the dev part (rules tuned against it) and the held-out part (never tuned against).
#include <cstdio>
#include <map>
#include <set>

#include "services/intake/classifier/corpus.h"
#include "services/intake/classifier/test_util.h"

namespace complaints::classifier {
namespace {

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  void Add(bool expected, bool got) {
    if (expected && got) ++tp;
    if (!expected && got) ++fp;
    if (expected && !got) ++fn;
  }
  double Precision() const { return tp + fp == 0 ? 1.0 : double(tp) / (tp + fp); }
  double Recall() const { return tp + fn == 0 ? 1.0 : double(tp) / (tp + fn); }
};

struct Report {
  int cases = 0, level_ok = 0, category_ok = 0;
  std::map<std::string, Counts> levels, reasons, categories;
  Counts very_urgent;
};

const char* LevelName(events::v1::Level l) {
  switch (l) {
    case events::v1::LEVEL_MAJOR: return "major";
    case events::v1::LEVEL_ESCALATED: return "escalated";
    default: return "ordinary";
  }
}

Report RunPart(const std::string& file, bool show_mistakes) {
  const auto content = common::ReadFile(std::string(COMPLAINTS_SOURCE_DIR) + "/tests/classifier/" + file);
  EXPECT_TRUE(content.ok()) << content.status();
  const auto cases = ParseCorpus(file, content.ok() ? *content : "");
  EXPECT_TRUE(cases.ok()) << cases.status();
  Report r;
  if (!cases.ok()) return r;
  const auto classifier = testing::Shipped();
  static const char* kReasons[] = {"threat_to_escalate", "prior_escalation_and_urgent",
                                   "repeat_3plus", "agent_flagged"};
  for (const CorpusCase& c : *cases) {
    ClassifierInput input;
    input.channel = c.channel;
    input.description = c.text;
    input.product = c.product;
    if (!c.agent_reason.empty()) {
      input.requested_urgency = events::v1::URGENCY_VERY_URGENT;
      input.requested_reason = c.agent_reason;
    }
    Decision d = classifier->Classify(input);
    classifier->ApplyHistory(c.history, &d);
    ++r.cases;
    const bool level_ok = d.level == c.level;
    r.level_ok += level_ok;
    for (auto l : {events::v1::LEVEL_ORDINARY, events::v1::LEVEL_MAJOR, events::v1::LEVEL_ESCALATED}) {
      r.levels[LevelName(l)].Add(c.level == l, d.level == l);
    }
    const bool urgent = d.urgency == events::v1::URGENCY_VERY_URGENT;
    r.very_urgent.Add(!c.reasons.empty(), urgent);
    std::set<std::string> got;
    for (const auto& reason : d.classification.urgency_reasons()) got.insert(reason.code());
    for (const char* reason : kReasons) {
      const bool expected = std::find(c.reasons.begin(), c.reasons.end(), reason) != c.reasons.end();
      r.reasons[reason].Add(expected, got.count(reason) > 0);
    }
    const std::string business = d.category.substr(0, d.category.find('.'));
    const bool category_ok = business == c.business;
    r.category_ok += category_ok;
    r.categories[c.business].Add(true, category_ok);
    if (!category_ok) r.categories[business].Add(false, true);
    std::set<std::string> expected_reasons(c.reasons.begin(), c.reasons.end());
    if (show_mistakes && (!level_ok || urgent != !c.reasons.empty() || got != expected_reasons ||
                          !category_ok)) {
      std::string reasons;
      for (const auto& g : got) reasons += g + " ";
      std::printf("  %s:%d level %s (want %s) reasons [%s] category %s (want %s) rules:",
                  file.c_str(), c.line, LevelName(d.level), LevelName(c.level), reasons.c_str(),
                  d.category.c_str(), c.business.c_str());
      for (const auto& rule : d.classification.level_rules()) std::printf(" %s", rule.c_str());
      std::printf(" evidence:");
      for (const auto& e : d.classification.level_evidence()) {
        std::printf(" %s[%d,%d)", e.signal().c_str(), e.start(), e.end());
      }
      for (const auto& reason : d.classification.urgency_reasons()) {
        for (const auto& e : reason.evidence()) {
          std::printf(" %s[%d,%d)", e.signal().c_str(), e.start(), e.end());
        }
      }
      std::printf("\n");
    }
  }
  return r;
}

void Print(const std::string& part, const Report& r) {
  std::printf("== %s: %d cases\n", part.c_str(), r.cases);
  std::printf("level accuracy %.1f%%\n", 100.0 * r.level_ok / r.cases);
  for (const auto& [name, c] : r.levels) {
    std::printf("  level %-10s precision %5.1f%% recall %5.1f%% (tp %d fp %d fn %d)\n", name.c_str(),
                100 * c.Precision(), 100 * c.Recall(), c.tp, c.fp, c.fn);
  }
  std::printf("very urgent precision %.1f%% recall %.1f%% (tp %d fp %d fn %d)\n",
              100 * r.very_urgent.Precision(), 100 * r.very_urgent.Recall(), r.very_urgent.tp,
              r.very_urgent.fp, r.very_urgent.fn);
  for (const auto& [name, c] : r.reasons) {
    std::printf("  reason %-28s precision %5.1f%% recall %5.1f%% (tp %d fp %d fn %d)\n",
                name.c_str(), 100 * c.Precision(), 100 * c.Recall(), c.tp, c.fp, c.fn);
  }
  std::printf("category top-1 %.1f%%\n", 100.0 * r.category_ok / r.cases);
  for (const auto& [name, c] : r.categories) {
    std::printf("  category %-16s precision %5.1f%% recall %5.1f%% (tp %d fp %d fn %d)\n",
                name.c_str(), 100 * c.Precision(), 100 * c.Recall(), c.tp, c.fp, c.fn);
  }
}

void CheckTargets(const Report& r) {
  ASSERT_GT(r.cases, 0);
  EXPECT_GE(double(r.level_ok) / r.cases, 0.92) << "level accuracy";
  EXPECT_GE(r.levels.at("escalated").Recall(), 0.90) << "escalated recognised";
  EXPECT_GE(r.very_urgent.Precision(), 0.88) << "very-urgent precision";
  EXPECT_GE(r.very_urgent.Recall(), 0.90) << "very-urgent recall";
  EXPECT_GE(double(r.category_ok) / r.cases, 0.85) << "category top-1";
}

TEST(ClassifierCorpus, DevPartMeetsTargets) {
  const Report r = RunPart("dev.tsv", /*show_mistakes=*/true);
  Print("dev", r);
  CheckTargets(r);
}

// Only the figures are printed: the held-out cases are not looked at one by one.
TEST(ClassifierCorpus, HeldOutPartMeetsTargets) {
  const Report r = RunPart("heldout.tsv", /*show_mistakes=*/false);
  Print("held-out", r);
  CheckTargets(r);
}

// probe.tsv: written by a second author, reported (figures and mistakes) but not asserted, so
// that it measures text typed by others rather than gating the build.
TEST(ClassifierCorpus, ProbePartReported) {
  const Report r = RunPart("probe.tsv", /*show_mistakes=*/true);
  Print("probe", r);
}

}  // namespace
}  // namespace complaints::classifier
