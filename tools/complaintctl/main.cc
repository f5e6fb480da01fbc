// complaintctl: the operator's command line. `complaintctl --help` lists the verbs;
// `complaintctl <verb> --help` explains one.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/complaintctl/verb.h"

namespace {

using complaints::complaintctl::Verb;

std::vector<Verb> AllVerbs() {
  std::vector<Verb> verbs = complaints::complaintctl::ComplaintVerbs();
  for (Verb& verb : complaints::complaintctl::DeadLetterVerbs()) verbs.push_back(std::move(verb));
  for (Verb& verb : complaints::complaintctl::ReportVerbs()) verbs.push_back(std::move(verb));
  for (Verb& verb : verbs) {
    for (auto& flag : complaints::complaintctl::CommonFlags()) verb.spec.flags.push_back(flag);
  }
  return verbs;
}

void PrintVerbs(const std::vector<Verb>& verbs, std::FILE* out) {
  std::fprintf(out, "usage: complaintctl <verb> [flags] [arguments]\n\nverbs:\n");
  for (const Verb& verb : verbs) {
    std::fprintf(out, "  %-14s %s\n", verb.spec.words.c_str(), verb.spec.summary.c_str());
  }
  std::fprintf(out, "\n`complaintctl <verb> --help` for a verb's flags.\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::vector<Verb> verbs = AllVerbs();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintVerbs(verbs, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  // The longest verb whose words begin the arguments ("dlq list" before "dlq").
  const Verb* chosen = nullptr;
  size_t words = 0;
  for (const Verb& verb : verbs) {
    const std::vector<std::string> parts = absl::StrSplit(verb.spec.words, ' ');
    if (parts.size() <= args.size() && std::equal(parts.begin(), parts.end(), args.begin()) &&
        parts.size() > words) {
      chosen = &verb;
      words = parts.size();
    }
  }
  if (chosen == nullptr) {
    std::fprintf(stderr, "complaintctl: unknown verb \"%s\"\n\n",
                 absl::StrJoin(args.begin(), args.begin() + std::min<size_t>(2, args.size()), " ")
                     .c_str());
    PrintVerbs(verbs, stderr);
    return 2;
  }
  auto parsed = complaints::complaintctl::ParseArguments(
      std::vector<std::string>(args.begin() + static_cast<long>(words), args.end()), chosen->spec);
  if (!parsed.ok()) {
    std::fprintf(stderr, "complaintctl: %s\n", std::string(parsed.status().message()).c_str());
    return 2;
  }
  if (parsed->help) {
    std::fputs(complaints::complaintctl::HelpText(chosen->spec).c_str(), stdout);
    return 0;
  }
  complaints::complaintctl::Invocation invocation{
      .args = *parsed, .endpoints = complaints::complaintctl::EndpointsFrom(*parsed)};
  if (parsed->Has("timeout") &&
      (!absl::SimpleAtoi(parsed->Get("timeout"), &invocation.timeout_seconds) ||
       invocation.timeout_seconds < 1)) {
    std::fprintf(stderr, "complaintctl: --timeout must be a whole number of seconds, at least 1\n");
    return 2;
  }
  return chosen->run(invocation);
}
