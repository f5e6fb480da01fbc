#include "libs/kafka/cloud_event.h"

#include "absl/strings/str_cat.h"

namespace complaints::kafka {
namespace {

constexpr std::string_view kSpecVersion = "1.0";

}  // namespace

std::string FormatEventTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

Headers ToHeaders(const CloudEvent& event) {
  Headers headers = {
      {"ce_id", event.id},
      {"ce_type", event.type},
      {"ce_source", event.source},
      {"ce_specversion", std::string(kSpecVersion)},
      {"ce_time", FormatEventTime(event.time)},
  };
  // CloudEvents forbids empty optional attributes: absent is how "none" is spelled.
  if (!event.subject.empty()) headers.emplace_back("ce_subject", event.subject);
  if (!event.content_type.empty()) headers.emplace_back("content-type", event.content_type);
  return headers;
}

// Errors name the header and what is wrong with it, never its value: the record keeps its
// headers (a dead letter too), and header bytes are input we do not control.
absl::StatusOr<CloudEvent> FromHeaders(const Headers& headers) {
  CloudEvent event;
  for (auto [name, field] : {std::pair{"ce_id", &event.id}, std::pair{"ce_type", &event.type},
                             std::pair{"ce_source", &event.source}}) {
    std::optional<std::string> value = FindHeader(headers, name);
    if (!value || value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("CloudEvent header ", name, " is missing"));
    }
    *field = *std::move(value);
  }
  const std::optional<std::string> spec = FindHeader(headers, "ce_specversion");
  if (!spec) return absl::InvalidArgumentError("CloudEvent header ce_specversion is missing");
  if (*spec != kSpecVersion) {
    return absl::InvalidArgumentError(
        "CloudEvent header ce_specversion: unsupported version (only 1.0 is)");
  }
  if (std::optional<std::string> time = FindHeader(headers, "ce_time")) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, *time, &event.time, &error)) {
      return absl::InvalidArgumentError("CloudEvent header ce_time is not RFC 3339");
    }
  }
  event.subject = FindHeader(headers, "ce_subject").value_or("");
  event.content_type = FindHeader(headers, "content-type").value_or("");
  return event;
}

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace complaints::kafka
