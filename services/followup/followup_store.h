#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/followup/v1/followup.pb.h"

namespace complaints::followup {

// An outcome recorded for a task, with what it did to the case.
struct RecordedOutcome {
  followup::v1::Outcome outcome = followup::v1::OUTCOME_UNSPECIFIED;
  std::string effect;
  bool operator==(const RecordedOutcome&) const = default;
};

// What follow-up knows of one complaint: a projection of complaints.case.v1 plus the outcomes
// recorded through RecordOutcome.
struct CaseState {
  events::v1::Level level = events::v1::LEVEL_UNSPECIFIED;  // from the latest Assigned
  events::v1::Urgency urgency = events::v1::URGENCY_UNSPECIFIED;  // from the latest Assigned
  int reopen_count = 0;                                            // from the latest Assigned
  // The customer's, from the first Assigned that carried it (ContactPreference).
  std::optional<events::v1::ContactPreference> contact;
  std::optional<events::v1::FollowUpTask> open_task;
  std::map<std::string, RecordedOutcome> outcomes;  // by task id
  // Tasks that were open once and are no longer (replaced by a newer resolution's, advanced to
  // the next attempt, or cleared by a reopen or close): an outcome for one is only recorded.
  std::set<std::string> past_tasks;
};

// A change to a complaint's state caused by one case event.
struct CaseChange {
  std::optional<events::v1::Level> level;
  // Set together, from an Assigned: what the follow-up channel depends on besides the level.
  std::optional<events::v1::Urgency> urgency;
  std::optional<int> reopen_count;
  std::optional<events::v1::ContactPreference> contact;  // from an Assigned that carries it
  enum class Task { kKeep, kOpen, kClear } task = Task::kKeep;
  events::v1::FollowUpTask open;  // with Task::kOpen
  // The case closed: its state is kept for the store's closed-case retention, then expires
  // (complaints.case.v1, kept forever, brings it back on a replay).
  bool closed = false;
  // The follow-up outcome that caused the event (its FollowUpResult), recorded for its task
  // unless one is: after Redis lost the state, a retried RecordOutcome still answers what the
  // first call did. Empty task id: none.
  std::string outcome_task;
  RecordedOutcome outcome;
};

// Per-complaint follow-up state. Every method is atomic on its own; callers publish first and
// store after, so every method must be safe to repeat.
class FollowUpStore {
 public:
  virtual ~FollowUpStore() = default;

  // The state of a complaint; an empty state for an unknown one.
  virtual absl::StatusOr<CaseState> Get(const std::string& complaint_id) = 0;
  // Whether the case event `event_id` was applied to the complaint.
  virtual absl::StatusOr<bool> Seen(const std::string& complaint_id,
                                    const std::string& event_id) = 0;
  // Applies `change` and remembers `event_id`, unless it was applied before (returns false);
  // an open task it replaces or clears becomes a past task (ApplyChange, followup_machine.h).
  virtual absl::StatusOr<bool> Apply(const std::string& complaint_id, const std::string& event_id,
                                     const CaseChange& change) = 0;
  // Records the outcome of `task_id` unless one is recorded already; returns the recorded one.
  virtual absl::StatusOr<RecordedOutcome> ClaimOutcome(const std::string& complaint_id,
                                                       const std::string& task_id,
                                                       const RecordedOutcome& outcome) = 0;
  // If the open task is still `expected_task_id`, replaces it with `next` (none: clears it);
  // `expected_task_id` becomes a past task.
  virtual absl::Status AdvanceOpenTask(const std::string& complaint_id,
                                       const std::string& expected_task_id,
                                       const std::optional<events::v1::FollowUpTask>& next) = 0;

  // For a consumer's batch (FollowUp::HandleCaseEvents): many complaints' states, and whether
  // each of the given event ids was applied to them, in one round trip where the store can.
  struct Known {
    CaseState state;
    std::vector<bool> seen;  // per event id asked, in order
  };
  struct Ask {
    std::string complaint_id;
    std::vector<std::string> event_ids;
  };
  virtual std::vector<absl::StatusOr<Known>> GetMany(const std::vector<Ask>& asks) {
    std::vector<absl::StatusOr<Known>> out;
    for (const Ask& ask : asks) {
      auto state = Get(ask.complaint_id);
      if (!state.ok()) {
        out.push_back(state.status());
        continue;
      }
      Known known{*std::move(state), {}};
      absl::Status failed;
      for (const std::string& id : ask.event_ids) {
        auto seen = Seen(ask.complaint_id, id);
        if (!seen.ok()) {
          failed = seen.status();
          break;
        }
        known.seen.push_back(*seen);
      }
      if (failed.ok()) {
        out.push_back(std::move(known));
      } else {
        out.push_back(failed);
      }
    }
    return out;
  }
  // Several events' changes per complaint, each complaint's applied in order as Apply would
  // (atomically per complaint where the store can, so that a failure never leaves a later
  // change applied without an earlier one): per complaint, whether each event was new.
  struct EventChange {
    std::string event_id;
    CaseChange change;
  };
  struct Changes {
    std::string complaint_id;
    std::vector<EventChange> events;
  };
  virtual std::vector<absl::StatusOr<std::vector<bool>>> ApplyMany(
      const std::vector<Changes>& changes) {
    std::vector<absl::StatusOr<std::vector<bool>>> out;
    for (const Changes& c : changes) {
      std::vector<bool> applied;
      absl::Status failed;
      for (const EventChange& e : c.events) {
        auto done = Apply(c.complaint_id, e.event_id, e.change);
        if (!done.ok()) {
          failed = done.status();
          break;
        }
        applied.push_back(*done);
      }
      if (failed.ok()) {
        out.push_back(std::move(applied));
      } else {
        out.push_back(failed);
      }
    }
    return out;
  }
};

}  // namespace complaints::followup
