// Validation of the classifier's files: every problem, with its file and line.
#include "gmock/gmock.h"
#include "libs/common/utf8.h"
#include "services/intake/classifier/compiled_config.h"
#include "services/intake/classifier/test_util.h"

namespace complaints::classifier {
namespace {

using ::testing::HasSubstr;

constexpr char kTaxonomy[] = R"(version: "t1"
leaf { code: "atm.card_retained" label: "吞卡" jrt_business: "b" jrt_cause: "c" }
leaf { code: "other.other" label: "其他" jrt_business: "b" jrt_cause: "c" }
)";

constexpr char kConfig[] = R"(version: "c1"
scoping { clause_delimiters: ",。" negation_window: 6 negation_cue: "不会" }
signal { id: "threat.media" literal: "记者" negatable: true }
urgency_rule { id: "u" code: "threat_to_escalate" when { signal: "threat.media" } }
category_rule { category: "atm.card_retained" term { literal: "吞卡" weight: 3 } }
category_choice { min_score: 1 fallback: "other.other" }
)";

absl::Status Compile(std::string config, std::string taxonomy = kTaxonomy) {
  ConfigTexts texts;
  texts.config = std::move(config);
  texts.taxonomy = std::move(taxonomy);
  texts.t2s = "記\t记\n";
  return CompileConfig(texts).status();
}

TEST(ClassifierConfig, MinimalConfigCompiles) { EXPECT_TRUE(Compile(kConfig).ok()); }

TEST(ClassifierConfig, ShippedFilesCompile) {
  const auto config = CompileConfig(testing::ShippedTexts());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE((*config)->version.empty());
}

TEST(ClassifierConfig, SyntaxErrorNamesLineAndColumn) {
  const auto s = Compile(std::string(kConfig) + "signal { id: \"x\" literl: \"y\" }\n");
  EXPECT_THAT(s.message(), HasSubstr("classifier.textproto:7:"));
}

TEST(ClassifierConfig, BadRegexNamesSignalPatternAndLine) {
  const auto s = Compile(std::string(kConfig) +
                         "signal {\n  id: \"threat.x\"\n  literal: \"a\"\n  regex: \"(b\"\n}\n");
  EXPECT_THAT(s.message(), HasSubstr("classifier.textproto:10: signal `threat.x` regex 1: bad regex"));
}

TEST(ClassifierConfig, EveryProblemIsReported) {
  const auto s = Compile(std::string(kConfig) +
                         "signal { id: \"threat.media\" literal: \"x\" }\n"           // 7
                         "signal { id: \"e\" literal: \"\" }\n"                       // 8
                         "category_rule { category: \"cards.x\" term { literal: \"卡\" weight: 1 } }\n"  // 9
                         "level_rule { id: \"l\" when { signal: \"nope\" } level: LEVEL_MAJOR }\n"  // 10
                         "urgency_rule { id: \"u\" code: \"c\" when { signal: \"e\" } }\n"  // 11
                         "signal { id: \"m\" regex: \"{{nomacro}}\" }\n");            // 12
  const std::string m(s.message());
  EXPECT_THAT(m, HasSubstr("classifier.textproto:7: signal `threat.media`: duplicate id"));
  EXPECT_THAT(m, HasSubstr("classifier.textproto:8: signal `e` literal 1: empty pattern"));
  EXPECT_THAT(m, HasSubstr("classifier.textproto:9: category_rule `cards.x`: unknown category `cards.x`"));
  EXPECT_THAT(m, HasSubstr("classifier.textproto:10: level_rule `l` when 1: unknown signal `nope`"));
  EXPECT_THAT(m, HasSubstr("classifier.textproto:11: urgency_rule `u`: duplicate id"));
  EXPECT_THAT(m, HasSubstr("classifier.textproto:12: signal `m` regex 1: unknown macro {{nomacro}}"));
}

TEST(ClassifierConfig, ProblemsQuotingAnIdCutInsideACharacterAreValidUtf8) {
  // "\344\270" is the first two bytes of a three-byte character (found by the fuzzer).
  const auto s = Compile(std::string(kConfig) + "signal { id: \"fp.\\344\\270\" literal: \"x\" }\n"
                                                "signal { id: \"fp.\\344\\270\" literal: \"y\" }\n");
  EXPECT_THAT(s.message(), HasSubstr("classifier.textproto:8: signal `fp."));
  EXPECT_THAT(s.message(), HasSubstr("`: duplicate id"));
  EXPECT_TRUE(common::IsValidUtf8(std::string(s.message())));
}

TEST(ClassifierConfig, SuppressionCycleAndUnknownSuppressor) {
  const auto s = Compile(std::string(kConfig) +
                         "signal { id: \"a\" literal: \"a\" suppressed_by: \"b\" }\n"
                         "signal { id: \"b\" literal: \"b\" suppressed_by: \"a\" }\n"
                         "signal { id: \"c\" literal: \"c\" suppressed_by: \"zz\" }\n");
  EXPECT_THAT(s.message(), HasSubstr("suppressed_by forms a cycle"));
  EXPECT_THAT(s.message(), HasSubstr("classifier.textproto:9: signal `c`: suppressed_by unknown signal `zz`"));
}

TEST(ClassifierConfig, TaxonomyProblemsNameTheirLines) {
  const auto s = Compile(kConfig, std::string(kTaxonomy) +
                                      "leaf { code: \"atm.card_retained\" label: \"x\" jrt_business: \"b\" jrt_cause: \"c\" }\n"
                                      "leaf { code: \"Bad-Code\" label: \"x\" jrt_business: \"b\" jrt_cause: \"c\" }\n"
                                      "alias { from: \"card.x\" to: \"cards.nope\" }\n");
  EXPECT_THAT(s.message(), HasSubstr("taxonomy.textproto:4: leaf `atm.card_retained`: duplicate code"));
  EXPECT_THAT(s.message(), HasSubstr("taxonomy.textproto:5: leaf `Bad-Code`: code must be"));
  EXPECT_THAT(s.message(), HasSubstr("taxonomy.textproto:6: alias `card.x`: unknown category `cards.nope`"));
}

}  // namespace
}  // namespace complaints::classifier
