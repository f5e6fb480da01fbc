#include "services/intake/intake.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/common/short_id.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"
#include "services/intake/decision.h"
#include "services/intake/ivr_call.h"
#include "services/intake/submission.h"
#include "complaints/events/v1/case.pb.h"

namespace complaints::intake {
namespace {

constexpr char kEventSource[] = "/complaints/intake";
// How long the replay consumer waits, per batch, for the submissions still completing the
// complaints it meets (OwnWrites::Expect): their marks take a Redis round trip or two.
constexpr absl::Duration kAppliedWait = absl::Seconds(1);

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

// The record of complaints.received.v1 for an accepted complaint (`encoded`, serialized): the
// same bytes under the same id whoever publishes it, and timed at its acceptance.
kafka::OutgoingRecord ReceivedRecord(const events::v1::ComplaintReceived& complaint,
                                     std::string encoded) {
  const std::string& id = complaint.complaint_id();
  return events::ToRecord(events::kReceivedTopic, id, *complaint.GetDescriptor(),
                          std::move(encoded), common::DeterministicId({id, "received"}),
                          kEventSource, id, common::FromProtoTime(complaint.received_at()));
}

absl::Status AlreadyExists(const std::string& id, const std::vector<std::string>& differing) {
  return absl::AlreadyExistsError("complaint " + id + " (source + external_id) was first " +
                                  "submitted with different " + absl::StrJoin(differing, ", "));
}

void LogAccepted(const events::v1::ComplaintReceived& event) {
  spdlog::info("complaint {} accepted from {} (category {}, level {}, urgency {}, customer {})",
               event.complaint_id(), event.source(), event.category(),
               events::v1::Level_Name(event.level()), events::v1::Urgency_Name(event.urgency()),
               DescribeCustomer(event.customer()));
}

// What the caller learns: the decision on the complaint as published (the first submission's,
// for a duplicate), so the agent sees the level, urgency and risk tags during the call.
// Everything but the classification and the risk tags, which the callers below copy or move.
intake::v1::SubmitComplaintResponse ResponseBase(const events::v1::ComplaintReceived& complaint,
                                                 bool duplicate) {
  intake::v1::SubmitComplaintResponse response;
  response.set_complaint_id(complaint.complaint_id());
  response.set_duplicate(duplicate);
  response.set_short_id(complaint.short_id());
  response.set_category(complaint.category());
  response.set_level(complaint.level());
  response.set_urgency(complaint.urgency());
  response.set_merged_into(complaint.merged_into());
  return response;
}

intake::v1::SubmitComplaintResponse ResponseFor(const events::v1::ComplaintReceived& complaint,
                                                bool duplicate) {
  intake::v1::SubmitComplaintResponse response = ResponseBase(complaint, duplicate);
  *response.mutable_classification() = complaint.classification();
  *response.mutable_risk_tags() = complaint.risk_tags();
  return response;
}

// The same, for a complaint no longer needed: its decision moves into the response.
intake::v1::SubmitComplaintResponse ResponseFor(events::v1::ComplaintReceived&& complaint,
                                                bool duplicate) {
  intake::v1::SubmitComplaintResponse response = ResponseBase(complaint, duplicate);
  response.mutable_classification()->Swap(complaint.mutable_classification());
  response.mutable_risk_tags()->Swap(complaint.mutable_risk_tags());
  return response;
}

}  // namespace

std::vector<std::string> DifferingFields(const events::v1::ComplaintReceived& first,
                                         const events::v1::ComplaintReceived& second) {
  google::protobuf::util::MessageDifferencer differencer;
  // The time of acceptance is the first claimant's by definition; the rest was derived by
  // intake from the content, the classifier's config and the customer's history at the time; the
  // short id is derived from the id (and absent from claims made before it existed).
  for (const char* derived : {"received_at", "level", "urgency", "urgency_reason",
                              "classification", "risk_tags", "merged_into", "short_id"}) {
    differencer.IgnoreField(events::v1::ComplaintReceived::descriptor()->FindFieldByName(derived));
  }
  // An inferred category is derived too (from the text, by the config of the day); one the
  // caller gave is content.
  const bool inferred = first.classification().category_source() == "inferred" ||
                        second.classification().category_source() == "inferred";
  if (inferred) {
    differencer.IgnoreField(events::v1::ComplaintReceived::descriptor()->FindFieldByName("category"));
  }
  FieldPathReporter reporter;
  differencer.ReportDifferencesTo(&reporter);
  differencer.Compare(first, second);
  return reporter.fields;
}

Intake::Intake(kafka::Publisher* publisher, ComplaintStore* store, HistoryStore* history,
               const common::Clock* clock, IntakeOptions options)
    : publisher_(publisher),
      store_(store),
      history_(history),
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

  events::v1::ComplaintReceived candidate = ToReceivedEvent(request, id, clock_->Now());
  if (auto s = Decide({&request}, {&candidate}).front(); !s.ok()) return s;
  const std::string token = token_prefix_ + "-" + std::to_string(calls_.fetch_add(1));
  // Waiting for another caller's publish is about real time, whatever the service clock says.
  const absl::Time give_up = absl::Now() + options_.busy_wait;
  for (int attempt = 0;; ++attempt) {
    auto claim = store_->Claim(candidate, token, options_.claim_lease);
    if (!claim.ok()) return claim.status();
    using Outcome = ComplaintClaim::Outcome;
    if (!claim->first) {
      if (auto differing = DifferingFields(claim->complaint, candidate); !differing.empty()) {
        if (claim->outcome == Outcome::kWon) ReleaseClaim(candidate, token);
        return AlreadyExists(id, differing);
      }
    }
    if (claim->outcome == Outcome::kPublished) {
      return ResponseFor(claim->complaint, /*duplicate=*/true);
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
    const events::v1::ComplaintReceived& event = claim->Content(candidate);
    const std::vector<std::string> own = ExpectApplied({event}, {claim->first});
    kafka::OutgoingRecord record = ReceivedRecord(event, event.SerializeAsString());
    if (auto s = publisher_->Publish(record); !s.ok()) {
      applied_.Forget(own);
      // Unacknowledged, so the caller retries: let that retry complete the claim at once.
      ReleaseClaim(event, token);
      return s;
    }
    CompletePublished({event}, {std::move(record.value)}, own);
    LogAccepted(event);
    // A call that completes an earlier, unacknowledged claim is the first acknowledgement.
    return ResponseFor(event, /*duplicate=*/false);
  }
}

void Intake::ReleaseClaim(const events::v1::ComplaintReceived& candidate,
                          const std::string& token) {
  if (auto s = store_->Release(candidate.complaint_id(), token); !s.ok()) {
    spdlog::warn("complaint {}: claim not released: {}", candidate.complaint_id(), s.ToString());
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
  auto found = store_->Get(complaint_id);
  if (!found.ok()) return found.status();
  if (options_.check_ready) {  // after the read: see CaseLedger::Execute
    if (auto s = options_.check_ready(complaint_id); !s.ok()) return s;
  }
  if (!found->has_value()) return absl::NotFoundError("complaint_id: no complaint " + complaint_id);
  return **found;
}

absl::Status Intake::HandleCall(const kafka::IncomingRecord& record) {
  auto call = ParseIvrCall(record);
  if (!call.ok()) return call.status();
  auto response = Submit(FromIvrCall(*call));
  return response.status();
}

absl::Status Intake::HandleStateRecord(const kafka::IncomingRecord& record) {
  return HandleStateRecords({record}).front();
}

std::vector<absl::Status> Intake::HandleStateRecords(
    const std::vector<kafka::IncomingRecord>& records) {
  std::vector<absl::Status> statuses(records.size());
  std::vector<events::v1::ComplaintReceived> complaints;  // to mark published
  std::vector<std::string> encoded;                       // theirs, as the records carry them
  std::vector<std::pair<std::string, intake::v1::HistoryEntry>> entries;
  std::vector<size_t> complaint_record;                    // per complaint, its record
  std::vector<CaseStatusChange> changes;
  std::vector<size_t> change_record;                       // per change, its record
  const absl::Time wait_until = absl::Now() + kAppliedWait;
  for (size_t i = 0; i < records.size(); ++i) {
    const kafka::IncomingRecord& record = records[i];
    if (record.topic == events::kCaseTopic) {
      if (history_ == nullptr) continue;
      auto event = events::ParseRecordAs<events::v1::CaseEvent>(record);
      if (!event.ok()) {
        statuses[i] = event.status();
      } else if (event->complaint_id().empty()) {
        statuses[i] = absl::InvalidArgumentError("complaint_id is empty");
      } else if (event->has_closed() || event->has_reopened() || event->has_assigned()) {
        CaseStatusChange& change = changes.emplace_back();
        change.complaint_id = event->complaint_id();
        if (event->has_closed() || event->has_reopened()) change.closed = event->has_closed();
        if (event->has_assigned()) change.level = event->assigned().level();
        change_record.push_back(i);
      }
      continue;
    }
    // Published, marked and recorded by this process since Redis last lost state: all done, and
    // not even parsed (its key is its complaint id, ReceivedRecord).
    if (options_.state_epoch && !record.key.empty() &&
        applied_.Take(record.key, options_.state_epoch(),
                      std::max(absl::ZeroDuration(), wait_until - absl::Now()))) {
      continue;
    }
    auto complaint = events::ParseRecordAs<events::v1::ComplaintReceived>(record);
    if (!complaint.ok()) {
      statuses[i] = complaint.status();
      continue;
    }
    if (complaint->complaint_id().empty()) {
      statuses[i] = absl::InvalidArgumentError("complaint_id is empty");
      continue;
    }
    // The same, for a record keyed otherwise than by its complaint id.
    if (options_.state_epoch && record.key != complaint->complaint_id() &&
        applied_.Take(complaint->complaint_id(), options_.state_epoch(),
                      std::max(absl::ZeroDuration(), wait_until - absl::Now()))) {
      continue;
    }
    if (history_ != nullptr) {
      const std::string key = CustomerKeyFor(complaint->customer(), options_.customer_key_secret);
      if (!key.empty()) entries.emplace_back(key, EntryFor(*complaint));
    }
    complaints.push_back(*std::move(complaint));
    encoded.push_back(record.value);
    complaint_record.push_back(i);
  }
  // The complaints' round trips, then the case changes': a failure fails only its own records
  // (the rebuild guard retries them, in order; every write is idempotent).
  if (!complaints.empty()) {
    absl::Status done = store_->MarkPublishedMany(complaints, encoded);
    if (done.ok() && !entries.empty()) done = history_->RecordMany(entries);
    for (size_t index : complaint_record) statuses[index] = done;
  }
  if (!changes.empty()) {
    const absl::Status done = history_->SetCaseStatuses(changes);
    for (size_t index : change_record) statuses[index] = done;
  }
  return statuses;
}

std::vector<absl::Status> Intake::Decide(
    const std::vector<const intake::v1::SubmitComplaintRequest*>& requests,
    const std::vector<events::v1::ComplaintReceived*>& candidates, bool all_ready) {
  std::vector<absl::Status> statuses(candidates.size());
  // One classifier for the whole batch, even if a reload swaps it meanwhile.
  const std::shared_ptr<const classifier::Classifier> classifier =
      options_.classifier ? options_.classifier() : nullptr;
  std::vector<classifier::Decision> decisions(candidates.size());
  if (classifier != nullptr) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      decisions[i] = classifier->Classify(ClassifierInputFor(*requests[i], *candidates[i]));
      ApplyDecision(decisions[i], candidates[i]);
    }
  }
  if (history_ == nullptr) return statuses;
  std::vector<std::string> keys;  // distinct, in order of first appearance
  std::map<std::string, size_t> key_index;
  std::vector<std::string> key_of(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    key_of[i] = CustomerKeyFor(candidates[i]->customer(), options_.customer_key_secret);
    if (!key_of[i].empty() && key_index.emplace(key_of[i], keys.size()).second) {
      keys.push_back(key_of[i]);
    }
  }
  if (keys.empty()) return statuses;
  // A history read while Redis is being refilled would miss complaints of other partitions.
  if (options_.check_all_ready && !all_ready) {
    if (absl::Status ready = options_.check_all_ready(); !ready.ok()) {
      for (size_t i = 0; i < candidates.size(); ++i) {
        if (!key_of[i].empty()) statuses[i] = ready;
      }
      return statuses;
    }
  }
  std::vector<absl::StatusOr<std::vector<PastComplaint>>> histories = history_->LoadMany(keys);
  const absl::Time now = clock_->Now();
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (key_of[i].empty()) continue;
    auto& past = histories[key_index[key_of[i]]];
    if (!past.ok()) {
      statuses[i] = past.status();
      continue;
    }
    events::v1::ComplaintReceived* candidate = candidates[i];
    const HistoryView view = ReadHistory(*past, *candidate, now, options_.history);
    *candidate->mutable_risk_tags() = view.tags;
    candidate->mutable_risk_tags()->set_customer_key(key_of[i]);
    candidate->set_merged_into(view.open_same_issue);
    if (classifier != nullptr) {
      classifier->ApplyHistory({.same_category_before = view.same_category_before,
                                .prior_escalations = view.prior_escalations,
                                .same_category_escalations = view.same_category_escalations},
                               &decisions[i]);
      ApplyDecision(decisions[i], candidate);
    }
    // A later complaint of the same customer in this batch sees this one (once, however often
    // the batch repeats it).
    const bool seen = std::any_of(past->begin(), past->end(), [&](const PastComplaint& p) {
      return p.entry.complaint_id() == candidate->complaint_id();
    });
    if (!seen) past->emplace_back().entry = EntryFor(*candidate);
  }
  return statuses;
}

// Best effort: the replay of complaints.received.v1 (HandleStateRecords) records them too.
absl::Status Intake::RecordHistories(
    const std::vector<events::v1::ComplaintReceived>& complaints) {
  if (history_ == nullptr) return absl::OkStatus();
  std::vector<std::pair<std::string, intake::v1::HistoryEntry>> entries;
  for (const auto& complaint : complaints) {
    if (complaint.risk_tags().customer_key().empty()) continue;
    entries.emplace_back(complaint.risk_tags().customer_key(), EntryFor(complaint));
  }
  if (entries.empty()) return absl::OkStatus();
  absl::Status s = history_->RecordMany(entries);
  if (!s.ok()) {
    spdlog::warn("{} complaints: history not recorded yet: {}", entries.size(), s.ToString());
  }
  return s;
}

std::vector<std::string> Intake::ExpectApplied(
    const std::vector<events::v1::ComplaintReceived>& complaints, const std::vector<bool>& first) {
  std::vector<std::string> own;
  if (!options_.state_epoch) return own;
  // Only this call's own candidates: their customer key is this process's (a claim taken over
  // carries its first claimant's), so HandleStateRecords would record exactly the same entry.
  for (size_t i = 0; i < complaints.size(); ++i) {
    if (first[i]) own.push_back(complaints[i].complaint_id());
  }
  applied_.Expect(own);
  return own;
}

void Intake::CompletePublished(const std::vector<events::v1::ComplaintReceived>& complaints,
                               const std::vector<std::string>& encoded,
                               const std::vector<std::string>& own) {
  // Read before writing: a replay asked for after this point (Redis lost state, perhaps these
  // very writes) moves the epoch, and HandleStateRecords then does the work after all.
  const uint64_t epoch = options_.state_epoch ? options_.state_epoch() : 0;
  absl::Status marked = store_->MarkPublishedMany(complaints, encoded);
  if (!marked.ok()) {
    // The complaints are durable in Kafka, which is what the caller's acknowledgement promises.
    // Until the leases expire others wait; then one of them publishes the same record again.
    spdlog::warn("{} complaints published but not marked so: {}", complaints.size(),
                 marked.ToString());
  }
  const absl::Status recorded = RecordHistories(complaints);
  if (!marked.ok() || !recorded.ok()) {
    applied_.Forget(own);
    return;
  }
  applied_.Add(own, epoch);
}

std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> Intake::SubmitBatch(
    std::span<const intake::v1::SubmitComplaintRequest> requests) {
  std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> results(
      requests.size(), absl::InternalError("not decided"));
  // The submissions still in the running, each with its candidate and claimant token.
  std::vector<size_t> index;
  std::vector<events::v1::ComplaintReceived> candidates;
  std::vector<std::string> tokens;
  const absl::Time now = clock_->Now();
  // Every partition replayed covers each complaint's own: one look for the whole batch (the
  // histories need it anyway), else each complaint's partition is asked.
  const bool all_ready = options_.check_all_ready && options_.check_all_ready().ok();
  for (size_t i = 0; i < requests.size(); ++i) {
    if (absl::Status valid = ValidateSubmission(requests[i], options_.category_known, now);
        !valid.ok()) {
      results[i] = valid;
      continue;
    }
    const std::string id = common::ComplaintIdFor(requests[i].source(), requests[i].external_id());
    if (options_.check_ready && !all_ready) {
      if (absl::Status ready = options_.check_ready(id); !ready.ok()) {
        results[i] = ready;
        continue;
      }
    }
    index.push_back(i);
    candidates.push_back(ToReceivedEvent(requests[i], id, now));
    tokens.push_back(token_prefix_ + "-" + std::to_string(calls_.fetch_add(1)));
  }
  {
    std::vector<const intake::v1::SubmitComplaintRequest*> asked;
    std::vector<events::v1::ComplaintReceived*> pointers;
    for (size_t k = 0; k < candidates.size(); ++k) {
      asked.push_back(&requests[index[k]]);
      pointers.push_back(&candidates[k]);
    }
    const std::vector<absl::Status> applied = Decide(asked, pointers, all_ready);
    // Only submissions whose history was read are claimed: a claim made for nothing would hold
    // its retry back until the lease expires.
    size_t kept = 0;
    for (size_t k = 0; k < applied.size(); ++k) {
      if (!applied[k].ok()) {
        results[index[k]] = applied[k];
        continue;
      }
      if (kept != k) {  // (a self-move would empty the strings)
        index[kept] = index[k];
        candidates[kept] = std::move(candidates[k]);
        tokens[kept] = std::move(tokens[k]);
      }
      ++kept;
    }
    index.resize(kept);
    candidates.resize(kept);
    tokens.resize(kept);
  }

  // Each serialized once: the claim's content, then the record's value and the mark's.
  std::vector<std::string> encoded = Encode(candidates);
  auto claims = store_->ClaimMany(candidates, encoded, tokens, options_.claim_lease);
  std::vector<size_t> won;         // positions in `index` whose claim this call publishes
  std::vector<size_t> one_by_one;  // being published by another call: wait for it alone
  for (size_t k = 0; k < index.size(); ++k) {
    const size_t i = index[k];
    if (!claims[k].ok()) {
      results[i] = claims[k].status();
      continue;
    }
    ComplaintClaim& claim = *claims[k];
    if (!claim.first) {
      if (auto differing = DifferingFields(claim.complaint, candidates[k]); !differing.empty()) {
        if (claim.outcome == ComplaintClaim::Outcome::kWon) ReleaseClaim(candidates[k], tokens[k]);
        results[i] = AlreadyExists(candidates[k].complaint_id(), differing);
        continue;
      }
    }
    switch (claim.outcome) {
      case ComplaintClaim::Outcome::kPublished:
        results[i] = ResponseFor(claim.complaint, /*duplicate=*/true);
        break;
      case ComplaintClaim::Outcome::kBusy:
        one_by_one.push_back(i);
        break;
      case ComplaintClaim::Outcome::kWon:
        // The claim's content, as in Submit: a claim taken over is published as first made (a
        // first claim's is the candidate itself).
        if (!claim.first) {
          candidates[k] = std::move(claim.complaint);
          encoded[k] = candidates[k].SerializeAsString();
        }
        won.push_back(k);
        break;
    }
  }

  std::vector<kafka::OutgoingRecord> records;
  std::vector<events::v1::ComplaintReceived> published;  // moved out of candidates
  std::vector<bool> first;
  records.reserve(won.size());
  published.reserve(won.size());
  for (size_t k : won) {
    records.push_back(ReceivedRecord(candidates[k], std::move(encoded[k])));
    published.push_back(std::move(candidates[k]));
    first.push_back(claims[k]->first);
  }
  if (!records.empty()) {
    const std::vector<std::string> own = ExpectApplied(published, first);
    if (absl::Status s = publisher_->Publish(records); !s.ok()) {
      applied_.Forget(own);
      for (size_t j = 0; j < won.size(); ++j) {
        ReleaseClaim(published[j], tokens[won[j]]);
        results[index[won[j]]] = s;
      }
    } else {
      std::vector<std::string> values;
      values.reserve(records.size());
      for (kafka::OutgoingRecord& record : records) values.push_back(std::move(record.value));
      CompletePublished(published, values, own);
      for (size_t j = 0; j < won.size(); ++j) {
        LogAccepted(published[j]);
        results[index[won[j]]] = ResponseFor(std::move(published[j]), /*duplicate=*/false);
      }
    }
  }
  for (size_t i : one_by_one) results[i] = Submit(requests[i]);
  return results;
}

}  // namespace complaints::intake
