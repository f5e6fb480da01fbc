#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/events/v1/complaint.pb.h"
#include "services/intake/classifier/compiled_config.h"

namespace complaints::classifier {

// What intake knows of a complaint when it classifies it.
struct ClassifierInput {
  events::v1::Channel channel = events::v1::CHANNEL_UNSPECIFIED;
  events::v1::Level requested_level = events::v1::LEVEL_UNSPECIFIED;  // the agent's; never lowered
  events::v1::Urgency requested_urgency = events::v1::URGENCY_UNSPECIFIED;
  std::string_view requested_reason = {};
  std::string_view description = {};
  std::string_view category = {};  // the caller's, may be empty (or unknown: then inferred)
  std::string_view product = {};
};

// From the customer's history (built by intake from its store).
struct HistoryFacts {
  int same_category_before = 0;  // complaints of the decided category in the window, before this
  int prior_escalations = 0;     // complaints of theirs escalated before
  int same_category_escalations = 0;  // of those, complaints of the decided category
};

// A surviving match: [start, end) in code points of the description.
struct Match {
  int32_t start = 0;
  int32_t end = 0;
};

// What the text said, kept with the decision so that history can be applied afterwards.
struct Findings {
  std::vector<std::vector<Match>> signals;  // by signal index, surviving matches
  int64_t max_loss_yuan = 0;
  Match loss_evidence;
  int32_t demanded_reply_minutes = 0;
  Match reply_evidence;
  events::v1::Channel channel = events::v1::CHANNEL_UNSPECIFIED;
  events::v1::Level requested_level = events::v1::LEVEL_UNSPECIFIED;
  bool agent_flagged = false;
  std::string agent_reason;
};

struct Decision {
  events::v1::Level level = events::v1::LEVEL_ORDINARY;
  events::v1::Urgency urgency = events::v1::URGENCY_NORMAL;
  std::string category;
  // One readable line naming the reason codes (never text copied from the description).
  std::string urgency_reason;
  events::v1::Classification classification;
  Findings findings;
};

// Where the classifier's files are.
struct ClassifierPaths {
  std::string config;    // deploy/classifier/classifier.textproto
  std::string taxonomy;  // deploy/classifier/taxonomy.textproto
  std::string t2s;       // deploy/classifier/t2s.tsv
};

// Intake's judgement of a complaint: level, very-urgent reasons and category, from the rules of
// a validated configuration (see services/intake/README.md, "Classification"). Pure and
// thread-safe: one instance serves every call.
class Classifier {
 public:
  static absl::StatusOr<std::shared_ptr<const Classifier>> Load(const ClassifierPaths& paths);
  static absl::StatusOr<std::shared_ptr<const Classifier>> FromTexts(const ConfigTexts& texts);

  Decision Classify(const ClassifierInput& input) const;
  // Re-decides level and urgency with what the customer's history says (never lowering).
  void ApplyHistory(const HistoryFacts& history, Decision* decision) const;

  // A leaf of the taxonomy, or an alias of one.
  bool KnownCategory(std::string_view code) const;
  // The leaf a known code stands for (itself, or its alias's target); empty if unknown.
  std::string CanonicalCategory(std::string_view code) const;
  const std::string& version() const { return config_->version; }
  const CompiledConfig& config() const { return *config_; }

  explicit Classifier(std::unique_ptr<const CompiledConfig> config) : config_(std::move(config)) {}

 private:
  Findings Find(const ClassifierInput& input, std::vector<Match>* term_hits) const;
  void Decide(const HistoryFacts& history, Decision* decision) const;
  void ChooseCategory(const ClassifierInput& input, const std::vector<Match>& term_hits,
                      Decision* decision) const;

  std::unique_ptr<const CompiledConfig> config_;
};

// The current classifier, swapped on reload. Thread-safe.
class ClassifierHolder {
 public:
  // Loads `paths`; a bad configuration fails (at start-up, where that is bad configuration).
  static absl::StatusOr<std::unique_ptr<ClassifierHolder>> Create(ClassifierPaths paths);
  explicit ClassifierHolder(ClassifierPaths paths, std::shared_ptr<const Classifier> current)
      : paths_(std::move(paths)), current_(std::move(current)) {}

  std::shared_ptr<const Classifier> Get() const;
  // Reloads the files. On any problem the current classifier stays and the error (every
  // problem with its file line) is returned.
  absl::Status Reload();

 private:
  const ClassifierPaths paths_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Classifier> current_;
};

}  // namespace complaints::classifier
