#include "services/routing/rules_reloader.h"

#include "libs/common/files.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"

namespace complaints::routing {

absl::StatusOr<ReloadOutcome> RulesReloader::Reload(const std::string& actor,
                                                    const std::string& reason) {
  std::lock_guard lock(reload_mutex_);
  {
    // Taken before the files are read: a change made while they are read is seen by the next
    // poll, never lost.
    std::lock_guard poll_lock(poll_mutex_);
    seen_times_ = ModificationTimes();
  }
  RuleSources sources;
  for (auto [path, text, name] : {std::tuple{&files_.rules, &sources.rules, &sources.rules_name},
                                  std::tuple{&files_.units, &sources.units, &sources.units_name},
                                  std::tuple{&files_.taxonomy, &sources.taxonomy,
                                             &sources.taxonomy_name}}) {
    if (path->empty()) continue;
    auto read = common::ReadFile(*path);
    if (!read.ok()) {
      return absl::FailedPreconditionError(read.status().message());
    }
    *text = *std::move(read);
    *name = *path;
  }
  const std::shared_ptr<const RuleSet> current = holder_->Get();
  ReloadOutcome outcome;
  if (current != nullptr && current->digest() == RuleSet::DigestOf(sources)) {
    outcome.version = current->version();
    return outcome;
  }
  auto checked = RuleSet::Build(sources, 0);
  if (!checked.ok()) {
    return absl::FailedPreconditionError("the routing rules were not reloaded; the rules of version " +
                                         std::to_string(current ? current->version() : 0) +
                                         " stay. Problems:\n" +
                                         std::string(checked.status().message()));
  }
  auto version = versions_->VersionFor((*checked)->digest());
  if (!version.ok()) return version.status();
  std::shared_ptr<const RuleSet> next = (*checked)->WithVersion(*version);

  events::v1::RulesReloaded event = DiffRuleSets(current.get(), *next);
  event.set_actor(actor);
  event.set_reason(reason);
  event.set_instance(instance_);
  const absl::Time now = clock_->Now();
  *event.mutable_reloaded_at() = common::ToProtoTime(now);
  // Announced before it is in force: no assignment names a version the audit trail lacks.
  const std::string id = common::DeterministicId(
      {"rules-reloaded", instance_, std::to_string(*version), next->digest(),
       std::to_string(event.previous_version())});
  if (absl::Status published = publisher_->Publish(events::ToRecord(
          events::kRulesTopic, "rules", event, id, source_, "rules", now));
      !published.ok()) {
    return published;
  }
  holder_->Set(next);
  spdlog::info("routing rules version {} in force (was {}), by {}: {} added, {} removed, {} changed",
               next->version(), event.previous_version(), actor, event.added_size(),
               event.removed_size(), event.changed_size());
  outcome.version = next->version();
  outcome.changed = true;
  outcome.event = std::move(event);
  return outcome;
}

std::vector<std::filesystem::file_time_type> RulesReloader::ModificationTimes() const {
  std::vector<std::filesystem::file_time_type> times;
  for (const std::string* path : {&files_.rules, &files_.units, &files_.taxonomy}) {
    std::error_code error;  // a file being replaced may be missing for a moment
    times.push_back(path->empty() ? std::filesystem::file_time_type{}
                                  : std::filesystem::last_write_time(*path, error));
  }
  return times;
}

bool RulesReloader::PollFiles() {
  {
    std::lock_guard lock(poll_mutex_);
    if (ModificationTimes() == seen_times_) return false;
  }
  // One attempt (and one log line) per change: Reload remembers the times it read.
  auto reloaded = Reload("file-watch", "the files changed on disk");
  if (!reloaded.ok()) {
    spdlog::error("routing rules: {}", std::string(reloaded.status().message()));
  }
  return true;
}

}  // namespace complaints::routing
