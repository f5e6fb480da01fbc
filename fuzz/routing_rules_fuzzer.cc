// The routing rules file, fuzzed against the shipped unit hierarchy and taxonomy (and the
// hierarchy file fuzzed against the shipped rules, by the first byte): loaded and validated as
// on start and on ReloadRules; a set that loads must route and explain any complaint.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "services/routing/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace complaints;
  static const std::string rules = fuzz::ShippedFile("deploy/routing/rules.textproto");
  static const std::string units = fuzz::ShippedFile("deploy/routing/units.textproto");
  static const std::string taxonomy = fuzz::ShippedFile("deploy/classifier/taxonomy.textproto");
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  routing::RuleSources sources;
  sources.rules = data[0] % 2 == 0 ? input : rules;
  sources.units = data[0] % 2 == 0 ? units : input;
  sources.taxonomy = taxonomy;
  auto set = routing::RuleSet::Build(sources, 1);
  fuzz::RequireCleanError(set.status());
  if (!set.ok()) return 0;
  events::v1::ComplaintReceived complaint;
  complaint.set_category("atm.card_retained");
  complaint.set_branch_code("BJ-0101");
  complaint.set_level(events::v1::LEVEL_MAJOR);
  complaint.mutable_customer()->set_home_branch("SH-0201");
  const routing::RouteDecision decision = (*set)->Route(complaint);
  fuzz::Require(!decision.unit.empty(), "every complaint is routed somewhere");
  (*set)->Explain(complaint);
  return 0;
}
