#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "complaints/analytics/v1/analytics.pb.h"
#include "complaints/intake/v1/classifier_config.pb.h"
#include "services/analytics/aggregator.h"

namespace complaints::analytics {

// One line of the report: a value of a dimension and its figures.
struct ReportLine {
  std::string code;   // e.g. "PHONE", "atm.card_retained", "BJ-0101"
  std::string label;  // what people read, e.g. "电话/热线", "ATM吞卡"
  analytics::v1::Figures figures;
  int64_t previous_volume = 0;  // the month before (环比)
};

struct ReportSection {
  std::string title;  // e.g. "投诉渠道 Channel"
  std::vector<ReportLine> lines;  // by volume, most first
};

// 月度投诉分析: a month's complaints in the JR/T 0169-2018 dimensions (channel, business class,
// cause) and the platform's own (category, level, handling unit), with the hot spots raised.
struct MonthlyReport {
  std::string month;  // YYYY-MM
  std::string taxonomy_version;
  ReportLine total;
  std::vector<ReportSection> sections;
  std::vector<events::v1::HotSpotAlert> hot_spots;  // raised in the month
};

// `taxonomy` names the categories and maps them to JR/T business classes and causes (may be
// empty: codes stand for themselves). InvalidArgument naming `month` when it is not YYYY-MM.
absl::StatusOr<MonthlyReport> BuildMonthlyReport(const Aggregator& aggregator,
                                                 const std::string& month,
                                                 const intake::v1::Taxonomy& taxonomy);

// CSV, UTF-8 with a byte order mark (Excel reads it as UTF-8 only then), CRLF line ends.
std::string RenderCsv(const MonthlyReport& report);
// A self-contained printable HTML page (no script, no external resource).
std::string RenderHtml(const MonthlyReport& report);

}  // namespace complaints::analytics
