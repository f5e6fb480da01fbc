#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/sla.pb.h"

namespace complaints::sla_timer {

// events::v1::Clock names a kind of SLA clock; common::Clock is where time comes from.
using ClockKind = events::v1::Clock;

// One SLA clock of a complaint. A stopped clock is kept (with the deadline it had) so that a
// duplicate of the event that armed it is recognised and does not arm it again.
struct ClockEntry {
  enum class State { kRunning, kStopped };

  ClockKind clock = events::v1::CLOCK_UNSPECIFIED;
  State state = State::kRunning;
  absl::Time due = absl::UnixEpoch();
  // The offset in complaints.case.v1 of the event that armed this deadline: stable across
  // redeliveries and a rebuild from Kafka, and growing with every re-arm.
  int64_t version = 0;
  absl::Time armed_at = absl::UnixEpoch();
  std::string unit;  // who must act before `due`
  // When a stopped clock stopped (whole milliseconds): its alerts due before then still
  // fire, so that an acceptance or resolution applied after its deadline (a backlog, a replay)
  // does not swallow the breach it came too late for. InfinitePast while running, and when not
  // known (a store that keeps no engine state): then nothing fires once it is stopped.
  absl::Time stopped_at = absl::InfinitePast();

  bool running() const { return state == State::kRunning; }
  bool operator==(const ClockEntry&) const = default;
};

// Everything the timer remembers about one complaint.
struct CaseClocks {
  std::map<ClockKind, ClockEntry> clocks;
  // Offset in complaints.case.v1 of the last event that changed anything; -1 before the first.
  // Records at or below it are redeliveries and are skipped.
  int64_t last_offset = -1;
  // Highest assignment sequence applied; older or repeated assignments change nothing.
  int32_t assignment_sequence = 0;

  bool operator==(const CaseClocks&) const = default;
};

struct ClockChange {
  enum class Kind {
    kArm,       // a new deadline (new version): replaces whatever was scheduled for the clock
    kStop,      // the clock is fulfilled: nothing more fires for it
    kRetarget,  // same deadline and version, another unit is now responsible
  };
  Kind kind = Kind::kArm;
  ClockEntry entry;  // the clock as it is after the change
  bool operator==(const ClockChange&) const = default;
};

// One alert a running clock will raise, and when.
struct Firing {
  events::v1::AlertKind kind = events::v1::ALERT_KIND_BREACH;
  int32_t step = 0;  // escalation step; 0 for warnings and the breach
  absl::Time at = absl::UnixEpoch();
  bool operator==(const Firing&) const = default;
};

}  // namespace complaints::sla_timer
