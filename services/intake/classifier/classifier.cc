#include "services/intake/classifier/classifier.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/files.h"
#include "services/intake/classifier/amounts.h"

namespace complaints::classifier {
namespace {

using events::v1::Level;

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

bool IsAmountUnit(char32_t c) {
  return c == U'元' || c == U'块' || c == U'万' || c == U'千' || c == U'%';
}

int NumeralValue(char32_t c) {
  static constexpr std::u32string_view kNumerals = U"零一二三四五六七八九";
  if (IsDigit(c)) return static_cast<int>(c - '0');
  if (c == U'两') return 2;
  const size_t at = kNumerals.find(c);
  return at == std::u32string_view::npos ? -1 : static_cast<int>(at);
}

// The text's structure, shared by every scope check of one description.
class Layout {
 public:
  Layout(const CompiledConfig& config, const std::vector<char32_t>& cps) : cps_(cps) {
    const size_t n = cps.size();
    clause_.resize(n);
    int clause = 0;
    for (size_t i = 0; i < n; ++i) {
      clause_[i] = clause;
      if (IsDelimiter(config, i)) {
        clause_ends_.push_back(static_cast<int32_t>(i + 1));
        ++clause;
      }
    }
    clause_ends_.push_back(static_cast<int32_t>(n));
    masked_.assign(n, false);
  }

  int ClauseOf(int32_t cp) const {
    if (clause_.empty()) return 0;
    return clause_[std::min<size_t>(static_cast<size_t>(cp), clause_.size() - 1)];
  }
  int32_t ClauseEnd(int clause) const {
    return clause_ends_[std::min<size_t>(static_cast<size_t>(clause), clause_ends_.size() - 1)];
  }
  bool IsDelimiterAt(int32_t i) const {
    return i > 0 && static_cast<size_t>(i) < cps_.size() && clause_[i] != clause_[i - 1];
  }

  // Marks quoted text (unless the agent quotes the customer) and reported speech.
  void MarkQuotes(const CompiledConfig& config, const std::vector<Match>& own_speech) {
    const auto n = static_cast<int32_t>(cps_.size());
    for (int32_t i = 0; i < n; ++i) {
      for (const auto& [open, close] : config.quotes) {
        if (cps_[i] != open) continue;
        int32_t j = i + 1;
        while (j < n && cps_[j] != close) ++j;
        const bool unclosed = j >= n;
        const int32_t end = unclosed ? ClauseEnd(ClauseOf(i)) : j;
        bool own = false;
        for (const Match& cue : own_speech) {
          own = own || (cue.end <= i && i - cue.end <= 3);
        }
        if (!own) Mask(i + 1, end);
        i = unclosed ? i : j;
        break;
      }
    }
  }
  void MarkReported(const std::vector<Match>& cues) {
    for (const Match& cue : cues) {
      int clause = ClauseOf(cue.start);
      // "朋友说：…" / "朋友说，…": the words reported are in the next clause.
      if (cue.end < static_cast<int32_t>(cps_.size()) &&
          (cps_[cue.end] == ':' || IsDelimiterAt(cue.end + 1))) {
        clause = ClauseOf(cue.end + 1);
      }
      Mask(cue.start, ClauseEnd(clause));
    }
  }
  bool Masked(const Match& m) const {
    for (int32_t i = m.start; i < m.end && static_cast<size_t>(i) < masked_.size(); ++i) {
      if (masked_[i]) return true;
    }
    return false;
  }

  bool TouchesNumber(const Match& m) const {
    const auto n = static_cast<int32_t>(cps_.size());
    if (m.end <= m.start) return false;
    if (IsDigit(cps_[m.start]) && m.start > 0) {
      const char32_t prev = cps_[m.start - 1];
      if (IsDigit(prev)) return true;
      if ((prev == '.' || prev == ',') && m.start > 1 && IsDigit(cps_[m.start - 2])) return true;
    }
    if (IsDigit(cps_[m.end - 1]) && m.end < n) {
      const char32_t next = cps_[m.end];
      if (IsDigit(next) || IsAmountUnit(next)) return true;
      if ((next == '.' || next == ',') && m.end + 1 < n && IsDigit(cps_[m.end + 1])) return true;
    }
    return false;
  }

 private:
  bool IsDelimiter(const CompiledConfig& config, size_t i) const {
    const char32_t c = cps_[i];
    if (config.clause_delimiters.find(c) == std::u32string::npos) return false;
    if ((c == ',' || c == '.') && i > 0 && i + 1 < cps_.size() && IsDigit(cps_[i - 1]) &&
        IsDigit(cps_[i + 1])) {
      return false;
    }
    return true;
  }
  void Mask(int32_t from, int32_t to) {
    for (int32_t i = std::max(0, from); i < to && static_cast<size_t>(i) < masked_.size(); ++i) {
      masked_[i] = true;
    }
  }

  const std::vector<char32_t>& cps_;
  std::vector<int> clause_;
  std::vector<int32_t> clause_ends_;
  std::vector<bool> masked_;
};

bool Overlaps(const Match& a, const Match& b) { return a.start < b.end && b.start < a.end; }

// Spelled-out reply times: "两个小时内", "30分钟内", "一个半小时之内", "三天内".
void FindDurations(const std::vector<char32_t>& t, int32_t* minutes, Match* evidence) {
  const auto n = static_cast<int32_t>(t.size());
  for (int32_t i = 0; i < n; ++i) {
    if (NumeralValue(t[i]) < 0 && t[i] != U'十' && t[i] != U'半') continue;
    if (i > 0 && (NumeralValue(t[i - 1]) >= 0 || t[i - 1] == U'十')) continue;
    int32_t j = i;
    double value = 0;
    if (t[j] == U'半') {
      value = 0.5;
      ++j;
    } else {
      std::u32string numeral;
      while (j < n && (NumeralValue(t[j]) >= 0 || t[j] == U'十')) {
        numeral.push_back(IsDigit(t[j]) ? t[j] : t[j]);
        ++j;
      }
      if (IsDigit(numeral[0])) {
        for (char32_t c : numeral) value = IsDigit(c) ? value * 10 + (c - '0') : value;
      } else {
        const auto parsed = ParseChineseNumeral(numeral);
        if (!parsed.has_value()) continue;
        value = static_cast<double>(*parsed);
      }
    }
    while (j < n && t[j] == ' ') ++j;
    if (j < n && t[j] == U'个') ++j;
    if (j < n && t[j] == U'半') value += 0.5, ++j;
    int per = 0;
    const auto at = [&](std::u32string_view word) {
      return std::u32string_view(t.data() + j, std::min<size_t>(word.size(), n - j)) == word;
    };
    if (at(U"小时") || at(U"钟头")) {
      per = 60, j += 2;
    } else if (at(U"分钟")) {
      per = 1, j += 2;
    } else if (at(U"工作日")) {
      per = 1440, j += 3;
    } else if (at(U"天")) {
      per = 1440, j += 1;
    } else {
      continue;
    }
    if (j < n && t[j] == U'半') value += 0.5, ++j;
    if (at(U"之内") || at(U"以内")) {
      j += 2;
    } else if (at(U"内")) {
      j += 1;
    } else {
      continue;
    }
    const auto found = static_cast<int32_t>(value * per);
    if (found > 0 && (*minutes == 0 || found < *minutes)) {
      *minutes = found;
      *evidence = {i, j};
    }
  }
}

void AddEvidence(const Match& m, const std::string& signal,
                 google::protobuf::RepeatedPtrField<events::v1::Evidence>* out) {
  for (const auto& e : *out) {
    if (e.start() == m.start && e.end() == m.end && e.signal() == signal) return;
  }
  auto* e = out->Add();
  e->set_start(m.start);
  e->set_end(m.end);
  e->set_signal(signal);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Classifier>> Classifier::FromTexts(const ConfigTexts& texts) {
  auto config = CompileConfig(texts);
  if (!config.ok()) return config.status();
  return std::make_shared<const Classifier>(*std::move(config));
}

absl::StatusOr<std::shared_ptr<const Classifier>> Classifier::Load(const ClassifierPaths& paths) {
  ConfigTexts texts;
  const auto base = [](const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  };
  for (auto [path, name, text] :
       {std::tuple{&paths.config, &texts.config_name, &texts.config},
        std::tuple{&paths.taxonomy, &texts.taxonomy_name, &texts.taxonomy},
        std::tuple{&paths.t2s, &texts.t2s_name, &texts.t2s}}) {
    auto read = common::ReadFile(*path);
    if (!read.ok()) return read.status();
    *name = base(*path);
    *text = *std::move(read);
  }
  return FromTexts(texts);
}

bool Classifier::KnownCategory(std::string_view code) const {
  return !CanonicalCategory(code).empty();
}

std::string Classifier::CanonicalCategory(std::string_view code) const {
  const std::string key(code);
  if (config_->leaf_index.contains(key)) return key;
  const auto it = config_->alias_index.find(key);
  if (it == config_->alias_index.end()) return "";
  return config_->leaves[it->second].proto.code();
}

Findings Classifier::Find(const ClassifierInput& input, std::vector<Match>* term_hits) const {
  const CompiledConfig& c = *config_;
  Findings f;
  f.channel = input.channel;
  f.requested_level = input.requested_level;
  f.agent_flagged = input.requested_urgency == events::v1::URGENCY_VERY_URGENT;
  f.agent_reason = std::string(input.requested_reason);
  f.signals.assign(c.signals.size(), {});
  term_hits->assign(c.terms.size(), Match{-1, -1});

  const NormalizedText text = c.normalizer.Normalize(input.description);
  std::vector<int> hits;
  c.set->Match(text.text, &hits);

  std::vector<std::vector<Match>> raw(c.signals.size());
  std::vector<Match> negation, breakers, after, reported, own;
  const re2::StringPiece whole(text.text);
  for (int index : hits) {
    const CompiledPattern& pattern = c.patterns[index];
    size_t pos = 0;
    re2::StringPiece found;
    while (pos < text.text.size()) {
      size_t start = 0;
      size_t end = 0;
      if (!pattern.literal.empty()) {
        start = text.text.find(pattern.literal, pos);
        if (start == std::string::npos) break;
        end = start + pattern.literal.size();
      } else {
        if (!pattern.re->Match(whole, pos, whole.size(), RE2::UNANCHORED, &found, 1)) break;
        start = static_cast<size_t>(found.data() - whole.data());
        end = start + found.size();
      }
      if (end == start) {
        pos = start + 1;
        continue;
      }
      const Match m{text.CodePointAt(start), text.CodePointAt(end)};
      pos = end;
      switch (pattern.kind) {
        case PatternKind::kSignal: raw[pattern.owner].push_back(m); break;
        case PatternKind::kTerm:
          if ((*term_hits)[pattern.owner].start < 0) (*term_hits)[pattern.owner] = m;
          break;
        case PatternKind::kNegationCue: negation.push_back(m); break;
        case PatternKind::kNegationBreaker: breakers.push_back(m); break;
        case PatternKind::kNegationAfterCue: after.push_back(m); break;
        case PatternKind::kReportedSpeechCue: reported.push_back(m); break;
        case PatternKind::kOwnSpeechCue: own.push_back(m); break;
      }
    }
  }

  Layout layout(c, text.code_points);
  layout.MarkQuotes(c, own);
  layout.MarkReported(reported);

  const auto negated = [&](const Match& m) {
    const int clause = layout.ClauseOf(m.start);
    for (const Match& cue : negation) {
      if (layout.ClauseOf(cue.start) != clause) continue;
      if (cue.end <= m.start) {
        if (m.start - cue.end > c.negation_window) continue;
        const bool broken = std::any_of(breakers.begin(), breakers.end(), [&](const Match& b) {
          return b.start >= cue.end && b.end <= m.start;
        });
        if (!broken) return true;
      } else if (cue.start < m.end) {
        return true;  // the cue is inside the match ("没有打过12378")
      }
    }
    for (const Match& cue : after) {
      if (layout.ClauseOf(cue.start) == clause && cue.start >= m.end &&
          cue.start - m.end <= c.negation_window) {
        return true;
      }
    }
    return false;
  };

  for (int s : c.signal_order) {
    const CompiledSignal& signal = c.signals[s];
    for (const Match& m : raw[s]) {
      if (signal.digit_bounded && layout.TouchesNumber(m)) continue;
      if (signal.quotable && layout.Masked(m)) continue;
      if (signal.negatable && negated(m)) continue;
      const bool suppressed =
          std::any_of(signal.suppressed_by.begin(), signal.suppressed_by.end(), [&](int by) {
            return std::any_of(f.signals[by].begin(), f.signals[by].end(),
                               [&](const Match& other) { return Overlaps(m, other); });
          });
      if (suppressed) continue;
      const int clause = layout.ClauseOf(m.start);
      const bool continues = std::any_of(
          signal.suppressed_later_in_clause_by.begin(), signal.suppressed_later_in_clause_by.end(),
          [&](int by) {
            return std::any_of(f.signals[by].begin(), f.signals[by].end(), [&](const Match& o) {
              return o.end <= m.start && layout.ClauseOf(o.start) == clause &&
                     std::none_of(breakers.begin(), breakers.end(), [&](const Match& b) {
                       return b.start >= o.end && b.end <= m.start;
                     });
            });
          });
      if (continues) continue;
      f.signals[s].push_back(m);
    }
    std::sort(f.signals[s].begin(), f.signals[s].end(),
              [](const Match& a, const Match& b) { return a.start < b.start; });
  }

  const std::vector<Amount> amounts = FindAmounts(text.code_points);
  std::set<int> clauses_with_amount;
  for (const Amount& amount : amounts) clauses_with_amount.insert(layout.ClauseOf(amount.start));
  for (const Amount& amount : amounts) {
    const int clause = layout.ClauseOf(amount.start);
    bool loss = false;
    for (int s : c.loss_context_signals) {
      for (const Match& m : f.signals[s]) {
        // The loss may be said in the clause next to the amount ("亏损严重，约8万元"), unless that
        // clause names its own amount ("十万块存款变成了保单，退保要亏两万多": the loss is 两万).
        const int at = layout.ClauseOf(m.start);
        loss = loss || at == clause ||
               (std::abs(at - clause) == 1 && clauses_with_amount.count(at) == 0);
      }
    }
    if (loss && amount.yuan > f.max_loss_yuan) {
      f.max_loss_yuan = amount.yuan;
      f.loss_evidence = {amount.start, amount.end};
    }
  }

  for (const auto& [s, minutes] : c.reply_times) {
    if (f.signals[s].empty()) continue;
    if (f.demanded_reply_minutes == 0 || minutes < f.demanded_reply_minutes) {
      f.demanded_reply_minutes = minutes;
      f.reply_evidence = f.signals[s].front();
    }
  }
  FindDurations(text.code_points, &f.demanded_reply_minutes, &f.reply_evidence);
  return f;
}

namespace {

struct Holding {
  bool holds = false;
  std::vector<std::pair<Match, std::string>> evidence;
};

Holding Evaluate(const CompiledConfig& c, const std::vector<CompiledCondition>& when,
                 const Findings& f, const HistoryFacts& history) {
  Holding all;
  all.holds = !when.empty();
  for (const CompiledCondition& condition : when) {
    bool any = false;
    for (int s : condition.signals) {
      for (const Match& m : f.signals[s]) {
        any = true;
        all.evidence.emplace_back(m, c.signals[s].id);
      }
    }
    if (std::find(condition.channels.begin(), condition.channels.end(), f.channel) !=
        condition.channels.end()) {
      any = true;
    }
    if (condition.min_loss_yuan > 0 && f.max_loss_yuan >= condition.min_loss_yuan) {
      any = true;
      all.evidence.emplace_back(f.loss_evidence, "amount.loss");
    }
    if (condition.min_prior_escalations > 0 &&
        history.prior_escalations >= condition.min_prior_escalations) {
      any = true;
    }
    if (condition.min_same_category_escalations > 0 &&
        history.same_category_escalations >= condition.min_same_category_escalations) {
      any = true;
    }
    if (condition.min_same_category_before > 0 &&
        history.same_category_before >= condition.min_same_category_before) {
      any = true;
    }
    if (condition.max_demanded_reply_minutes > 0 && f.demanded_reply_minutes > 0 &&
        f.demanded_reply_minutes <= condition.max_demanded_reply_minutes) {
      any = true;
      all.evidence.emplace_back(f.reply_evidence, "reply_time");
    }
    if (!any) {
      all.holds = false;
      all.evidence.clear();
      return all;
    }
  }
  return all;
}

}  // namespace

void Classifier::Decide(const HistoryFacts& history, Decision* d) const {
  const CompiledConfig& c = *config_;
  const Findings& f = d->findings;
  auto& cls = d->classification;
  cls.clear_level_rules();
  cls.clear_level_evidence();
  cls.clear_urgency_reasons();
  cls.set_demanded_reply_minutes(f.demanded_reply_minutes);
  cls.set_config_version(c.version);

  Level level = f.requested_level == events::v1::LEVEL_UNSPECIFIED ? events::v1::LEVEL_ORDINARY
                                                                   : f.requested_level;
  const Level requested = level;
  std::vector<std::pair<const CompiledLevelRule*, Holding>> matched;
  for (const CompiledLevelRule& rule : c.level_rules) {
    Holding h = Evaluate(c, rule.when, f, history);
    if (!h.holds) continue;
    level = std::max(level, rule.level);
    matched.emplace_back(&rule, std::move(h));
  }
  for (const auto& [rule, holding] : matched) {
    if (rule->level != level) continue;
    cls.add_level_rules(rule->id);
    for (const auto& [m, signal] : holding.evidence) AddEvidence(m, signal, cls.mutable_level_evidence());
  }
  if (cls.level_rules().empty() && requested == level && level != events::v1::LEVEL_ORDINARY) {
    cls.add_level_rules("caller");
  }
  d->level = level;

  std::vector<std::string> codes;
  for (const CompiledUrgencyRule& rule : c.urgency_rules) {
    Holding h = Evaluate(c, rule.when, f, history);
    if (!h.holds) continue;
    auto* reason = cls.add_urgency_reasons();
    reason->set_code(rule.code);
    reason->set_rule_id(rule.id);
    for (const auto& [m, signal] : h.evidence) AddEvidence(m, signal, reason->mutable_evidence());
    if (std::find(codes.begin(), codes.end(), rule.code) == codes.end()) codes.push_back(rule.code);
  }
  if (f.agent_flagged) {
    auto* reason = cls.add_urgency_reasons();
    reason->set_code("agent_flagged");
    reason->set_rule_id("caller");
    codes.push_back("agent_flagged");
  }
  if (codes.empty()) {
    d->urgency = events::v1::URGENCY_NORMAL;
    d->urgency_reason.clear();
    return;
  }
  d->urgency = events::v1::URGENCY_VERY_URGENT;
  d->urgency_reason = "very urgent: " + absl::StrJoin(codes, ", ");
  if (f.agent_flagged && !f.agent_reason.empty()) {
    d->urgency_reason += " (agent: " + f.agent_reason + ")";
  }
}

void Classifier::ChooseCategory(const ClassifierInput& input, const std::vector<Match>& term_hits,
                                Decision* d) const {
  const CompiledConfig& c = *config_;
  auto& cls = d->classification;
  if (!input.category.empty()) {
    std::string known = CanonicalCategory(input.category);
    if (!known.empty()) {
      d->category = std::move(known);
      cls.set_category_source("caller");
      return;
    }
  }
  cls.set_category_source("inferred");
  std::vector<int> leaf_score(c.leaves.size(), 0);
  for (size_t t = 0; t < term_hits.size(); ++t) {
    if (term_hits[t].start >= 0) leaf_score[c.terms[t].leaf] += c.terms[t].weight;
  }
  if (const auto it = c.product_votes.find(std::string(input.product)); it != c.product_votes.end()) {
    for (const ProductVote& vote : it->second) leaf_score[vote.leaf] += vote.weight;
  }
  std::vector<int> business_score(c.businesses.size(), 0);
  for (size_t l = 0; l < c.leaves.size(); ++l) business_score[c.leaves[l].business] += leaf_score[l];
  int best_business = -1;
  for (size_t b = 0; b < business_score.size(); ++b) {
    if (best_business < 0 || business_score[b] > business_score[best_business]) {
      best_business = static_cast<int>(b);
    }
  }
  if (best_business < 0 || business_score[best_business] < c.category_min_score) {
    d->category = c.leaves[c.fallback_leaf].proto.code();
    cls.set_category_rule("fallback");
    return;
  }
  int best_leaf = -1;
  for (size_t l = 0; l < c.leaves.size(); ++l) {
    if (c.leaves[l].business != best_business) continue;
    if (best_leaf < 0 || leaf_score[l] > leaf_score[best_leaf]) best_leaf = static_cast<int>(l);
  }
  d->category = c.leaves[best_leaf].proto.code();
  cls.set_category_rule(d->category);
  for (size_t t = 0; t < term_hits.size(); ++t) {
    if (term_hits[t].start < 0 || c.leaves[c.terms[t].leaf].business != best_business) continue;
    AddEvidence(term_hits[t], "category:" + c.leaves[c.terms[t].leaf].proto.code(),
                cls.mutable_category_evidence());
  }
}

Decision Classifier::Classify(const ClassifierInput& input) const {
  Decision d;
  std::vector<Match> term_hits;
  d.findings = Find(input, &term_hits);
  ChooseCategory(input, term_hits, &d);
  Decide(HistoryFacts{}, &d);
  return d;
}

void Classifier::ApplyHistory(const HistoryFacts& history, Decision* decision) const {
  const Level before_level = decision->level;
  const bool was_urgent = decision->urgency == events::v1::URGENCY_VERY_URGENT;
  Decide(history, decision);
  // History only adds: never lower what was decided without it.
  decision->level = std::max(decision->level, before_level);
  if (was_urgent) decision->urgency = events::v1::URGENCY_VERY_URGENT;
}

absl::StatusOr<std::unique_ptr<ClassifierHolder>> ClassifierHolder::Create(ClassifierPaths paths) {
  auto loaded = Classifier::Load(paths);
  if (!loaded.ok()) return loaded.status();
  return std::make_unique<ClassifierHolder>(std::move(paths), *std::move(loaded));
}

std::shared_ptr<const Classifier> ClassifierHolder::Get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

absl::Status ClassifierHolder::Reload() {
  auto loaded = Classifier::Load(paths_);
  if (!loaded.ok()) return loaded.status();
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = *std::move(loaded);
  return absl::OkStatus();
}

}  // namespace complaints::classifier
