#include "services/intake/classifier/compiled_config.h"

#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "libs/common/textproto.h"
#include "libs/common/config_problems.h"

namespace complaints::classifier {
namespace {

using google::protobuf::TextFormat;
using intake::v1::ClassifierConfig;
using intake::v1::Taxonomy;
using Tree = TextFormat::ParseInfoTree;

std::string NormalizePattern(const Normalizer& normalizer, std::string_view pattern) {
  std::string out;
  for (char32_t c : DecodeUtf8(pattern)) AppendUtf8(normalizer.Map(c), &out);
  return out;
}

// Whether case-insensitive matching could pair `c` with another code point. Conservative: only
// ASCII non-letters, general punctuation and the CJK blocks are known caseless.
bool HasCase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  const bool caseless = (c >= 0x2000 && c <= 0x206F) ||  // general punctuation
                        (c >= 0x2E80 && c <= 0x9FFF) ||  // CJK radicals .. unified ideographs
                        (c >= 0xF900 && c <= 0xFAFF) ||  // CJK compatibility ideographs
                        (c >= 0xFE30 && c <= 0xFE4F) ||  // CJK compatibility forms
                        (c >= 0x20000 && c <= 0x3FFFF);  // CJK extensions
  return !caseless;
}

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(64 << 20);
  return options;
}

bool IsLeafCode(std::string_view code) {
  const size_t dot = code.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == code.size()) return false;
  if (code.find('.', dot + 1) != std::string_view::npos) return false;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || i == dot;
    if (!ok) return false;
  }
  return code[0] >= 'a' && code[0] <= 'z' && code[dot + 1] >= 'a' && code[dot + 1] <= 'z';
}

class Compiler {
 public:
  Compiler(const ConfigTexts& texts, CompiledConfig* out) : texts_(texts), out_(out) {}

  absl::Status Run() {
    auto normalizer = Normalizer::FromTsv(texts_.t2s_name, texts_.t2s);
    if (!normalizer.ok()) return normalizer.status();
    out_->normalizer = *std::move(normalizer);

    if (auto s = common::ParseTextProto(texts_.taxonomy_name, texts_.taxonomy, &taxonomy_,
                                        &taxonomy_tree_);
        !s.ok()) {
      return s;
    }
    if (auto s = common::ParseTextProto(texts_.config_name, texts_.config, &config_,
                                        &config_tree_);
        !s.ok()) {
      return s;
    }
    out_->set = std::make_unique<RE2::Set>(PatternOptions(), RE2::UNANCHORED);
    CompileTaxonomy();
    CompileScoping();
    CompileMacros();
    CompileSignals();
    CompileRules();
    CompileCategories();
    if (!problems_.empty()) return problems_.ToStatus();
    if (!out_->set->Compile()) {
      return absl::InvalidArgumentError(
          texts_.config_name + ": the patterns do not compile into one set (too many or too large)");
    }
    return absl::OkStatus();
  }

 private:
  // --- locations -------------------------------------------------------------------------
  int Line(const Tree* tree, const google::protobuf::Message& m, std::string_view field,
           int index = -1) {
    return common::TextProtoLine(tree, m, field, index);
  }
  const Tree* Nested(const Tree* tree, const google::protobuf::Message& m, std::string_view field,
                     int index = -1) {
    return common::TextProtoNested(tree, m, field, index);
  }
  void ConfigProblem(int line, const std::string& what) {
    problems_.Add(texts_.config_name, line, what);
  }
  void TaxonomyProblem(int line, const std::string& what) {
    problems_.Add(texts_.taxonomy_name, line, what);
  }

  // --- patterns --------------------------------------------------------------------------
  // Adds a pattern to the set; a problem (at `line`, prefixed by `where`) when it is bad.
  bool AddPattern(PatternKind kind, int owner, const std::string& pattern, bool is_regex,
                  int line, const std::string& where) {
    if (pattern.empty()) {
      ConfigProblem(line, where + ": empty pattern");
      return false;
    }
    std::string expanded = pattern;
    if (is_regex) {
      if (!ExpandMacros(&expanded, line, where)) return false;
    }
    std::string normalized = NormalizePattern(out_->normalizer, expanded);
    if (!is_regex) normalized = RE2::QuoteMeta(normalized);
    auto re = std::make_unique<RE2>(normalized, PatternOptions());
    if (!re->ok()) {
      ConfigProblem(line, where + ": bad regex: " + re->error());
      return false;
    }
    if (is_regex && re->Match("", 0, 0, RE2::UNANCHORED, nullptr, 0)) {
      ConfigProblem(line, where + ": regex matches the empty string");
      return false;
    }
    std::string error;
    const int index = out_->set->Add(normalized, &error);
    if (index < 0) {
      ConfigProblem(line, where + ": bad regex: " + error);
      return false;
    }
    out_->patterns.push_back({kind, owner, std::move(re), is_regex ? "" : PlainLiteral(expanded)});
    return true;
  }

  // The normalized literal, if its matches do not depend on case: no code point has a case
  // (RE2's case folding also pairs ASCII letters with a few others, such as K and the Kelvin
  // sign). Empty otherwise.
  std::string PlainLiteral(const std::string& literal) const {
    std::string out;
    for (char32_t c : DecodeUtf8(literal)) {
      const char32_t mapped = out_->normalizer.Map(c);
      if (HasCase(mapped)) return "";
      AppendUtf8(mapped, &out);
    }
    return out;
  }

  bool ExpandMacros(std::string* pattern, int line, const std::string& where) {
    for (int guard = 0; guard < 16; ++guard) {
      const size_t open = pattern->find("{{");
      if (open == std::string::npos) return true;
      const size_t close = pattern->find("}}", open);
      if (close == std::string::npos) {
        ConfigProblem(line, where + ": unclosed {{");
        return false;
      }
      const std::string name = pattern->substr(open + 2, close - open - 2);
      const auto it = macros_.find(name);
      if (it == macros_.end()) {
        ConfigProblem(line, where + ": unknown macro {{" + name + "}}");
        return false;
      }
      pattern->replace(open, close + 2 - open, "(?:" + it->second + ")");
    }
    ConfigProblem(line, where + ": macros nested too deep");
    return false;
  }

  // --- sections --------------------------------------------------------------------------
  void CompileTaxonomy() {
    if (taxonomy_.version().empty()) TaxonomyProblem(0, "no `version`");
    if (taxonomy_.leaf().empty()) TaxonomyProblem(0, "no `leaf`");
    absl::flat_hash_map<std::string, int> business_index;
    for (int i = 0; i < taxonomy_.leaf_size(); ++i) {
      const auto& leaf = taxonomy_.leaf(i);
      const int line = Line(&taxonomy_tree_, taxonomy_, "leaf", i);
      const std::string where = "leaf `" + leaf.code() + "`";
      if (!IsLeafCode(leaf.code())) {
        TaxonomyProblem(line, where + ": code must be <business>.<cause> in lower-case ASCII");
        continue;
      }
      if (leaf.label().empty() || leaf.jrt_business().empty() || leaf.jrt_cause().empty()) {
        TaxonomyProblem(line, where + ": needs label, jrt_business and jrt_cause");
      }
      if (out_->leaf_index.contains(leaf.code())) {
        TaxonomyProblem(line, where + ": duplicate code");
        continue;
      }
      const std::string business = leaf.code().substr(0, leaf.code().find('.'));
      auto [it, added] =
          business_index.emplace(business, static_cast<int>(out_->businesses.size()));
      if (added) out_->businesses.push_back(business);
      out_->leaf_index[leaf.code()] = static_cast<int>(out_->leaves.size());
      out_->leaves.push_back({leaf, it->second});
    }
    for (int i = 0; i < taxonomy_.alias_size(); ++i) {
      const auto& alias = taxonomy_.alias(i);
      const int line = Line(&taxonomy_tree_, taxonomy_, "alias", i);
      const std::string where = "alias `" + alias.from() + "`";
      if (alias.from().empty()) TaxonomyProblem(line, "alias with an empty `from`");
      if (out_->leaf_index.contains(alias.from())) {
        TaxonomyProblem(line, where + ": is a leaf code already");
      } else if (out_->alias_index.contains(alias.from())) {
        TaxonomyProblem(line, where + ": duplicate alias");
      }
      const auto to = out_->leaf_index.find(alias.to());
      if (to == out_->leaf_index.end()) {
        TaxonomyProblem(line, where + ": unknown category `" + alias.to() + "`");
        continue;
      }
      out_->alias_index[alias.from()] = to->second;
    }
  }

  void CompileScoping() {
    if (config_.version().empty()) ConfigProblem(0, "no `version`");
    out_->version = config_.version();
    const auto& scoping = config_.scoping();
    const Tree* tree = Nested(&config_tree_, config_, "scoping");
    const int scoping_line = Line(&config_tree_, config_, "scoping");
    out_->clause_delimiters.clear();
    for (char32_t c : DecodeUtf8(scoping.clause_delimiters())) {
      out_->clause_delimiters.push_back(out_->normalizer.Map(c));
    }
    if (out_->clause_delimiters.empty()) {
      ConfigProblem(scoping_line, "scoping: `clause_delimiters` is empty");
    }
    if (scoping.negation_window() <= 0) {
      ConfigProblem(Line(tree, scoping, "negation_window"),
                    "scoping: `negation_window` must be > 0");
    }
    out_->negation_window = scoping.negation_window();
    const auto cues = [&](std::string_view field, PatternKind kind,
                          const google::protobuf::RepeatedPtrField<std::string>& list) {
      for (int i = 0; i < list.size(); ++i) {
        AddPattern(kind, i, list[i], false, Line(tree, scoping, field, i),
                   absl::StrCat("scoping: ", std::string(field), " ", i + 1));
      }
    };
    cues("negation_cue", PatternKind::kNegationCue, scoping.negation_cue());
    cues("negation_breaker", PatternKind::kNegationBreaker, scoping.negation_breaker());
    cues("negation_after_cue", PatternKind::kNegationAfterCue, scoping.negation_after_cue());
    cues("reported_speech_cue", PatternKind::kReportedSpeechCue, scoping.reported_speech_cue());
    cues("own_speech_cue", PatternKind::kOwnSpeechCue, scoping.own_speech_cue());
    for (int i = 0; i < scoping.quote_size(); ++i) {
      const auto open = DecodeUtf8(scoping.quote(i).open());
      const auto close = DecodeUtf8(scoping.quote(i).close());
      if (open.size() != 1 || close.size() != 1) {
        ConfigProblem(Line(tree, scoping, "quote", i),
                      absl::StrCat("scoping: quote ", i + 1, ": open and close must be one code point each"));
        continue;
      }
      out_->quotes.emplace_back(out_->normalizer.Map(open[0]), out_->normalizer.Map(close[0]));
    }
  }

  void CompileMacros() {
    for (int i = 0; i < config_.macro_size(); ++i) {
      const auto& macro = config_.macro(i);
      const int line = Line(&config_tree_, config_, "macro", i);
      const std::string where = "macro `" + macro.name() + "`";
      if (macro.name().empty() || macro.pattern().empty()) {
        ConfigProblem(line, where + ": needs a name and a pattern");
        continue;
      }
      if (macros_.contains(macro.name())) {
        ConfigProblem(line, where + ": duplicate name");
        continue;
      }
      std::string pattern = macro.pattern();
      if (!ExpandMacros(&pattern, line, where)) continue;
      RE2 re(NormalizePattern(out_->normalizer, pattern), PatternOptions());
      if (!re.ok()) {
        ConfigProblem(line, where + ": bad regex: " + re.error());
        continue;
      }
      macros_[macro.name()] = pattern;
    }
  }

  void CompileSignals() {
    for (int i = 0; i < config_.signal_size(); ++i) {
      const auto& signal = config_.signal(i);
      const int line = Line(&config_tree_, config_, "signal", i);
      if (signal.id().empty()) {
        ConfigProblem(line, absl::StrCat("signal ", i + 1, ": no `id`"));
      } else if (signal_index_.contains(signal.id())) {
        ConfigProblem(line, "signal `" + signal.id() + "`: duplicate id");
      }
      signal_index_.emplace(signal.id(), i);
      out_->signals.push_back({signal.id(), signal.negatable(), signal.quotable(),
                               signal.digit_bounded(), {}});
    }
    for (int i = 0; i < config_.signal_size(); ++i) {
      const auto& signal = config_.signal(i);
      const Tree* tree = Nested(&config_tree_, config_, "signal", i);
      const int line = Line(&config_tree_, config_, "signal", i);
      const std::string where = "signal `" + signal.id() + "`";
      if (signal.literal().empty() && signal.regex().empty()) {
        ConfigProblem(line, where + ": no `literal` or `regex`");
      }
      for (int k = 0; k < signal.literal_size(); ++k) {
        AddPattern(PatternKind::kSignal, i, signal.literal(k), false,
                   Line(tree, signal, "literal", k), absl::StrCat(where, " literal ", k + 1));
      }
      for (int k = 0; k < signal.regex_size(); ++k) {
        AddPattern(PatternKind::kSignal, i, signal.regex(k), true, Line(tree, signal, "regex", k),
                   absl::StrCat(where, " regex ", k + 1));
      }
      for (int k = 0; k < signal.suppressed_by_size(); ++k) {
        const auto it = signal_index_.find(signal.suppressed_by(k));
        const int at = Line(tree, signal, "suppressed_by", k);
        if (it == signal_index_.end()) {
          ConfigProblem(at, where + ": suppressed_by unknown signal `" + signal.suppressed_by(k) + "`");
        } else if (it->second == i) {
          ConfigProblem(at, where + ": suppressed_by itself");
        } else {
          out_->signals[i].suppressed_by.push_back(it->second);
        }
      }
      for (int k = 0; k < signal.suppressed_later_in_clause_by_size(); ++k) {
        const auto it = signal_index_.find(signal.suppressed_later_in_clause_by(k));
        const int at = Line(tree, signal, "suppressed_later_in_clause_by", k);
        if (it == signal_index_.end()) {
          ConfigProblem(at, where + ": suppressed_later_in_clause_by unknown signal `" +
                                signal.suppressed_later_in_clause_by(k) + "`");
        } else if (it->second == i) {
          ConfigProblem(at, where + ": suppressed_later_in_clause_by itself");
        } else {
          out_->signals[i].suppressed_later_in_clause_by.push_back(it->second);
        }
      }
    }
    // Suppressors first; a cycle is a problem.
    std::vector<int> state(out_->signals.size(), 0);  // 0 new, 1 visiting, 2 done
    std::function<bool(int)> visit = [&](int s) {
      if (state[s] == 2) return true;
      if (state[s] == 1) return false;
      state[s] = 1;
      for (int by : out_->signals[s].suppressed_by) {
        if (!visit(by)) return false;
      }
      for (int by : out_->signals[s].suppressed_later_in_clause_by) {
        if (!visit(by)) return false;
      }
      state[s] = 2;
      out_->signal_order.push_back(s);
      return true;
    };
    for (int s = 0; s < static_cast<int>(out_->signals.size()); ++s) {
      if (!visit(s)) {
        ConfigProblem(Line(&config_tree_, config_, "signal", s),
                      "signal `" + out_->signals[s].id + "`: suppressed_by forms a cycle");
        return;
      }
    }
  }

  int SignalRef(const std::string& id, int line, const std::string& where) {
    const auto it = signal_index_.find(id);
    if (it == signal_index_.end()) {
      ConfigProblem(line, where + ": unknown signal `" + id + "`");
      return -1;
    }
    return it->second;
  }

  std::vector<CompiledCondition> Conditions(
      const google::protobuf::RepeatedPtrField<intake::v1::Condition>& when, const Tree* tree,
      const google::protobuf::Message& rule, int rule_line, const std::string& where) {
    std::vector<CompiledCondition> out;
    if (when.empty()) ConfigProblem(rule_line, where + ": no `when`");
    for (int c = 0; c < when.size(); ++c) {
      const auto& condition = when[c];
      const Tree* ctree = Nested(tree, rule, "when", c);
      const int line = Line(tree, rule, "when", c);
      const std::string cwhere = absl::StrCat(where, " when ", c + 1);
      CompiledCondition compiled;
      for (int k = 0; k < condition.signal_size(); ++k) {
        const int s = SignalRef(condition.signal(k), Line(ctree, condition, "signal", k), cwhere);
        if (s >= 0) compiled.signals.push_back(s);
      }
      for (int channel : condition.channel()) {
        if (channel == events::v1::CHANNEL_UNSPECIFIED) {
          ConfigProblem(line, cwhere + ": CHANNEL_UNSPECIFIED");
        }
        compiled.channels.push_back(static_cast<events::v1::Channel>(channel));
      }
      compiled.min_loss_yuan = condition.min_loss_yuan();
      compiled.min_prior_escalations = condition.min_prior_escalations();
      compiled.min_same_category_before = condition.min_same_category_before();
      compiled.max_demanded_reply_minutes = condition.max_demanded_reply_minutes();
      compiled.min_same_category_escalations = condition.min_same_category_escalations();
      if (compiled.signals.empty() && compiled.channels.empty() && compiled.min_loss_yuan <= 0 &&
          compiled.min_prior_escalations <= 0 && compiled.min_same_category_before <= 0 &&
          compiled.min_same_category_escalations <= 0 &&
          compiled.max_demanded_reply_minutes <= 0 && condition.signal().empty()) {
        ConfigProblem(line, cwhere + ": an empty condition");
      }
      out.push_back(std::move(compiled));
    }
    return out;
  }

  void CompileRules() {
    const Tree* amounts_tree = Nested(&config_tree_, config_, "amounts");
    for (int k = 0; k < config_.amounts().loss_context_signal_size(); ++k) {
      const int s = SignalRef(config_.amounts().loss_context_signal(k),
                              Line(amounts_tree, config_.amounts(), "loss_context_signal", k),
                              "amounts");
      if (s >= 0) out_->loss_context_signals.push_back(s);
    }
    for (int i = 0; i < config_.reply_time_size(); ++i) {
      const auto& reply = config_.reply_time(i);
      const int line = Line(&config_tree_, config_, "reply_time", i);
      const int s = SignalRef(reply.signal(), line, absl::StrCat("reply_time ", i + 1));
      if (reply.minutes() <= 0) {
        ConfigProblem(line, absl::StrCat("reply_time ", i + 1, ": `minutes` must be > 0"));
      }
      if (s >= 0) out_->reply_times.emplace_back(s, reply.minutes());
    }
    std::set<std::string> ids;
    for (int i = 0; i < config_.level_rule_size(); ++i) {
      const auto& rule = config_.level_rule(i);
      const int line = Line(&config_tree_, config_, "level_rule", i);
      const std::string where = "level_rule `" + rule.id() + "`";
      if (rule.id().empty()) ConfigProblem(line, where + ": no `id`");
      if (!ids.insert(rule.id()).second) ConfigProblem(line, where + ": duplicate id");
      if (rule.level() == events::v1::LEVEL_UNSPECIFIED) {
        ConfigProblem(line, where + ": no `level`");
      }
      out_->level_rules.push_back(
          {rule.id(),
           Conditions(rule.when(), Nested(&config_tree_, config_, "level_rule", i), rule, line,
                      where),
           rule.level()});
    }
    for (int i = 0; i < config_.urgency_rule_size(); ++i) {
      const auto& rule = config_.urgency_rule(i);
      const int line = Line(&config_tree_, config_, "urgency_rule", i);
      const std::string where = "urgency_rule `" + rule.id() + "`";
      if (rule.id().empty()) ConfigProblem(line, where + ": no `id`");
      if (!ids.insert(rule.id()).second) ConfigProblem(line, where + ": duplicate id");
      if (rule.code().empty()) ConfigProblem(line, where + ": no `code`");
      out_->urgency_rules.push_back(
          {rule.id(), rule.code(),
           Conditions(rule.when(), Nested(&config_tree_, config_, "urgency_rule", i), rule, line,
                      where)});
    }
  }

  int LeafRef(const std::string& code, int line, const std::string& where) {
    const auto it = out_->leaf_index.find(code);
    if (it == out_->leaf_index.end()) {
      ConfigProblem(line, where + ": unknown category `" + code + "`");
      return -1;
    }
    return it->second;
  }

  void CompileCategories() {
    for (int i = 0; i < config_.category_rule_size(); ++i) {
      const auto& rule = config_.category_rule(i);
      const Tree* tree = Nested(&config_tree_, config_, "category_rule", i);
      const int line = Line(&config_tree_, config_, "category_rule", i);
      const std::string where = "category_rule `" + rule.category() + "`";
      const int leaf = LeafRef(rule.category(), line, where);
      if (rule.term().empty()) ConfigProblem(line, where + ": no `term`");
      for (int k = 0; k < rule.term_size(); ++k) {
        const auto& term = rule.term(k);
        const int tline = Line(tree, rule, "term", k);
        const std::string twhere = absl::StrCat(where, " term ", k + 1);
        if (term.literal().empty() == term.regex().empty()) {
          ConfigProblem(tline, twhere + ": exactly one of `literal` and `regex`");
          continue;
        }
        if (term.weight() <= 0) {
          ConfigProblem(tline, twhere + ": `weight` must be > 0");
          continue;
        }
        const int index = static_cast<int>(out_->terms.size());
        const bool is_regex = !term.regex().empty();
        if (AddPattern(PatternKind::kTerm, index, is_regex ? term.regex() : term.literal(),
                       is_regex, tline, twhere)) {
          out_->terms.push_back({leaf < 0 ? 0 : leaf, term.weight()});
        }
      }
    }
    for (int i = 0; i < config_.product_hint_size(); ++i) {
      const auto& hint = config_.product_hint(i);
      const int line = Line(&config_tree_, config_, "product_hint", i);
      const std::string where = "product_hint `" + hint.product() + "`";
      if (hint.product().empty()) ConfigProblem(line, where + ": no `product`");
      if (hint.weight() <= 0) ConfigProblem(line, where + ": `weight` must be > 0");
      const int leaf = LeafRef(hint.category(), line, where);
      if (leaf >= 0) out_->product_votes[hint.product()].push_back({leaf, hint.weight()});
    }
    const auto& choice = config_.category_choice();
    const int line = Line(&config_tree_, config_, "category_choice");
    out_->category_min_score = choice.min_score();
    if (choice.min_score() <= 0) ConfigProblem(line, "category_choice: `min_score` must be > 0");
    const int fallback = LeafRef(choice.fallback(), line, "category_choice fallback");
    out_->fallback_leaf = fallback < 0 ? 0 : fallback;
  }

  const ConfigTexts& texts_;
  CompiledConfig* out_;
  ClassifierConfig config_;
  Tree config_tree_;
  Taxonomy taxonomy_;
  Tree taxonomy_tree_;
  common::ConfigProblems problems_;
  absl::flat_hash_map<std::string, std::string> macros_;
  absl::flat_hash_map<std::string, int> signal_index_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<const CompiledConfig>> CompileConfig(const ConfigTexts& texts) {
  auto out = std::make_unique<CompiledConfig>();
  Compiler compiler(texts, out.get());
  if (auto s = compiler.Run(); !s.ok()) return s;
  return std::unique_ptr<const CompiledConfig>(std::move(out));
}

}  // namespace complaints::classifier
