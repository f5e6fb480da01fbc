#pragma once

#include <compare>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/routing/v1/routing.pb.h"

namespace complaints::routing {

// CaseService.ListCases, the logic without the I/O: which of a unit's cases a request lists,
// in which order, and where a page ends. The cases come from the ledger's unit index, the due
// times from the SLA timer's worklist (read, never recomputed here).

// Where a case stands in a worklist: very urgent first, then by its deadline (those without a
// running deadline last), then by complaint id so that the order is total and pages are stable.
struct ListPosition {
  int tier = 1;          // 0: very urgent
  bool no_deadline = true;
  int64_t due_ms = 0;
  std::string complaint_id;
  auto operator<=>(const ListPosition&) const = default;
};

struct CaseListQuery {
  std::string unit;
  std::vector<routing::v1::CaseState> states;  // never empty
  std::set<int> levels;     // empty: any
  std::set<int> urgencies;  // empty: any
  bool overdue_only = false;
  int page_size = 50;
  std::optional<ListPosition> after;  // from the page token
};

// The request checked (INVALID_ARGUMENT naming each bad field) with its defaults filled in.
absl::StatusOr<CaseListQuery> ParseWorklistQuery(const routing::v1::ListCasesRequest& request);

// One page of `cases` (any order; those no longer with the unit or in a wanted state are left
// out) with the due times of `deadlines` (complaint id -> due), as of `now`.
routing::v1::ListCasesResponse PageWorklist(std::vector<routing::v1::Case> cases,
                                            const std::map<std::string, absl::Time>& deadlines,
                                            const CaseListQuery& query, absl::Time now);

// The opaque page token of a position, and back (nullopt: not a token of ours).
std::string EncodePageToken(const ListPosition& position);
std::optional<ListPosition> DecodePageToken(const std::string& token);

}  // namespace complaints::routing
