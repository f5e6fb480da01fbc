#include "services/routing/rules.h"

#include <sstream>

#include "absl/strings/numbers.h"

namespace complaints::routing {

absl::StatusOr<std::vector<routing::v1::Rule>> ParseRules(std::string_view text) {
  std::vector<routing::v1::Rule> rules;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string id, priority, prefix, unit, extra;
    if (!(fields >> id)) continue;  // blank or comment
    const std::string where = "rules line " + std::to_string(number) + ": ";
    if (!(fields >> priority >> prefix >> unit) || (fields >> extra)) {
      return absl::InvalidArgumentError(where + "expected `<rule_id> <priority> <category_prefix|*> <unit>`");
    }
    int value;
    if (!absl::SimpleAtoi(priority, &value)) {
      return absl::InvalidArgumentError(where + "priority must be an integer");
    }
    routing::v1::Rule rule;
    rule.set_rule_id(id);
    rule.set_priority(value);
    rule.set_category_prefix(prefix == "*" ? "" : prefix);
    rule.set_unit(unit);
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::vector<routing::v1::Rule> DefaultRules() {
  // Prefixes of the intake's catalogue (deploy/classifier/taxonomy.textproto).
  return *ParseRules(R"(
    default        0  *                HO-COMPLAINTS
    branch        10  branch_service.  ${branch}
    queueing      10  queueing.        ${branch}
    hours         10  business_hours.  ${branch}
    atm           10  atm.             ${branch}
    card          10  cards.           HO-CARDS
    loan          10  loans.           HO-LOANS
    collection    10  collection.      HO-LOANS
    wealth        10  mis_selling.     HO-WEALTH
    credit        10  credit_report.   HO-CREDIT-REPORTS
    ebanking      10  online_banking.  HO-E-BANKING
    outage        20  system_outage.   HO-IT-OPERATIONS
  )");
}

RouteDecision Route(const std::vector<routing::v1::Rule>& rules,
                    const events::v1::ComplaintReceived& complaint,
                    const std::string& fallback_unit) {
  const routing::v1::Rule* best = nullptr;
  for (const auto& rule : rules) {
    if (!complaint.category().starts_with(rule.category_prefix())) continue;
    if (rule.unit() == kBranchPlaceholder && complaint.branch_code().empty()) continue;
    if (best == nullptr || rule.priority() > best->priority() ||
        (rule.priority() == best->priority() &&
         rule.category_prefix().size() > best->category_prefix().size())) {
      best = &rule;
    }
  }
  if (best == nullptr) return {fallback_unit, "fallback"};
  return {best->unit() == kBranchPlaceholder ? complaint.branch_code() : best->unit(),
          best->rule_id()};
}

}  // namespace complaints::routing
