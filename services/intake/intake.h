#pragma once

#include <atomic>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "complaints/events/v1/complaint.pb.h"
#include "complaints/intake/v1/intake.pb.h"
#include "libs/common/clock.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/runtime/own_writes.h"
#include "services/intake/complaint_store.h"
#include "services/intake/classifier/classifier.h"
#include "services/intake/customer_history.h"
#include "services/intake/history_store.h"
#include "services/intake/submission.h"

namespace complaints::intake {

struct IntakeOptions {
  // How long a claimant may take to publish before another call may take its claim over. Longer
  // than the producer's message.timeout.ms (30 s), so that a live claimant has published or
  // failed (and released the claim) before anyone else publishes the same record.
  absl::Duration claim_lease = absl::Seconds(35);
  // How long a call that finds its complaint being published by another call waits for that
  // call to finish before answering Unavailable (the caller retries).
  absl::Duration busy_wait = absl::Seconds(5);
  // Whether the store's claims of a complaint's partition are complete (runtime::StateReadiness
  // over the markers of the complaints.received.v1 replay); set by main. Unset: always (tests).
  std::function<absl::Status(const std::string& complaint_id)> check_ready = nullptr;
  // Whether every partition's state is complete: a customer's history spans them all, and a
  // short id names no partition (so a short id not found is NOT_FOUND only once every
  // partition is replayed). Unset: always (tests).
  std::function<absl::Status()> check_all_ready = nullptr;
  // The epoch of the Redis state (main: RebuildGuard::replays_started), which moves whenever
  // Redis may have lost what was written. Set: HandleReceived skips the complaints this process
  // itself claimed first, marked published and recorded in the history under the same epoch
  // (OwnWrites), instead of writing them again. Unset: it never skips.
  std::function<uint64_t()> state_epoch = nullptr;
  // The secret of the customer keys (CustomerKeyFor).
  std::string customer_key_secret = "";
  HistorySettings history = {};
  // The category catalogue (the classifier's); unset: any well-formed code is accepted.
  CategoryKnown category_known = nullptr;
  // The classifier in force (ClassifierHolder::Get: it changes on reload). Unset: level,
  // urgency and category stay as the caller asked (tests of other things).
  std::function<std::shared_ptr<const classifier::Classifier>()> classifier = nullptr;
};

// The fields (paths such as "customer.phone") in which two complaints differ in what their
// callers sent: names only, never values, so that they can go into errors. What intake derived
// (received_at, the classification and everything the customer's history decided) is not
// compared: a re-submission meets a history that already holds the first submission.
std::vector<std::string> DifferingFields(const events::v1::ComplaintReceived& first,
                                         const events::v1::ComplaintReceived& second);

// Accepts complaints from gRPC callers and from telephony's ivr.calls.v1 topic. Knows nothing of
// gRPC or Kafka clients: it is given a publisher, a store and a clock.
class Intake {
 public:
  // `history` may be null: no customer history (no risk tags, repeats or merges).
  Intake(kafka::Publisher* publisher, ComplaintStore* store, HistoryStore* history,
         const common::Clock* clock, IntakeOptions options = {});

  // Validates, classifies and publishes the complaint; returns once it is durable in Kafka.
  // Exactly one record per source + external id, however many calls race on however many
  // instances: the first call claims the id in the store, binding it to its content and
  // received_at, and publishes; the others answer duplicate = true with the same complaint id
  // once that record is durable. Whoever completes a claim whose publisher failed or died
  // publishes the claim's bytes, never its own. A re-submission whose content differs from the
  // claim's is AlreadyExists naming the differing fields.
  absl::StatusOr<intake::v1::SubmitComplaintResponse> Submit(
      const intake::v1::SubmitComplaintRequest& request);

  // Submit for many complaints at once, with a result per submission in order (one bad
  // submission fails only itself): the same guarantees, with one round trip to Redis per step
  // and one produce for every record of the batch, so a stream of submissions is not one durable
  // round trip per complaint. Submissions another call is publishing right now are completed
  // one by one, as Submit does.
  std::vector<absl::StatusOr<intake::v1::SubmitComplaintResponse>> SubmitBatch(
      std::span<const intake::v1::SubmitComplaintRequest> requests);

  // By complaint id ("CMP...") or by short id, as a person types it (common::ParseShortId).
  absl::StatusOr<events::v1::ComplaintReceived> Get(const std::string& complaint_id);

  // One record of ivr.calls.v1: an IvrCall as protobuf, or as JSON when the content-type header
  // says application/json or the value starts with '{'. Bad records fail with InvalidArgument;
  // a call re-sent with content differing from the first fails with AlreadyExists (so it is
  // dead-lettered too: it is bad in itself, retrying cannot help).
  absl::Status HandleCall(const kafka::IncomingRecord& record);

  // Records of complaints.received.v1 and complaints.case.v1, in order (a status per record):
  // - a complaint is durable, so its id is bound to it (the first record of an id wins). This
  //   is how the claims come back after Redis lost them: a replay of the topic, behind the
  //   rebuild guard, before any submission is answered again. The customer's history is
  //   rebuilt from the same replay;
  // - a case event keeps the history's view of the case current (open or closed, its level).
  // A batch takes a few round trips, however many records (a replay is hundreds of thousands).
  std::vector<absl::Status> HandleStateRecords(const std::vector<kafka::IncomingRecord>& records);
  // One of them.
  absl::Status HandleStateRecord(const kafka::IncomingRecord& record);

 private:
  // Classifies the candidates, then reads their customers' histories (in one round trip) into
  // them: risk tags, the open complaint each merges into, and what the history changes in the
  // decision (repeat_3plus, prior escalations). A later candidate of the same customer sees the
  // earlier ones. A status per candidate. `all_ready`: the caller has just seen every partition
  // replayed (else Decide looks before reading histories).
  std::vector<absl::Status> Decide(
      const std::vector<const intake::v1::SubmitComplaintRequest*>& requests,
      const std::vector<events::v1::ComplaintReceived*>& candidates, bool all_ready = false);
  // OK when every complaint with a customer key is recorded.
  absl::Status RecordHistories(const std::vector<events::v1::ComplaintReceived>& complaints);
  // Before publishing: the ids of the complaints this call will apply itself, told to applied_
  // (empty without a state epoch). `first[i]`: complaints[i] is this call's own candidate, not a
  // claim taken over (whose customer key is its first claimant's).
  std::vector<std::string> ExpectApplied(
      const std::vector<events::v1::ComplaintReceived>& complaints, const std::vector<bool>& first);
  // Marks the published complaints so in the store and records them in their customers'
  // histories (best effort: the replay consumer does it too, unless told by applied_ that it
  // need not); `encoded`: each serialized, as published; `own`: what ExpectApplied returned.
  void CompletePublished(const std::vector<events::v1::ComplaintReceived>& complaints,
                         const std::vector<std::string>& encoded,
                         const std::vector<std::string>& own);
  // Ends `token`'s lease on the candidate's claim, so a retry can complete it at once.
  void ReleaseClaim(const events::v1::ComplaintReceived& candidate, const std::string& token);

  kafka::Publisher* publisher_;
  ComplaintStore* store_;
  HistoryStore* history_;
  const common::Clock* clock_;
  const IntakeOptions options_;
  // Tokens name a claimant across every intake instance: random per process, counted per call.
  const std::string token_prefix_;
  std::atomic<uint64_t> calls_{0};
  // What HandleReceived need not repeat (options_.state_epoch). Sized for the replay consumer
  // falling a few seconds behind at full speed.
  runtime::OwnWrites applied_{1 << 17};
};

}  // namespace complaints::intake
