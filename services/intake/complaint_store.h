#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/complaint.pb.h"

namespace complaints::intake {

// What ComplaintStore::Claim found for a complaint id.
struct ComplaintClaim {
  enum class Outcome {
    // The caller holds the publishing lease: it publishes `complaint`, then MarkPublished (or
    // Release when publishing fails).
    kWon,
    // `complaint` is durable in Kafka already.
    kPublished,
    // Another call holds the lease and is publishing `complaint` right now.
    kBusy,
  };
  Outcome outcome = Outcome::kBusy;
  // kWon only: no earlier claim existed, so the content is the caller's own candidate, and
  // `complaint` is left empty (not a copy of it: a batch claims hundreds). False when the caller
  // took over a claim whose holder died or failed to publish.
  bool first = false;
  // The content the complaint id is bound to: the first claimant's, received_at included, so that
  // whoever publishes it publishes the same bytes. Empty when `first`: see Content.
  events::v1::ComplaintReceived complaint;

  // The content the complaint id is bound to, for a claim made with `candidate`.
  const events::v1::ComplaintReceived& Content(
      const events::v1::ComplaintReceived& candidate) const {
    return first ? candidate : complaint;
  }
};

// Accepted complaints by id: binds each id to the content of its first submission (the claim),
// answers GetComplaint and spots re-submissions. Every operation is atomic across all intake
// instances sharing the store. A cache of complaints.received.v1, which stays the system of record.
class ComplaintStore {
 public:
  virtual ~ComplaintStore() = default;

  // The complaint once it is durable in Kafka (a claim still being published is not found).
  virtual absl::StatusOr<std::optional<events::v1::ComplaintReceived>> Get(
      const std::string& complaint_id) = 0;

  // Binds `candidate.complaint_id()` to `candidate` unless it is bound already, and gives the
  // publishing lease to `token` for `lease` if the complaint is not yet published and nobody
  // else holds the lease (a holder that died loses it when it expires). At most one token holds
  // a complaint's lease at any time; asking again with the token that holds it answers kWon.
  virtual absl::StatusOr<ComplaintClaim> Claim(const events::v1::ComplaintReceived& candidate,
                                               const std::string& token, absl::Duration lease) = 0;

  // The claimed complaint is durable in Kafka: Get returns it from now on and the lease ends.
  // Its short id (if set) now names it in FindByShortId, unless it names another complaint
  // already: the first keeps it (a collision, which the store logs).
  virtual absl::Status MarkPublished(const events::v1::ComplaintReceived& complaint) = 0;

  // The id of the published complaint whose short id (canonical form) is `short_id`.
  virtual absl::StatusOr<std::optional<std::string>> FindByShortId(const std::string& short_id) = 0;

  // Ends `token`'s lease (if it still holds it) without publishing, so that a retry can take
  // the claim over at once instead of waiting for the lease to expire.
  virtual absl::Status Release(const std::string& complaint_id, const std::string& token) = 0;

  // Claim and MarkPublished for several complaints at once, with a result per complaint in
  // order: what a batch of submissions needs in one round trip. `encoded` holds each complaint
  // serialized (Encode): the batch serializes each once, for the claim, the record and the mark
  // alike. The defaults call Claim and MarkPublished one by one; a store with round trips to
  // save overrides them.
  virtual std::vector<absl::StatusOr<ComplaintClaim>> ClaimMany(
      const std::vector<events::v1::ComplaintReceived>& candidates,
      const std::vector<std::string>& /*encoded*/, const std::vector<std::string>& tokens,
      absl::Duration lease) {
    std::vector<absl::StatusOr<ComplaintClaim>> claims;
    for (size_t i = 0; i < candidates.size(); ++i) {
      claims.push_back(Claim(candidates[i], tokens[i], lease));
    }
    return claims;
  }
  virtual absl::Status MarkPublishedMany(
      const std::vector<events::v1::ComplaintReceived>& complaints,
      const std::vector<std::string>& /*encoded*/) {
    for (const auto& complaint : complaints) {
      if (auto s = MarkPublished(complaint); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
};

// Each complaint serialized, in order: the `encoded` of ClaimMany and MarkPublishedMany.
inline std::vector<std::string> Encode(
    const std::vector<events::v1::ComplaintReceived>& complaints) {
  std::vector<std::string> encoded;
  encoded.reserve(complaints.size());
  for (const auto& complaint : complaints) encoded.push_back(complaint.SerializeAsString());
  return encoded;
}

}  // namespace complaints::intake
