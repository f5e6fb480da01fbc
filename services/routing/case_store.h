#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "complaints/routing/v1/routing.pb.h"

namespace complaints::routing {

// Routing's projection of complaints.case.v1, one record per complaint. Written only by the
// consumer of that topic, in partition order; read by CaseService commands.
class CaseStore {
 public:
  virtual ~CaseStore() = default;
  virtual absl::StatusOr<std::optional<routing::v1::CaseRecord>> Get(
      const std::string& complaint_id) = 0;
  virtual absl::Status Put(const routing::v1::CaseRecord& record) = 0;
};

}  // namespace complaints::routing
