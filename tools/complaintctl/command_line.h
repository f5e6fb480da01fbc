#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace complaints::complaintctl {

// One --flag a verb accepts. A flag without a value name is a switch (--flag, no value).
struct FlagSpec {
  std::string name{};        // without the dashes
  std::string value_name{};  // e.g. "UNIT"; empty for a switch
  std::string help{};
  bool repeated = false;   // may be given more than once
};

// A verb: its words ("dlq redrive"), its positional arguments and its flags.
struct VerbSpec {
  std::string words{};
  std::string positional{};  // e.g. "<complaint-id>", for the usage line
  int min_positional = 0;
  int max_positional = 0;
  std::string summary{};     // one line, for the verb list
  std::string details{};     // more, for --help
  std::vector<FlagSpec> flags{};
};

struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;  // every value given, in order
  bool help = false;

  bool Has(const std::string& name) const { return flags.contains(name); }
  // The last value given, else `fallback`.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> All(const std::string& name) const;
};

// Parses what follows the verb's words: --name value, --name=value, switches, positionals, and
// -h/--help anywhere. The error says which flag or argument is wrong and points to --help.
absl::StatusOr<Arguments> ParseArguments(const std::vector<std::string>& args,
                                         const VerbSpec& verb);

// The usage, details and flags of one verb, as --help prints them.
std::string HelpText(const VerbSpec& verb);

}  // namespace complaints::complaintctl
