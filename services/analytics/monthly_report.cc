#include "services/analytics/monthly_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "libs/grpcutil/status.h"

namespace complaints::analytics {
namespace {

const char* ChannelLabel(const std::string& code) {
  if (code == "PHONE") return "电话/热线 phone";
  if (code == "BRANCH") return "营业网点 branch";
  if (code == "ONLINE") return "网络渠道 online";
  if (code == "REGULATOR") return "监管转办 regulator";
  if (code == "MEDIA") return "媒体 media";
  if (code == "HEAD_OFFICE") return "总行转办 head office";
  return "未标明 unspecified";
}

const char* LevelLabel(const std::string& code) {
  if (code == "ORDINARY") return "普通投诉 ordinary";
  if (code == "MAJOR") return "重大投诉 major";
  if (code == "ESCALATED") return "升级投诉 escalated";
  return "未标明 unspecified";
}

std::string Percent(double rate, bool has_denominator) {
  return has_denominator ? absl::StrFormat("%.1f%%", rate * 100) : "";
}

std::string Hours(double hours, int64_t resolved) {
  return resolved > 0 ? absl::StrFormat("%.1f", hours) : "";
}

std::string Change(int64_t now, int64_t before) {
  if (before == 0) return now == 0 ? "" : "new";
  return absl::StrFormat("%+.1f%%", (static_cast<double>(now) / before - 1) * 100);
}

const analytics::v1::ClockFigures* FindClock(const analytics::v1::Figures& f,
                                             const std::string& clock) {
  for (const auto& c : f.on_time()) {
    if (c.clock() == clock) return &c;
  }
  return nullptr;
}

// The columns of every line, as text: the CSV and the HTML show the same figures.
std::vector<std::string> Columns(const ReportLine& line) {
  const auto& f = line.figures;
  const auto* resolution = FindClock(f, "RESOLUTION");
  const auto* regulatory = FindClock(f, "REGULATORY");
  return {
      absl::StrCat(f.volume()),
      Change(f.volume(), line.previous_volume),
      resolution == nullptr ? "" : Percent(resolution->rate(), resolution->decided() > 0),
      regulatory == nullptr ? "" : Percent(regulatory->rate(), regulatory->decided() > 0),
      Percent(f.escalation_rate_internal(), f.volume() > 0),
      Percent(f.escalation_rate_regulator(), f.volume() > 0),
      Percent(f.repeat_rate(), f.volume() > 0),
      Percent(f.first_contact_resolution_rate(), f.resolved() > 0),
      Percent(f.satisfaction_rate(), f.satisfied() + f.partly_satisfied() + f.unsatisfied() > 0),
      Percent(f.reopen_rate(), f.resolved() > 0),
      Hours(f.resolve_hours_p50(), f.resolved()),
      Hours(f.resolve_hours_p90(), f.resolved()),
      Percent(f.promises_kept_rate(), f.promises_decided() > 0),
  };
}

const std::vector<std::string>& Headings() {
  static const std::vector<std::string> headings = {
      "投诉量 volume",           "环比 vs previous month", "办结按时率 resolution on time",
      "监管时限按时率 regulatory on time", "内部升级率 escalated",  "监管转办率 via regulator",
      "重复投诉率 repeat",        "一次解决率 first-contact resolution",
      "回访满意率 satisfaction",  "重开率 reopened",         "办结时长P50(小时) hours to resolve p50",
      "办结时长P90(小时) p90",     "承诺兑现率 promises kept"};
  return headings;
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  return "\"" + absl::StrReplaceAll(value, {{"\"", "\"\""}}) + "\"";
}

std::string Html(const std::string& text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

}  // namespace

absl::StatusOr<MonthlyReport> BuildMonthlyReport(const Aggregator& aggregator,
                                                 const std::string& month,
                                                 const intake::v1::Taxonomy& taxonomy) {
  absl::CivilMonth civil;
  if (month.size() != 7 || !absl::ParseCivilTime(month, &civil)) {
    return grpcutil::FieldError("month", "must be YYYY-MM");
  }
  const std::string previous = absl::FormatCivilTime(civil - 1);
  MonthlyReport report;
  report.month = month;
  report.taxonomy_version = taxonomy.version();

  absl::flat_hash_map<std::string, std::string> business, cause, label;
  for (const auto& leaf : taxonomy.leaf()) {
    business[leaf.code()] = leaf.jrt_business().empty() ? leaf.code() : leaf.jrt_business();
    cause[leaf.code()] = leaf.jrt_cause().empty() ? leaf.code() : leaf.jrt_cause();
    label[leaf.code()] = leaf.label();
  }

  const auto query = [&](const std::string& period, analytics::v1::Dimension dimension,
                         const absl::flat_hash_map<std::string, std::string>* groups)
      -> absl::StatusOr<analytics::v1::GetAggregatesResponse> {
    analytics::v1::GetAggregatesRequest request;
    request.set_period(analytics::v1::PERIOD_MONTH);
    request.set_from(period);
    request.set_to(period);
    if (dimension != analytics::v1::DIMENSION_UNSPECIFIED) request.add_group_by(dimension);
    return aggregator.Aggregates(request, groups);
  };
  const auto code_of = [](const analytics::v1::AggregateRow& row,
                          analytics::v1::Dimension dimension) -> std::string {
    switch (dimension) {
      case analytics::v1::DIMENSION_CATEGORY: return row.category();
      case analytics::v1::DIMENSION_UNIT: return row.unit();
      case analytics::v1::DIMENSION_CHANNEL: return row.channel();
      case analytics::v1::DIMENSION_LEVEL: return row.level();
      default: return "";
    }
  };

  auto total = query(month, analytics::v1::DIMENSION_UNSPECIFIED, nullptr);
  if (!total.ok()) return total.status();
  auto total_before = query(previous, analytics::v1::DIMENSION_UNSPECIFIED, nullptr);
  if (!total_before.ok()) return total_before.status();
  report.total.code = "TOTAL";
  report.total.label = "合计 total";
  if (total->rows_size() > 0) report.total.figures = total->rows(0).figures();
  if (total_before->rows_size() > 0) {
    report.total.previous_volume = total_before->rows(0).figures().volume();
  }

  struct Spec {
    const char* title;
    analytics::v1::Dimension dimension;
    const absl::flat_hash_map<std::string, std::string>* groups;
  };
  const Spec specs[] = {
      {"投诉渠道 channel (JR/T 0169)", analytics::v1::DIMENSION_CHANNEL, nullptr},
      {"业务类别 business class (JR/T 0169)", analytics::v1::DIMENSION_CATEGORY, &business},
      {"投诉原因 cause (JR/T 0169)", analytics::v1::DIMENSION_CATEGORY, &cause},
      {"投诉分类 category", analytics::v1::DIMENSION_CATEGORY, nullptr},
      {"投诉级别 level", analytics::v1::DIMENSION_LEVEL, nullptr},
      {"处理单位 first handling unit", analytics::v1::DIMENSION_UNIT, nullptr},
  };
  for (const Spec& spec : specs) {
    auto now = query(month, spec.dimension, spec.groups);
    if (!now.ok()) return now.status();
    auto before = query(previous, spec.dimension, spec.groups);
    if (!before.ok()) return before.status();
    absl::flat_hash_map<std::string, int64_t> previous_volume;
    for (const auto& row : before->rows()) {
      previous_volume[code_of(row, spec.dimension)] += row.figures().volume();
    }
    ReportSection section;
    section.title = spec.title;
    for (const auto& row : now->rows()) {
      ReportLine line;
      line.code = code_of(row, spec.dimension);
      if (spec.dimension == analytics::v1::DIMENSION_CHANNEL) {
        line.label = ChannelLabel(line.code);
      } else if (spec.dimension == analytics::v1::DIMENSION_LEVEL) {
        line.label = LevelLabel(line.code);
      } else if (spec.dimension == analytics::v1::DIMENSION_CATEGORY && spec.groups == nullptr) {
        auto it = label.find(line.code);
        line.label = it == label.end() ? line.code : it->second;
      } else {
        line.label = line.code.empty() ? "(未分派 unassigned)" : line.code;
      }
      line.figures = row.figures();
      line.previous_volume = previous_volume[line.code];
      section.lines.push_back(std::move(line));
    }
    std::stable_sort(section.lines.begin(), section.lines.end(), [](const auto& a, const auto& b) {
      return a.figures.volume() > b.figures.volume();
    });
    report.sections.push_back(std::move(section));
  }

  const int64_t start = absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(civil), absl::FixedTimeZone(8 * 3600)));
  const int64_t end = absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(civil + 1), absl::FixedTimeZone(8 * 3600)));
  report.hot_spots = aggregator.HotSpotsStartingIn(start, end);  // oldest first
  return report;
}

std::string RenderCsv(const MonthlyReport& report) {
  std::string out = "\xEF\xBB\xBF";  // the byte order mark
  const auto row = [&out](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvField(fields[i]);
    }
    out += "\r\n";
  };
  std::vector<std::string> heading = {"月份 month", "维度 dimension", "编码 code", "名称 name"};
  heading.insert(heading.end(), Headings().begin(), Headings().end());
  row(heading);
  const auto line = [&](const std::string& dimension, const ReportLine& l) {
    std::vector<std::string> fields = {report.month, dimension, l.code, l.label};
    const auto columns = Columns(l);
    fields.insert(fields.end(), columns.begin(), columns.end());
    row(fields);
  };
  line("合计 total", report.total);
  for (const auto& section : report.sections) {
    for (const auto& l : section.lines) line(section.title, l);
  }
  for (const auto& alert : report.hot_spots) {
    std::string cases;
    for (const auto& c : alert.typical_cases()) cases += (cases.empty() ? "" : " ") + c;
    row({report.month, "热点 hot spot", alert.key(),
         alert.kind() == events::v1::HOT_SPOT_KIND_BURST ? "群体性 burst" : "量升 volume rise",
         absl::StrCat(alert.observed()), "", "", "", "", "", "", "", "", "", "", "",
         "典型案例 " + cases});
  }
  return out;
}

std::string RenderHtml(const MonthlyReport& report) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<title>月度投诉分析报告 ",
      Html(report.month),
      "</title><style>"
      "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;margin:2em;color:#222}"
      "h1{font-size:1.5em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #999}"
      "table{border-collapse:collapse;width:100%;font-size:.8em}"
      "th,td{border:1px solid #bbb;padding:.25em .4em;text-align:right}"
      "th:first-child,td:first-child{text-align:left}th{background:#eee}"
      ".note{color:#555;font-size:.8em}"
      "@media print{@page{size:A4 landscape;margin:12mm}body{margin:0}"
      "h2{page-break-after:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}}"
      "</style></head><body>\n<h1>月度投诉分析报告 Monthly complaint report ",
      Html(report.month), "</h1>\n<p class=\"note\">按 JR/T 0169-2018 分类统计（渠道、业务类别、投诉原因）。"
      "Figures as defined in the analytics service README; taxonomy ",
      Html(report.taxonomy_version.empty() ? "(none)" : report.taxonomy_version), ".</p>\n");
  const auto table = [&](const std::string& title, const std::vector<ReportLine>& lines) {
    absl::StrAppend(&out, "<h2>", Html(title), "</h2>\n<table><thead><tr><th>名称 name</th>");
    for (const auto& h : Headings()) absl::StrAppend(&out, "<th>", Html(h), "</th>");
    out += "</tr></thead><tbody>\n";
    for (const auto& l : lines) {
      absl::StrAppend(&out, "<tr><td>", Html(l.label),
                      l.label == l.code ? "" : " <small>" + Html(l.code) + "</small>", "</td>");
      for (const auto& c : Columns(l)) absl::StrAppend(&out, "<td>", Html(c), "</td>");
      out += "</tr>\n";
    }
    out += "</tbody></table>\n";
  };
  table("合计 total", {report.total});
  for (const auto& section : report.sections) table(section.title, section.lines);
  out += "<h2>热点 Hot spots</h2>\n";
  if (report.hot_spots.empty()) {
    out += "<p>本月无热点。No hot spot this month.</p>\n";
  } else {
    out += "<table><thead><tr><th>热点 key</th><th>类型 kind</th><th>观测 observed</th>"
           "<th>基线 expected</th><th>典型案例 typical cases</th></tr></thead><tbody>\n";
    for (const auto& alert : report.hot_spots) {
      std::string cases;
      for (const auto& c : alert.typical_cases()) cases += (cases.empty() ? "" : ", ") + c;
      absl::StrAppend(&out, "<tr><td>", Html(alert.key()), "</td><td>",
                      alert.kind() == events::v1::HOT_SPOT_KIND_BURST ? "群体性 burst"
                                                                      : "量升 volume rise",
                      "</td><td>", alert.observed(), "</td><td>",
                      absl::StrFormat("%.1f", alert.expected()), "</td><td>", Html(cases),
                      "</td></tr>\n");
    }
    out += "</tbody></table>\n";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace complaints::analytics
