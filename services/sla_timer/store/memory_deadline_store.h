#pragma once

// For tests: the DeadlineStore contract in memory, with the semantics of the Redis scripts.

#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "services/sla_timer/store/deadline_store.h"
#include "services/sla_timer/store/store_codec.h"

namespace complaints::sla_timer {

class MemoryDeadlineStore final : public DeadlineStore {
 public:
  struct Case {
    CaseClocks clocks;
    std::string policy_state;
    std::map<ClockKind, std::string> pending;  // clock -> member in its partition's schedule
    std::map<ClockKind, absl::Time> pending_at;  // clock -> its member's time (not its lease)
    absl::Duration expire_after = absl::ZeroDuration();
    std::optional<WorklistSlot> listed;  // where it is on a worklist
  };

  absl::StatusOr<StoredCase> LoadCase(const std::string& complaint_id) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    auto it = cases_.find(complaint_id);
    if (it == cases_.end()) return StoredCase{};
    return StoredCase{it->second.clocks, it->second.policy_state};
  }

  absl::Status Update(int32_t partition, const std::string& complaint_id,
                      const CaseUpdate& update) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    if (guard_partitions && !marked_.contains(partition)) return PartitionStateMissing(partition);
    Case& c = cases_[complaint_id];
    if (c.clocks.last_offset != update.expected_last_offset) {
      return absl::AbortedError("changed concurrently");
    }
    // Validate everything before changing anything, as the script does.
    std::map<ClockKind, std::string> members;
    for (const CaseUpdate::Change& change : update.changes) {
      if (change.change.kind != ClockChange::Kind::kArm) continue;
      const ClockEntry& entry = change.change.entry;
      auto member = EncodeMember(
          {complaint_id, entry.clock, entry.version, change.first.kind, change.first.step});
      if (!member.ok()) return member.status();
      members[entry.clock] = *std::move(member);
    }
    c.clocks.last_offset = update.last_offset;
    c.clocks.assignment_sequence = update.assignment_sequence;
    auto& due = due_[partition];
    for (const CaseUpdate::Change& change : update.changes) {
      const ClockEntry& entry = change.change.entry;
      if (change.change.kind != ClockChange::Kind::kRetarget) {
        // A stop keeps the scheduled alert when it was due before the clock stopped, leased
        // or not.
        if (auto it = c.pending.find(entry.clock); it != c.pending.end()) {
          const bool kept = change.change.kind == ClockChange::Kind::kStop &&
                            due.contains(it->second) &&
                            c.pending_at.at(entry.clock) < entry.stopped_at;
          if (!kept) {
            due.erase(it->second);
            c.pending.erase(it);
            c.pending_at.erase(entry.clock);
          }
        }
        if (change.change.kind == ClockChange::Kind::kArm) {
          const std::string& member = members.at(entry.clock);
          due[member] = change.first.at;
          c.pending[entry.clock] = member;
          c.pending_at[entry.clock] = change.first.at;
        }
      }
      c.clocks.clocks[entry.clock] = entry;
    }
    if (update.clocks) c.clocks.clocks = *update.clocks;
    if (update.policy_state) c.policy_state = *update.policy_state;
    c.expire_after = update.expire_after;
    std::optional<WorklistSlot> listed = WorklistSlotOf(c.clocks.clocks);
    if (listed != c.listed) {
      const std::string member = EncodeWorklistMember(complaint_id);
      if (c.listed) worklists_[c.listed->unit].erase({c.listed->due, member});
      if (listed) worklists_[listed->unit].insert({listed->due, member});
      c.listed = std::move(listed);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<WorklistPage> Worklist(const WorklistQuery& query) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    WorklistPage page;
    const std::string after = query.after ? EncodeWorklistMember(query.after->complaint_id) : "";
    for (const auto& [due, member] : worklists_[query.unit]) {
      if (due > query.until) break;
      ++(due <= query.now ? page.overdue : page.due_soon);
      if ((!query.after || std::pair(due, member) > std::pair(query.after->due, after)) &&
          static_cast<int>(page.entries.size()) < query.limit) {
        page.entries.push_back({*DecodeWorklistMember(member), due});
      }
    }
    return page;
  }

  absl::StatusOr<std::vector<DueItem>> Claim(int32_t partition, absl::Time now,
                                             absl::Time lease_until, int limit) override {
    std::vector<DueItem> items;
    {
      std::lock_guard lock(mu_);
      ++claims_[partition];
      if (!fail_.ok()) return fail_;
      std::multimap<absl::Time, std::string> by_time;
      for (const auto& [member, at] : due_[partition]) {
        if (at <= now) by_time.emplace(at, member);
      }
      for (const auto& [at, member] : by_time) {
        if (static_cast<int>(items.size()) >= limit) break;
        due_[partition][member] = lease_until;
        items.push_back({*DecodeMember(member), lease_until, "memory"});
      }
    }
    if (after_claim) after_claim();
    return items;
  }

  absl::StatusOr<std::vector<std::optional<StoredCase>>> Lookup(
      const std::vector<DueItem>& items) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    std::vector<std::optional<StoredCase>> out;
    for (const DueItem& item : items) {
      auto c = cases_.find(item.key.complaint_id);
      if (c == cases_.end()) {
        out.emplace_back();
      } else {
        out.push_back(StoredCase{c->second.clocks, c->second.policy_state});
      }
    }
    return out;
  }

  absl::Status Acknowledge(int32_t partition, const std::vector<Acknowledgement>& acks) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    auto& due = due_[partition];
    for (const Acknowledgement& ack : acks) {
      auto encoded = EncodeMember(ack.item.key);
      if (!encoded.ok()) return encoded.status();
      const std::string& member = *encoded;
      auto it = due.find(member);
      if (it == due.end() || it->second != ack.item.leased_until) continue;
      due.erase(it);
      Case& c = cases_[ack.item.key.complaint_id];
      auto pending = c.pending.find(ack.item.key.clock);
      if (pending == c.pending.end() || pending->second != member) continue;
      if (ack.next) {
        AlertKey next = ack.item.key;
        next.kind = ack.next->kind;
        next.step = ack.next->step;
        auto next_member = EncodeMember(next);
        if (!next_member.ok()) return next_member.status();
        pending->second = *std::move(next_member);
        due[pending->second] = ack.next->at;
        c.pending_at[ack.item.key.clock] = ack.next->at;
      } else {
        c.pending.erase(pending);
        c.pending_at.erase(ack.item.key.clock);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<absl::Time>> NextDue(int32_t partition) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    std::optional<absl::Time> next;
    for (const auto& [member, at] : due_[partition]) {
      if (!next || at < *next) next = at;
    }
    return next;
  }

  absl::StatusOr<std::vector<int32_t>> UnmarkedPartitions(
      const std::vector<int32_t>& partitions) override {
    std::lock_guard lock(mu_);
    for (int32_t p : partitions) ++marker_checks_[p];
    if (!fail_.ok()) return fail_;
    std::vector<int32_t> out;
    for (int32_t p : partitions) {
      if (!marked_.contains(p)) out.push_back(p);
    }
    return out;
  }

  absl::Status MarkPartitions(const std::vector<int32_t>& partitions) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    marked_.insert(partitions.begin(), partitions.end());
    return absl::OkStatus();
  }

  // Test access.
  // Redis came back empty: everything goes, markers included.
  void Lose() {
    std::lock_guard lock(mu_);
    cases_.clear();
    due_.clear();
    worklists_.clear();
    marked_.clear();
  }
  // As RedisDeadlineStore::Options::guard_partitions; set before use.
  bool guard_partitions = false;
  std::map<std::string, absl::Time> Scheduled(int32_t partition) {
    std::lock_guard lock(mu_);
    return due_[partition];
  }
  Case Get(const std::string& complaint_id) {
    std::lock_guard lock(mu_);
    return cases_[complaint_id];
  }
  void FailWith(absl::Status status) {
    std::lock_guard lock(mu_);
    fail_ = std::move(status);
  }
  // How many times a partition was claimed from / had its marker checked: lets a test wait
  // until a loop has gone round, instead of sleeping.
  int claims(int32_t partition) {
    std::lock_guard lock(mu_);
    return claims_[partition];
  }
  int marker_checks(int32_t partition) {
    std::lock_guard lock(mu_);
    return marker_checks_[partition];
  }
  // Runs after each Claim, outside the lock: a concurrent update between claim and publish.
  std::function<void()> after_claim;

 private:
  std::mutex mu_;
  absl::Status fail_;
  std::map<std::string, Case> cases_;
  std::map<int32_t, std::map<std::string, absl::Time>> due_;
  std::set<int32_t> marked_;
  std::map<int32_t, int> claims_;
  std::map<int32_t, int> marker_checks_;
  // unit -> (due, worklist member): the order of the Redis store's worklists.
  std::map<std::string, std::set<std::pair<absl::Time, std::string>>> worklists_;
};

}  // namespace complaints::sla_timer
