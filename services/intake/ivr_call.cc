#include "services/intake/ivr_call.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/json_syntax.h"
#include "libs/grpcutil/lenient.h"
#include "libs/kafka/cloud_event.h"

namespace complaints::intake {
namespace {

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
}  // namespace

absl::StatusOr<events::v1::IvrCall> ParseIvrCall(const kafka::IncomingRecord& record) {
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
  // Lenient: a string that is not UTF-8 is kept, for validation to name its field.
  if (!grpcutil::ParseLenient(record.value, &call).ok()) {
    return absl::InvalidArgumentError("value is neither an IvrCall protobuf nor its JSON mapping");
  }
  return call;
}

}  // namespace complaints::intake
