#include "libs/calendar/calendar_registry.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/common/files.h"
#include "libs/common/utf8.h"

namespace complaints::calendar {
namespace {

using Spec = BusinessCalendar::Spec;

// Everything one region's files have said so far, with where each setting came from.
struct RegionState {
  Spec spec;
  std::string zone_at, hours_at, weekend_at;
  std::map<int, std::string> years_at;
};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// The first whitespace-separated token of `s` and the rest, both trimmed.
std::pair<absl::string_view, absl::string_view> SplitFirst(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  size_t end = 0;
  while (end < s.size() && !IsSpace(s[end])) ++end;
  return {s.substr(0, end), absl::StripAsciiWhitespace(s.substr(end))};
}

std::vector<absl::string_view> Tokens(absl::string_view s) {
  return absl::StrSplit(s, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

std::string Str(absl::string_view s) { return std::string(s.data(), s.size()); }

bool Digits(absl::string_view s, int* out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), absl::ascii_isdigit)) return false;
  return absl::SimpleAtoi(s, out);
}

// "YYYY-MM-DD" or, when `every_year` is given, also "MM-DD" (then the year is 2000, a leap
// year, so that 02-29 parses and can be refused with a clear message).
std::optional<absl::CivilDay> ParseDay(absl::string_view s, bool* every_year) {
  int y = 2000, m = 0, d = 0;
  bool yearly = false;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (!Digits(s.substr(0, 4), &y) || !Digits(s.substr(5, 2), &m) || !Digits(s.substr(8, 2), &d)) {
      return std::nullopt;
    }
  } else if (every_year != nullptr && s.size() == 5 && s[2] == '-') {
    if (!Digits(s.substr(0, 2), &m) || !Digits(s.substr(3, 2), &d)) return std::nullopt;
    yearly = true;
  } else {
    return std::nullopt;
  }
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return std::nullopt;  // 2025-02-30
  if (every_year != nullptr) *every_year = yearly;
  return day;
}

// "DAY" or "DAY..DAY".
struct DayRangeToken {
  absl::CivilDay first;
  absl::CivilDay last;
  bool every_year = false;
};

std::optional<DayRangeToken> ParseRange(absl::string_view token, bool allow_every_year) {
  const size_t dots = token.find("..");
  const absl::string_view a = token.substr(0, dots);
  const absl::string_view b = dots == absl::string_view::npos ? a : token.substr(dots + 2);
  bool yearly_a = false, yearly_b = false;
  auto first = ParseDay(a, allow_every_year ? &yearly_a : nullptr);
  auto last = ParseDay(b, allow_every_year ? &yearly_b : nullptr);
  if (!first || !last || yearly_a != yearly_b) return std::nullopt;
  return DayRangeToken{*first, *last, yearly_a};
}

// "HH:MM", 00:00 to 24:00, as minutes.
std::optional<int> ParseClock(absl::string_view s) {
  int h = 0, m = 0;
  if (s.size() != 5 || s[2] != ':' || !Digits(s.substr(0, 2), &h) || !Digits(s.substr(3, 2), &m)) {
    return std::nullopt;
  }
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::optional<absl::Weekday> ParseWeekday(absl::string_view s) {
  static constexpr std::pair<const char*, absl::Weekday> kDays[] = {
      {"mon", absl::Weekday::monday},   {"tue", absl::Weekday::tuesday},
      {"wed", absl::Weekday::wednesday}, {"thu", absl::Weekday::thursday},
      {"fri", absl::Weekday::friday},   {"sat", absl::Weekday::saturday},
      {"sun", absl::Weekday::sunday}};
  for (const auto& [name, day] : kDays) {
    if (s == name) return day;
  }
  return std::nullopt;
}

bool ValidRegionId(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Parses one file into `regions`.
absl::Status ParseFile(const CalendarRegistry::File& file,
                       std::map<std::string, RegionState>& regions) {
  RegionState* state = nullptr;
  std::string year_at;
  int year = 0;
  bool has_source = false;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(file.text, '\n')) {
    ++line_no;
    const std::string at = file.name + ":" + std::to_string(line_no);
    auto fail = [&at](const std::string& why) {
      return absl::InvalidArgumentError(at + ": " + why);
    };
    const absl::string_view line = absl::StripAsciiWhitespace(raw.substr(0, raw.find('#')));
    if (line.empty()) continue;
    const auto [directive_view, rest] = SplitFirst(line);
    const std::string directive = Str(directive_view);
    const std::vector<absl::string_view> args = Tokens(rest);

    if (directive == "region") {
      if (state != nullptr) return fail("a file holds one region: 'region' given twice");
      if (args.size() != 1 || !ValidRegionId(args[0])) {
        return fail("expected 'region <ID>' (letters, digits, '-' and '_')");
      }
      state = &regions[Str(args[0])];
      state->spec.region = Str(args[0]);
      continue;
    }
    if (state == nullptr) return fail("expected 'region <ID>' before '" + directive + "'");

    // Once-per-region settings remember where they were set.
    auto once = [&](std::string& set_at) -> absl::Status {
      if (!set_at.empty()) {
        return fail(directive + " of region " + state->spec.region + " already set at " + set_at);
      }
      set_at = at;
      return absl::OkStatus();
    };

    if (directive == "zone") {
      if (args.size() != 1) return fail("expected 'zone <IANA name>', e.g. zone Asia/Shanghai");
      if (absl::Status s = once(state->zone_at); !s.ok()) return s;
      absl::TimeZone tz;
      if (!absl::LoadTimeZone(Str(args[0]), &tz)) {
        return fail("unknown time zone '" + Str(args[0]) +
                    "' (is tzdata installed in /usr/share/zoneinfo?)");
      }
      state->spec.zone = Str(args[0]);
    } else if (directive == "hours") {
      if (absl::Status s = once(state->hours_at); !s.ok()) return s;
      std::vector<BusinessCalendar::Period> periods;
      for (absl::string_view token : args) {
        const size_t dash = token.find('-');
        std::optional<int> start, end;
        if (dash != absl::string_view::npos) {
          start = ParseClock(token.substr(0, dash));
          end = ParseClock(token.substr(dash + 1));
        }
        if (!start || !end) {
          return fail("bad working period '" + Str(token) + "': expected HH:MM-HH:MM");
        }
        periods.push_back({*start, *end});
      }
      if (absl::Status s = BusinessCalendar::ValidatePeriods(periods); !s.ok()) {
        return fail(std::string(s.message()));
      }
      state->spec.periods = std::move(periods);
    } else if (directive == "weekend") {
      if (absl::Status s = once(state->weekend_at); !s.ok()) return s;
      std::vector<absl::Weekday> weekend;
      if (args.empty()) return fail("expected weekend days (mon..sun) or 'none'");
      const bool none = args.size() == 1 && args[0] == "none";  // a seven-day working week
      for (absl::string_view token : none ? std::vector<absl::string_view>{} : args) {
        auto day = ParseWeekday(token);
        if (!day) return fail("bad weekend day '" + Str(token) + "': expected mon..sun or none");
        if (std::find(weekend.begin(), weekend.end(), *day) != weekend.end()) {
          return fail("weekend day '" + Str(token) + "' given twice");
        }
        weekend.push_back(*day);
      }
      state->spec.weekend = std::move(weekend);
    } else if (directive == "year") {
      if (!year_at.empty()) {
        return fail("a file holds one year; 'year' already given at " + year_at);
      }
      if (args.size() != 1 || args[0].size() != 4 || !Digits(args[0], &year)) {
        return fail("expected 'year <YYYY>'");
      }
      if (auto [it, added] = state->years_at.emplace(year, at); !added) {
        return fail("year " + Str(args[0]) + " of region " + state->spec.region +
                    " already declared at " + it->second);
      }
      year_at = at;
      state->spec.official_years.push_back(year);
    } else if (directive == "source") {
      if (rest.empty()) return fail("expected 'source <the notice transcribed>'");
      has_source = true;
    } else if (directive == "holiday" || directive == "workday") {
      const auto [range_token, name] = SplitFirst(rest);
      auto range = ParseRange(range_token, /*allow_every_year=*/false);
      if (!range) {
        return fail("bad day '" + Str(range_token) +
                    "': expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD");
      }
      if (name.empty()) return fail(directive + " needs a name after the date");
      auto& list = directive == "holiday" ? state->spec.holidays : state->spec.workdays;
      list.push_back({range->first, range->last, Str(name), at});
    } else if (directive == "sensitive") {
      const auto [range_token, rest1] = SplitFirst(rest);
      const auto [deadline_token, rest2] = SplitFirst(rest1);
      const auto [warning_token, name] = SplitFirst(rest2);
      auto range = ParseRange(range_token, /*allow_every_year=*/true);
      if (!range) {
        return fail("bad days '" + Str(range_token) +
                    "': expected MM-DD..MM-DD (every year) or YYYY-MM-DD..YYYY-MM-DD");
      }
      SensitivePeriod period;
      if (!absl::SimpleAtod(deadline_token, &period.deadline_factor) ||
          !absl::SimpleAtod(warning_token, &period.warning_factor)) {
        return fail("expected 'sensitive <days> <deadline factor> <warning factor> <name>'");
      }
      if (name.empty()) return fail("sensitive period needs a name");
      period.name = Str(name);
      period.first = range->first;
      period.last = range->last;
      period.every_year = range->every_year;
      period.origin = at;
      state->spec.sensitive.push_back(std::move(period));
    } else {
      return fail("unknown directive '" + directive +
                  "' (expected region, zone, hours, weekend, year, source, holiday, workday or "
                  "sensitive)");
    }
  }
  if (state == nullptr) return absl::InvalidArgumentError(file.name + ": no 'region' line");
  if (!year_at.empty() && !has_source) {
    return absl::InvalidArgumentError(year_at + ": year " + std::to_string(year) +
                                      " needs a 'source' line naming the official notice");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CalendarRegistry> CalendarRegistry::Parse(const std::vector<File>& files,
                                                         const std::string& default_region) {
  std::map<std::string, RegionState> regions;
  for (const File& file : files) {
    // Messages quote tokens of the file, which may be cut inside a character: errors are
    // logged, so they are kept valid UTF-8.
    if (absl::Status s = ParseFile(file, regions); !s.ok()) return common::WithValidUtf8(s);
  }
  CalendarRegistry registry;
  for (auto& [region, state] : regions) {
    auto calendar = BusinessCalendar::Create(std::move(state.spec));
    if (!calendar.ok()) return common::WithValidUtf8(calendar.status());
    registry.calendars_.emplace(region,
                                std::make_shared<const BusinessCalendar>(*std::move(calendar)));
  }
  auto it = registry.calendars_.find(default_region);
  if (it == registry.calendars_.end()) {
    return absl::InvalidArgumentError("no calendar file declares the default region '" +
                                      default_region + "'");
  }
  registry.default_ = it->second;
  return registry;
}

absl::StatusOr<CalendarRegistry> CalendarRegistry::LoadDirectory(
    const std::string& directory, const std::string& default_region) {
  namespace fs = std::filesystem;
  std::vector<fs::path> paths;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".calendar" && it->is_regular_file()) paths.push_back(it->path());
  }
  if (ec) return absl::NotFoundError("calendar directory " + directory + ": " + ec.message());
  if (paths.empty()) return absl::NotFoundError("no *.calendar file in " + directory);
  std::sort(paths.begin(), paths.end());
  std::vector<File> files;
  for (const fs::path& path : paths) {
    auto text = common::ReadFile(path.string());
    if (!text.ok()) {
      return absl::NotFoundError("calendar file: " + std::string(text.status().message()));
    }
    files.push_back({path.string(), *std::move(text)});
  }
  return Parse(files, default_region);
}

const BusinessCalendar& CalendarRegistry::ForRegion(std::string_view region) const {
  auto it = calendars_.find(region);
  return it == calendars_.end() ? *default_ : *it->second;
}

std::vector<std::string> CalendarRegistry::Regions() const {
  std::vector<std::string> regions;
  for (const auto& [region, calendar] : calendars_) regions.push_back(region);
  return regions;
}

}  // namespace complaints::calendar
