// The verbs about analysis: report.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "complaints/analytics/v1/analytics.grpc.pb.h"
#include "tools/complaintctl/verb.h"

namespace complaints::complaintctl {
namespace {

int Report(const Invocation& run) {
  const Arguments& args = run.args;
  analytics::v1::ExportMonthlyReportRequest request;
  absl::CivilMonth month;
  const std::string given = args.Get("month");
  if (given.size() != 7 || !absl::ParseCivilTime(given, &month)) {
    std::fprintf(run.err,
                 "complaintctl: --month \"%s\" is not a month; give it as YYYY-MM, e.g. "
                 "--month 2026-03\n",
                 given.c_str());
    return 2;
  }
  request.set_month(given);
  request.set_format(args.Has("html") ? analytics::v1::REPORT_FORMAT_HTML
                                      : analytics::v1::REPORT_FORMAT_CSV);
  auto stub = analytics::v1::AnalyticsService::NewStub(run.Channel(run.endpoints.analytics));
  analytics::v1::ExportMonthlyReportResponse response;
  const grpc::Status status = stub->ExportMonthlyReport(run.Context().get(), request, &response);
  if (!status.ok()) return run.Fail("monthly report", status, run.endpoints.analytics);
  const std::string output = args.Get("output");
  if (output.empty() || output == "-") {
    std::fwrite(response.content().data(), 1, response.content().size(), run.out);
    return 0;
  }
  std::FILE* file = std::fopen(output.c_str(), "wb");
  if (file == nullptr) {
    std::fprintf(run.err, "complaintctl: cannot write %s; check the directory exists and is "
                          "writable\n", output.c_str());
    return 1;
  }
  const size_t written = std::fwrite(response.content().data(), 1, response.content().size(), file);
  const bool closed = std::fclose(file) == 0;
  if (written != response.content().size() || !closed) {
    std::fprintf(run.err, "complaintctl: writing %s failed; check the disk has room\n",
                 output.c_str());
    return 1;
  }
  std::fprintf(run.err, "monthly report %s written to %s (%zu bytes)\n", given.c_str(),
               output.c_str(), response.content().size());
  return 0;
}

}  // namespace

std::vector<Verb> ReportVerbs() {
  return {
      {{.words = "report",
        .summary = "Print the monthly report (JR/T 0169 dimensions) as CSV or HTML.",
        .details = "From AnalyticsService.ExportMonthlyReport: the month's figures in total and by\n"
                   "channel, business class, cause, category, level and handling unit, with the\n"
                   "month's hot spots. CSV is UTF-8 with a byte order mark, for Excel.",
        .flags = {{"month", "YYYY-MM", "the month (required)"},
                  {"html", "", "a printable HTML page instead of CSV"},
                  {"output", "FILE", "write to FILE instead of standard output"}}},
       Report},
  };
}

}  // namespace complaints::complaintctl
