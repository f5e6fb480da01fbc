#include "services/intake/classifier/corpus.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace complaints::classifier {

absl::StatusOr<std::vector<CorpusCase>> ParseCorpus(const std::string& name,
                                                    const std::string& content) {
  std::vector<CorpusCase> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(name + ":" + std::to_string(line_number) + ": " + what);
    };
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(" | ", 5));
    if (f.size() != 6) return bad("expected 6 fields separated by \" | \"");
    CorpusCase c;
    c.line = line_number;
    static const std::pair<const char*, events::v1::Channel> kChannels[] = {
        {"phone", events::v1::CHANNEL_PHONE},         {"branch", events::v1::CHANNEL_BRANCH},
        {"online", events::v1::CHANNEL_ONLINE},       {"regulator", events::v1::CHANNEL_REGULATOR},
        {"media", events::v1::CHANNEL_MEDIA},         {"head_office", events::v1::CHANNEL_HEAD_OFFICE}};
    bool channel_ok = false;
    for (const auto& [n, ch] : kChannels) {
      if (f[0] == n) c.channel = ch, channel_ok = true;
    }
    if (!channel_ok) return bad("unknown channel " + f[0]);
    if (f[1] == "O") {
      c.level = events::v1::LEVEL_ORDINARY;
    } else if (f[1] == "M") {
      c.level = events::v1::LEVEL_MAJOR;
    } else if (f[1] == "E") {
      c.level = events::v1::LEVEL_ESCALATED;
    } else {
      return bad("unknown level " + f[1]);
    }
    if (f[2] != "-") {
      for (absl::string_view r : absl::StrSplit(f[2], ',')) {
        if (r == "T") c.reasons.push_back("threat_to_escalate");
        else if (r == "P") c.reasons.push_back("prior_escalation_and_urgent");
        else if (r == "R") c.reasons.push_back("repeat_3plus");
        else if (r == "A") c.reasons.push_back("agent_flagged");
        else return bad("unknown reason " + std::string(r));
      }
    }
    c.business = f[3];
    if (f[4] != "-") {
      for (absl::string_view kv : absl::StrSplit(f[4], ';')) {
        const std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
        if (p.first == "hist_same") {
          if (!absl::SimpleAtoi(p.second, &c.history.same_category_before)) return bad("hist_same");
        } else if (p.first == "hist_esc") {
          // The corpus's escalations are of the issue the text is about.
          if (!absl::SimpleAtoi(p.second, &c.history.prior_escalations)) return bad("hist_esc");
          c.history.same_category_escalations = c.history.prior_escalations;
        } else if (p.first == "agent") {
          c.agent_reason = p.second;
        } else if (p.first == "product") {
          c.product = p.second;
        } else {
          return bad("unknown extra " + p.first);
        }
      }
    }
    c.text = f[5];
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace complaints::classifier
