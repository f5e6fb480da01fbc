#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "complaints/followup/v1/followup.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/platform.h"

namespace complaints::testsupport {

// A reader of `topic` on the test broker, from its beginning; null (with a test failure) when it
// cannot be opened.
std::unique_ptr<kafka::TopicReader> OpenTopic(const std::string& topic);
// Whether `record` is about complaint `id` (its CloudEvents subject).
bool About(const kafka::IncomingRecord& record, const std::string& id);

// What end-to-end tests do to a complaint again and again, through the platform's gRPC APIs:
// submit it at a branch, wait until routing has its case in some state, accept, resolve, and
// answer its follow-up survey. Failures are reported as test failures (gtest) with the status.
class CaseClient {
 public:
  explicit CaseClient(const Platform& platform);

  // A new complaint of `category` about `branch`, submitted through IntakeService (a unique
  // external id and phone); its id, or "" when intake refused it.
  std::string Submit(const std::string& category, const std::string& branch);
  // The case once `done` holds for it (GetCase, read again until then); nullopt after `timeout`.
  std::optional<routing::v1::Case> WaitCase(
      const std::string& id, const std::function<bool(const routing::v1::Case&)>& done,
      absl::Duration timeout = absl::Seconds(90));
  // AcceptCase by `unit`, retried until routing has assigned the case there.
  grpc::Status Accept(const std::string& id, const std::string& unit,
                      routing::v1::Case* after = nullptr);
  // ResolveCase by `unit` (staff at fault, a venting customer), the business problem fixed or
  // not.
  grpc::Status Resolve(const std::string& id, const std::string& unit, bool fixed = true);
  // Records `outcome` for the complaint's newest follow-up task not answered by this client
  // yet (waiting for follow-up to publish it on followup.tasks.v1); the response's effect
  // ("reopened", "closed"...) or "" on failure.
  std::string AnswerSurvey(const std::string& id, followup::v1::Outcome outcome);

  routing::v1::CaseService::Stub& cases() { return *cases_; }

 private:
  std::unique_ptr<intake::v1::IntakeService::Stub> intake_;
  std::unique_ptr<routing::v1::CaseService::Stub> cases_;
  std::unique_ptr<followup::v1::FollowUpService::Stub> followup_;
  std::unique_ptr<kafka::TopicReader> tasks_;
  std::set<std::string> answered_;
};

}  // namespace complaints::testsupport
