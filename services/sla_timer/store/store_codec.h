#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/sla_timer/store/alerts.h"
#include "services/sla_timer/store/deadline_store.h"
#include "services/sla_timer/store/clocks.h"

namespace complaints::sla_timer {

// How the Redis store writes scheduled alerts and complaint state: compact binary forms, pure so
// that they are tested without Redis. Ten million live deadlines must fit in ~150 bytes each,
// so every byte here is paid ten million times.

// A scheduled alert as a sorted-set member, 8 bytes of "head" then the complaint id:
//   byte 0   clock << 4 | kind << 1 | 1 if the id is packed
//   byte 1   step
//   2..7     deadline version, 48-bit big-endian
//   8..      the complaint id: a standard id ("CMP" + 20 upper-case hex digits, see
//            common::ComplaintIdFor) packed into its 10 bytes, any other id as it is.
// InvalidArgument when a field does not fit (clock > 15, kind > 7, step outside 0..255,
// version outside 0..2^48-1, empty id).
inline constexpr size_t kMemberHeadSize = 8;
absl::StatusOr<std::string> EncodeMember(const AlertKey& key);
absl::StatusOr<AlertKey> DecodeMember(std::string_view member);
// The id part of a member (what follows the head).
std::string PackComplaintId(const std::string& complaint_id);

// A complaint on a worklist, as a sorted-set member: 1 then the packed id for a standard id, 0
// then the id as it is for any other.
std::string EncodeWorklistMember(const std::string& complaint_id);
absl::StatusOr<std::string> DecodeWorklistMember(std::string_view member);

// A complaint's value (one Redis string per complaint):
//   byte 0        format, 2 (1: as 2 without the worklist entry; still read)
//   1..6          last applied case-event offset + 1, 48-bit big-endian (0: none yet)
//   7             n, the number of scheduled alerts of the complaint (at most one per clock)
//   8..8+14n      each: member head (8 bytes), bucket slot (u32 BE), bucket number (u16 BE)
//   then          the unit worklist entry: unit length (1 byte, 0: none), the unit, and where
//                 the entry is (slot u32 BE, bucket number u16 BE; absent when there is none)
//   then          body length (u16 BE) and the body: assignment sequence (zigzag varint),
//                 clock count (varint), each clock (below)
//   the rest      the policy engine's state (EncodePolicyState): empty, or a tag byte (0 as
//                 it is, 1 raw deflate, 2 raw deflate with preset dictionary 1) and the bytes
// The Lua scripts read and rewrite the header and the schedule; only C++ reads the body and
// the policy state.
// Each clock: clock number, state number, flags (same unit / armed_at / version as the clock
// before it), then due - armed_at (zigzag varint ms), armed_at (zigzag varint unix ms),
// version (varint), unit (varint length + bytes), the last three only where they differ from
// the clock before.
inline constexpr char kCaseFormat = 2;
inline constexpr size_t kPendingSize = 14;

// The policy engine's state as stored: deflated (raw deflate, RFC 1951) with a preset
// dictionary of typical SlaCaseState values, or without it when the dictionary does not make it
// smaller, when `compress` and that is smaller than the state. A typical SlaCaseState of four clocks goes from ~360 to ~95
// bytes; it is most of what a complaint costs in Redis.
std::string EncodePolicyState(std::string_view state, bool compress);
absl::StatusOr<std::string> DecodePolicyState(std::string_view stored);

// The 6 bytes of an offset as stored in the header (-1 → zeros). InvalidArgument outside
// -1..2^48-2.
absl::StatusOr<std::string> EncodeOffset(int64_t offset);
// The body (without its length prefix). InvalidArgument if it would exceed 65535 bytes or a
// clock or state number does not fit.
absl::StatusOr<std::string> EncodeCaseBody(int32_t assignment_sequence,
                                           const std::map<ClockKind, ClockEntry>& clocks);

// Where the scheduled alert of one clock is, as the header lists it.
struct PendingRef {
  std::string head;  // the member's first kMemberHeadSize bytes
  uint32_t slot = 0;
  uint16_t number = 0;
  bool operator==(const PendingRef&) const = default;
};

// Where the complaint's entry in its unit's worklist is (RedisDeadlineStore: the unit's
// bucket of that day).
struct WorklistRef {
  std::string unit;  // at most 255 bytes
  uint32_t slot = 0;
  uint16_t number = 0;
  bool operator==(const WorklistRef&) const = default;
};

// A whole value, header, schedule and body; for Load, Lookup and tests.
struct DecodedCase {
  StoredCase stored;
  std::vector<PendingRef> pending;
  std::optional<WorklistRef> worklist;
};
absl::StatusOr<DecodedCase> DecodeCaseValue(std::string_view value);
// The inverse, for tests and tools (the scripts write the schedule themselves).
absl::StatusOr<std::string> EncodeCaseValue(const StoredCase& stored,
                                            const std::vector<PendingRef>& pending = {},
                                            bool compress = true,
                                            const std::optional<WorklistRef>& worklist = {});

}  // namespace complaints::sla_timer
