#include "services/sla_timer/policy/policy_engine.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "services/sla_timer/policy/policy_span.h"

namespace complaints::sla_policy {
namespace {

using events::v1::CaseEvent;
using events::v1::ExtensionApproved;
using events::v1::PauseReason;
using sla::v1::ClockState;
using sla::v1::SlaCaseState;

absl::Time FromProto(const google::protobuf::Timestamp& t) { return common::FromProtoTime(t); }
google::protobuf::Timestamp ToProto(absl::Time t) { return common::ToProtoTime(t); }

std::string Name(ClockKind clock) { return events::v1::Clock_Name(clock); }

bool Listed(const sla::v1::ClockPolicy& policy, int reason) {
  return std::find(policy.paused_by().begin(), policy.paused_by().end(), reason) !=
         policy.paused_by().end();
}

// (kind, step) in schedule order: warnings, breach, escalations.
std::tuple<int, int32_t> Order(events::v1::AlertKind kind, int32_t step) {
  switch (kind) {
    case events::v1::ALERT_KIND_WARNING:
      return {0, step};
    case events::v1::ALERT_KIND_BREACH:
      return {1, 0};
    case events::v1::ALERT_KIND_ESCALATION:
      return {2, step};
    default:
      return {-1, 0};
  }
}

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

// `d` x `factor` to the nearest millisecond: floating products such as 0.3 x 10 h must not lose
// a second to truncation, and the result must be the same on every machine.
absl::Duration Scale(absl::Duration d, double factor) {
  return absl::Milliseconds(std::llround(absl::ToDoubleMilliseconds(d) * factor));
}

// The clock after the change a transition makes, or the reason it makes none.
using Planned = absl::StatusOr<std::optional<ClockState>>;

}  // namespace

Subject SubjectOf(const SlaCaseState& state) {
  Subject subject;
  if (state.level() != events::v1::LEVEL_UNSPECIFIED) subject.level = state.level();
  if (state.urgency() != events::v1::URGENCY_UNSPECIFIED) subject.urgency = state.urgency();
  subject.category = state.category();
  return subject;
}

const ClockState* FindClock(const SlaCaseState& state, ClockKind clock) {
  for (const ClockState& c : state.clocks()) {
    if (c.clock() == clock) return &c;
  }
  return nullptr;
}

bool AllStopped(const SlaCaseState& state) {
  return std::all_of(state.clocks().begin(), state.clocks().end(), [](const ClockState& c) {
    return c.status() == sla::v1::CLOCK_STATUS_STOPPED;
  });
}

std::string AlertId(const std::string& complaint_id, ClockKind clock, int64_t version,
                    events::v1::AlertKind kind, int32_t step) {
  const std::string clock_number = std::to_string(static_cast<int>(clock));
  const std::string version_number = std::to_string(version);
  const std::string kind_number = std::to_string(static_cast<int>(kind));
  const std::string step_number = std::to_string(step);
  return common::DeterministicId(
      {complaint_id, "sla-alert", clock_number, version_number, kind_number, step_number});
}

absl::Time PolicyEngine::DueOf(const ClockState& clock) const {
  if (clock.has_promised_at()) return FloorMillis(FromProto(clock.promised_at()));
  const Measure measure = MeasureOf(clock.span());
  const absl::Time start = FromProto(clock.started_at());
  absl::Time base = AddSpan(*calendar_, start, clock.span());
  const double factor = clock.deadline_factor();
  if (factor > 0 && factor < 1) {
    const absl::Duration full = Between(*calendar_, measure, start, base);
    base = Advance(*calendar_, measure, start, Scale(full, factor));
  }
  return FloorMillis(Advance(*calendar_, measure, base,
                             absl::Milliseconds(clock.excluded_ms() + clock.extended_ms())));
}

absl::Time PolicyEngine::CountedFrom(const ClockState& clock) const {
  return Advance(*calendar_, MeasureOf(clock.span()), FromProto(clock.started_at()),
                 absl::Milliseconds(clock.excluded_ms()));
}

std::vector<Firing> PolicyEngine::Schedule(const ClockState& clock) const {
  std::vector<Firing> out;
  // A stopped clock keeps the schedule of the deadline it had: the firer still raises what
  // was due before it stopped (ClockEntry::stopped_at). A paused one has none until resumed.
  if (clock.status() != sla::v1::CLOCK_STATUS_RUNNING &&
      clock.status() != sla::v1::CLOCK_STATUS_STOPPED) {
    return out;
  }
  const Measure measure = MeasureOf(clock.span());
  const absl::Time due = FromProto(clock.due_at());
  const absl::Time from = CountedFrom(clock);
  const absl::Duration span = Between(*calendar_, measure, from, due);
  absl::Time previous = from;
  if (clock.has_promised_at() && clock.warn_before_ms() > 0) {
    // The reminder of a promise: a fixed lead before the promised time, not a fraction.
    const absl::Time at = FloorMillis(due - absl::Milliseconds(clock.warn_before_ms()));
    if (at > previous && at < due) out.push_back({events::v1::ALERT_KIND_WARNING, 1, at});
  }
  for (int i = 0; i < clock.warn_at_size(); ++i) {
    const absl::Time at =
        FloorMillis(Advance(*calendar_, measure, from, Scale(span, clock.warn_at(i))));
    // A span too short to tell warnings apart: the later fraction alone is kept.
    if (at <= previous || at >= due) continue;
    out.push_back({events::v1::ALERT_KIND_WARNING, i + 1, at});
    previous = at;
  }
  out.push_back({events::v1::ALERT_KIND_BREACH, 0, due});
  absl::Time at = due;
  for (int i = 0; i < clock.escalation_size(); ++i) {
    at = FloorMillis(AddSpan(*calendar_, at, clock.escalation(i)));
    out.push_back({events::v1::ALERT_KIND_ESCALATION, i + 1, at});
  }
  return out;
}

std::optional<Firing> PolicyEngine::FirstFiringFrom(const ClockState& clock,
                                                    absl::Time from) const {
  for (const Firing& firing : Schedule(clock)) {
    if (firing.at >= from) return firing;
  }
  return std::nullopt;
}

std::optional<Firing> PolicyEngine::NextFiring(const ClockState& clock,
                                               events::v1::AlertKind fired_kind,
                                               int32_t fired_step) const {
  const auto fired = Order(fired_kind, fired_step);
  for (const Firing& firing : Schedule(clock)) {
    if (Order(firing.kind, firing.step) > fired) return firing;
  }
  return std::nullopt;
}

namespace {

// One event applied to one complaint's state.
class Transition {
 public:
  Transition(const PolicyEngine& engine, const SlaCaseState& before, const CaseEvent& event,
             int64_t version)
      : engine_(engine),
        before_(before),
        event_(event),
        version_(version),
        at_(FloorMillis(FromProto(event.occurred_at()))) {
    out_.state = before;
    out_.state.set_applied_version(version);
  }

  Outcome Run() {
    Dispatch();
    Summarise();
    return std::move(out_);
  }

  // The extension `request` asks of the state as it is: the clock after it, nullopt for a
  // no-op, or why it is refused.
  Planned PlanExtension(const ExtensionApproved& request) const {
    const ClockKind kind = request.clock() == events::v1::CLOCK_UNSPECIFIED
                               ? events::v1::CLOCK_REGULATORY
                               : request.clock();
    const ClockState* existing = Find(kind);
    if (existing == nullptr || existing->status() == sla::v1::CLOCK_STATUS_STOPPED) {
      return absl::FailedPreconditionError("extension: no running " + Name(kind) + " clock");
    }
    if (request.reason().empty()) return absl::InvalidArgumentError("extension: reason is required");
    const auto policy = engine_.policies().Resolve(kind, SubjectOf(out_.state));
    if (!policy.has_value()) {
      return absl::FailedPreconditionError("extension: no policy for " + Name(kind));
    }
    ClockState clock = *existing;
    clock.set_version(version_);

    if (request.has_new_due()) {
      if (!policy->policy.has_agreed_extension()) {
        return absl::FailedPreconditionError("extension: the policy (rule \"" + policy->rule +
                                             "\") allows no agreed deadline for " + Name(kind));
      }
      const sla::v1::AgreedExtension& agreed = policy->policy.agreed_extension();
      if (auto s = Requirements(request, agreed.requires_approval(),
                                agreed.requires_customer_notice(), "an agreed deadline");
          !s.ok()) {
        return s;
      }
      const absl::Time due = FromProto(existing->due_at());
      const absl::Time wanted = FloorMillis(FromProto(request.new_due()));
      if (wanted == due) return std::optional<ClockState>();
      if (wanted < due) {
        return absl::FailedPreconditionError("extension: the agreed deadline is before the current one");
      }
      const absl::Time latest = AddSpan(engine_.calendar(), due, agreed.max_delay());
      if (wanted > latest) {
        return absl::FailedPreconditionError("extension: the agreed deadline is more than " +
                                             SpanText(agreed.max_delay()) +
                                             " after the current one");
      }
      const Measure measure = MeasureOf(clock.span());
      clock.set_extended_ms(clock.extended_ms() +
                            Millis(Between(engine_.calendar(), measure, due, wanted)));
    } else {
      const auto& chain = policy->policy.extension();
      if (chain.empty()) {
        return absl::FailedPreconditionError("extension: " + Name(kind) +
                                             " has no extension chain (rule \"" + policy->rule +
                                             "\")");
      }
      const int stage = request.stage();
      if (stage < 1 || stage > chain.size()) {
        return absl::InvalidArgumentError("extension: stage must be 1.." +
                                          std::to_string(chain.size()));
      }
      if (stage <= existing->extension_stage()) return std::optional<ClockState>();
      const sla::v1::ExtensionStage& target = chain[stage - 1];
      if (auto s = Requirements(request, target.requires_approval(),
                                target.requires_customer_notice(),
                                "stage " + std::to_string(stage) + " (" + SpanText(target.to()) +
                                    ")");
          !s.ok()) {
        return s;
      }
      *clock.mutable_span() = target.to();
      clock.set_extension_stage(stage);
    }
    *clock.mutable_due_at() = ToProto(engine_.DueOf(clock));
    return std::optional<ClockState>(std::move(clock));
  }

 private:
  static absl::Status Requirements(const ExtensionApproved& request, bool approval, bool notice,
                                   const std::string& what) {
    if (approval && request.approved_by().empty()) {
      return absl::FailedPreconditionError("extension: " + what + " needs approved_by");
    }
    if (notice && !request.customer_notified()) {
      return absl::FailedPreconditionError("extension: " + what +
                                           " needs the customer notified (customer_notified)");
    }
    return absl::OkStatus();
  }

  void Dispatch() {
    switch (event_.event_case()) {
      case CaseEvent::kAssigned:
        OnAssigned();
        return;
      case CaseEvent::kAccepted:
        Stop(events::v1::CLOCK_ACCEPT);
        return;
      case CaseEvent::kContactLogged:
        // A unit that talks to the customer has evidently accepted.
        Stop(events::v1::CLOCK_ACCEPT);
        Stop(events::v1::CLOCK_FIRST_CONTACT);
        if (Open()) Arm(events::v1::CLOCK_PROGRESS_UPDATE, at_);
        OnPromise();
        return;
      case CaseEvent::kTransferred:
        if (!event_.transferred().to_unit().empty()) {
          out_.state.set_unit(event_.transferred().to_unit());
          Retarget(event_.transferred().to_unit());
        }
        return;
      case CaseEvent::kExtensionRequested:
        Note("extension requested: no clock moves until it is approved");
        return;
      case CaseEvent::kExtensionApproved:
        OnExtension();
        return;
      case CaseEvent::kExtensionRefused:
        Note("extension refused: no clock moves");
        return;
      case CaseEvent::kPaused:
        OnPaused();
        return;
      case CaseEvent::kResumed:
        OnResumed();
        return;
      case CaseEvent::kNewFactsRecorded:
        OnNewFacts();
        return;
      case CaseEvent::kResolved:
        StopAll();
        if (out_.state.phase() != sla::v1::CASE_PHASE_CLOSED) {
          out_.state.set_phase(sla::v1::CASE_PHASE_RESOLVED);
        }
        return;
      case CaseEvent::kClosed:
        StopAll();
        out_.state.set_phase(sla::v1::CASE_PHASE_CLOSED);
        return;
      case CaseEvent::kReopened:
        OnReopened();
        return;
      case CaseEvent::kAwaitingFix:
        // 跟归档: the case waits for the unit to fix the business problem, on a clock of its own.
        Arm(events::v1::CLOCK_FIX, at_);
        return;
      case CaseEvent::kFixReported:
        Stop(events::v1::CLOCK_FIX);
        return;
      case CaseEvent::kEscalated:
        // Routing's record of an escalation step; a move it made is the Assigned that follows.
        Note("escalation step recorded by routing: no clock changes");
        return;
      case CaseEvent::EVENT_NOT_SET:
        Note("event of an unknown kind: no clock changes");
        return;
    }
  }

  void OnAssigned() {
    const events::v1::Assigned& assigned = event_.assigned();
    const int32_t sequence = std::max(1, assigned.sequence());
    if (sequence <= out_.state.assignment_sequence()) {
      Note("assignment " + std::to_string(sequence) + " seen before: nothing changes");
      return;
    }
    SlaCaseState& state = out_.state;
    state.set_assignment_sequence(sequence);
    if (!event_.unit().empty()) state.set_unit(event_.unit());
    if (assigned.level() != events::v1::LEVEL_UNSPECIFIED) state.set_level(assigned.level());
    if (assigned.urgency() != events::v1::URGENCY_UNSPECIFIED) {
      state.set_urgency(assigned.urgency());
    }
    if (!assigned.category().empty()) state.set_category(assigned.category());
    if (!state.has_received_at()) {
      *state.mutable_received_at() =
          assigned.has_received_at() ? assigned.received_at() : event_.occurred_at();
    }
    if (state.phase() == sla::v1::CASE_PHASE_UNSPECIFIED) state.set_phase(sla::v1::CASE_PHASE_OPEN);
    Retarget(state.unit());
    if (!Open()) return;
    Arm(events::v1::CLOCK_ACCEPT, at_);
    // Armed by the first assignment; a later one arms them only if they were never seen (a
    // history that starts after the first assignment).
    for (ClockKind clock : {events::v1::CLOCK_FIRST_CONTACT, events::v1::CLOCK_RESOLUTION}) {
      if (Find(clock) == nullptr) Arm(clock, at_);
    }
    if (Find(events::v1::CLOCK_REGULATORY) == nullptr) {
      Arm(events::v1::CLOCK_REGULATORY, FloorMillis(FromProto(state.received_at())));
    }
  }

  void OnExtension() {
    auto planned = PlanExtension(event_.extension_approved());
    if (!planned.ok()) {
      out_.refused = planned.status();
      Note("refused: " + std::string(planned.status().message()));
      return;
    }
    if (!planned->has_value()) {
      Note("extension already in force: nothing changes");
      return;
    }
    const ClockState& clock = **planned;
    const ClockState* before = Find(clock.clock());
    if (at_ > FromProto(before->due_at())) {
      Note("extension of " + Name(clock.clock()) + " approved after its deadline had passed");
    }
    Note(Name(clock.clock()) + " extended to " + SpanText(clock.span()) +
         (clock.extension_stage() > 0 ? " (stage " + std::to_string(clock.extension_stage()) + ")"
                                      : std::string(" (agreed deadline)")));
    Put(clock);
  }

  void OnPaused() {
    const PauseReason reason = event_.paused().reason();
    if (reason == events::v1::PAUSE_REASON_UNSPECIFIED) {
      out_.refused = absl::InvalidArgumentError("pause: reason is required");
      Note("refused: pause without a reason");
      return;
    }
    if (PauseActive(reason)) {
      Note("pause " + events::v1::PauseReason_Name(reason) + " already in force");
      return;
    }
    out_.state.add_active_pauses(reason);
    for (ClockKind kind : kAllClocks) {
      const ClockState* clock = Find(kind);
      if (clock == nullptr || clock->status() != sla::v1::CLOCK_STATUS_RUNNING) continue;
      const auto policy = engine_.policies().Resolve(kind, SubjectOf(out_.state));
      if (!policy.has_value() || !Listed(policy->policy, reason)) continue;
      ClockState paused = *clock;
      paused.set_status(sla::v1::CLOCK_STATUS_PAUSED);
      *paused.mutable_paused_at() = ToProto(at_);
      Put(paused);
    }
  }

  void OnResumed() {
    const PauseReason reason = event_.resumed().reason();
    auto* active = out_.state.mutable_active_pauses();
    const int before = active->size();
    active->erase(std::remove_if(active->begin(), active->end(),
                                 [&](int r) {
                                   return reason == events::v1::PAUSE_REASON_UNSPECIFIED ||
                                          r == reason;
                                 }),
                  active->end());
    if (active->size() == before) {
      Note("no pause in force to end");
      return;
    }
    for (ClockKind kind : kAllClocks) {
      const ClockState* clock = Find(kind);
      if (clock == nullptr || clock->status() != sla::v1::CLOCK_STATUS_PAUSED) continue;
      const auto policy = engine_.policies().Resolve(kind, SubjectOf(out_.state));
      const bool still_paused =
          policy.has_value() &&
          std::any_of(active->begin(), active->end(),
                      [&](int r) { return Listed(policy->policy, r); });
      if (still_paused) continue;
      ClockState resumed = *clock;
      const Measure measure = MeasureOf(resumed.span());
      const absl::Duration paused =
          Between(engine_.calendar(), measure, FromProto(resumed.paused_at()), at_);
      resumed.set_excluded_ms(resumed.excluded_ms() + Millis(paused));
      resumed.set_status(sla::v1::CLOCK_STATUS_RUNNING);
      resumed.clear_paused_at();
      resumed.set_version(version_);
      *resumed.mutable_due_at() = ToProto(engine_.DueOf(resumed));
      Put(resumed);
    }
  }

  void OnNewFacts() {
    if (!Open()) {
      Note("new facts on a complaint that is not open: a reopening decides");
      return;
    }
    for (ClockKind kind : kAllClocks) {
      const ClockState* clock = Find(kind);
      if (clock == nullptr || clock->status() == sla::v1::CLOCK_STATUS_STOPPED) continue;
      const auto policy = engine_.policies().Resolve(kind, SubjectOf(out_.state));
      if (!policy.has_value() || !policy->policy.restart_on_new_facts()) continue;
      if (Arm(kind, at_)) Note(Name(kind) + " restarted on new facts");
    }
  }

  // 跟回复: a contact keeps the promise before it (met when before its time; a missed one has
  // breached already), and a promise it makes arms the clock again, due at the promised time.
  void OnPromise() {
    const ClockState* promise = Find(events::v1::CLOCK_PROMISE);
    if (promise != nullptr && FromProto(promise->started_at()) == at_) {
      return;  // the contact that made this promise, re-emitted under a new offset
    }
    Stop(events::v1::CLOCK_PROMISE);
    const events::v1::ContactLogged& contact = event_.contact_logged();
    if (!contact.has_next_contact_promised_at() || !Open()) return;
    const absl::Time promised = FloorMillis(FromProto(contact.next_contact_promised_at()));
    if (promised <= at_) {
      Note("a promised contact at or before the contact itself: not armed");
      return;
    }
    const auto resolved = engine_.policies().Resolve(events::v1::CLOCK_PROMISE,
                                                     SubjectOf(out_.state));
    if (!resolved.has_value()) {
      Note(Name(events::v1::CLOCK_PROMISE) + " is disabled for this complaint: not armed");
      return;
    }
    const sla::v1::ClockPolicy& policy = resolved->policy;
    ClockState clock;
    clock.set_clock(events::v1::CLOCK_PROMISE);
    clock.set_status(sla::v1::CLOCK_STATUS_RUNNING);
    clock.set_version(version_);
    clock.set_unit(out_.state.unit());
    *clock.mutable_started_at() = ToProto(at_);
    clock.set_rule(resolved->rule);
    // The customer was given a time: no sensitive period moves it, no pause stops it.
    *clock.mutable_promised_at() = ToProto(promised);
    absl::Duration lead = kDefaultPromiseReminder;
    if (policy.has_warn_before()) {
      lead = policy.warn_before().has_calendar_hours()
                 ? absl::Hours(policy.warn_before().calendar_hours())
                 : absl::Minutes(policy.warn_before().calendar_minutes());
    }
    clock.set_warn_before_ms(Millis(lead));
    for (const auto& step : policy.alerts().escalation()) {
      *clock.add_escalation() = step.after();
      clock.add_escalation_action(step.action());
      clock.add_escalation_role(step.role());
    }
    *clock.mutable_due_at() = ToProto(engine_.DueOf(clock));
    Put(clock);
  }

  void OnReopened() {
    std::vector<ClockKind> rearm;
    for (ClockKind kind : kAllClocks) {
      const auto policy = engine_.policies().Resolve(kind, SubjectOf(out_.state));
      if (!policy.has_value() || !policy->policy.rearm_on_reopen()) continue;
      const ClockState* clock = Find(kind);
      // Re-emitted after a crash (a new offset, the same instant): already applied.
      if (clock != nullptr && FromProto(clock->started_at()) == at_) {
        Note("reopening seen before: nothing changes");
        return;
      }
      rearm.push_back(kind);
    }
    out_.state.set_phase(sla::v1::CASE_PHASE_OPEN);
    for (ClockKind kind : rearm) Arm(kind, at_);
  }

  // A fresh deadline for `kind` counted from `start`, by the policy for the complaint as it is.
  // False when nothing changed.
  bool Arm(ClockKind kind, absl::Time start) {
    const ClockState* existing = Find(kind);
    if (existing != nullptr && FromProto(existing->started_at()) == start) {
      return false;  // the event that armed it, re-emitted under a new offset
    }
    const auto resolved = engine_.policies().Resolve(kind, SubjectOf(out_.state));
    if (!resolved.has_value()) {
      Note(Name(kind) + " has no policy for this complaint: not armed");
      return false;
    }
    const sla::v1::ClockPolicy& policy = resolved->policy;
    ClockState clock;
    clock.set_clock(kind);
    clock.set_status(sla::v1::CLOCK_STATUS_RUNNING);
    clock.set_version(version_);
    clock.set_unit(out_.state.unit());
    *clock.mutable_started_at() = ToProto(start);
    *clock.mutable_span() = policy.span();
    clock.set_rule(resolved->rule);

    SensitiveFactors factors;
    if (!engine_.policies().file().ignore_sensitive_periods()) {
      factors = engine_.calendar().SensitivityAt(start);
    }
    double warning_factor = 1;
    if (factors.warning_factor > 0 && factors.warning_factor < 1) {
      warning_factor = factors.warning_factor;
    }
    if (!policy.statutory() && factors.deadline_factor > 0 && factors.deadline_factor < 1) {
      clock.set_deadline_factor(factors.deadline_factor);
    }
    if (clock.deadline_factor() > 0 || warning_factor < 1) {
      clock.set_sensitive_period(factors.name);
    }
    for (double fraction : policy.alerts().warn_at()) clock.add_warn_at(fraction * warning_factor);
    for (const auto& step : policy.alerts().escalation()) {
      *clock.add_escalation() = step.after();
      clock.add_escalation_action(step.action());
      clock.add_escalation_role(step.role());
    }

    if (std::any_of(out_.state.active_pauses().begin(), out_.state.active_pauses().end(),
                    [&](int r) { return Listed(policy, r); })) {
      clock.set_status(sla::v1::CLOCK_STATUS_PAUSED);
      *clock.mutable_paused_at() = ToProto(std::max(start, at_));
    }
    *clock.mutable_due_at() = ToProto(engine_.DueOf(clock));
    Put(clock);
    return true;
  }

  void Stop(ClockKind kind) {
    const ClockState* clock = Find(kind);
    if (clock == nullptr || clock->status() == sla::v1::CLOCK_STATUS_STOPPED) return;
    ClockState stopped = *clock;
    stopped.set_status(sla::v1::CLOCK_STATUS_STOPPED);
    *stopped.mutable_stopped_at() = ToProto(at_);
    Put(stopped);
  }

  void StopAll() {
    for (ClockKind kind : kAllClocks) Stop(kind);
    out_.state.clear_active_pauses();
  }

  // The clocks that still count move to `unit`; stopped ones keep the unit they were met by.
  void Retarget(const std::string& unit) {
    if (unit.empty()) return;
    for (ClockState& clock : *out_.state.mutable_clocks()) {
      if (clock.status() != sla::v1::CLOCK_STATUS_STOPPED && clock.unit() != unit) {
        clock.set_unit(unit);
      }
    }
  }

  bool Open() const { return out_.state.phase() == sla::v1::CASE_PHASE_OPEN; }

  bool PauseActive(PauseReason reason) const {
    const auto& active = out_.state.active_pauses();
    return std::find(active.begin(), active.end(), reason) != active.end();
  }

  const ClockState* Find(ClockKind kind) const { return FindClock(out_.state, kind); }

  // Inserts or replaces the clock, keeping the clocks in Clock order.
  void Put(const ClockState& clock) {
    auto* clocks = out_.state.mutable_clocks();
    for (ClockState& existing : *clocks) {
      if (existing.clock() == clock.clock()) {
        existing = clock;
        return;
      }
    }
    *clocks->Add() = clock;
    std::sort(clocks->begin(), clocks->end(),
              [](const ClockState& a, const ClockState& b) { return a.clock() < b.clock(); });
  }

  void Note(std::string note) { out_.notes.push_back(std::move(note)); }

  // The updates and plans, from the clocks before and after.
  void Summarise() {
    for (const ClockState& after : out_.state.clocks()) {
      const ClockState* before = FindClock(before_, after.clock());
      ClockUpdate update{.kind = ClockUpdate::Kind::kArmed, .clock = after, .first = std::nullopt};
      const bool new_version = before == nullptr || before->version() != after.version();
      if (new_version) {
        switch (after.status()) {
          case sla::v1::CLOCK_STATUS_RUNNING:
            update.kind = ClockUpdate::Kind::kArmed;
            update.first = engine_.FirstFiringFrom(after, at_);
            break;
          case sla::v1::CLOCK_STATUS_PAUSED:
            update.kind = ClockUpdate::Kind::kPaused;
            break;
          default:
            update.kind = ClockUpdate::Kind::kStopped;
            break;
        }
      } else if (before->status() != after.status()) {
        if (after.status() == sla::v1::CLOCK_STATUS_STOPPED) {
          update.kind = ClockUpdate::Kind::kStopped;
        } else if (after.status() == sla::v1::CLOCK_STATUS_PAUSED) {
          update.kind = ClockUpdate::Kind::kPaused;
        } else {
          continue;  // running again only with a new version
        }
      } else if (before->unit() != after.unit()) {
        update.kind = ClockUpdate::Kind::kRetargeted;
      } else {
        continue;
      }
      out_.updates.push_back(std::move(update));
    }
    for (const ClockState& clock : out_.state.clocks()) {
      if (clock.status() != sla::v1::CLOCK_STATUS_RUNNING) continue;
      ClockPlan plan{.clock = clock.clock(),
                     .version = clock.version(),
                     .due = FromProto(clock.due_at()),
                     .pending = {}};
      for (const Firing& firing : engine_.Schedule(clock)) {
        if (firing.at >= at_) plan.pending.push_back(firing);
      }
      out_.running.push_back(std::move(plan));
    }
  }

  const PolicyEngine& engine_;
  const SlaCaseState& before_;
  const CaseEvent& event_;
  const int64_t version_;
  const absl::Time at_;
  Outcome out_;
};

}  // namespace

absl::StatusOr<Outcome> PolicyEngine::Apply(const SlaCaseState& state, const CaseEvent& event,
                                            int64_t version) const {
  if (event.complaint_id().empty()) return absl::InvalidArgumentError("complaint_id is required");
  if (!event.has_occurred_at()) return absl::InvalidArgumentError("occurred_at is required");
  if (version < 0) return absl::InvalidArgumentError("version must not be negative");
  if (state.has_applied_version() && version <= state.applied_version()) {
    Outcome outcome;
    outcome.state = state;
    outcome.duplicate = true;
    return outcome;
  }
  return Transition(*this, state, event, version).Run();
}

absl::Status PolicyEngine::CheckExtension(const SlaCaseState& state,
                                          const ExtensionApproved& extension,
                                          absl::Time at) const {
  CaseEvent event;
  *event.mutable_occurred_at() = ToProto(at);
  const int64_t version = state.has_applied_version() ? state.applied_version() + 1 : 0;
  auto planned = Transition(*this, state, event, version).PlanExtension(extension);
  return planned.ok() ? absl::OkStatus() : planned.status();
}

}  // namespace complaints::sla_policy
