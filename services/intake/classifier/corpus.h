#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/intake/classifier/classifier.h"

namespace complaints::classifier {

// One labelled case of tests/classifier/*.tsv (format in heldout.tsv's header).
struct CorpusCase {
  int line = 0;
  events::v1::Channel channel = events::v1::CHANNEL_PHONE;
  events::v1::Level level = events::v1::LEVEL_ORDINARY;
  std::vector<std::string> reasons;  // full reason codes; empty: not very urgent
  std::string business;
  HistoryFacts history;
  std::string agent_reason;  // non-empty: the agent flagged it very urgent
  std::string product;
  std::string text;
};

absl::StatusOr<std::vector<CorpusCase>> ParseCorpus(const std::string& name,
                                                    const std::string& content);

}  // namespace complaints::classifier
