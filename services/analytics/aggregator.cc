#include "services/analytics/aggregator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "libs/events/topics.h"
#include "libs/grpcutil/status.h"

namespace complaints::analytics {
namespace {

using events::v1::CaseEvent;

constexpr int kSnapshotVersion = 2;  // 2: partly satisfied answers and promises
constexpr int kAgeLimits[] = {1, 3, 7, 15, 30};  // days: the upper bounds of the age buckets
constexpr const char* kAgeLabels[] = {"<1d", "1-3d", "3-7d", "7-15d", "15-30d", ">=30d"};

// FNV-1a: stable across processes and builds, unlike absl::Hash (seeded per process), because
// the hashes of applied ce_ids are kept in snapshots.
uint64_t StableHash(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

const std::string* Header(const kafka::IncomingRecord& record, std::string_view name) {
  for (const auto& [key, value] : record.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

absl::Status Parse(const kafka::IncomingRecord& record, google::protobuf::Message& message) {
  const std::string* type = Header(record, "ce_type");
  if (type == nullptr) return absl::InvalidArgumentError("record has no ce_type header");
  if (*type != message.GetDescriptor()->full_name()) {
    return absl::InvalidArgumentError("ce_type " + *type + " is not " +
                                      message.GetDescriptor()->full_name() + " on " +
                                      record.topic);
  }
  if (!message.ParseFromString(record.value)) {
    return absl::InvalidArgumentError("value is not a valid " +
                                      message.GetDescriptor()->full_name());
  }
  return absl::OkStatus();
}

int64_t Seconds(const google::protobuf::Timestamp& t, const DecodedRecord& record) {
  if (t.seconds() != 0 || t.nanos() != 0) return t.seconds();
  return absl::ToUnixSeconds(record.timestamp);  // events written without their own time
}

int Bucket(int64_t minutes) {
  if (minutes < 1) return 0;
  const int b = 1 + static_cast<int>(std::floor(std::log(static_cast<double>(minutes)) /
                                                std::log(1.25)));
  return std::min(b, Aggregator::kBuckets - 1);
}

double BucketMinutes(int bucket) {
  if (bucket == 0) return 0.5;
  return std::pow(1.25, bucket - 0.5);  // the geometric middle of [1.25^(b-1), 1.25^b)
}

double Quantile(const std::array<int32_t, Aggregator::kBuckets>& histogram, double q) {
  int64_t total = 0;
  for (int64_t n : histogram) total += n;
  if (total == 0) return 0;
  // Nearest rank: the smallest value with at least q of the observations at or below it.
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * total)));
  int64_t seen = 0;
  for (int b = 0; b < Aggregator::kBuckets; ++b) {
    seen += histogram[b];
    if (seen >= rank) return BucketMinutes(b) / 60.0;
  }
  return 0;
}

double Rate(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

// What the customer answered at the follow-up behind a close, a reopening or a wait for the fix:
// the FollowUpResult the event carries; for events written before results were carried, the
// words follow-up put in the reason. A close by a fix report or by an operator counts nothing.
void CountAnswer(ComplaintState& s, const events::v1::FollowUpResult& result,
                 const std::string& reason) {
  events::v1::FollowUpOutcome outcome = result.outcome();
  if (outcome == events::v1::FOLLOW_UP_OUTCOME_UNSPECIFIED) {
    if (reason.starts_with("customer satisfied")) outcome = events::v1::FOLLOW_UP_OUTCOME_SATISFIED;
    if (reason.starts_with("customer unsatisfied")) {
      outcome = events::v1::FOLLOW_UP_OUTCOME_UNSATISFIED;
    }
    if (reason.starts_with("customer partly satisfied")) {
      outcome = events::v1::FOLLOW_UP_OUTCOME_PARTLY_SATISFIED;
    }
  }
  switch (outcome) {
    case events::v1::FOLLOW_UP_OUTCOME_SATISFIED: ++s.satisfied; break;
    case events::v1::FOLLOW_UP_OUTCOME_UNSATISFIED: ++s.unsatisfied; break;
    case events::v1::FOLLOW_UP_OUTCOME_PARTLY_SATISFIED: ++s.partly_satisfied; break;
    default: break;  // unreachable customers said nothing
  }
}

std::string DayName(int32_t day) {
  return absl::FormatCivilTime(absl::CivilDay(1970, 1, 1) + day);
}

std::string Bare(const std::string& name, const std::string& prefix) {
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

std::string ClockName(int clock) {
  const auto* value = events::v1::Clock_descriptor()->FindValueByNumber(clock);
  return value == nullptr ? "CLOCK_" + std::to_string(clock) : Bare(value->name(), "CLOCK_");
}

// The first day of `day`'s month (days since 1970-01-01). Arithmetic (the day of the month from
// H. Hinnant's civil_from_days), not absl's civil time: every fold asks it for each monthly
// roll-up, and the civil conversion was a twentieth of the fold.
int32_t MonthStart(int32_t day) {
  const int64_t z = int64_t{day} + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                    // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                  // [0, 11]
  const int64_t day_of_month = doy - (153 * mp + 2) / 5 + 1;               // [1, 31]
  return static_cast<int32_t>(day - (day_of_month - 1));
}

// The period (day number, or first day of the month) of a valid period key.
int32_t PeriodOf(const std::string& key, bool day) {
  const absl::CivilDay epoch(1970, 1, 1);
  absl::CivilDay d;
  absl::CivilMonth m;
  if (day) {
    absl::ParseCivilTime(key, &d);
  } else {
    absl::ParseCivilTime(key, &m);
    d = absl::CivilDay(m);
  }
  return static_cast<int32_t>(d - epoch);
}

bool ValidPeriodKey(const std::string& key, bool day) {
  absl::CivilDay d;
  absl::CivilMonth m;
  return day ? absl::ParseCivilTime(key, &d) && key.size() == 10
             : absl::ParseCivilTime(key, &m) && key.size() == 7;
}

}  // namespace

int32_t Dictionary::Intern(const std::string& value) {
  if (value.empty()) return -1;
  auto [it, added] = index_.try_emplace(value, static_cast<int32_t>(names_.size()));
  if (added) names_.push_back(value);
  return it->second;
}

const std::string& Dictionary::Name(int32_t index) const {
  static const std::string kEmpty;
  return index < 0 || index >= static_cast<int32_t>(names_.size()) ? kEmpty : names_[index];
}

int32_t Dictionary::Find(const std::string& value) const {
  auto it = index_.find(value);
  return it == index_.end() ? -1 : it->second;
}

Aggregator::Aggregator(HotSpotOptions hot_spots, AggregatorTopics topics)
    : detector_(hot_spots), topics_(std::move(topics)) {
  MakeStandardRollups();
}

void Aggregator::MakeStandardRollups() {
  // What the dashboard, the monthly report and the usual AnalyticsService queries read: kept from
  // the first fold, so not even their first query scans every cell.
  for (uint32_t dimensions : {0u, kByCategory, kByUnit, kByChannel, kByLevel}) {
    RollupFor(/*by_day=*/false, dimensions);
  }
  for (uint32_t dimensions : {0u, kByCategory, kByUnit}) RollupFor(/*by_day=*/true, dimensions);
}

int Aggregator::PromiseClock() {
  static const int clock = [] {
    const auto* value = events::v1::Clock_descriptor()->FindValueByName("CLOCK_PROMISE");
    return value == nullptr ? -1 : value->number();
  }();
  return clock;
}

bool Aggregator::IsOpen(const ComplaintState& s) {
  if (s.received_at == 0 || s.Has(ComplaintState::kMerged)) return false;
  const int64_t ended = std::max(s.last_resolved_at, s.last_closed_at);
  if (s.resolved_count == 0 && s.last_closed_at == 0) return true;
  return s.last_reopened_at > ended;
}

void Aggregator::AddCounts(Cell& cell, const ComplaintState& s, int sign) {
  auto& c = cell.counters;
  const bool resolved = s.resolved_count > 0;
  c[kVolume] += sign;
  if (s.Has(ComplaintState::kEscalated)) c[kEscInternal] += sign;
  if (s.channel == events::v1::CHANNEL_REGULATOR) c[kEscRegulator] += sign;
  if (s.Has(ComplaintState::kRepeat)) c[kRepeats] += sign;
  if (resolved) {
    c[kResolved] += sign;
    if (!s.Has(ComplaintState::kTransferred) && s.current_sequence <= 1 && s.reopened_count == 0) {
      c[kFirstContact] += sign;
    }
    const int64_t minutes = std::max<int64_t>(0, (s.first_resolved_at - s.received_at) / 60);
    cell.resolve_minutes[Bucket(minutes)] += sign;
  }
  c[kSatisfied] += sign * s.satisfied;
  c[kUnsatisfied] += sign * s.unsatisfied;
  c[kPartlySatisfied] += sign * s.partly_satisfied;
  if (s.reopened_count > 0) c[kReopened] += sign;
  for (int clock = 1; clock < kClocks; ++clock) {
    if (clock == events::v1::CLOCK_PROMISE) {
      // Counted by promise, not by complaint: each promise is decided when the next contact (or
      // the resolution, or the close) keeps it, or when it breaches.
      const bool open = s.Has(ComplaintState::kPromiseOpen);
      const bool open_missed = open && s.missed_promise_version == s.open_promise_version;
      const int64_t decided = s.promises - (open && !open_missed ? 1 : 0);
      c[kDecided + clock] += sign * decided;
      c[kOnTime + clock] += sign * std::max<int64_t>(0, decided - s.promises_missed);
      continue;
    }
    const uint32_t bit = 1u << clock;
    const bool breached = (s.breached & bit) != 0;
    bool concluded = resolved;
    if (clock == events::v1::CLOCK_ACCEPT) concluded |= s.Has(ComplaintState::kAccepted);
    if (clock == events::v1::CLOCK_FIRST_CONTACT) concluded |= s.Has(ComplaintState::kContacted);
    // A clock this build does not know (e.g. a promise): only complaints that showed it.
    if (clock > events::v1::CLOCK_REGULATORY) concluded &= (s.alerted & bit) != 0;
    if (!concluded && !breached) continue;
    c[kDecided + clock] += sign;
    if (!breached) c[kOnTime + clock] += sign;
  }
}

Aggregator::Cell& Aggregator::Rollup::CellOf(int32_t day, const CellKey& k) {
  return periods[by_day ? day : MonthStart(day)]
                [RollupKey{(dimensions & kByCategory) != 0 ? k.category : kAll,
                           (dimensions & kByUnit) != 0 ? k.unit : kAll,
                           (dimensions & kByChannel) != 0 ? k.channel : kAll,
                           (dimensions & kByLevel) != 0 ? k.level : kAll}];
}

const Aggregator::Rollup& Aggregator::RollupFor(bool by_day, uint32_t dimensions) const {
  auto& slot = rollups_[(by_day ? 16 : 0) + dimensions];
  if (slot == nullptr) {
    slot = std::make_unique<Rollup>();
    slot->by_day = by_day;
    slot->dimensions = dimensions;
    for (const auto& [key, cell] : cells_) {
      Cell& sum = slot->CellOf(key.day, key);
      for (int i = 0; i < kCounters; ++i) sum.counters[i] += cell.counters[i];
      for (int i = 0; i < kBuckets; ++i) sum.resolve_minutes[i] += cell.resolve_minutes[i];
    }
    live_rollups_.push_back(slot.get());
  }
  return *slot;
}

Aggregator::Contribution Aggregator::ContributionOf(const ComplaintState& s) {
  Contribution c;
  if (s.received_at == 0) return c;  // not received yet: nowhere to count it
  c.counted = true;
  const int32_t day = ShanghaiDay(s.received_at);
  c.key = CellKey{day, s.category, s.first_unit, s.channel, s.level};
  AddCounts(c.cell, s, +1);
  c.open = IsOpen(s);
  if (c.open) {
    c.backlog = BacklogKey{s.current_unit >= 0 ? s.current_unit : s.branch, day};
    constexpr uint32_t kOverdueClocks =
        (1u << events::v1::CLOCK_RESOLUTION) | (1u << events::v1::CLOCK_REGULATORY);
    c.overdue = (s.breached & kOverdueClocks) != 0;
  }
  return c;
}

void Aggregator::AddCell(const CellKey& key, const Cell& cell, int sign) {
  const auto add = [&](Cell& into) {
    for (int i = 0; i < kCounters; ++i) into.counters[i] += sign * cell.counters[i];
    for (int i = 0; i < kBuckets; ++i) into.resolve_minutes[i] += sign * cell.resolve_minutes[i];
  };
  add(cells_[key]);
  for (Rollup* rollup : live_rollups_) add(rollup->CellOf(key.day, key));
}

void Aggregator::MoveContribution(const Contribution& before, const Contribution& after) {
  if (before.counted && after.counted && before.key == after.key) {
    // The usual event: the complaint stays in its cell, and only what changed moves.
    Cell delta;
    bool changed = false;
    for (int i = 0; i < kCounters; ++i) {
      delta.counters[i] = after.cell.counters[i] - before.cell.counters[i];
      changed |= delta.counters[i] != 0;
    }
    for (int i = 0; i < kBuckets; ++i) {
      delta.resolve_minutes[i] = after.cell.resolve_minutes[i] - before.cell.resolve_minutes[i];
      changed |= delta.resolve_minutes[i] != 0;
    }
    if (changed) AddCell(after.key, delta, +1);
  } else {
    if (before.counted) AddCell(before.key, before.cell, -1);
    if (after.counted) AddCell(after.key, after.cell, +1);
  }
  if (before.open == after.open && before.backlog == after.backlog &&
      before.overdue == after.overdue) {
    return;
  }
  if (before.open) {
    BacklogCell& b = backlog_[before.backlog];
    b.open -= 1;
    if (before.overdue) b.overdue -= 1;
  }
  if (after.open) {
    BacklogCell& b = backlog_[after.backlog];
    b.open += 1;
    if (after.overdue) b.overdue += 1;
  }
}

void Aggregator::RaiseFor(const std::string& id, ComplaintState& s,
                          std::vector<events::v1::HotSpotAlert>* raised, bool new_receipt) {
  if (s.received_at == 0) return;
  const size_t before = raised_.size();
  if (new_receipt) {
    detector_.OnReceived(id, s.received_at, strings_.Name(s.category), strings_.Name(s.product),
                         raised_);
  }
  const int32_t unit = s.branch >= 0 ? s.branch : s.first_unit;
  if (unit >= 0 && !s.Has(ComplaintState::kUnitFed)) {
    s.flags |= ComplaintState::kUnitFed;
    detector_.OnUnit(id, s.received_at, strings_.Name(s.category), strings_.Name(unit), raised_);
  }
  if (raised != nullptr) {
    for (size_t i = before; i < raised_.size(); ++i) raised->push_back(raised_[i]);
  }
}

absl::Status DecodeRecord(const kafka::IncomingRecord& record, const AggregatorTopics& topics,
                          DecodedRecord* out) {
  using Source = DecodedRecord::Source;
  const std::string* event_id = Header(record, "ce_id");
  if (event_id == nullptr || event_id->empty()) {
    return absl::InvalidArgumentError("record has no ce_id header");
  }
  const std::string* message_id = nullptr;
  if (record.topic == topics.received) {
    out->source = Source::kReceived;
    if (auto s = Parse(record, out->received); !s.ok()) return s;
    message_id = &out->received.complaint_id();
  } else if (record.topic == topics.case_events) {
    out->source = Source::kCase;
    if (auto s = Parse(record, out->case_event); !s.ok()) return s;
    message_id = &out->case_event.complaint_id();
  } else if (record.topic == topics.alerts) {
    out->source = Source::kAlert;
    if (auto s = Parse(record, out->alert); !s.ok()) return s;
    message_id = &out->alert.complaint_id();
  } else if (record.topic == topics.tasks) {
    out->source = Source::kTask;
    if (auto s = Parse(record, out->task); !s.ok()) return s;
    message_id = &out->task.complaint_id();
  } else {
    return absl::InvalidArgumentError("the aggregates do not read topic " + record.topic);
  }
  const std::string* subject = Header(record, "ce_subject");
  const std::string& id = subject != nullptr && !subject->empty() ? *subject : *message_id;
  if (id.empty()) return absl::InvalidArgumentError("record has neither ce_subject nor a complaint_id");
  out->complaint_id.assign(id);
  out->topic.assign(record.topic);
  out->partition = record.partition;
  out->offset = record.offset;
  out->timestamp = record.timestamp;
  out->event_hash = StableHash(*event_id);
  return absl::OkStatus();
}

int64_t& Aggregator::NextOffset(const std::string& topic, int32_t partition) {
  OffsetCache& cache = offset_cache_;
  if (cache.next == nullptr || cache.partition != partition || cache.topic != topic) {
    cache.topic.assign(topic);
    cache.partition = partition;
    cache.next = &offsets_.try_emplace({topic, partition}, 0).first->second;
  }
  return *cache.next;
}

absl::Status Aggregator::Apply(const kafka::IncomingRecord& record,
                               std::vector<events::v1::HotSpotAlert>* raised) {
  // Before decoding: a record below the checkpoint was dead-lettered, if it had to be, already.
  auto offset = offsets_.find({record.topic, record.partition});
  if (offset != offsets_.end() && record.offset < offset->second) return absl::OkStatus();
  if (absl::Status decoded = DecodeRecord(record, topics_, &decoded_); !decoded.ok()) {
    return decoded;
  }
  Fold(decoded_, raised);
  return absl::OkStatus();
}

void Aggregator::Fold(const DecodedRecord& record, std::vector<events::v1::HotSpotAlert>* raised) {
  using Source = DecodedRecord::Source;
  int64_t& next_offset = NextOffset(record.topic, record.partition);
  if (record.offset < next_offset) return;
  const Source source = record.source;
  const std::string& id = record.complaint_id;
  ComplaintState& s = complaints_[id];
  const uint64_t hash = record.event_hash;
  const bool seen = std::find(s.seen.begin(), s.seen.end(), hash) != s.seen.end();
  if (!seen) {
    const bool had_receipt = s.received_at != 0;
    const Contribution before = ContributionOf(s);
    switch (source) {
      case Source::kReceived: {
        if (had_receipt) break;  // a second receipt of one complaint id: the first one counts
        const auto& m = record.received;
        s.received_at = std::max<int64_t>(1, Seconds(m.received_at(), record));
        s.category = strings_.Intern(m.category());
        s.product = strings_.Intern(m.product());
        s.branch = strings_.Intern(m.branch_code());
        s.channel = m.channel();
        s.level = m.level();
        if (!m.merged_into().empty()) s.flags |= ComplaintState::kMerged | ComplaintState::kRepeat;
        if (m.risk_tags().repeat_count() >= 2) s.flags |= ComplaintState::kRepeat;
        break;
      }
      case Source::kCase: {
        const auto& m = record.case_event;
        const int64_t at = Seconds(m.occurred_at(), record);
        switch (m.event_case()) {
          case CaseEvent::kAssigned: {
            const int32_t sequence = std::max(1, m.assigned().sequence());
            const int32_t unit = strings_.Intern(m.unit());
            if (s.first_sequence == 0 || sequence < s.first_sequence) {
              s.first_sequence = sequence;
              s.first_unit = unit;
            }
            if (sequence >= s.current_sequence) {
              s.current_sequence = sequence;
              s.current_unit = unit;
            }
            break;
          }
          case CaseEvent::kAccepted: s.flags |= ComplaintState::kAccepted; break;
          case CaseEvent::kContactLogged:
            s.flags |= ComplaintState::kContacted;
            // Any contact keeps the promise before it; one that makes a promise opens the next.
            s.flags &= ~ComplaintState::kPromiseOpen;
            if (m.contact_logged().has_next_contact_promised_at()) {
              ++s.promises;
              s.flags |= ComplaintState::kPromiseOpen;
              s.open_promise_version = record.offset;
            }
            break;
          case CaseEvent::kTransferred: s.flags |= ComplaintState::kTransferred; break;
          case CaseEvent::kEscalated: s.flags |= ComplaintState::kEscalated; break;
          case CaseEvent::kResolved:
            s.flags &= ~ComplaintState::kPromiseOpen;
            ++s.resolved_count;
            s.first_resolved_at = s.first_resolved_at == 0 ? at : std::min(s.first_resolved_at, at);
            s.last_resolved_at = std::max(s.last_resolved_at, at);
            break;
          case CaseEvent::kReopened:
            ++s.reopened_count;
            s.last_reopened_at = std::max(s.last_reopened_at, at);
            CountAnswer(s, m.reopened().follow_up(), m.reopened().reason());
            break;
          case CaseEvent::kAwaitingFix:
            CountAnswer(s, m.awaiting_fix().follow_up(), m.awaiting_fix().reason());
            break;
          case CaseEvent::kClosed:
            s.flags &= ~ComplaintState::kPromiseOpen;
            s.last_closed_at = std::max(s.last_closed_at, at);
            CountAnswer(s, m.closed().follow_up(), m.closed().reason());
            break;
          default:
            break;
        }
        break;
      }
      case Source::kAlert: {
        const events::v1::SlaAlert& alert = record.alert;
        const int clock = alert.clock();
        if (clock > 0 && clock < kClocks) {
          s.alerted |= 1u << clock;
          if (alert.kind() == events::v1::ALERT_KIND_BREACH) s.breached |= 1u << clock;
        }
        if (clock == events::v1::CLOCK_PROMISE && alert.kind() == events::v1::ALERT_KIND_BREACH) {
          ++s.promises_missed;  // one breach per promise: its deadline version names it
          s.missed_promise_version = std::max(s.missed_promise_version, alert.deadline_version());
        }
        if (alert.kind() == events::v1::ALERT_KIND_ESCALATION) {
          s.flags |= ComplaintState::kEscalated;
        }
        // The latest alerts by their time, for the dashboard's live list.
        const auto later = [](const events::v1::SlaAlert& a, const events::v1::SlaAlert& b) {
          return a.fired_at().seconds() < b.fired_at().seconds();
        };
        if (recent_alerts_.size() < kRecentAlerts || later(recent_alerts_.front(), alert)) {
          auto at = std::upper_bound(recent_alerts_.begin(), recent_alerts_.end(), alert, later);
          recent_alerts_.insert(at, alert);
          if (recent_alerts_.size() > kRecentAlerts) recent_alerts_.erase(recent_alerts_.begin());
        }
        break;
      }
      case Source::kTask:
        break;  // seen on the timeline; satisfaction comes with the close or reopen it leads to
    }
    MoveContribution(before, ContributionOf(s));
    s.seen.push_back(hash);
    ++events_applied_;
    RaiseFor(id, s, raised, !had_receipt && s.received_at != 0);
  }
  next_offset = record.offset + 1;
}

absl::StatusOr<analytics::v1::GetAggregatesResponse> Aggregator::Aggregates(
    const analytics::v1::GetAggregatesRequest& request,
    const absl::flat_hash_map<std::string, std::string>* category_groups) const {
  return Query(request, category_groups, /*full_scan=*/false);
}

absl::StatusOr<analytics::v1::GetAggregatesResponse> Aggregator::AggregatesByFullScan(
    const analytics::v1::GetAggregatesRequest& request,
    const absl::flat_hash_map<std::string, std::string>* category_groups) const {
  return Query(request, category_groups, /*full_scan=*/true);
}

absl::StatusOr<analytics::v1::GetAggregatesResponse> Aggregator::Query(
    const analytics::v1::GetAggregatesRequest& request,
    const absl::flat_hash_map<std::string, std::string>* category_groups, bool full_scan) const {
  const bool by_day = request.period() == analytics::v1::PERIOD_DAY;
  if (!request.from().empty() && !ValidPeriodKey(request.from(), by_day)) {
    return grpcutil::FieldError("from", by_day ? "must be YYYY-MM-DD" : "must be YYYY-MM");
  }
  if (!request.to().empty() && !ValidPeriodKey(request.to(), by_day)) {
    return grpcutil::FieldError("to", by_day ? "must be YYYY-MM-DD" : "must be YYYY-MM");
  }
  bool group[5] = {};
  for (int d : request.group_by()) {
    if (d <= analytics::v1::DIMENSION_UNSPECIFIED || d > analytics::v1::DIMENSION_LEVEL) {
      return grpcutil::FieldError("group_by", "unknown dimension " + std::to_string(d));
    }
    group[d] = true;
  }
  int channel_filter = -1, level_filter = -1;
  if (!request.channel().empty()) {
    events::v1::Channel channel;
    if (!events::v1::Channel_Parse("CHANNEL_" + absl::AsciiStrToUpper(request.channel()),
                                   &channel)) {
      return grpcutil::FieldError("channel", "unknown channel");
    }
    channel_filter = channel;
  }
  if (!request.level().empty()) {
    events::v1::Level level;
    if (!events::v1::Level_Parse("LEVEL_" + absl::AsciiStrToUpper(request.level()), &level)) {
      return grpcutil::FieldError("level", "unknown level");
    }
    level_filter = level;
  }
  const int32_t category_filter = request.category().empty() ? -2 : strings_.Find(request.category());
  const int32_t unit_filter = request.unit().empty() ? -2 : strings_.Find(request.unit());

  // Groups of categories: an index per group name, negative so as not to clash with categories.
  std::vector<std::string> group_names;
  absl::flat_hash_map<int32_t, int32_t> group_of_category;
  const auto category_key = [&](int32_t category) -> int32_t {
    if (category_groups == nullptr) return category;
    auto [it, added] = group_of_category.try_emplace(category, 0);
    if (added) {
      auto mapped = category_groups->find(strings_.Name(category));
      const std::string name = mapped == category_groups->end() ? "other" : mapped->second;
      auto known = std::find(group_names.begin(), group_names.end(), name);
      if (known == group_names.end()) known = group_names.insert(group_names.end(), name);
      it->second = -10 - static_cast<int32_t>(known - group_names.begin());
    }
    return it->second;
  };
  const auto category_name = [&](int32_t key) -> const std::string& {
    return key <= -10 ? group_names[-10 - key] : strings_.Name(key);
  };
  using Group = std::tuple<std::string, int32_t, int32_t, int32_t, int32_t>;
  std::map<Group, Cell> groups;
  absl::flat_hash_map<int32_t, std::string> period_names;
  const auto add = [&](int32_t day, const RollupKey& key, const Cell& cell) {
    if (cell.counters[kVolume] == 0) return;
    if (category_filter != -2 && key.category != category_filter) return;
    if (unit_filter != -2 && key.unit != unit_filter) return;
    if (channel_filter >= 0 && key.channel != channel_filter) return;
    if (level_filter >= 0 && key.level != level_filter) return;
    auto [name, added] = period_names.try_emplace(day);
    if (added) name->second = by_day ? DayName(day) : DayName(day).substr(0, 7);
    const std::string& period = name->second;
    if (!request.from().empty() && period < request.from()) return;
    if (!request.to().empty() && period > request.to()) return;
    Cell& sum = groups[Group{period,
                             group[analytics::v1::DIMENSION_CATEGORY] ? category_key(key.category)
                                                                      : -3,
                             group[analytics::v1::DIMENSION_UNIT] ? key.unit : -3,
                             group[analytics::v1::DIMENSION_CHANNEL] ? key.channel : -3,
                             group[analytics::v1::DIMENSION_LEVEL] ? key.level : -3}];
    for (int i = 0; i < kCounters; ++i) sum.counters[i] += cell.counters[i];
    for (int i = 0; i < kBuckets; ++i) sum.resolve_minutes[i] += cell.resolve_minutes[i];
  };
  if (full_scan) {
    for (const auto& [key, cell] : cells_) {
      add(key.day, RollupKey{key.category, key.unit, key.channel, key.level}, cell);
    }
  } else {
    // The smallest roll-up with every dimension grouped or filtered by, its periods in range.
    uint32_t dimensions = 0;
    if (group[analytics::v1::DIMENSION_CATEGORY] || category_filter != -2) dimensions |= kByCategory;
    if (group[analytics::v1::DIMENSION_UNIT] || unit_filter != -2) dimensions |= kByUnit;
    if (group[analytics::v1::DIMENSION_CHANNEL] || channel_filter >= 0) dimensions |= kByChannel;
    if (group[analytics::v1::DIMENSION_LEVEL] || level_filter >= 0) dimensions |= kByLevel;
    const Rollup& rollup = RollupFor(by_day, dimensions);
    auto it = request.from().empty() ? rollup.periods.begin()
                                     : rollup.periods.lower_bound(PeriodOf(request.from(), by_day));
    const int32_t last = request.to().empty() ? std::numeric_limits<int32_t>::max()
                                              : PeriodOf(request.to(), by_day);
    for (; it != rollup.periods.end() && it->first <= last; ++it) {
      for (const auto& [key, cell] : it->second) add(it->first, key, cell);
    }
  }

  analytics::v1::GetAggregatesResponse response;
  response.set_events_applied(events_applied_);
  const int promise = PromiseClock();
  for (const auto& [g, cell] : groups) {
    auto* row = response.add_rows();
    row->set_period(std::get<0>(g));
    if (std::get<1>(g) != -3) row->set_category(category_name(std::get<1>(g)));
    if (std::get<2>(g) != -3) row->set_unit(strings_.Name(std::get<2>(g)));
    if (std::get<3>(g) != -3) {
      row->set_channel(Bare(events::v1::Channel_Name(
                                static_cast<events::v1::Channel>(std::get<3>(g))), "CHANNEL_"));
    }
    if (std::get<4>(g) != -3) {
      row->set_level(
          Bare(events::v1::Level_Name(static_cast<events::v1::Level>(std::get<4>(g))), "LEVEL_"));
    }
    const auto& c = cell.counters;
    auto* f = row->mutable_figures();
    f->set_volume(c[kVolume]);
    for (int clock = 1; clock < kClocks; ++clock) {
      if (c[kDecided + clock] == 0 && clock > events::v1::CLOCK_REGULATORY) continue;
      auto* on_time = f->add_on_time();
      on_time->set_clock(ClockName(clock));
      on_time->set_decided(c[kDecided + clock]);
      on_time->set_on_time(c[kOnTime + clock]);
      on_time->set_rate(Rate(c[kOnTime + clock], c[kDecided + clock]));
    }
    f->set_escalated_internal(c[kEscInternal]);
    f->set_escalation_rate_internal(Rate(c[kEscInternal], c[kVolume]));
    f->set_escalated_regulator(c[kEscRegulator]);
    f->set_escalation_rate_regulator(Rate(c[kEscRegulator], c[kVolume]));
    f->set_repeats(c[kRepeats]);
    f->set_repeat_rate(Rate(c[kRepeats], c[kVolume]));
    f->set_resolved(c[kResolved]);
    f->set_first_contact_resolved(c[kFirstContact]);
    f->set_first_contact_resolution_rate(Rate(c[kFirstContact], c[kResolved]));
    f->set_satisfied(c[kSatisfied]);
    f->set_unsatisfied(c[kUnsatisfied]);
    f->set_partly_satisfied(c[kPartlySatisfied]);
    f->set_satisfaction_rate(
        Rate(c[kSatisfied], c[kSatisfied] + c[kPartlySatisfied] + c[kUnsatisfied]));
    f->set_reopened(c[kReopened]);
    f->set_reopen_rate(Rate(c[kReopened], c[kResolved]));
    f->set_resolve_hours_p50(Quantile(cell.resolve_minutes, 0.5));
    f->set_resolve_hours_p90(Quantile(cell.resolve_minutes, 0.9));
    if (promise > 0 && promise < kClocks) {
      f->set_promises_decided(c[kDecided + promise]);
      f->set_promises_kept(c[kOnTime + promise]);
      f->set_promises_kept_rate(Rate(c[kOnTime + promise], c[kDecided + promise]));
    }
  }
  // By name, not by interned index: the order must not depend on the order values were seen.
  std::sort(response.mutable_rows()->begin(), response.mutable_rows()->end(),
            [](const analytics::v1::AggregateRow& a, const analytics::v1::AggregateRow& b) {
              return std::tie(a.period(), a.category(), a.unit(), a.channel(), a.level()) <
                     std::tie(b.period(), b.category(), b.unit(), b.channel(), b.level());
            });
  return response;
}

analytics::v1::GetBacklogResponse Aggregator::Backlog(const std::string& unit,
                                                      int64_t now_seconds) const {
  const int32_t unit_filter = unit.empty() ? -2 : strings_.Find(unit);
  const int32_t today = ShanghaiDay(now_seconds);
  absl::flat_hash_map<int32_t, analytics::v1::BacklogRow> rows;
  for (const auto& [key, cell] : backlog_) {
    if (cell.open <= 0) continue;
    if (unit_filter != -2 && key.unit != unit_filter) continue;
    auto [it, added] = rows.try_emplace(key.unit);
    auto& row = it->second;
    if (added) {
      row.set_unit(key.unit >= 0 ? strings_.Name(key.unit) : "(unassigned)");
      for (int i = 0; i < kAgeBuckets; ++i) row.add_by_age(0);
    }
    row.set_open(row.open() + cell.open);
    row.set_overdue(row.overdue() + cell.overdue);
    const int32_t age = today - key.day;
    int bucket = 0;
    while (bucket < kAgeBuckets - 1 && age >= kAgeLimits[bucket]) ++bucket;
    row.set_by_age(bucket, row.by_age(bucket) + cell.open);
  }
  analytics::v1::GetBacklogResponse response;
  for (const char* label : kAgeLabels) response.add_age_buckets(label);
  response.mutable_as_of()->set_seconds(now_seconds);
  std::vector<analytics::v1::BacklogRow> sorted;
  sorted.reserve(rows.size());
  for (auto& [u, row] : rows) sorted.push_back(std::move(row));
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.open() != b.open() ? a.open() > b.open() : a.unit() < b.unit();
  });
  for (auto& row : sorted) *response.add_rows() = std::move(row);
  return response;
}

std::vector<events::v1::HotSpotAlert> Aggregator::HotSpots(int limit) const {
  std::vector<events::v1::HotSpotAlert> out;
  for (auto it = raised_.rbegin(); it != raised_.rend() && static_cast<int>(out.size()) < limit;
       ++it) {
    out.push_back(*it);
  }
  return out;
}

std::vector<events::v1::HotSpotAlert> Aggregator::HotSpotsStartingIn(int64_t start,
                                                                     int64_t end) const {
  std::vector<events::v1::HotSpotAlert> out;
  for (const auto& alert : raised_) {
    const int64_t at = alert.window_start().seconds();
    if (at >= start && at < end) out.push_back(alert);
  }
  return out;
}

std::vector<events::v1::SlaAlert> Aggregator::RecentAlerts() const {
  return {recent_alerts_.rbegin(), recent_alerts_.rend()};
}

analytics::v1::AggregatesSnapshot Aggregator::Snapshot() const {
  analytics::v1::AggregatesSnapshot snapshot;
  snapshot.set_version(kSnapshotVersion);
  for (const auto& name : strings_.names()) snapshot.add_strings(name);
  snapshot.mutable_complaints()->Reserve(static_cast<int>(complaints_.size()));
  for (const auto& [id, s] : complaints_) {
    auto* c = snapshot.add_complaints();
    c->set_complaint_id(id);
    c->set_received_at(s.received_at);
    c->set_first_resolved_at(s.first_resolved_at);
    c->set_last_resolved_at(s.last_resolved_at);
    c->set_last_closed_at(s.last_closed_at);
    c->set_last_reopened_at(s.last_reopened_at);
    c->set_category(s.category);
    c->set_product(s.product);
    c->set_branch(s.branch);
    c->set_first_unit(s.first_unit);
    c->set_current_unit(s.current_unit);
    c->set_first_sequence(s.first_sequence);
    c->set_current_sequence(s.current_sequence);
    c->set_breached(s.breached);
    c->set_alerted(s.alerted);
    c->set_channel(s.channel);
    c->set_level(s.level);
    c->set_flags(s.flags);
    c->set_resolved_count(s.resolved_count);
    c->set_reopened_count(s.reopened_count);
    c->set_satisfied(s.satisfied);
    c->set_unsatisfied(s.unsatisfied);
    c->set_partly_satisfied(s.partly_satisfied);
    c->set_promises(s.promises);
    c->set_promises_missed(s.promises_missed);
    c->set_open_promise_version(s.open_promise_version);
    c->set_missed_promise_version(s.missed_promise_version);
    c->mutable_seen()->Add(s.seen.begin(), s.seen.end());
  }
  for (const auto& [tp, next] : offsets_) {
    auto* o = snapshot.add_offsets();
    o->set_topic(tp.first);
    o->set_partition(tp.second);
    o->set_next_offset(next);
  }
  detector_.SaveTo(snapshot);
  for (const auto& alert : raised_) *snapshot.add_raised() = alert;
  snapshot.set_events_applied(events_applied_);
  return snapshot;
}

absl::Status Aggregator::Restore(const analytics::v1::AggregatesSnapshot& snapshot) {
  if (snapshot.version() != kSnapshotVersion) {
    return absl::InvalidArgumentError("aggregates snapshot of version " +
                                      std::to_string(snapshot.version()) + ", not " +
                                      std::to_string(kSnapshotVersion));
  }
  strings_.Clear();
  complaints_.clear();
  cells_.clear();
  for (auto& rollup : rollups_) rollup.reset();
  live_rollups_.clear();
  backlog_.clear();
  offsets_.clear();
  offset_cache_ = OffsetCache();
  raised_.clear();
  for (const auto& name : snapshot.strings()) strings_.Intern(name);
  complaints_.reserve(snapshot.complaints_size());
  for (const auto& c : snapshot.complaints()) {
    ComplaintState& s = complaints_[c.complaint_id()];
    s.received_at = c.received_at();
    s.first_resolved_at = c.first_resolved_at();
    s.last_resolved_at = c.last_resolved_at();
    s.last_closed_at = c.last_closed_at();
    s.last_reopened_at = c.last_reopened_at();
    s.category = c.category();
    s.product = c.product();
    s.branch = c.branch();
    s.first_unit = c.first_unit();
    s.current_unit = c.current_unit();
    s.first_sequence = c.first_sequence();
    s.current_sequence = c.current_sequence();
    s.breached = c.breached();
    s.alerted = c.alerted();
    s.channel = c.channel();
    s.level = c.level();
    s.flags = c.flags();
    s.resolved_count = c.resolved_count();
    s.reopened_count = c.reopened_count();
    s.satisfied = c.satisfied();
    s.unsatisfied = c.unsatisfied();
    s.partly_satisfied = c.partly_satisfied();
    s.promises = c.promises();
    s.promises_missed = c.promises_missed();
    s.open_promise_version = c.open_promise_version();
    s.missed_promise_version = c.missed_promise_version();
    s.seen.assign(c.seen().begin(), c.seen().end());
    MoveContribution(Contribution(), ContributionOf(s));
  }
  for (const auto& o : snapshot.offsets()) offsets_[{o.topic(), o.partition()}] = o.next_offset();
  detector_.RestoreFrom(snapshot);
  raised_.assign(snapshot.raised().begin(), snapshot.raised().end());
  events_applied_ = snapshot.events_applied();
  MakeStandardRollups();
  return absl::OkStatus();
}

}  // namespace complaints::analytics
