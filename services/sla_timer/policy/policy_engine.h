#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "complaints/sla/v1/clock_state.pb.h"
#include "services/sla_timer/policy/policy_calendar.h"
#include "services/sla_timer/policy/policy_set.h"

namespace complaints::sla_policy {

// One alert a running clock raises, and when. Its identity is (complaint, clock, version, kind,
// step): warnings are numbered 1.. in the order of the clock's warn_at, the breach is step 0, the
// escalation ladder's steps are 1.. (1 = unit head, 2 = branch/department head, 3 = head office).
struct Firing {
  events::v1::AlertKind kind = events::v1::ALERT_KIND_BREACH;
  int32_t step = 0;
  absl::Time at = absl::UnixEpoch();
  bool operator==(const Firing&) const = default;
};

// How one event changed one clock, for the store: what to do with the clock's pending alert.
struct ClockUpdate {
  enum class Kind {
    kArmed,       // a new deadline version (armed, re-armed, resumed, extended, restarted):
                  // replace the pending alert with `first`
    kPaused,      // drop the pending alert; nothing fires until it is resumed
    kStopped,     // drop the pending alert for good
    kRetargeted,  // same deadline and version, another unit answers for it: keep the pending alert
  };
  Kind kind = Kind::kArmed;
  sla::v1::ClockState clock;    // as it is after the event
  std::optional<Firing> first;  // kArmed: the first alert due at or after the event, if any
};

// A running clock after the event, with the alerts still ahead of it (at or after the event).
struct ClockPlan {
  ClockKind clock = events::v1::CLOCK_UNSPECIFIED;
  int64_t version = 0;
  absl::Time due = absl::UnixEpoch();
  std::vector<Firing> pending;
};

struct Outcome {
  sla::v1::SlaCaseState state;  // to store (unchanged for a duplicate)
  bool duplicate = false;       // `version` at or below the last applied: nothing changed
  std::vector<ClockUpdate> updates;
  std::vector<ClockPlan> running;
  // Not OK when the event asked for something the policy does not allow (an extension without
  // the approval its stage needs, a pause without a reason): nothing changed but the version.
  // The event is still consumed; CaseService should refuse it first with CheckExtension.
  absl::Status refused;
  std::vector<std::string> notes;  // why things happened or did not: for logs, free of PII
};

// The SLA policy engine: a complaint's clocks as pure transitions over SlaCaseState, driven by
// complaints.case.v1 events, with the policy from a PolicySet and working time from a
// WorkCalendar. No I/O, no clock: every time comes from the events.
//
//   Assigned (sequence 1)  arms ACCEPT, FIRST_CONTACT and RESOLUTION from the assignment, and
//                          REGULATORY from receipt (Assigned.received_at, else the assignment)
//   Assigned (later)       re-arms ACCEPT for the new unit; the other clocks keep their deadlines
//                          and move to the new unit (those never armed are armed); the new
//                          level/urgency/category apply to clocks armed from now on
//   Transferred            moves every clock that is not stopped to the new unit
//   Accepted               stops ACCEPT
//   ContactLogged          stops ACCEPT and FIRST_CONTACT; (re-)arms PROGRESS_UPDATE from the
//                          contact (跟回复: the next contact is due within its span); keeps the
//                          promise before it (stops PROMISE) and, with next_contact_promised_at,
//                          arms PROMISE due at that instant (reminder warn_before it, default 2 h)
//   Paused / Resumed       pause the clocks whose policy lists the reason (paused time is
//                          excluded, in the clock's own measure); a clock runs again when the last
//                          of its reasons ends, its deadline moved by the paused amount
//   ExtensionApproved      moves a clock along its extension chain (REGULATORY 15 -> 30 -> 60
//                          calendar days), or to a new deadline agreed with the customer
//   NewFactsRecorded       restarts the clocks with restart_on_new_facts (REGULATORY)
//   Resolved               stops every clock; Closed stops every clock
//   AwaitingFix / FixReported  arm / stop FIX
//   Reopened               re-arms the clocks with rearm_on_reopen (RESOLUTION, FIRST_CONTACT);
//                          the Assigned that follows re-arms ACCEPT
//   ExtensionRequested     nothing: a request is not a decision
// A repeat complaint inside the handling period is merged into this one upstream (intake/
// routing); it reaches the timer, if at all, as NewFactsRecorded.
//
// Idempotent: an event at or below the last applied version changes nothing, and so does an
// event re-emitted under a new offset (an assignment sequence already seen, an arm from the same
// instant, a stop of a stopped clock, a pause already in force, an extension stage reached).
class PolicyEngine {
 public:
  // Both must outlive the engine.
  PolicyEngine(const PolicySet* policies, const WorkCalendar* calendar)
      : policies_(policies), calendar_(calendar) {}

  // `version` is the event's offset in complaints.case.v1. InvalidArgument for an event without
  // complaint id or occurred_at, or a negative version.
  absl::StatusOr<Outcome> Apply(const sla::v1::SlaCaseState& state,
                                const events::v1::CaseEvent& event, int64_t version) const;

  // Would `extension`, at `at`, be accepted? FailedPrecondition / InvalidArgument saying why
  // not; OK also when it would change nothing (already at that stage).
  absl::Status CheckExtension(const sla::v1::SlaCaseState& state,
                              const events::v1::ExtensionApproved& extension, absl::Time at) const;

  // Every alert of a running (or stopped: of the deadline it had) clock in order: the warnings,
  // the breach at its due time, the escalation ladder. Empty for a paused clock.
  std::vector<Firing> Schedule(const sla::v1::ClockState& clock) const;
  // The first alert of `clock` due at or after `from`.
  std::optional<Firing> FirstFiringFrom(const sla::v1::ClockState& clock, absl::Time from) const;
  // The alert after the one fired, by (kind, step) order, whatever its time (a timer that was
  // down fires the overdue ones in turn); nullopt after the last step or unless running.
  std::optional<Firing> NextFiring(const sla::v1::ClockState& clock,
                                   events::v1::AlertKind fired_kind, int32_t fired_step) const;

  // The deadline `clock`'s fields give (ClockState.due_at keeps it as of the last change).
  absl::Time DueOf(const sla::v1::ClockState& clock) const;
  // Where the warning fractions count from: the start moved on by the paused time.
  absl::Time CountedFrom(const sla::v1::ClockState& clock) const;

  const PolicySet& policies() const { return *policies_; }
  const WorkCalendar& calendar() const { return *calendar_; }

 private:
  const PolicySet* policies_;
  const WorkCalendar* calendar_;
};

// The subject the state's policy is chosen by.
Subject SubjectOf(const sla::v1::SlaCaseState& state);
const sla::v1::ClockState* FindClock(const sla::v1::SlaCaseState& state, ClockKind clock);
// No clock running or paused: nothing can fire for the complaint any more.
bool AllStopped(const sla::v1::SlaCaseState& state);

// The event id of an alert: DeterministicId({complaint, "sla-alert", clock, version, kind,
// step}) with enums by number, as sla_timer::AlertId computes it.
std::string AlertId(const std::string& complaint_id, ClockKind clock, int64_t version,
                    events::v1::AlertKind kind, int32_t step);

}  // namespace complaints::sla_policy
