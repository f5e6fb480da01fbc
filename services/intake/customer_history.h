#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/intake/v1/history.pb.h"

namespace complaints::intake {

// A customer's stable key, the same for every complaint of theirs: the bank's customer number
// when the caller gave one, else the normalised phone. Either is hashed with a secret key
// (HMAC-SHA256), so that neither appears in Redis keys, events or logs, and a key cannot be
// turned back into a phone number by trying every number. Empty when the customer has neither.
std::string CustomerKeyFor(const events::v1::Customer& customer, std::string_view secret);

// A complaint of the customer's history with what the case topic says of it.
struct PastComplaint {
  intake::v1::HistoryEntry entry;
  intake::v1::HistoryCaseStatus status;  // default: open, at the entry's level
  bool has_status = false;
};

// What the history says about a new complaint of `category`, from the customer's complaints
// received within `window` before `now` (the new complaint not among them).
struct HistoryView {
  int same_category_before = 0;  // complaints of this category in the window
  int prior_escalations = 0;     // complaints in the window at level ESCALATED
  int same_category_escalations = 0;  // of those, complaints of this category
  // The oldest complaint of this category still open: the new one is merged into it (the
  // regulation merges a repeat of a complaint inside its handling period into it).
  std::string open_same_issue;
  events::v1::RiskTags tags;  // with this complaint counted
};

struct HistorySettings {
  absl::Duration window = absl::Hours(24 * 90);
  int recurring_threshold = 2;  // a category raised this often in the window recurs
};

HistoryView ReadHistory(const std::vector<PastComplaint>& past,
                        const events::v1::ComplaintReceived& complaint, absl::Time now,
                        const HistorySettings& settings);

// The history entry of an accepted complaint.
intake::v1::HistoryEntry EntryFor(const events::v1::ComplaintReceived& complaint);

}  // namespace complaints::intake
