// demo_feed: plays a realistic morning at the 95533 centre against a running local stack.
//
//   demo_feed --calls deploy/sample/calls.jsonl [--bootstrap 127.0.0.1:9092] [--host 127.0.0.1]
//             [--deadline-wait <seconds>]
//
// Each run is a new morning: the sample's call ids get a suffix of the run's start time, so a
// second run creates new complaints rather than re-submitting the first run's.
//
// Posts every call of the sample to ivr.calls.v1 as telephony does (JSON), plus one garbage
// record that must land on the dead-letter topic; then plays the branches and the contact centre
// through the gRPC APIs: most units accept and resolve, most customers are satisfied at follow-up,
// some are not (the case reopens), and some units never accept (their deadlines breach on the
// accelerated clock). 跟回复: units promise the customer their next call; those that resolve
// call back first (promise kept), those that only accept never do (promise missed: the SLA
// timer's PROMISE breach). Finally prints the platform's own summary from AnalyticsService.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/events/v1/followup.pb.h"
#include "complaints/events/v1/ivr.pb.h"
#include "complaints/followup/v1/followup.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "libs/grpcutil/client_credentials.h"
#include "libs/common/ids.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/producer.h"
#include "libs/kafka/topic_reader.h"

using namespace complaints;

namespace {

struct Options {
  std::string calls_file;
  std::string bootstrap = "127.0.0.1:9092";
  std::string host = "127.0.0.1";
  double wait_seconds = 60;            // for each step of the platform to happen
  double deadline_wait_seconds = 150;  // at most, for the accept deadlines of ignored cases
};

// What the demo does with the n-th complaint, so that every outcome shows up in the summary.
enum class Plan { kResolveSatisfied, kResolveUnsatisfied, kAcceptOnly, kIgnore };

Plan PlanFor(size_t n) {
  switch (n % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
      return Plan::kResolveSatisfied;
    case 5:
    case 6:
      return Plan::kResolveUnsatisfied;
    case 7:
      return Plan::kAcceptOnly;
    default:
      return Plan::kIgnore;
  }
}

template <typename Call>
grpc::Status Retry(Call call, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    grpc::Status status = call();
    if (status.ok() || absl::Now() >= deadline) return status;
    absl::SleepFor(absl::Milliseconds(250));
  }
}

// The platform's clock: real time, or COMPLAINTS_CLOCK_FACTOR times faster from
// COMPLAINTS_CLOCK_ORIGIN_UNIX_MS, as deploy/services.sh runs the services.
absl::Time ServiceNow() {
  const char* factor = std::getenv("COMPLAINTS_CLOCK_FACTOR");
  const char* origin = std::getenv("COMPLAINTS_CLOCK_ORIGIN_UNIX_MS");
  const double f = factor != nullptr ? std::atof(factor) : 1;
  if (f <= 1 || origin == nullptr) return absl::Now();
  const absl::Time start = absl::FromUnixMillis(std::atoll(origin));
  return start + (absl::Now() - start) * f;
}

// How many PROMISE breaches the complaint's timeline (AnalyticsService) shows.
int PromiseBreaches(analytics::v1::AnalyticsService::Stub& analytics, const std::string& id) {
  analytics::v1::GetTimelineRequest request;
  request.set_complaint_id(id);
  analytics::v1::GetTimelineResponse timeline;
  grpc::ClientContext context;
  if (!analytics.GetTimeline(&context, request, &timeline).ok()) return 0;
  int n = 0;
  for (const auto& entry : timeline.entries()) {
    n += entry.kind() == "sla.breach" && entry.summary().ends_with(": PROMISE");
  }
  return n;
}

}  // namespace

// One complaint's decision in a few lines: ids, category and where it came from, level and the
// rules, urgency and its reason codes (evidence as code-point offsets, never the text), risk tags.
std::string DescribeDecision(const events::v1::ComplaintReceived& c) {
  const events::v1::Classification& why = c.classification();
  std::string out = "  " + c.complaint_id() + (c.short_id().empty() ? "" : " (" + c.short_id() + ")") +
                    "  " + c.category() + " [" + (why.category_source().empty() ? "caller" : why.category_source()) +
                    (why.category_rule().empty() ? "" : " " + why.category_rule()) + "]  " +
                    events::v1::Level_Name(c.level()).substr(6);
  if (why.level_rules_size() > 0) {
    out += " by";
    for (const auto& rule : why.level_rules()) out += " " + rule;
  }
  out += "  " + events::v1::Urgency_Name(c.urgency()).substr(8);
  for (const auto& reason : why.urgency_reasons()) {
    out += " " + reason.code();
    for (const auto& e : reason.evidence()) {
      out += "@" + std::to_string(e.start()) + "-" + std::to_string(e.end());
    }
  }
  const events::v1::RiskTags& tags = c.risk_tags();
  out += "\n      risk tags: repeat " + std::to_string(tags.repeat_count()) + ", in window " +
         std::to_string(tags.complaints_in_window()) + ", prior escalations " +
         std::to_string(tags.prior_escalations()) + ", open " + std::to_string(tags.open_complaints());
  if (!c.merged_into().empty()) out += ", merged into " + c.merged_into();
  for (const auto& line : tags.guidance()) out += "\n      guidance: " + line;
  return out;
}

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--calls")
      options.calls_file = argv[i + 1];
    else if (flag == "--bootstrap")
      options.bootstrap = argv[i + 1];
    else if (flag == "--host")
      options.host = argv[i + 1];
    else if (flag == "--wait")
      options.wait_seconds = std::atof(argv[i + 1]);
    else if (flag == "--deadline-wait")
      options.deadline_wait_seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (options.calls_file.empty()) {
    std::fprintf(stderr, "usage: %s --calls <file.jsonl> [--bootstrap host:port] [--host h]\n",
                 argv[0]);
    return 2;
  }

  // 1. Telephony posts the calls.
  kafka::KafkaConfig kafka_config;
  kafka_config.bootstrap_servers = options.bootstrap;
  kafka_config.client_id = "demo-telephony";
  auto producer = kafka::Producer::Create(kafka_config);
  if (!producer.ok()) {
    std::fprintf(stderr, "%s\n", producer.status().ToString().c_str());
    return 1;
  }
  const std::string run = std::to_string(absl::ToUnixSeconds(absl::Now()));
  std::ifstream in(options.calls_file);
  std::vector<kafka::OutgoingRecord> calls;
  std::vector<std::string> complaint_ids;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    events::v1::IvrCall call;
    if (!google::protobuf::util::JsonStringToMessage(line, &call).ok()) {
      std::fprintf(stderr, "bad sample line: %s\n", line.substr(0, 60).c_str());
      return 1;
    }
    call.set_call_id(call.call_id() + "-" + run);
    kafka::OutgoingRecord record;
    record.topic = "ivr.calls.v1";
    record.key = call.call_id();
    google::protobuf::util::MessageToJsonString(call, &record.value);
    record.verbatim_headers = true;
    record.extra_headers = {{"content-type", "application/json"}};
    calls.push_back(std::move(record));
    complaint_ids.push_back(common::ComplaintIdFor(call.source(), call.call_id()));
  }
  kafka::OutgoingRecord garbage;
  garbage.topic = "ivr.calls.v1";
  garbage.key = "garbage-demo";
  garbage.value = std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00not a call", 21);
  garbage.verbatim_headers = true;
  calls.push_back(garbage);
  if (auto s = (*producer)->Publish(calls); !s.ok()) {
    std::fprintf(stderr, "publishing calls: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("posted %zu calls and 1 garbage record to ivr.calls.v1\n", complaint_ids.size());

  const absl::Duration wait = absl::Seconds(options.wait_seconds);
  // What intake decided for each call: level, urgency and category with the rules and reasons
  // behind them, and the customer's risk tags, as the agent sees them during the call.
  // Complaints merged into an open one have no case of their own and skip the workflow.
  // Each step as the system that does it in a bank: an agent reads intake's decisions, each
  // branch works its own cases with its own credential, the contact systems (telephony) record
  // follow-up outcomes, operations reads the figures (deploy/authz/policy.textproto).
  auto intake = intake::v1::IntakeService::NewStub(
      grpcutil::ClientChannel(options.host + ":50051", "agent:alice"));
  std::printf("\n== intake's decisions (IntakeService.GetComplaint)\n");
  std::vector<std::string> routed_ids;
  for (const std::string& id : complaint_ids) {
    intake::v1::GetComplaintRequest get;
    get.set_complaint_id(id);
    intake::v1::GetComplaintResponse got;
    if (!Retry(
             [&] {
               grpc::ClientContext c;
               return intake->GetComplaint(&c, get, &got);
             },
             wait)
             .ok()) {
      std::fprintf(stderr, "complaint %s was never accepted\n", id.c_str());
      return 1;
    }
    std::printf("%s\n", DescribeDecision(got.complaint()).c_str());
    if (got.complaint().merged_into().empty()) routed_ids.push_back(id);
  }
  complaint_ids = routed_ids;

  // 2. Branches and departments work their cases.
  auto cases = routing::v1::CaseService::NewStub(
      grpcutil::ClientChannel(options.host + ":50052", "agent:alice"));
  // The case's unit, working its case: the unit in its commands is its credential's.
  std::map<std::string, std::unique_ptr<routing::v1::CaseService::Stub>> branch_stubs;
  const auto branch = [&](const std::string& unit) -> routing::v1::CaseService::Stub& {
    auto& stub = branch_stubs[unit];
    if (stub == nullptr) {
      stub = routing::v1::CaseService::NewStub(
          grpcutil::ClientChannel(options.host + ":50052", "branch:" + unit));
    }
    return *stub;
  };
  std::map<std::string, Plan> plans;
  std::map<std::string, std::string> units;
  int accepted_count = 0, resolved = 0;
  // 跟回复: a contact that promises the customer the next one `ahead` on the platform's clock
  // (ServiceNow). True when it was logged.
  std::set<std::string> promised;
  const auto log_contact = [&](const std::string& id, const std::string& unit,
                               const std::string& summary, const std::string& request_id,
                               std::optional<absl::Duration> ahead) {
    routing::v1::LogContactRequest contact;
    contact.set_complaint_id(id);
    contact.set_unit(unit);
    contact.set_channel("phone");
    contact.set_summary(summary);
    contact.set_request_id(request_id);
    routing::v1::LogContactResponse contacted;
    const grpc::Status s = Retry(
        [&] {
          if (ahead) {
            *contact.mutable_next_contact_promised_at() =
                common::ToProtoTime(ServiceNow() + *ahead);
          }
          grpc::ClientContext c;
          return branch(unit).LogContact(&c, contact, &contacted);
        },
        absl::Seconds(30));
    if (s.ok() && ahead) promised.insert(id);
    return s.ok();
  };
  for (size_t n = 0; n < complaint_ids.size(); ++n) {
    const std::string& id = complaint_ids[n];
    const Plan plan = PlanFor(n);
    plans[id] = plan;
    routing::v1::GetCaseRequest get;
    get.set_complaint_id(id);
    routing::v1::GetCaseResponse got;
    if (!Retry(
             [&] {
               grpc::ClientContext c;
               return cases->GetCase(&c, get, &got);
             },
             wait)
             .ok()) {
      std::fprintf(stderr, "complaint %s was never routed\n", id.c_str());
      return 1;
    }
    units[id] = got.case_().unit();
    if (plan == Plan::kIgnore) continue;
    routing::v1::AcceptCaseRequest accept;
    accept.set_complaint_id(id);
    accept.set_unit(got.case_().unit());
    accept.set_responsible("demo-clerk");
    accept.set_actor("demo-branch");
    // Request ids make the retries safe: a retried command changes nothing twice. Retried while
    // routing answers UNAVAILABLE (rebuilding its state after a fresh Redis).
    accept.set_request_id("demo-accept");
    routing::v1::AcceptCaseResponse accepted;
    if (auto s = Retry(
            [&] {
              grpc::ClientContext c;
              return branch(got.case_().unit()).AcceptCase(&c, accept, &accepted);
            },
            absl::Seconds(30));
        !s.ok()) {
      std::fprintf(stderr, "accept %s: %s\n", id.c_str(), s.error_message().c_str());
      continue;
    }
    ++accepted_count;
    if (plan == Plan::kAcceptOnly) {
      // Promises a call back within the hour and never makes it: the promise breaches.
      log_contact(id, got.case_().unit(),
                  "called the customer; promised a call back within the hour", "demo-contact",
                  absl::Hours(1));
      continue;
    }
    // Promises a call back tomorrow and keeps it (the next contact), then resolves.
    log_contact(id, got.case_().unit(), "called the customer, explained the investigation",
                "demo-contact", absl::Hours(24));
    log_contact(id, got.case_().unit(), "called back as promised with the outcome",
                "demo-contact-2", std::nullopt);
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_complaint_id(id);
    resolve.set_unit(got.case_().unit());
    resolve.set_resolution("investigated and settled with the customer");
    resolve.set_fault(events::v1::FAULT_PARTY_PROCESS);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
    resolve.set_request_id("demo-resolve");
    // 跟归档: one resolution in four leaves the business problem to be fixed later.
    resolve.set_business_problem_fixed(resolved % 4 != 3);
    routing::v1::ResolveCaseResponse done;
    if (Retry(
            [&] {
              grpc::ClientContext c;
              return branch(got.case_().unit()).ResolveCase(&c, resolve, &done);
            },
            absl::Seconds(30))
            .ok()) {
      ++resolved;
    }
  }
  std::printf("units accepted %d cases and resolved %d; %zu left unaccepted\n", accepted_count,
              resolved, complaint_ids.size() - accepted_count);

  // 3. The contact centre calls the customers back.
  auto followup = followup::v1::FollowUpService::NewStub(
      grpcutil::ClientChannel(options.host + ":50054", "telephony:ivr-1"));
  auto tasks = kafka::TopicReader::Open(options.bootstrap, "followup.tasks.v1");
  if (!tasks.ok()) {
    std::fprintf(stderr, "%s\n", tasks.status().ToString().c_str());
    return 1;
  }
  int satisfied = 0, unsatisfied = 0;
  std::map<std::string, std::map<std::string, int>> by_channel;  // channel -> effect -> count
  std::vector<std::string> awaiting_fix;
  for (const auto& [id, plan] : plans) {
    if (plan != Plan::kResolveSatisfied && plan != Plan::kResolveUnsatisfied) continue;
    auto task_record = (*tasks)->WaitFor(kafka::AboutComplaint(id), wait);
    if (!task_record) {
      std::fprintf(stderr, "no follow-up task for %s\n", id.c_str());
      continue;
    }
    events::v1::FollowUpTask task;
    task.ParseFromString(task_record->value);
    followup::v1::RecordOutcomeRequest outcome;
    outcome.set_complaint_id(id);
    outcome.set_task_id(task.task_id());
    outcome.set_outcome(plan == Plan::kResolveSatisfied ? followup::v1::OUTCOME_SATISFIED
                                                        : followup::v1::OUTCOME_UNSATISFIED);
    outcome.set_actor("demo-callback-agent");
    followup::v1::RecordOutcomeResponse effect;
    const grpc::Status s = Retry(
        [&] {
          grpc::ClientContext c;
          return followup->RecordOutcome(&c, outcome, &effect);
        },
        absl::Seconds(10));
    if (!s.ok()) {
      std::fprintf(stderr, "outcome for %s: %s\n", id.c_str(), s.error_message().c_str());
      continue;
    }
    (plan == Plan::kResolveSatisfied ? satisfied : unsatisfied)++;
    ++by_channel[events::v1::FollowUpChannel_Name(task.channel())][effect.effect()];
    if (effect.effect() == "awaiting_fix") awaiting_fix.push_back(id);
  }
  std::printf("follow-up: %d satisfied, %d not satisfied (reopened)\n", satisfied, unsatisfied);

  // 3a. 跟归档: half of the units that still had a business problem to fix report it fixed
  // (CaseService.ReportFix), which archives the case; the others stay AWAITING_FIX on a FIX clock.
  int fixes_reported = 0;
  for (size_t i = 0; i < awaiting_fix.size(); i += 2) {
    routing::v1::GetCaseRequest get;
    get.set_complaint_id(awaiting_fix[i]);
    routing::v1::GetCaseResponse now;
    grpc::ClientContext gc;
    if (!cases->GetCase(&gc, get, &now).ok()) continue;
    routing::v1::ReportFixRequest fix;
    fix.set_complaint_id(awaiting_fix[i]);
    fix.set_unit(now.case_().unit());
    fix.set_note("the product rule behind the complaint is corrected");
    fix.set_request_id("demo-fix");
    routing::v1::ReportFixResponse fixed;
    if (Retry(
            [&] {
              grpc::ClientContext c;
              return branch(now.case_().unit()).ReportFix(&c, fix, &fixed);
            },
            absl::Seconds(30))
            .ok()) {
      ++fixes_reported;
    }
  }
  std::printf("\n== follow-up outcomes by channel (FollowUpService effects)\n");
  for (const auto& [channel, effects] : by_channel) {
    std::printf("  %-28s", channel.c_str());
    for (const auto& [effect, n] : effects) std::printf("  %s %d", effect.c_str(), n);
    std::printf("\n");
  }
  std::printf("== 跟归档: %zu satisfied with the problem not fixed; %d fixes reported (archived), "
              "%zu still awaiting the fix\n",
              awaiting_fix.size(), fixes_reported, awaiting_fix.size() - fixes_reported);

  // 3b. 二次处理: each reopened case goes one level up the unit hierarchy at a raised level. The
  // first one is handled there and reopened once more: it goes up again, escalated.
  const auto get_case = [&](const std::string& id) {
    routing::v1::GetCaseRequest get;
    get.set_complaint_id(id);
    routing::v1::GetCaseResponse got;
    grpc::ClientContext c;
    return cases->GetCase(&c, get, &got).ok() ? std::optional(got.case_()) : std::nullopt;
  };
  const auto wait_case = [&](const std::string& id, auto done) {
    std::optional<routing::v1::Case> c;
    const absl::Time until = absl::Now() + wait;
    while (absl::Now() < until) {
      c = get_case(id);
      if (c && done(*c)) return c;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return std::optional<routing::v1::Case>();
  };
  const auto level_name = [](events::v1::Level level) {
    return events::v1::Level_Name(level).substr(sizeof("LEVEL_") - 1);
  };
  std::printf("\n== reopened at follow-up: assigned one level up (CaseService.GetCase)\n");
  std::string twice;
  for (const auto& [id, plan] : plans) {
    if (plan != Plan::kResolveUnsatisfied) continue;
    auto c = wait_case(id, [](const routing::v1::Case& c) {
      return c.state() == routing::v1::CASE_STATE_ASSIGNED && c.reopen_count() >= 1;
    });
    if (!c) {
      std::fprintf(stderr, "reopened case %s was not assigned again\n", id.c_str());
      continue;
    }
    std::printf("  %s  %-14s -> %-14s level %s\n", id.c_str(), units[id].c_str(),
                c->unit().c_str(), level_name(c->level()).c_str());
    if (twice.empty()) twice = id;
  }
  if (!twice.empty()) {
    // The unit one level up handles it, and the customer is still not satisfied.
    auto c = get_case(twice);
    const std::string unit = c ? c->unit() : "";
    routing::v1::AcceptCaseRequest accept;
    accept.set_complaint_id(twice);
    accept.set_unit(unit);
    accept.set_responsible("demo-supervisor");
    accept.set_request_id("demo-accept-2");
    routing::v1::AcceptCaseResponse accepted;
    routing::v1::ResolveCaseRequest resolve;
    resolve.set_complaint_id(twice);
    resolve.set_unit(unit);
    resolve.set_resolution("second handling: refunded the fee");
    resolve.set_fault(events::v1::FAULT_PARTY_PROCESS);
    resolve.set_motive(events::v1::CUSTOMER_MOTIVE_COMPENSATION);
    resolve.set_business_problem_fixed(true);
    resolve.set_request_id("demo-resolve-2");
    routing::v1::ResolveCaseResponse done;
    std::set<std::string> seen_tasks;
    for (const auto& r : (*tasks)->Seen(kafka::AboutComplaint(twice))) {
      events::v1::FollowUpTask t;
      if (t.ParseFromString(r.value)) seen_tasks.insert(t.task_id());
    }
    const bool handled = Retry([&] {
                           grpc::ClientContext ctx;
                           return branch(unit).AcceptCase(&ctx, accept, &accepted);
                         }, absl::Seconds(30)).ok() &&
                         Retry([&] {
                           grpc::ClientContext ctx;
                           return branch(unit).ResolveCase(&ctx, resolve, &done);
                         }, absl::Seconds(30)).ok();
    events::v1::FollowUpTask task;
    const auto next = handled ? (*tasks)->WaitFor(
                                    [&](const kafka::IncomingRecord& r) {
                                      return kafka::AboutComplaint(twice)(r) &&
                                             task.ParseFromString(r.value) &&
                                             !seen_tasks.contains(task.task_id());
                                    },
                                    wait)
                              : std::nullopt;
    followup::v1::RecordOutcomeRequest outcome;
    outcome.set_complaint_id(twice);
    outcome.set_task_id(task.task_id());
    outcome.set_outcome(followup::v1::OUTCOME_UNSATISFIED);
    outcome.set_actor("demo-callback-agent");
    followup::v1::RecordOutcomeResponse effect;
    const bool reopened = next.has_value() && Retry([&] {
                                                grpc::ClientContext ctx;
                                                return followup->RecordOutcome(&ctx, outcome, &effect);
                                              }, absl::Seconds(10)).ok();
    auto again = reopened ? wait_case(twice, [](const routing::v1::Case& c) {
      return c.state() == routing::v1::CASE_STATE_ASSIGNED && c.reopen_count() >= 2;
    })
                          : std::nullopt;
    if (again) {
      std::printf("  %s  %-14s -> %-14s level %s (reopened twice)\n", twice.c_str(), unit.c_str(),
                  again->unit().c_str(), level_name(again->level()).c_str());
    } else {
      std::fprintf(stderr, "second reopening of %s did not go through\n", twice.c_str());
    }
  }

  // 4. Let the accelerated clock run past the accept deadlines of the cases nobody accepted.
  // They count in working hours (the business calendar): at night or over a weekend they are
  // further away in clock time, so wait for them rather than for a fixed time.
  std::printf("waiting up to %.0f s for the accept deadlines of unaccepted cases to pass...\n",
              options.deadline_wait_seconds);
  auto analytics = analytics::v1::AnalyticsService::NewStub(
      grpcutil::ClientChannel(options.host + ":50055", "operations:ops"));
  const absl::Time wait_until = absl::Now() + absl::Seconds(options.deadline_wait_seconds);
  for (;;) {
    int breached = 0, ignored = 0;
    for (const auto& [id, plan] : plans) {
      if (plan != Plan::kIgnore) continue;
      ++ignored;
      analytics::v1::GetTimelineRequest request;
      request.set_complaint_id(id);
      analytics::v1::GetTimelineResponse timeline;
      grpc::ClientContext context;
      if (!analytics->GetTimeline(&context, request, &timeline).ok()) continue;
      for (const auto& entry : timeline.entries()) {
        if (entry.kind() == "sla.breach") {
          ++breached;
          break;
        }
      }
    }
    // The ladder's second step (cn-default: 6 working hours after the breach) moves the case up.
    int moved = 0;
    for (const auto& [id, plan] : plans) {
      if (plan != Plan::kIgnore) continue;
      auto c = get_case(id);
      if (!c) continue;
      for (const auto& e : c->escalations()) moved += !e.to_unit().empty();
    }
    // 跟回复: the promises of the cases only accepted (an hour ahead) have passed by now.
    int missed = 0, unkept = 0;
    for (const auto& [id, plan] : plans) {
      if (plan != Plan::kAcceptOnly || !promised.contains(id)) continue;
      ++unkept;
      missed += PromiseBreaches(*analytics, id);
    }
    if ((breached == ignored && moved > 0 && missed >= unkept) || absl::Now() >= wait_until) {
      std::printf("%d of %d unaccepted cases breached their accept deadline\n", breached, ignored);
      break;
    }
    absl::SleepFor(absl::Seconds(2));
  }

  std::printf("\n== escalation of unaccepted cases (SLA ladder -> routing; Case.escalations)\n");
  for (const auto& [id, plan] : plans) {
    if (plan != Plan::kIgnore) continue;
    auto c = get_case(id);
    if (!c) continue;
    std::printf("  %s  %-14s now with %-14s", id.c_str(), units[id].c_str(), c->unit().c_str());
    for (const auto& e : c->escalations()) {
      const std::string clock = events::v1::Clock_Name(e.clock()).substr(sizeof("CLOCK_") - 1);
      if (e.to_unit().empty()) {
        std::printf("; %s step %d: %s notified", clock.c_str(), e.step(), e.notified_unit().c_str());
      } else {
        std::printf("; %s step %d: REASSIGNED to %s", clock.c_str(), e.step(), e.to_unit().c_str());
      }
    }
    std::printf("\n");
  }

  // 4a. 跟回复: promised contacts, kept and missed.
  int promises_missed = 0;
  for (const std::string& id : promised) promises_missed += PromiseBreaches(*analytics, id) > 0;
  std::printf("\n== 跟回复: this run's units promised %zu customers their next call: "
              "%zu promises kept, %d missed (SLA PROMISE breaches)\n",
              promised.size(), promised.size() - promises_missed, promises_missed);
  {
    analytics::v1::GetAggregatesRequest month;
    month.set_period(analytics::v1::PERIOD_MONTH);
    analytics::v1::GetAggregatesResponse figures;
    grpc::ClientContext context;
    if (analytics->GetAggregates(&context, month, &figures).ok()) {
      int64_t decided = 0, kept = 0;
      for (const auto& row : figures.rows()) {
        decided += row.figures().promises_decided();
        kept += row.figures().promises_kept();
      }
      std::printf("   since the stack started (AnalyticsService aggregates): %ld promises kept, "
                  "%ld missed\n",
                  static_cast<long>(kept), static_cast<long>(decided - kept));
    }
  }

  // 5. This morning's complaints, as the platform sees them now.
  std::map<std::string, int> states;
  std::map<std::string, int> timeline_kinds;
  for (const std::string& id : complaint_ids) {
    routing::v1::GetCaseRequest get;
    get.set_complaint_id(id);
    routing::v1::GetCaseResponse got;
    grpc::ClientContext case_context;
    if (cases->GetCase(&case_context, get, &got).ok()) {
      states[routing::v1::CaseState_Name(got.case_().state())]++;
    }
    analytics::v1::GetTimelineRequest timeline_request;
    timeline_request.set_complaint_id(id);
    analytics::v1::GetTimelineResponse timeline;
    grpc::ClientContext timeline_context;
    if (analytics->GetTimeline(&timeline_context, timeline_request, &timeline).ok()) {
      for (const auto& entry : timeline.entries()) timeline_kinds[entry.kind()]++;
    }
  }
  std::printf("\n== this run's %zu complaints by case state (CaseService)\n", complaint_ids.size());
  for (const auto& [state, n] : states) std::printf("  %-45s %6d\n", state.c_str(), n);
  std::printf("== this run's events by kind (AnalyticsService timelines)\n");
  for (const auto& [kind, n] : timeline_kinds) std::printf("  %-45s %6d\n", kind.c_str(), n);

  // 6. What each unit's supervisor sees on its SLA worklist now.
  auto sla = sla::v1::SlaService::NewStub(
      grpcutil::ClientChannel(options.host + ":50053", "operations:ops"));
  std::printf("\n== SLA worklists of this run's units (SlaService.ListUnitDeadlines, next 24 h)\n");
  std::set<std::string> unit_names;
  for (const auto& [id, unit] : units) unit_names.insert(unit);
  for (const std::string& unit : unit_names) {
    sla::v1::ListUnitDeadlinesRequest list;
    list.set_unit(unit);
    list.set_page_size(1);
    sla::v1::ListUnitDeadlinesResponse worklist;
    grpc::ClientContext list_context;
    if (auto s = sla->ListUnitDeadlines(&list_context, list, &worklist); !s.ok()) {
      std::fprintf(stderr, "worklist of %s: %s\n", unit.c_str(), s.error_message().c_str());
      continue;
    }
    std::printf("  %-24s %4ld overdue, %4ld due soon", unit.c_str(),
                static_cast<long>(worklist.overdue_count()),
                static_cast<long>(worklist.due_soon_count()));
    if (worklist.items_size() > 0) {
      const auto& first = worklist.items(0);
      std::printf("; first: %s %s %s", first.complaint_id().c_str(),
                  events::v1::Clock_Name(first.first().clock()).c_str(),
                  sla::v1::DeadlineStatus_Name(first.first().status()).c_str());
    }
    std::printf("\n");
  }

  // 7. The platform's totals since the stack started.
  analytics::v1::GetCountsRequest request;
  analytics::v1::GetCountsResponse counts;
  grpc::ClientContext context;
  if (auto s = analytics->GetCounts(&context, request, &counts); !s.ok()) {
    std::fprintf(stderr, "analytics: %s\n", s.error_message().c_str());
    return 1;
  }
  std::printf("\n== all events by kind, since the stack started (AnalyticsService counts)\n");
  for (const auto& [type, n] :
       std::map(counts.by_event_type().begin(), counts.by_event_type().end())) {
    std::printf("  %-45s %6ld\n", type.c_str(), static_cast<long>(n));
  }
  std::printf("== complaints by category\n");
  for (const auto& [category, n] :
       std::map(counts.by_category().begin(), counts.by_category().end())) {
    std::printf("  %-45s %6ld\n", category.c_str(), static_cast<long>(n));
  }
  std::printf("== assignments by unit\n");
  for (const auto& [unit, n] : std::map(counts.by_unit().begin(), counts.by_unit().end())) {
    std::printf("  %-45s %6ld\n", unit.c_str(), static_cast<long>(n));
  }
  return 0;
}
