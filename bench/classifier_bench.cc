// Intake's classifier alone, on one core: texts per second over the labelled corpus repeated.
//   nice build/bench/classifier_bench [rounds]
// Uses the shipped deploy/classifier/ files and tests/classifier/*.tsv.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "libs/common/files.h"
#include "services/intake/classifier/classifier.h"
#include "services/intake/classifier/corpus.h"

using complaints::classifier::Classifier;
using complaints::classifier::ClassifierInput;
using complaints::classifier::CorpusCase;

int main(int argc, char** argv) {
  // --dump: each text's whole decision, one line each, in place of the timing; two dumps diffed
  // show what a change of the config or of the matching code changed.
  const bool dump = argc > 1 && std::string(argv[1]) == "--dump";
  const int rounds = argc > 1 && !dump ? std::atoi(argv[1]) : 200;
  const std::string dir = COMPLAINTS_SOURCE_DIR;
  auto classifier = Classifier::Load({dir + "/deploy/classifier/classifier.textproto",
                                      dir + "/deploy/classifier/taxonomy.textproto",
                                      dir + "/deploy/classifier/t2s.tsv"});
  if (!classifier.ok()) {
    std::fprintf(stderr, "%s\n", std::string(classifier.status().message()).c_str());
    return 1;
  }
  std::vector<CorpusCase> cases;
  for (const char* file : dump ? std::vector<const char*>{"dev.tsv", "heldout.tsv", "probe.tsv"}
                              : std::vector<const char*>{"dev.tsv", "heldout.tsv"}) {
    auto content = complaints::common::ReadFile(dir + "/tests/classifier/" + file);
    auto parsed = content.ok() ? complaints::classifier::ParseCorpus(file, *content)
                               : absl::StatusOr<std::vector<CorpusCase>>(content.status());
    if (!parsed.ok()) {
      std::fprintf(stderr, "%s\n", std::string(parsed.status().message()).c_str());
      return 1;
    }
    cases.insert(cases.end(), parsed->begin(), parsed->end());
  }
  if (dump) {
    // Each text, then each joined to the next: longer texts, with patterns met more than once.
    for (size_t i = 0; i < 2 * cases.size(); ++i) {
      const CorpusCase& c = cases[i % cases.size()];
      const std::string text =
          i < cases.size() ? c.text : c.text + "，" + cases[(i + 1) % cases.size()].text;
      ClassifierInput input{.channel = c.channel, .description = text, .product = c.product};
      const complaints::classifier::Decision d = (*classifier)->Classify(input);
      std::printf("%d %d %s | %s | %s\n", d.level, d.urgency, d.category.c_str(),
                  d.urgency_reason.c_str(), d.classification.ShortDebugString().c_str());
    }
    return 0;
  }
  size_t bytes = 0;
  for (const CorpusCase& c : cases) bytes += c.text.size();
  // Warm-up: the pattern set builds its DFA lazily.
  int64_t sink = 0;
  for (const CorpusCase& c : cases) {
    sink += (*classifier)->Classify({.channel = c.channel, .description = c.text}).level;
  }
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r) {
    for (const CorpusCase& c : cases) {
      ClassifierInput input{.channel = c.channel, .description = c.text, .product = c.product};
      sink += (*classifier)->Classify(input).level;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double texts = static_cast<double>(rounds) * cases.size();
  std::printf("classifier_bench: %zu texts (avg %.0f bytes) x %d rounds in %.2f s: %.0f texts/s on one core (checksum %lld)\n",
              cases.size(), double(bytes) / cases.size(), rounds, seconds, texts / seconds,
              static_cast<long long>(sink));
  return 0;
}
