#pragma once
// The service side of "who may do what" (libs/grpcutil/authorization.h) wired from settings:
// the access policy and unit hierarchy files, the case store that says which unit a complaint's
// case is with, and the access audit trail on access.audit.v1. StartGrpcServer installs it on
// every service's server.
//
// Settings: `authz.policy_file` (deploy/authz/policy.textproto), `authz.units_file`
// (deploy/routing/units.textproto), `authz.plaintext_principal` (the caller on a plaintext
// server, `grpc.plaintext = true`; admin:plaintext by default), `authz.audit` (true).

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "complaints/events/v1/access.pb.h"
#include "libs/cases/redis_case_ledger_store.h"
#include "libs/common/clock.h"
#include "libs/grpcutil/authorization.h"
#include "libs/kafka/producer.h"
#include "libs/redis/redis_pool.h"

namespace complaints::runtime {

// Who read or changed which complaint (deploy/topics.conf); written by every service's gRPC
// server, read by the access-trail query.
inline constexpr char kAccessAuditTopic[] = "access.audit.v1";

// The unit of a complaint's case, from the case ledger every writer of complaints.case.v1 keeps
// in Redis (libs/cases): the same answer in every service.
class LedgerCaseUnitResolver final : public grpcutil::CaseUnitResolver {
 public:
  explicit LedgerCaseUnitResolver(redis::RedisPool* pool) : store_(pool) {}
  absl::StatusOr<std::string> UnitOf(const std::string& complaint_id) override;

 private:
  cases::RedisCaseLedgerStore store_;
};

// The event for one access decision (pure; `id` and `time` given).
events::v1::AccessAudited AuditEvent(const grpcutil::AccessRecord& record,
                                     const std::string& service, absl::Time time);

// Publishes access records to access.audit.v1 from a thread of its own, so that a read waits
// for no broker round trip: records are queued (at most `capacity`; beyond that the oldest is
// dropped and counted, with an error in the log) and published in batches, retried with
// backoff while Kafka is down. The destructor publishes what is queued (for up to 10 s).
class AuditPublisher {
 public:
  AuditPublisher(kafka::Publisher* publisher, const common::Clock* clock, std::string service,
                 size_t capacity = 100000);
  ~AuditPublisher();
  void Record(const grpcutil::AccessRecord& record);

 private:
  void Run();

  kafka::Publisher* publisher_;
  const common::Clock* clock_;
  const std::string service_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<kafka::OutgoingRecord> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// What the authorization of a service holds on to; lives as long as its server.
struct AccessControl {
  std::unique_ptr<redis::RedisPool> pool;
  std::unique_ptr<LedgerCaseUnitResolver> resolver;
  std::unique_ptr<AuditPublisher> audit;
  std::shared_ptr<grpcutil::Authorization> authorization;
};

}  // namespace complaints::runtime
