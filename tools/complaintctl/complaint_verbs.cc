// The verbs about complaints: submit, show, worklist, alerts.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "complaints/routing/v1/routing.grpc.pb.h"
#include "complaints/sla/v1/sla.grpc.pb.h"
#include "libs/common/pii.h"
#include "libs/common/proto_time.h"
#include "tools/complaintctl/verb.h"

namespace complaints::complaintctl {
namespace {

namespace ev = events::v1;

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", common::FromProtoTime(t), absl::LocalTimeZone());
}

// "CHANNEL_PHONE" -> "phone": the enum names without their prefix, as flags take them.
std::string Short(const std::string& enum_name, const std::string& prefix) {
  return absl::AsciiStrToLower(enum_name.substr(prefix.size()));
}

template <typename Enum>
bool ParseEnum(const std::string& value, const std::string& prefix,
               bool (*parse)(const std::string&, Enum*), Enum* out) {
  return parse(prefix + absl::AsciiStrToUpper(value), out);
}

int Submit(const Invocation& run) {
  const Arguments& args = run.args;
  intake::v1::SubmitComplaintRequest request;
  request.set_source(args.Get("source", "complaintctl"));
  request.set_external_id(args.Get("external-id"));
  request.set_description(args.Get("description"));
  request.set_category(args.Get("category"));
  request.set_branch_code(args.Get("branch"));
  request.set_product(args.Get("product"));
  request.mutable_customer()->set_name(args.Get("name"));
  request.mutable_customer()->set_phone(args.Get("phone"));
  request.mutable_customer()->set_customer_id(args.Get("customer-id"));
  request.mutable_customer()->set_home_branch(args.Get("home-branch"));
  ev::Channel channel = ev::CHANNEL_PHONE;
  if (args.Has("channel") &&
      !ParseEnum(args.Get("channel"), "CHANNEL_", &ev::Channel_Parse, &channel)) {
    std::fprintf(run.err,
                 "complaintctl: --channel \"%s\" is not a channel; use phone, branch, online, "
                 "regulator, media or head_office\n",
                 args.Get("channel").c_str());
    return 2;
  }
  request.set_channel(channel);

  auto stub = intake::v1::IntakeService::NewStub(run.Channel(run.endpoints.intake));
  intake::v1::SubmitComplaintResponse response;
  const grpc::Status status = stub->SubmitComplaint(run.Context().get(), request, &response);
  if (!status.ok()) return run.Fail("submit", status, run.endpoints.intake);
  std::fprintf(run.out, "complaint %s (short id %s)%s\n", response.complaint_id().c_str(),
               response.short_id().c_str(),
               response.duplicate() ? ": already submitted, nothing new published" : "");
  std::fprintf(run.out, "  category %s, %s, %s\n", response.category().c_str(),
               Short(ev::Level_Name(response.level()), "LEVEL_").c_str(),
               Short(ev::Urgency_Name(response.urgency()), "URGENCY_").c_str());
  if (!response.merged_into().empty()) {
    std::fprintf(run.out, "  merged into %s\n", response.merged_into().c_str());
  }
  return 0;
}

// Customer fields are shown masked: what an operator needs to match a case by eye.
void PrintComplaint(const ev::ComplaintReceived& complaint, std::FILE* out) {
  std::fprintf(out, "complaint %s (short id %s) from %s/%s, received %s\n",
               complaint.complaint_id().c_str(), complaint.short_id().c_str(),
               complaint.source().c_str(), complaint.external_id().c_str(),
               Time(complaint.received_at()).c_str());
  std::fprintf(out, "  %s via %s, %s, %s\n", complaint.category().c_str(),
               Short(ev::Channel_Name(complaint.channel()), "CHANNEL_").c_str(),
               Short(ev::Level_Name(complaint.level()), "LEVEL_").c_str(),
               Short(ev::Urgency_Name(complaint.urgency()), "URGENCY_").c_str());
  const ev::Customer& customer = complaint.customer();
  std::fprintf(out, "  customer %s, phone %s, id %s, home branch %s\n",
               common::MaskName(customer.name()).c_str(),
               common::MaskPhone(customer.phone()).c_str(),
               common::MaskIdNumber(customer.id_number()).c_str(),
               customer.home_branch().empty() ? "-" : customer.home_branch().c_str());
  if (!complaint.branch_code().empty() || !complaint.product().empty()) {
    std::fprintf(out, "  branch %s, product %s\n",
                 complaint.branch_code().empty() ? "-" : complaint.branch_code().c_str(),
                 complaint.product().empty() ? "-" : complaint.product().c_str());
  }
}

int Show(const Invocation& run) {
  const std::string id = run.args.positional[0];
  auto intake = intake::v1::IntakeService::NewStub(run.Channel(run.endpoints.intake));
  intake::v1::GetComplaintRequest get;
  get.set_complaint_id(id);
  intake::v1::GetComplaintResponse complaint;
  grpc::Status status = intake->GetComplaint(run.Context().get(), get, &complaint);
  if (!status.ok()) return run.Fail("show " + id, status, run.endpoints.intake);
  PrintComplaint(complaint.complaint(), run.out);

  auto cases = routing::v1::CaseService::NewStub(run.Channel(run.endpoints.routing));
  routing::v1::GetCaseRequest get_case;
  get_case.set_complaint_id(id);
  routing::v1::GetCaseResponse found;
  status = cases->GetCase(run.Context().get(), get_case, &found);
  if (status.ok()) {
    const routing::v1::Case& c = found.case_();
    std::fprintf(run.out, "case: %s at %s, %s, reopened %d time(s), responsible %s\n",
                 Short(routing::v1::CaseState_Name(c.state()), "CASE_STATE_").c_str(),
                 c.unit().c_str(), Short(ev::Level_Name(c.level()), "LEVEL_").c_str(),
                 c.reopen_count(), c.responsible().empty() ? "-" : c.responsible().c_str());
  } else {
    std::fprintf(run.out, "case: not available (%s)\n", status.error_message().c_str());
  }

  auto analytics = analytics::v1::AnalyticsService::NewStub(run.Channel(run.endpoints.analytics));
  analytics::v1::GetTimelineRequest get_timeline;
  get_timeline.set_complaint_id(id);
  analytics::v1::GetTimelineResponse timeline;
  status = analytics->GetTimeline(run.Context().get(), get_timeline, &timeline);
  if (!status.ok()) return run.Fail("timeline of " + id, status, run.endpoints.analytics);
  std::fprintf(run.out, "timeline:\n");
  for (const analytics::v1::TimelineEntry& entry : timeline.entries()) {
    std::fprintf(run.out, "  %s  %s\n", Time(entry.time()).c_str(), entry.summary().c_str());
  }
  return 0;
}

int Worklist(const Invocation& run) {
  sla::v1::ListUnitDeadlinesRequest request;
  request.set_unit(run.args.Get("unit"));
  if (request.unit().empty()) {
    std::fprintf(run.err, "complaintctl: worklist needs --unit UNIT (a unit code, e.g. BJ-0101)\n");
    return 2;
  }
  absl::Duration due_within = absl::Hours(24);
  if (run.args.Has("due-within") && !absl::ParseDuration(run.args.Get("due-within"), &due_within)) {
    std::fprintf(run.err, "complaintctl: --due-within \"%s\" is not a duration (e.g. 4h, 90m)\n",
                 run.args.Get("due-within").c_str());
    return 2;
  }
  request.mutable_due_within()->set_seconds(absl::ToInt64Seconds(due_within));
  request.set_page_size(1000);
  auto stub = sla::v1::SlaService::NewStub(run.Channel(run.endpoints.sla));
  int listed = 0;
  for (bool first = true; first || !request.page_token().empty(); first = false) {
    sla::v1::ListUnitDeadlinesResponse page;
    const grpc::Status status = stub->ListUnitDeadlines(run.Context().get(), request, &page);
    if (!status.ok()) return run.Fail("worklist of " + request.unit(), status, run.endpoints.sla);
    if (first) {
      std::fprintf(run.out, "%s as of %s: %lld overdue, %lld due within %s\n",
                   request.unit().c_str(), Time(page.as_of()).c_str(),
                   static_cast<long long>(page.overdue_count()),
                   static_cast<long long>(page.due_soon_count()),
                   absl::FormatDuration(due_within).c_str());
    }
    for (const sla::v1::UnitDeadline& item : page.items()) {
      const bool overdue = item.first().status() == sla::v1::DEADLINE_STATUS_BREACHED;
      std::fprintf(run.out, "  %-8s %s  %-19s %-17s %-9s %s\n", overdue ? "OVERDUE" : "due",
                   item.complaint_id().c_str(), Time(item.first().due_at()).c_str(),
                   Short(ev::Clock_Name(item.first().clock()), "CLOCK_").c_str(),
                   Short(ev::Level_Name(item.level()), "LEVEL_").c_str(), item.category().c_str());
      ++listed;
    }
    request.set_page_token(page.next_page_token());
  }
  if (listed == 0) std::fprintf(run.out, "  nothing overdue or due soon\n");
  return 0;
}

int Alerts(const Invocation& run) {
  sla::v1::WatchAlertsRequest request;
  request.set_unit(run.args.Get("unit"));
  int limit = 0;
  if (run.args.Has("count") && (!absl::SimpleAtoi(run.args.Get("count"), &limit) || limit < 1)) {
    std::fprintf(run.err, "complaintctl: --count must be a positive number\n");
    return 2;
  }
  auto stub = sla::v1::SlaService::NewStub(run.Channel(run.endpoints.sla));
  grpc::ClientContext context;  // no deadline: watching runs until interrupted or --count
  auto stream = stub->WatchAlerts(&context, request);
  std::fprintf(run.err, "watching alerts%s (Ctrl-C to stop)\n",
               request.unit().empty() ? "" : (" of " + request.unit()).c_str());
  ev::SlaAlert alert;
  int seen = 0;
  while (stream->Read(&alert)) {
    std::fprintf(run.out, "%s  %-10s %-17s step %d  %s at %s (due %s)\n",
                 Time(alert.fired_at()).c_str(),
                 Short(ev::AlertKind_Name(alert.kind()), "ALERT_KIND_").c_str(),
                 Short(ev::Clock_Name(alert.clock()), "CLOCK_").c_str(), alert.step(),
                 alert.complaint_id().c_str(), alert.unit().c_str(), Time(alert.due_at()).c_str());
    std::fflush(run.out);
    if (limit > 0 && ++seen >= limit) {
      context.TryCancel();
      break;
    }
  }
  const grpc::Status status = stream->Finish();
  if (!status.ok() && !(limit > 0 && seen >= limit)) {
    return run.Fail("watching alerts", status, run.endpoints.sla);
  }
  return 0;
}

}  // namespace

std::vector<Verb> ComplaintVerbs() {
  return {
      {{.words = "submit",
        .summary = "Submit a complaint as a telephony system would (IntakeService).",
        .details = "Intake classifies it (level, urgency, category) unless --category is given.\n"
                   "The same --source and --external-id again answer the first complaint.",
        .flags = {{"external-id", "ID", "the submitter's id, unique per source (required)"},
                  {"description", "TEXT", "what the customer said (required)"},
                  {"source", "NAME", "the submitting system (default complaintctl)"},
                  {"channel", "NAME", "phone (default), branch, online, regulator, media, "
                                      "head_office"},
                  {"category", "CODE", "taxonomy code; default: intake classifies"},
                  {"name", "NAME", "customer's name"},
                  {"phone", "NUMBER", "customer's phone"},
                  {"customer-id", "ID", "the bank's customer number"},
                  {"home-branch", "UNIT", "the customer's account branch"},
                  {"branch", "UNIT", "the branch the complaint is about"},
                  {"product", "NAME", "the product concerned"}}},
       Submit},
      {{.words = "show",
        .positional = "<complaint-id>",
        .min_positional = 1,
        .max_positional = 1,
        .summary = "Show a complaint, its case and its timeline (customer fields masked)."},
       Show},
      {{.words = "worklist",
        .summary = "List a unit's overdue and due-soon complaints, nearest deadline first.",
        .details = "Read from the SLA timer's worklist (SlaService.ListUnitDeadlines).",
        .flags = {{"unit", "UNIT", "the unit code (required)"},
                  {"due-within", "DURATION", "how far ahead is due soon (default 24h)"}}},
       Worklist},
      {{.words = "alerts",
        .summary = "Watch SLA alerts (warnings, breaches, escalations) live.",
        .flags = {{"unit", "UNIT", "only this unit's alerts"},
                  {"count", "N", "stop after N alerts"}}},
       Alerts},
  };
}

}  // namespace complaints::complaintctl
