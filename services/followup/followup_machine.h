#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/followup/v1/followup.pb.h"
#include "libs/calendar/business_calendar.h"
#include "services/followup/contact_schedule.h"
#include "services/followup/followup_store.h"

namespace complaints::followup {

// The follow-up state machine (回访, 二次处理, 跟归档), pure: no clock, no store, no broker.
// FollowUp (followup.h) is its I/O shell: it loads a complaint's CaseState, asks the machine,
// then publishes and stores what the machine decided.
//
// Per complaint, follow-up moves between:
//
//   (no task) --resolved r--> SURVEYING(task of r, attempt 1)
//   SURVEYING --UNREACHABLE, attempt < max--> SURVEYING(attempt + 1, by callback)
//   SURVEYING --UNREACHABLE, last attempt--> (no task)   [closed: unreachable]
//   SURVEYING --SATISFIED (or PARTLY, not reopening), fixed--> (no task)   [closed: archived]
//   SURVEYING --SATISFIED (or PARTLY, not reopening), not fixed--> (no task) [awaiting fix:
//                                        the unit's ReportFix archives it later, in routing]
//   SURVEYING --UNSATISFIED (or PARTLY, reopening)--> (no task)   [reopened]
//   any --reopened / closed / awaiting fix (case events)--> (no task)
//
// Every task that stops being the open one is remembered as past. Exactly one task is opened
// per resolution (its ce_id): a duplicate, replayed or re-emitted resolution opens nothing. An
// outcome for a past task (an older resolution, or an older attempt) never changes the case:
// the first one is recorded, and a repeat returns what the first did.
struct MachineOptions {
  absl::Duration retry_after = absl::Hours(24);
  int max_attempts = 3;
  // Whether a partly satisfied customer reopens the case (二次处理) or it is treated as
  // satisfied (archived if fixed).
  bool partly_satisfied_reopens = true;
  // 跟回访: when a retry falls (an unanswered SMS becomes a callback after
  // contact.sms_answer_window; callbacks are contact.callback_spacing apart), inside contact
  // hours on the business calendar. Without a calendar: `retry_after` after the failed attempt.
  const calendar::BusinessCalendar* calendar = nullptr;
  ContactPolicy contact = {};
  // 跟维护: the relationship-maintenance task after a close, by SMS or the account manager
  // (followup.maintenance_channel), `maintenance_delay` after the close
  // (followup.maintenance_delay_days).
  events::v1::FollowUpChannel maintenance_channel = events::v1::FOLLOW_UP_CHANNEL_SMS;
  absl::Duration maintenance_delay = absl::Hours(7 * 24);
};

// What an outcome did.
enum class Effect { kClosed, kReopened, kRetryScheduled, kAwaitingFix, kRecorded };
// "closed", "reopened", "retry_scheduled", "awaiting_fix", "recorded" (the API's words).
std::string EffectName(Effect effect);

struct OutcomeDecision {
  Effect effect = Effect::kRecorded;
  // The task the outcome is about (the open task, one of its retries, or a past task).
  events::v1::FollowUpTask task;
  // Whether the outcome was already recorded (a retried call): the same effect, nothing new
  // to claim.
  bool repeated = false;
  // Closed / Reopened / AwaitingFix, to append through the case ledger (complaint id, unit
  // and actor set; occurred_at left to the ledger).
  std::optional<events::v1::CaseEvent> case_event;
  // kRetryScheduled: the next attempt, to publish on followup.tasks.v1.
  std::optional<events::v1::FollowUpTask> next;
  // Whether the open task moves on (to `next`, or none): false for repeats and past tasks.
  bool advances = false;
};

// The outcome of `request` on `state`. Errors: InvalidArgument naming the field (validated
// here), NotFound (no task is or was open), FailedPrecondition (a task that is not the
// complaint's, or a different outcome than the one recorded).
absl::StatusOr<OutcomeDecision> DecideOutcome(const CaseState& state,
                                              const followup::v1::RecordOutcomeRequest& request,
                                              const MachineOptions& options);

// The task that follows `task` when the customer was unreachable (by callback: an SMS that got
// no answer becomes a call); its id derives from `task`'s, so it is recognised without state.
// Due by the contact schedule after `task` was due (not after the report: the same report twice
// schedules the same task).
events::v1::FollowUpTask NextAttempt(const events::v1::FollowUpTask& task,
                                     const MachineOptions& options);

// 跟维护: the one task a close opens (`close_id` is the close's ce_id, `closed_at` when it
// happened). A dissatisfied close (disposition PARTLY_SATISFIED, or a follow-up outcome of
// UNSATISFIED / PARTLY_SATISFIED on the close) or an UNREACHABLE close: an INTERVENTION for the
// complaint specialist, due at the close. Any other close: a MAINTENANCE task by
// options.maintenance_channel, due options.maintenance_delay after the close. Its id is
// DeterministicId({complaint, "followup-maintenance" | "followup-intervention", close_id}): a
// redelivered or replayed close gives the same record under the same id. `closed` must carry a
// Closed event.
events::v1::FollowUpTask AfterCloseTask(const events::v1::CaseEvent& closed,
                                        const std::string& close_id, absl::Time closed_at,
                                        const MachineOptions& options);

// What a case event does to follow-up's state; nullopt for events follow-up ignores. For a
// resolution the task to open is the caller's to fill in (CaseChange::open).
std::optional<CaseChange> ChangeOf(const events::v1::CaseEvent& event);

// Applies `change` (of the case event `event_id`) to `state` as every store must: the level,
// the open task (a replaced or cleared one becomes past), and the event remembered. Returns
// false, changing nothing, for an event applied before.
bool ApplyChange(const std::string& event_id, const CaseChange& change, CaseState* state,
                 std::set<std::string>* seen);

}  // namespace complaints::followup
