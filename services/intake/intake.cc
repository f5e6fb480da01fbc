#include "services/intake/intake.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/common/json_syntax.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/common/short_id.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/lenient.h"
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
  // Lenient: a string that is not UTF-8 is kept, for validation to name its field.
  if (!grpcutil::ParseLenient(record.value, &call).ok()) {
    return absl::InvalidArgumentError("value is neither an IvrCall protobuf nor its JSON mapping");
  }
  return call;
}

// Collects the paths of differing fields, never their values.
class FieldPathReporter final : public google::protobuf::util::MessageDifferencer::Reporter {
 public:
  using SpecificField = google::protobuf::util::MessageDifferencer::SpecificField;

  void ReportAdded(const google::protobuf::Message&, const google::protobuf::Message&,
                   const std::vector<SpecificField>& path) override {
    Add(path);
  }
  void ReportDeleted(const google::protobuf::Message&, const google::protobuf::Message&,
                     const std::vector<SpecificField>& path) override {
    Add(path);
  }
  void ReportModified(const google::protobuf::Message&, const google::protobuf::Message&,
                      const std::vector<SpecificField>& path) override {
    Add(path);
  }

  std::vector<std::string> fields;

 private:
  void Add(const std::vector<SpecificField>& path) {
    std::vector<std::string> names;
    for (const auto& step : path) {
      if (step.field != nullptr) names.push_back(step.field->name());
    }
    std::string joined = absl::StrJoin(names, ".");
    if (std::find(fields.begin(), fields.end(), joined) == fields.end()) {
      fields.push_back(std::move(joined));
    }
  }
};

std::string RandomTokenPrefix() {
  std::random_device random;
  return common::DeterministicId({std::to_string(random()), std::to_string(random()),
                                  std::to_string(random()), std::to_string(random())});
}

// Between two looks at a claim another call is publishing: short at first, as a publish on a
// healthy broker takes milliseconds.
absl::Duration PollInterval(int attempt) {
  return std::min(absl::Milliseconds(5) * (1 << std::min(attempt, 5)), absl::Milliseconds(100));
}

}  // namespace

std::vector<std::string> DifferingFields(const events::v1::ComplaintReceived& first,
                                         const events::v1::ComplaintReceived& second) {
  google::protobuf::util::MessageDifferencer differencer;
  // The time of acceptance is the first claimant's by definition, not content.
  differencer.IgnoreField(
      events::v1::ComplaintReceived::descriptor()->FindFieldByName("received_at"));
  // Derived from the id, not content (and absent from claims made before it existed).
  differencer.IgnoreField(
      events::v1::ComplaintReceived::descriptor()->FindFieldByName("short_id"));
  FieldPathReporter reporter;
  differencer.ReportDifferencesTo(&reporter);
  differencer.Compare(first, second);
  return reporter.fields;
}

Intake::Intake(kafka::Publisher* publisher, ComplaintStore* store, const common::Clock* clock,
               IntakeOptions options)
    : publisher_(publisher),
      store_(store),
      clock_(clock),
      options_(options),
      token_prefix_(RandomTokenPrefix()) {}

absl::StatusOr<intake::v1::SubmitComplaintResponse> Intake::Submit(
    const intake::v1::SubmitComplaintRequest& request) {
  if (auto s = ValidateSubmission(request, options_.category_known, clock_->Now()); !s.ok()) {
    return s;
  }
  const std::string id = common::ComplaintIdFor(request.source(), request.external_id());
  // After Redis lost the claims, a submission answered before the replay would publish the
  // same id again with another received_at: one id, two contents.
  if (options_.check_ready) {
    if (auto s = options_.check_ready(id); !s.ok()) return s;
  }

  intake::v1::SubmitComplaintResponse response;
  response.set_complaint_id(id);

  const events::v1::ComplaintReceived candidate = ToReceivedEvent(request, id, clock_->Now());
  response.set_short_id(candidate.short_id());
  const std::string token = token_prefix_ + "-" + std::to_string(calls_.fetch_add(1));
  // Waiting for another caller's publish is about real time, whatever the service clock says.
  const absl::Time give_up = absl::Now() + options_.busy_wait;
  for (int attempt = 0;; ++attempt) {
    auto claim = store_->Claim(candidate, token, options_.claim_lease);
    if (!claim.ok()) return claim.status();
    using Outcome = ComplaintClaim::Outcome;
    if (!claim->first) {
      if (auto differing = DifferingFields(claim->complaint, candidate); !differing.empty()) {
        if (claim->outcome == Outcome::kWon) {
          if (auto s = store_->Release(id, token); !s.ok()) {
            spdlog::warn("complaint {}: claim not released: {}", id, s.ToString());
          }
        }
        return absl::AlreadyExistsError("complaint " + id + " (source + external_id) was first " +
                                        "submitted with different " +
                                        absl::StrJoin(differing, ", "));
      }
    }
    if (claim->outcome == Outcome::kPublished) {
      response.set_duplicate(true);
      return response;
    }
    if (claim->outcome == Outcome::kBusy) {
      if (absl::Now() >= give_up) {
        return absl::UnavailableError("complaint " + id +
                                      " is being accepted by another call; retry");
      }
      absl::SleepFor(PollInterval(attempt));
      continue;
    }

    // Won: publish the claim's content, not the candidate, so that completing a claim made by a
    // call that failed or died publishes the very record it would have (one ce_id, one content).
    const events::v1::ComplaintReceived& event = claim->complaint;
    const absl::Time received_at = common::FromProtoTime(event.received_at());
    const auto record = events::ToRecord(events::kReceivedTopic, id, event,
                                         common::DeterministicId({id, "received"}), kEventSource,
                                         id, received_at);
    if (auto s = publisher_->Publish(record); !s.ok()) {
      // Unacknowledged, so the caller retries: let that retry complete the claim at once.
      if (auto r = store_->Release(id, token); !r.ok()) {
        spdlog::warn("complaint {}: claim not released: {}", id, r.ToString());
      }
      return s;
    }
    if (auto s = store_->MarkPublished(event); !s.ok()) {
      // The complaint is durable in Kafka, which is what the caller's acknowledgement promises.
      // Until the lease expires others wait; then one of them publishes the same record again.
      spdlog::warn("complaint {} published but not marked so: {}", id, s.ToString());
    }
    spdlog::info("complaint {} accepted from {} (category {}, level {}, urgency {}, customer {})",
                 id, request.source(), event.category(), events::v1::Level_Name(event.level()),
                 events::v1::Urgency_Name(event.urgency()), DescribeCustomer(event.customer()));
    // A call that completes an earlier, unacknowledged claim is the first acknowledgement.
    response.set_duplicate(false);
    return response;
  }
}

absl::StatusOr<events::v1::ComplaintReceived> Intake::Get(const std::string& id_or_short_id) {
  if (id_or_short_id.empty()) return grpcutil::FieldError("complaint_id", "is required");
  std::string complaint_id = id_or_short_id;
  // Complaint ids are 23 characters, short ids 10 symbols: no text is both.
  if (auto short_id = common::ParseShortId(id_or_short_id); short_id.ok()) {
    auto found = store_->FindByShortId(*short_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      if (options_.check_all_ready) {
        if (auto s = options_.check_all_ready(); !s.ok()) return s;
      }
      return absl::NotFoundError("complaint_id: no complaint with short id " + *short_id);
    }
    complaint_id = **found;
  }
  if (options_.check_ready) {
    if (auto s = options_.check_ready(complaint_id); !s.ok()) return s;
  }
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

absl::Status Intake::HandleReceived(const kafka::IncomingRecord& record) {
  auto complaint = events::ParseRecordAs<events::v1::ComplaintReceived>(record);
  if (!complaint.ok()) return complaint.status();
  if (complaint->complaint_id().empty()) return absl::InvalidArgumentError("complaint_id is empty");
  return store_->MarkPublished(*complaint);
}

}  // namespace complaints::intake
