#include "services/intake/intake.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/json_syntax.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"
#include "services/intake/submission.h"

namespace complaints::intake {
namespace {

constexpr char kEventSource[] = "/complaints/intake";

// The field path of a protobuf JSON error ("(customer.phone): invalid value ..."), if every
// name in it is a field of `type`: names from our schema are safe to report, anything else
// (map keys, the value) is the caller's input.
std::optional<std::string> SchemaPath(absl::string_view message,
                                      const google::protobuf::Descriptor* type) {
  if (!absl::StartsWith(message, "(")) return std::nullopt;
  const size_t close = message.find(')');
  if (close == absl::string_view::npos) return std::nullopt;
  const absl::string_view path = message.substr(1, close - 1);
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (type == nullptr) return std::nullopt;
    // A repeated field's element: "field[3]".
    if (const size_t bracket = part.find('['); bracket != absl::string_view::npos) {
      const absl::string_view index = part.substr(bracket + 1, part.size() - bracket - 2);
      int unused;
      if (!absl::EndsWith(part, "]") || !absl::SimpleAtoi(index, &unused)) return std::nullopt;
      part = part.substr(0, bracket);
    }
    const google::protobuf::FieldDescriptor* field = type->FindFieldByName(std::string(part));
    if (field == nullptr) return std::nullopt;
    type = field->message_type();
  }
  return std::string(path);
}

// Errors say where and what kind, never what: the value near a JSON error is customer data
// (a phone number, a name), and protobuf's parser quotes it, cut at any byte.
absl::StatusOr<events::v1::IvrCall> ParseCall(const kafka::IncomingRecord& record) {
  events::v1::IvrCall call;
  const auto content_type = kafka::FindHeader(record.headers, "content-type");
  const bool json = (content_type && content_type->starts_with("application/json")) ||
                    (!content_type && !record.value.empty() && record.value.front() == '{');
  if (json) {
    if (absl::Status syntax = common::CheckJsonSyntax(record.value); !syntax.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("value is not an IvrCall in JSON: ", syntax.message()));
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;  // telephony may send more than we read
    const auto status = google::protobuf::util::JsonStringToMessage(record.value, &call, options);
    if (!status.ok()) {
      const std::optional<std::string> path =
          SchemaPath(absl::string_view(status.message().data(), status.message().size()),
                     call.GetDescriptor());
      return absl::InvalidArgumentError(
          path ? absl::StrCat("value is not an IvrCall in JSON: field ", *path,
                              " has a value of the wrong type or out of range")
               : std::string("value is not an IvrCall in JSON: a value does not fit the schema"));
    }
    return call;
  }
  if (!call.ParseFromString(record.value)) {
    return absl::InvalidArgumentError("value is neither an IvrCall protobuf nor its JSON mapping");
  }
  return call;
}

}  // namespace

absl::StatusOr<intake::v1::SubmitComplaintResponse> Intake::Submit(
    const intake::v1::SubmitComplaintRequest& request) {
  if (auto s = ValidateSubmission(request); !s.ok()) return s;
  const std::string id = common::ComplaintIdFor(request.source(), request.external_id());

  intake::v1::SubmitComplaintResponse response;
  response.set_complaint_id(id);
  auto existing = store_->Get(id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    response.set_duplicate(true);
    return response;
  }

  const absl::Time now = clock_->Now();
  const events::v1::ComplaintReceived event = ToReceivedEvent(request, id, now);
  // The event id depends only on the complaint: a retry after a crash between publishing and
  // remembering publishes a record that consumers recognise as the same event.
  const auto record = events::ToRecord(events::kReceivedTopic, id, event,
                                       common::DeterministicId({id, "received"}), kEventSource,
                                       id, now);
  if (auto s = publisher_->Publish(record); !s.ok()) return s;

  if (auto s = store_->Put(event); !s.ok()) {
    // The complaint is durable in Kafka, which is what the caller's acknowledgement promises;
    // the store is a cache and is rebuilt from the topic.
    spdlog::warn("complaint {} published but not cached: {}", id, s.ToString());
  }
  spdlog::info("complaint {} accepted from {} (category {}, level {}, urgency {}, customer {})", id,
               request.source(), event.category(), events::v1::Level_Name(event.level()),
               events::v1::Urgency_Name(event.urgency()), DescribeCustomer(event.customer()));
  return response;
}

absl::StatusOr<events::v1::ComplaintReceived> Intake::Get(const std::string& complaint_id) {
  if (complaint_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  auto found = store_->Get(complaint_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::NotFoundError("complaint_id: no complaint " + complaint_id);
  return **found;
}

absl::Status Intake::HandleCall(const kafka::IncomingRecord& record) {
  auto call = ParseCall(record);
  if (!call.ok()) return call.status();
  auto response = Submit(FromIvrCall(*call));
  return response.status();
}

}  // namespace complaints::intake
