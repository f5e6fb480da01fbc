#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/intake/v1/classifier_config.pb.h"
#include "re2/re2.h"
#include "re2/set.h"
#include "services/intake/classifier/normalize.h"

namespace complaints::classifier {

// The classifier's files, as text (the loader reads them; tests pass text directly).
struct ConfigTexts {
  std::string config_name = "classifier.textproto";
  std::string config;
  std::string taxonomy_name = "taxonomy.textproto";
  std::string taxonomy;
  std::string t2s_name = "t2s.tsv";
  std::string t2s;
};

// What a pattern of the one-pass pattern set belongs to.
enum class PatternKind {
  kSignal,
  kTerm,
  kNegationCue,
  kNegationBreaker,
  kNegationAfterCue,
  kReportedSpeechCue,
  kOwnSpeechCue,
};

struct CompiledPattern {
  PatternKind kind = PatternKind::kSignal;
  int owner = 0;  // signal index (kSignal) or term index (kTerm)
  std::unique_ptr<RE2> re;
  // For a literal without letters (most of them: Chinese words, numbers), the normalized bytes:
  // found by a plain search where `re` would find exactly the same, several times faster.
  // Empty for a regex, and for a literal with letters (matched case-insensitively by `re`).
  std::string literal;
};

struct CompiledSignal {
  std::string id;
  bool negatable = false;
  bool quotable = false;
  bool digit_bounded = false;
  std::vector<int> suppressed_by;
  std::vector<int> suppressed_later_in_clause_by;
};

struct CompiledCondition {
  std::vector<int> signals;
  std::vector<events::v1::Channel> channels;
  int64_t min_loss_yuan = 0;
  int32_t min_prior_escalations = 0;
  int32_t min_same_category_before = 0;
  int32_t max_demanded_reply_minutes = 0;
  int32_t min_same_category_escalations = 0;
};

struct CompiledLevelRule {
  std::string id;
  std::vector<CompiledCondition> when;
  events::v1::Level level = events::v1::LEVEL_ORDINARY;
};

struct CompiledUrgencyRule {
  std::string id;
  std::string code;
  std::vector<CompiledCondition> when;
};

struct Leaf {
  intake::v1::TaxonomyLeaf proto;
  int business = 0;  // index into CompiledConfig::businesses
};

struct CompiledTerm {
  int leaf = 0;
  int weight = 0;
};

struct ProductVote {
  int leaf = 0;
  int weight = 0;
};

// A validated, compiled classifier configuration. Immutable.
struct CompiledConfig {
  std::string version;
  Normalizer normalizer;

  std::vector<CompiledPattern> patterns;  // index = index in `set`
  std::unique_ptr<RE2::Set> set;

  std::vector<CompiledSignal> signals;
  std::vector<int> signal_order;  // suppressors before the signals they suppress
  std::u32string clause_delimiters;
  int negation_window = 6;
  std::vector<std::pair<char32_t, char32_t>> quotes;

  std::vector<int> loss_context_signals;
  std::vector<std::pair<int, int>> reply_times;  // signal, minutes

  std::vector<CompiledLevelRule> level_rules;
  std::vector<CompiledUrgencyRule> urgency_rules;

  std::vector<std::string> businesses;  // first segments, in order of first appearance
  std::vector<Leaf> leaves;
  absl::flat_hash_map<std::string, int> leaf_index;   // code -> leaf
  absl::flat_hash_map<std::string, int> alias_index;  // old code -> leaf
  std::vector<CompiledTerm> terms;
  absl::flat_hash_map<std::string, std::vector<ProductVote>> product_votes;
  int category_min_score = 1;
  int fallback_leaf = 0;
};

// Parses, validates and compiles. Every problem found is reported, one a line, each naming its
// file and line: "classifier.textproto:123: signal `threat.media` regex 4: missing )".
absl::StatusOr<std::unique_ptr<const CompiledConfig>> CompileConfig(const ConfigTexts& texts);

}  // namespace complaints::classifier
