#include "libs/cases/case_batch.h"

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"

namespace complaints::cases {
namespace {

const std::shared_ptr<spdlog::logger>& Log() {
  static const auto logger = common::ModuleLogger("cases");
  return logger;
}

}  // namespace

absl::Status CaseBatch::Load(const std::vector<std::string>& complaint_ids) {
  std::vector<std::string> ids;
  for (const std::string& id : complaint_ids) {
    if (cases_.try_emplace(id).second) ids.push_back(id);
  }
  std::vector<absl::StatusOr<StoredCase>> loaded = ledger_->store_->LoadMany(ids);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!loaded[i].ok()) {
      // Redis down (the pipeline fails whole) or a record that does not parse: the batch stops
      // here, and the caller's one-by-one path meets the same error for each record.
      cases_.clear();
      return loaded[i].status();
    }
    Working& w = cases_[ids[i]];
    w.stored = *std::move(loaded[i]);
    w.record = w.stored.record;
    // Another writer's records not yet published: the ledger's own path waits for it (or
    // publishes them itself), which a batch must not do for the whole batch.
    w.takes = w.stored.record.pending().empty();
  }
  return absl::OkStatus();
}

bool CaseBatch::Takes(const std::string& complaint_id) const {
  auto it = cases_.find(complaint_id);
  return it != cases_.end() && it->second.takes;
}

absl::StatusOr<Observation> CaseBatch::Observe(const events::v1::CaseEvent& event,
                                               const std::string& event_id) {
  auto it = cases_.find(event.complaint_id());
  if (it == cases_.end() || !it->second.takes) {
    return absl::InternalError("case " + event.complaint_id() + " is not in the batch");
  }
  Working& w = it->second;
  std::optional<Observation> observation = ledger_->ObserveOn(w.record, event, event_id);
  if (!observation) return CaseLedger::KnownObservation(w.record, event_id);
  if (!w.changed) changed_order_.push_back(event.complaint_id());
  w.changed = true;
  return *observation;
}

absl::StatusOr<routing::v1::Case> CaseBatch::Execute(const Command& command) {
  auto it = cases_.find(command.complaint_id);
  if (it == cases_.end() || !it->second.takes) {
    return absl::InternalError("case " + command.complaint_id + " is not in the batch");
  }
  Working& w = it->second;
  auto changed = ledger_->DecideOn(command, CaseLedger::KeyOf(command), w.record);
  if (!changed.ok()) return changed.status();
  if (*changed) {
    if (!w.changed) changed_order_.push_back(command.complaint_id);
    w.changed = true;
  }
  return w.record.case_();
}

CaseBatch::Result CaseBatch::Commit(const std::string& appended_topic) {
  Result result;
  std::vector<CaseLedgerStore::Write> writes;
  writes.reserve(changed_order_.size());
  for (const std::string& id : changed_order_) {
    const Working& w = cases_.at(id);
    writes.push_back({id, w.stored.revision, w.record, ledger_->TtlOf(w.record)});
  }
  std::vector<absl::StatusOr<bool>> written = ledger_->store_->CompareAndSetMany(writes);

  // The records the batch's commands appended, of the cases written, published in one call:
  // in the order appended, so a case's records keep their order on its partition.
  std::vector<kafka::OutgoingRecord> records;
  std::vector<size_t> with_pending;  // indexes in `writes`
  for (size_t i = 0; i < writes.size(); ++i) {
    const std::string& id = writes[i].complaint_id;
    if (!written[i].ok()) {
      result.outcomes[id] = Outcome::kFailed;
      result.failures[id] = written[i].status();
      continue;
    }
    if (!*written[i]) {
      result.outcomes[id] = Outcome::kConflict;
      continue;
    }
    result.outcomes[id] = Outcome::kDone;
    if (writes[i].record.pending().empty()) continue;
    with_pending.push_back(i);
    for (kafka::OutgoingRecord& r : ToOutgoing(writes[i].record.pending())) {
      if (!r.topic.empty()) records.push_back(std::move(r));
    }
  }
  if (with_pending.empty()) return result;
  if (!appended_topic.empty()) {
    for (const kafka::OutgoingRecord& r : records) {
      if (r.topic == appended_topic) result.appended_ids.push_back(r.event.id);
    }
  }
  std::vector<CaseLedgerStore::Write> cleared;
  cleared.reserve(with_pending.size());
  for (size_t i : with_pending) {
    CaseLedgerStore::Write w = std::move(writes[i]);
    w.record.clear_pending();
    w.ttl = ledger_->TtlOf(w.record);
    ++w.expected_revision;
    cleared.push_back(std::move(w));
  }
  if (flusher_ != nullptr) {
    flusher_->Submit({std::move(records), std::move(cleared)});
    return result;
  }
  if (absl::Status published = records.empty() ? absl::OkStatus()
                                               : ledger_->publisher_->Publish(records);
      !published.ok()) {
    // Written with their outbox: the retry (or the ledger's sweep) publishes them, the same
    // bytes under the same ids, as after a failed publish in CaseLedger::Execute.
    for (const CaseLedgerStore::Write& w : cleared) {
      result.outcomes[w.complaint_id] = Outcome::kFailed;
      result.failures[w.complaint_id] = absl::UnavailableError(absl::StrCat(
          "case ", w.complaint_id, ": records not yet published: ", published.message()));
    }
    return result;
  }
  // A conflict means another writer came after us and publishes (or published) what we left;
  // an error leaves the outbox to the sweep (FlushPending). Either way the records are durable.
  std::vector<absl::StatusOr<bool>> done = ledger_->store_->ClearPendingMany(cleared);
  for (size_t i = 0; i < done.size(); ++i) {
    if (!done[i].ok()) {
      Log()->warn("case {}: published, outbox left to the sweep: {}", cleared[i].complaint_id,
                  done[i].status().ToString());
    }
  }
  return result;
}

}  // namespace complaints::cases
