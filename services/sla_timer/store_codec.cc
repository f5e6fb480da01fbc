#include "services/sla_timer/store_codec.h"

#include <charconv>
#include <vector>

namespace complaints::sla_timer {
namespace {

// Splits off `count` fields from the left; the rest (separators included) is the last field.
std::vector<std::string_view> SplitLeft(std::string_view text, size_t count) {
  std::vector<std::string_view> out;
  while (out.size() < count) {
    const size_t bar = text.find('|');
    if (bar == std::string_view::npos) break;
    out.push_back(text.substr(0, bar));
    text.remove_prefix(bar + 1);
  }
  out.push_back(text);
  return out;
}

// Splits off `count` fields from the right; the rest is the first field.
std::vector<std::string_view> SplitRight(std::string_view text, size_t count) {
  std::vector<std::string_view> out(1);
  std::vector<std::string_view> right;
  while (right.size() < count) {
    const size_t bar = text.rfind('|');
    if (bar == std::string_view::npos) break;
    right.insert(right.begin(), text.substr(bar + 1));
    text.remove_suffix(text.size() - bar);
  }
  out[0] = text;
  out.insert(out.end(), right.begin(), right.end());
  return out;
}

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string EncodeEntry(const ClockEntry& entry) {
  return std::string(entry.running() ? "R" : "S") + "|" +
         std::to_string(absl::ToUnixMillis(entry.due)) + "|" + std::to_string(entry.version) +
         "|" + std::to_string(absl::ToUnixMillis(entry.armed_at)) + "|" + entry.unit;
}

absl::StatusOr<ClockEntry> DecodeEntry(ClockKind clock, std::string_view text) {
  const auto fields = SplitLeft(text, 4);
  int64_t due_ms = 0;
  int64_t armed_ms = 0;
  ClockEntry entry;
  if (fields.size() != 5 || (fields[0] != "R" && fields[0] != "S") ||
      !ParseNumber(fields[1], due_ms) || !ParseNumber(fields[2], entry.version) ||
      !ParseNumber(fields[3], armed_ms)) {
    return absl::DataLossError("stored clock " + std::to_string(static_cast<int>(clock)) +
                               " is malformed: " + std::string(text));
  }
  entry.clock = clock;
  entry.state = fields[0] == "R" ? ClockEntry::State::kRunning : ClockEntry::State::kStopped;
  entry.due = absl::FromUnixMillis(due_ms);
  entry.armed_at = absl::FromUnixMillis(armed_ms);
  entry.unit = std::string(fields[4]);
  return entry;
}

std::string EncodeMember(const AlertKey& key) {
  return key.complaint_id + "|" + std::to_string(static_cast<int>(key.clock)) + "|" +
         std::to_string(key.version) + "|" + std::to_string(static_cast<int>(key.kind)) + "|" +
         std::to_string(key.step);
}

absl::StatusOr<AlertKey> DecodeMember(std::string_view text) {
  const auto fields = SplitRight(text, 4);
  int clock = 0;
  int kind = 0;
  AlertKey key;
  if (fields.size() != 5 || fields[0].empty() || !ParseNumber(fields[1], clock) ||
      !events::v1::Clock_IsValid(clock) || !ParseNumber(fields[2], key.version) ||
      !ParseNumber(fields[3], kind) || !events::v1::AlertKind_IsValid(kind) ||
      !ParseNumber(fields[4], key.step)) {
    return absl::DataLossError("scheduled alert is malformed: " + std::string(text));
  }
  key.complaint_id = std::string(fields[0]);
  key.clock = static_cast<ClockKind>(clock);
  key.kind = static_cast<events::v1::AlertKind>(kind);
  return key;
}

}  // namespace complaints::sla_timer
