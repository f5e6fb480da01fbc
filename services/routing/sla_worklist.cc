#include "services/routing/sla_worklist.h"

namespace complaints::routing {

absl::StatusOr<std::map<std::string, absl::Time>> ReadUnitDeadlines(
    sla_timer::DeadlineStore& store, const std::string& unit, absl::Time now,
    absl::Duration horizon) {
  std::map<std::string, absl::Time> deadlines;
  sla_timer::WorklistQuery query;
  query.unit = unit;
  query.now = now;
  query.until = now + horizon;
  query.limit = 1000;
  for (;;) {
    auto page = store.Worklist(query);
    if (!page.ok()) return page.status();
    for (const sla_timer::WorklistEntry& entry : page->entries) {
      deadlines.emplace(entry.complaint_id, entry.due);
    }
    if (static_cast<int>(page->entries.size()) < query.limit) return deadlines;
    query.after = page->entries.back();
  }
}

}  // namespace complaints::routing
