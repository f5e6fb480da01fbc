#include "tools/complaintctl/command_line.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace complaints::complaintctl {
namespace {

const FlagSpec* FindFlag(const VerbSpec& verb, const std::string& name) {
  const auto it = std::find_if(verb.flags.begin(), verb.flags.end(),
                               [&](const FlagSpec& flag) { return flag.name == name; });
  return it == verb.flags.end() ? nullptr : &*it;
}

std::string SeeHelp(const VerbSpec& verb) {
  return absl::StrCat(" (see: complaintctl ", verb.words, " --help)");
}

}  // namespace

std::string Arguments::Get(const std::string& name, const std::string& fallback) const {
  const auto it = flags.find(name);
  return it == flags.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Arguments::All(const std::string& name) const {
  const auto it = flags.find(name);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<Arguments> ParseArguments(const std::vector<std::string>& args,
                                         const VerbSpec& verb) {
  Arguments parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      continue;
    }
    if (!arg.starts_with("--") || arg == "--") {
      parsed.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
      has_value = true;
    }
    const FlagSpec* flag = FindFlag(verb, name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for `", verb.words, "`", SeeHelp(verb)));
    }
    if (flag->value_name.empty()) {
      if (has_value) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " is a switch and takes no value", SeeHelp(verb)));
      }
    } else if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value (",
                                                       flag->value_name, ")", SeeHelp(verb)));
      }
      value = args[++i];
    }
    std::vector<std::string>& values = parsed.flags[name];
    if (!values.empty() && !flag->repeated) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " is given twice; it takes one value", SeeHelp(verb)));
    }
    values.push_back(value);
  }
  if (parsed.help) return parsed;
  const int count = static_cast<int>(parsed.positional.size());
  if (count < verb.min_positional) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", verb.words, "` needs ", verb.positional, SeeHelp(verb)));
  }
  if (count > verb.max_positional) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"",
                                                   parsed.positional[verb.max_positional],
                                                   "\" for `", verb.words, "`", SeeHelp(verb)));
  }
  return parsed;
}

std::string HelpText(const VerbSpec& verb) {
  std::string text = absl::StrCat("usage: complaintctl ", verb.words);
  if (!verb.flags.empty()) absl::StrAppend(&text, " [flags]");
  if (!verb.positional.empty()) absl::StrAppend(&text, " ", verb.positional);
  absl::StrAppend(&text, "\n\n", verb.summary, "\n");
  if (!verb.details.empty()) absl::StrAppend(&text, "\n", verb.details, "\n");
  if (!verb.flags.empty()) absl::StrAppend(&text, "\nflags:\n");
  for (const FlagSpec& flag : verb.flags) {
    std::string left = absl::StrCat("--", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&left, " ", flag.value_name);
    absl::StrAppend(&text, absl::StrFormat("  %-26s %s%s\n", left, flag.help,
                                           flag.repeated ? " (may be repeated)" : ""));
  }
  return text;
}

}  // namespace complaints::complaintctl
