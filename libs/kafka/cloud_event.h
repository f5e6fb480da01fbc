#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace complaints::kafka {

using Headers = std::vector<std::pair<std::string, std::string>>;

// CloudEvents 1.0 attributes carried in Kafka binary mode: each attribute is a `ce_<name>`
// header and the record value is the event data (protobuf unless content_type says otherwise).
struct CloudEvent {
  std::string id;       // deterministic where the event may be re-emitted
  std::string type;     // e.g. "complaints.events.v1.ComplaintReceived"
  std::string source;   // e.g. "/complaints/intake"
  std::string subject;  // the complaint id
  absl::Time time = absl::UnixEpoch();
  std::string content_type = "application/protobuf";
};

// ce_id, ce_type, ce_source, ce_specversion (1.0), ce_time (RFC 3339, UTC), ce_subject, and
// content-type. An empty subject or content type is left out (CloudEvents has no empty
// optional attributes), so it reads back as empty.
Headers ToHeaders(const CloudEvent& event);

// Fails with InvalidArgument naming the header when a required attribute (id, type, source,
// specversion) is missing or ce_time is not RFC 3339. A missing ce_time reads as the epoch.
absl::StatusOr<CloudEvent> FromHeaders(const Headers& headers);

// RFC 3339 in UTC with milliseconds, e.g. 2024-03-15T08:30:00.123Z: the ce_time format.
std::string FormatEventTime(absl::Time time);

// The value of the first header called `name`, if any.
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);

}  // namespace complaints::kafka
