#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/events/v1/rules.pb.h"
#include "libs/common/clock.h"
#include "libs/kafka/producer.h"
#include "services/routing/rules_holder.h"
#include "services/routing/rules_versions.h"

namespace complaints::routing {

// The files a rule set is read from.
struct RulesFiles {
  std::string rules;     // deploy/routing/rules.textproto
  std::string units;     // deploy/routing/units.textproto
  std::string taxonomy;  // deploy/classifier/taxonomy.textproto; empty: no catalogue check
};

struct ReloadOutcome {
  int64_t version = 0;   // in force after the call
  bool changed = false;  // false: the files are what was in force already
  events::v1::RulesReloaded event;  // what was announced, when changed
};

// Puts new versions of the rules in force: reads the files, checks them (RuleSet::Build), and
// when their content differs from the set in force, numbers it (RulesVersions), announces it on
// routing.rules.v1 (RulesReloaded: who, why, the diff) and only then swaps it into the holder.
// A file with problems, a version store or a broker that fails: nothing changes, the rules in
// force stay. Reloads are serialised; routing goes on during one.
class RulesReloader {
 public:
  RulesReloader(RulesHolder* holder, RulesFiles files, RulesVersions* versions,
                kafka::Publisher* publisher, const common::Clock* clock, std::string instance,
                std::string source = "/complaints/routing")
      : holder_(holder),
        files_(std::move(files)),
        versions_(versions),
        publisher_(publisher),
        clock_(clock),
        instance_(std::move(instance)),
        source_(std::move(source)) {}

  // Problems in the files: FailedPrecondition listing each with its file and line. Unavailable
  // when the version store or Kafka fails.
  absl::StatusOr<ReloadOutcome> Reload(const std::string& actor, const std::string& reason);

  // The file watch: reloads (as "file-watch") when a file's modification time changed since the
  // last look; one attempt per change, logged with its problems when it fails. Returns whether
  // it tried.
  bool PollFiles();

 private:
  std::vector<std::filesystem::file_time_type> ModificationTimes() const;

  RulesHolder* holder_;
  const RulesFiles files_;
  RulesVersions* versions_;
  kafka::Publisher* publisher_;
  const common::Clock* clock_;
  const std::string instance_;
  const std::string source_;
  std::mutex reload_mutex_;  // one reload at a time
  std::mutex poll_mutex_;  // guards seen_times_
  // The files' modification times when the last reload read them.
  std::vector<std::filesystem::file_time_type> seen_times_;
};

}  // namespace complaints::routing
