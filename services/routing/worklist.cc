#include "services/routing/worklist.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/proto_time.h"
#include "libs/grpcutil/status.h"

namespace complaints::routing {
namespace {

using routing::v1::Case;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

ListPosition PositionOf(const Case& c, const std::optional<absl::Time>& due) {
  ListPosition p;
  p.tier = c.urgency() == events::v1::URGENCY_VERY_URGENT ? 0 : 1;
  p.no_deadline = !due.has_value();
  p.due_ms = due ? absl::ToUnixMillis(*due) : 0;
  p.complaint_id = c.complaint_id();
  return p;
}

}  // namespace

std::string EncodePageToken(const ListPosition& position) {
  return absl::WebSafeBase64Escape(absl::StrCat("1:", position.tier, ":", position.no_deadline ? 1 : 0,
                                                ":", position.due_ms, ":", position.complaint_id));
}

std::optional<ListPosition> DecodePageToken(const std::string& token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits(':', 4));
  if (parts.size() != 5 || parts[0] != "1") return std::nullopt;
  ListPosition p;
  int no_deadline = 0;
  if (!absl::SimpleAtoi(parts[1], &p.tier) || !absl::SimpleAtoi(parts[2], &no_deadline) ||
      !absl::SimpleAtoi(parts[3], &p.due_ms) || parts[4].empty()) {
    return std::nullopt;
  }
  p.no_deadline = no_deadline != 0;
  p.complaint_id = parts[4];
  return p;
}

absl::StatusOr<CaseListQuery> ParseWorklistQuery(const routing::v1::ListCasesRequest& request) {
  grpcutil::FieldViolations v;
  CaseListQuery query;
  query.unit = request.unit();
  if (query.unit.empty()) v.Add("unit", "is required");
  for (int state : request.states()) {
    if (state == routing::v1::CASE_STATE_UNSPECIFIED || !routing::v1::CaseState_IsValid(state)) {
      v.Add("states", "has an unknown state");
      break;
    }
    const auto s = static_cast<routing::v1::CaseState>(state);
    if (std::find(query.states.begin(), query.states.end(), s) == query.states.end()) {
      query.states.push_back(s);
    }
  }
  if (query.states.empty()) {
    query.states = {routing::v1::CASE_STATE_ASSIGNED, routing::v1::CASE_STATE_ACCEPTED,
                    routing::v1::CASE_STATE_REOPENED};
  }
  for (int level : request.levels()) {
    if (level == events::v1::LEVEL_UNSPECIFIED || !events::v1::Level_IsValid(level)) {
      v.Add("levels", "has an unknown level");
      break;
    }
    query.levels.insert(level);
  }
  for (int urgency : request.urgencies()) {
    if (urgency == events::v1::URGENCY_UNSPECIFIED || !events::v1::Urgency_IsValid(urgency)) {
      v.Add("urgencies", "has an unknown urgency");
      break;
    }
    query.urgencies.insert(urgency);
  }
  query.overdue_only = request.overdue_only();
  if (request.page_size() < 0) v.Add("page_size", "must not be negative");
  query.page_size = request.page_size() == 0 ? kDefaultPageSize
                                             : std::min(request.page_size(), kMaxPageSize);
  if (!request.page_token().empty()) {
    query.after = DecodePageToken(request.page_token());
    if (!query.after) v.Add("page_token", "is not a token of a previous page");
  }
  if (!v.empty()) return v.ToStatus();
  return query;
}

routing::v1::ListCasesResponse PageWorklist(std::vector<Case> cases,
                                            const std::map<std::string, absl::Time>& deadlines,
                                            const CaseListQuery& query, absl::Time now) {
  struct Listed {
    ListPosition position;
    std::optional<absl::Time> due;
    Case* c;
  };
  std::vector<Listed> listed;
  listed.reserve(cases.size());
  for (Case& c : cases) {
    // The index may lag a write by nothing, but a case read twice (moved between two reads of
    // the index) must not be listed twice or under the wrong unit.
    if (c.unit() != query.unit ||
        std::find(query.states.begin(), query.states.end(), c.state()) == query.states.end()) {
      continue;
    }
    if (!query.levels.empty() && !query.levels.contains(c.level())) continue;
    if (!query.urgencies.empty() && !query.urgencies.contains(c.urgency())) continue;
    std::optional<absl::Time> due;
    if (auto it = deadlines.find(c.complaint_id()); it != deadlines.end()) due = it->second;
    if (query.overdue_only && (!due || *due > now)) continue;
    ListPosition position = PositionOf(c, due);
    if (query.after && !(*query.after < position)) continue;
    listed.push_back({std::move(position), due, &c});
  }
  std::sort(listed.begin(), listed.end(),
            [](const Listed& a, const Listed& b) { return a.position < b.position; });
  // Duplicates (the same id twice) are dropped: the first one stands.
  listed.erase(std::unique(listed.begin(), listed.end(),
                           [](const Listed& a, const Listed& b) {
                             return a.position.complaint_id == b.position.complaint_id;
                           }),
               listed.end());

  routing::v1::ListCasesResponse response;
  *response.mutable_as_of() = common::ToProtoTime(now);
  const size_t take = std::min(listed.size(), static_cast<size_t>(query.page_size));
  for (size_t i = 0; i < take; ++i) {
    routing::v1::ListedCase* item = response.add_cases();
    *item->mutable_case_() = std::move(*listed[i].c);
    if (listed[i].due) {
      *item->mutable_due_at() = common::ToProtoTime(*listed[i].due);
      item->set_overdue(*listed[i].due <= now);
    }
  }
  if (take < listed.size()) response.set_next_page_token(EncodePageToken(listed[take - 1].position));
  return response;
}

}  // namespace complaints::routing
