#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "complaints/analytics/v1/analytics.pb.h"
#include "complaints/analytics/v1/snapshot.pb.h"
#include "complaints/events/v1/case.pb.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/events/v1/sla.pb.h"
#include "libs/kafka/consumer.h"
#include "services/analytics/hot_spots.h"

namespace complaints::analytics {

// Interned dimension values: the aggregates hold small integers, not strings.
class Dictionary {
 public:
  int32_t Intern(const std::string& value);
  const std::string& Name(int32_t index) const;  // "" for -1
  int32_t Find(const std::string& value) const;  // -1 when unknown
  const std::vector<std::string>& names() const { return names_; }
  void Clear() {
    names_.clear();
    index_.clear();
  }

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, int32_t> index_;
};

// What the aggregator knows of one complaint, from every event about it (in whatever order they
// come). Times are seconds since the epoch; 0 = not seen.
struct ComplaintState {
  int64_t received_at = 0;
  int64_t first_resolved_at = 0;
  int64_t last_resolved_at = 0;
  int64_t last_closed_at = 0;
  int64_t last_reopened_at = 0;
  int32_t category = -1, product = -1, branch = -1, first_unit = -1, current_unit = -1;
  int32_t first_sequence = 0, current_sequence = 0;
  uint32_t breached = 0;  // bit per Clock number
  uint32_t alerted = 0;   // bit per Clock number: any alert of that clock
  int32_t channel = 0, level = 0;
  uint32_t flags = 0;     // kRepeat, kMerged, ...
  int32_t resolved_count = 0, reopened_count = 0, satisfied = 0, unsatisfied = 0;
  int32_t partly_satisfied = 0;
  // 跟回复: next contacts promised (contact_logged.next_contact_promised_at) and PROMISE
  // breaches. The latest promise is open (kPromiseOpen) until the next contact, resolution or
  // close; its deadline version is the offset of the contact that made it, which its breach
  // carries, so that an open promise already missed counts as decided.
  int32_t promises = 0, promises_missed = 0;
  int64_t open_promise_version = -1, missed_promise_version = -1;
  std::vector<uint64_t> seen;  // stable hashes of the ce_ids applied

  static constexpr uint32_t kRepeat = 1, kMerged = 2, kEscalated = 4, kAccepted = 8,
                            kContacted = 16, kTransferred = 32, kUnitFed = 64,
                            kPromiseOpen = 128;
  bool Has(uint32_t flag) const { return (flags & flag) != 0; }
};

// The topics the aggregator reads, by role (benchmarks replay into topics of their own).
struct AggregatorTopics {
  std::string received = "complaints.received.v1";
  std::string case_events = "complaints.case.v1";
  std::string alerts = "sla.alerts.v1";
  std::string tasks = "followup.tasks.v1";
};

// One record made ready to fold (DecodeRecord): validated and parsed apart from the aggregator's
// state, so that a replay can parse on one core while the aggregator folds on the other
// (AggregatesConsumer). Reused from batch to batch: parsing into a live message reuses its memory.
struct DecodedRecord {
  enum class Source { kReceived, kCase, kAlert, kTask };
  Source source = Source::kReceived;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  absl::Time timestamp = absl::UnixEpoch();  // the record's, for events written without a time
  std::string complaint_id;                  // ce_subject, else the message's complaint_id
  uint64_t event_hash = 0;                   // of ce_id (StableHash)
  // The message, by source.
  events::v1::ComplaintReceived received;
  events::v1::CaseEvent case_event;
  events::v1::SlaAlert alert;
  events::v1::FollowUpTask task;
};

// InvalidArgument (dead letter) for a record that does not parse, of a topic not aggregated, or
// without a complaint id or ce_id. Touches nothing but `out`.
absl::Status DecodeRecord(const kafka::IncomingRecord& record, const AggregatorTopics& topics,
                          DecodedRecord* out);

// 分析: the aggregates of services/analytics README ("Aggregates") and the hot spots, folded
// from the records of complaints.received.v1, complaints.case.v1, sla.alerts.v1 and
// followup.tasks.v1 (all keyed by complaint id). Pure: no clock, no I/O; not thread-safe.
//
// The figures of a complaint go to its cell: (day of receipt, category, first handling unit,
// channel, level). Every event recomputes the complaint's contribution and moves the difference
// into its cell, so the order in which a complaint's events arrive does not matter, and a replay
// of the same records (any interleaving of partitions) gives the same aggregates.
class Aggregator {
 public:
  static constexpr int kClocks = 16;       // Clock numbers 0..15
  static constexpr int kBuckets = 64;      // time-to-resolve histogram (minutes, x1.25 per bucket)
  static constexpr int kAgeBuckets = 6;
  static constexpr size_t kRecentAlerts = 50;

  explicit Aggregator(HotSpotOptions hot_spots = {}, AggregatorTopics topics = {});

  // One record. A record of a partition at an offset below what was already applied, or whose
  // ce_id was applied, changes nothing. InvalidArgument (dead letter) for a record that does not
  // parse, of a topic not aggregated, or without a complaint id. Hot spots it raises are
  // appended to `raised` when given.
  absl::Status Apply(const kafka::IncomingRecord& record,
                     std::vector<events::v1::HotSpotAlert>* raised = nullptr);
  // Apply's second half, for a record DecodeRecord accepted.
  void Fold(const DecodedRecord& record, std::vector<events::v1::HotSpotAlert>* raised = nullptr);
  const AggregatorTopics& topics() const { return topics_; }

  // `category_groups`, when given, maps categories to the groups reported instead of them when
  // grouping by category (JR/T 0169 business classes or causes); unmapped ones go to "other".
  absl::StatusOr<analytics::v1::GetAggregatesResponse> Aggregates(
      const analytics::v1::GetAggregatesRequest& request,
      const absl::flat_hash_map<std::string, std::string>* category_groups = nullptr) const;
  // The same answer from a scan of every cell, without the roll-ups: the reference the roll-ups
  // are tested against.
  absl::StatusOr<analytics::v1::GetAggregatesResponse> AggregatesByFullScan(
      const analytics::v1::GetAggregatesRequest& request,
      const absl::flat_hash_map<std::string, std::string>* category_groups = nullptr) const;
  // Open complaints by current unit, aged at `now_seconds`.
  analytics::v1::GetBacklogResponse Backlog(const std::string& unit, int64_t now_seconds) const;
  // Newest first.
  std::vector<events::v1::HotSpotAlert> HotSpots(int limit) const;
  // Those whose window starts in [start, end) (seconds), in the order raised: copies only them.
  std::vector<events::v1::HotSpotAlert> HotSpotsStartingIn(int64_t start, int64_t end) const;
  // The latest SLA alerts folded (by their fired_at), newest first; kept in memory only (a
  // restart from a checkpoint starts it empty).
  std::vector<events::v1::SlaAlert> RecentAlerts() const;

  // The next offset of each partition applied so far.
  const std::map<std::pair<std::string, int32_t>, int64_t>& offsets() const { return offsets_; }
  int64_t events_applied() const { return events_applied_; }
  size_t complaints() const { return complaints_.size(); }

  analytics::v1::AggregatesSnapshot Snapshot() const;
  // Replaces everything with the snapshot's state. InvalidArgument for a snapshot of another
  // version (the caller replays instead).
  absl::Status Restore(const analytics::v1::AggregatesSnapshot& snapshot);

  // The clock number of "CLOCK_PROMISE" in this build's events, or -1 when there is none.
  static int PromiseClock();

 private:
  struct CellKey {
    int32_t day, category, unit, channel, level;
    bool operator==(const CellKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const CellKey& k) {
      return H::combine(std::move(h), k.day, k.category, k.unit, k.channel, k.level);
    }
  };
  enum Counter {
    kVolume, kEscInternal, kEscRegulator, kRepeats, kResolved, kFirstContact, kSatisfied,
    kUnsatisfied, kPartlySatisfied, kReopened, kDecided, kOnTime = kDecided + kClocks, kCounters = kOnTime + kClocks
  };
  // 32-bit: a cell counts complaints of one period (a month at most), and half the size halves
  // the memory a replay fills (a million complaints make about as many cells).
  struct Cell {
    std::array<int32_t, kCounters> counters{};
    std::array<int32_t, kBuckets> resolve_minutes{};
  };
  struct BacklogKey {
    int32_t unit, day;
    bool operator==(const BacklogKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const BacklogKey& k) {
      return H::combine(std::move(h), k.unit, k.day);
    }
  };
  struct BacklogCell {
    int64_t open = 0, overdue = 0;
  };

  // Roll-ups: the cells summed per period (day or month) over the dimensions a query needs (those
  // it groups or filters by), indexed by period. One is made (by a scan of the cells) the first
  // time a query needs it, then kept up to date by every fold, so a query reads only the cells of
  // its periods in the smallest roll-up that answers it. Not in the snapshot: made again after a
  // restore.
  struct RollupKey {
    int32_t category, unit, channel, level;  // kAll when the roll-up does not keep the dimension
    bool operator==(const RollupKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const RollupKey& k) {
      return H::combine(std::move(h), k.category, k.unit, k.channel, k.level);
    }
  };
  static constexpr int32_t kAll = -3;
  static constexpr uint32_t kByCategory = 1, kByUnit = 2, kByChannel = 4, kByLevel = 8;
  struct Rollup {
    bool by_day = false;
    uint32_t dimensions = 0;  // kByCategory | ...
    // Period: the day number, or the day number of the month's first day.
    // Node maps, as for cells_: a growing flat map moved every cell at each resize.
    absl::btree_map<int32_t, absl::node_hash_map<RollupKey, Cell>> periods;
    Cell& CellOf(int32_t day, const CellKey& key);
  };
  // Roll-up number: by_day * 16 + dimensions.
  static constexpr int kRollups = 32;

  absl::StatusOr<analytics::v1::GetAggregatesResponse> Query(
      const analytics::v1::GetAggregatesRequest& request,
      const absl::flat_hash_map<std::string, std::string>* category_groups, bool full_scan) const;
  const Rollup& RollupFor(bool by_day, uint32_t dimensions) const;
  void MakeStandardRollups();
  static void AddCounts(Cell& cell, const ComplaintState& s, int sign);
  // What one complaint adds to its cell and to the backlog. Computed before and after an event,
  // so that only the difference is moved: one look-up per cell, none when nothing changed.
  struct Contribution {
    bool counted = false;  // received: it has a cell
    CellKey key{};
    Cell cell;             // this complaint's counts alone
    bool open = false;     // in the backlog, at `backlog`
    BacklogKey backlog{};
    bool overdue = false;
  };
  static Contribution ContributionOf(const ComplaintState& state);
  void MoveContribution(const Contribution& before, const Contribution& after);
  // Adds `cell` times `sign` to the cell at `key` and to the roll-ups.
  void AddCell(const CellKey& key, const Cell& cell, int sign);
  void RaiseFor(const std::string& id, ComplaintState& state,
                std::vector<events::v1::HotSpotAlert>* raised, bool new_receipt);
  static bool IsOpen(const ComplaintState& state);

  Dictionary strings_;
  absl::flat_hash_map<std::string, ComplaintState> complaints_;
  // A node map: cells are large, and a flat map's resize moved them all (a replay spent a fifth
  // of its fold there, mostly clearing the new pages).
  absl::node_hash_map<CellKey, Cell> cells_;
  absl::flat_hash_map<BacklogKey, BacklogCell> backlog_;
  // Made by queries (under the caller's lock, as everything here), kept by folds.
  mutable std::array<std::unique_ptr<Rollup>, kRollups> rollups_;
  mutable std::vector<Rollup*> live_rollups_;
  std::map<std::pair<std::string, int32_t>, int64_t> offsets_;
  HotSpotDetector detector_;
  AggregatorTopics topics_;
  std::vector<events::v1::HotSpotAlert> raised_;
  std::vector<events::v1::SlaAlert> recent_alerts_;  // oldest first, at most kRecentAlerts
  int64_t events_applied_ = 0;

  // The partition last folded and its entry in offsets_ (records come in runs of a partition);
  // forgotten when the aggregator is copied or restored.
  struct OffsetCache {
    OffsetCache() = default;
    OffsetCache(const OffsetCache&) {}
    OffsetCache& operator=(const OffsetCache&) {
      next = nullptr;
      return *this;
    }
    std::string topic;
    int32_t partition = 0;
    int64_t* next = nullptr;
  };
  int64_t& NextOffset(const std::string& topic, int32_t partition);
  OffsetCache offset_cache_;

  DecodedRecord decoded_;  // Apply's, reused between records
};

}  // namespace complaints::analytics
