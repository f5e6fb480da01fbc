#include "services/analytics/dashboard.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "httplib.h"
#include "libs/common/files.h"
#include "libs/common/proto_time.h"
#include "libs/kafka/cloud_event.h"
#include "spdlog/spdlog.h"

namespace complaints::analytics {
namespace {

// A JSON string literal (UTF-8 passes through; control characters and quotes are escaped).
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '<': out += "\\u003c"; break;  // never "</script>" inside a page
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Bare(const std::string& name, const std::string& prefix) {
  return name.starts_with(prefix) ? name.substr(prefix.size()) : name;
}

std::string Day(int32_t day) { return absl::FormatCivilTime(absl::CivilDay(1970, 1, 1) + day); }

constexpr char kPage[] = R"PAGE(<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>投诉分析 Complaints dashboard</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#222}
header{background:#7a1f1f;color:#fff;padding:.6em 1.2em}header h1{margin:0;font-size:1.3em}
header span{font-size:.8em;opacity:.8}
main{display:grid;grid-template-columns:1fr 1fr;gap:1em;padding:1em}
section{background:#fff;border-radius:6px;padding:.8em;box-shadow:0 1px 3px #0002;min-width:0}
section h2{font-size:1em;margin:0 0 .5em}
table{border-collapse:collapse;width:100%;font-size:.8em}td,th{border-bottom:1px solid #ddd;padding:.2em .4em;text-align:left}
.breach{color:#b00;font-weight:bold}.wide{grid-column:1 / span 2}canvas{max-height:260px}
</style></head><body>
<header><h1>投诉分析 Complaints dashboard</h1><span id="asof">loading…</span></header>
<main>
<section><h2>投诉量趋势 Volume, last 30 days</h2><canvas id="volume"></canvas></section>
<section><h2>积压与超时 Open backlog and overdue by unit</h2><canvas id="backlog"></canvas></section>
<section><h2>回访满意率 Satisfaction at follow-up, by month</h2><canvas id="satisfaction"></canvas></section>
<section><h2>热点 Hot spots</h2><table id="hotspots"><thead><tr><th>key</th><th>kind</th><th>observed</th><th>expected</th><th>typical cases</th></tr></thead><tbody></tbody></table></section>
<section><h2>实时SLA告警 Live SLA alerts</h2><table id="alerts"><thead><tr><th>time</th><th>complaint</th><th>unit</th><th>clock</th><th>kind</th></tr></thead><tbody></tbody></table></section>
<section><h2>投诉时间线 A complaint's timeline</h2>
<form><input name="complaint" id="complaint" placeholder="complaint id" size="30"> <button>show</button></form>
<table id="timeline"><tbody></tbody></table></section>
</main>
<div id="rendered" hidden></div>
<script src="/static/chart.js"></script>
<script>
function cell(row, text, cls){const td=document.createElement('td');td.textContent=text;if(cls)td.className=cls;row.appendChild(td);}
function link(id){return '?complaint='+encodeURIComponent(id);}
const charts={};
async function load(){
  const s=await (await fetch('/api/summary.json')).json();
  document.getElementById('asof').textContent='as of '+s.as_of+' · '+s.events_applied+' events';
  charts.volume=new Chart(document.getElementById('volume'),{type:'line',
    data:{labels:s.volume.labels,datasets:[{label:'complaints',data:s.volume.data,borderColor:'#7a1f1f',backgroundColor:'#7a1f1f33',fill:true,tension:.2}]},
    options:{animation:false,scales:{y:{beginAtZero:true,ticks:{precision:0}}}}});
  charts.backlog=new Chart(document.getElementById('backlog'),{type:'bar',
    data:{labels:s.backlog.map(b=>b.unit),datasets:[
      {label:'open',data:s.backlog.map(b=>b.open-b.overdue),backgroundColor:'#4a7ab5'},
      {label:'overdue',data:s.backlog.map(b=>b.overdue),backgroundColor:'#c0392b'}]},
    options:{animation:false,scales:{x:{stacked:true},y:{stacked:true,beginAtZero:true,ticks:{precision:0}}}}});
  charts.satisfaction=new Chart(document.getElementById('satisfaction'),{type:'bar',
    data:{labels:s.satisfaction.labels,datasets:[{label:'satisfied %',data:s.satisfaction.data,backgroundColor:'#27ae60'}]},
    options:{animation:false,scales:{y:{beginAtZero:true,max:100}}}});
  const hot=document.querySelector('#hotspots tbody');
  for(const h of s.hot_spots){const r=hot.insertRow();cell(r,h.key);cell(r,h.kind);cell(r,h.observed);cell(r,h.expected.toFixed(1));
    const td=document.createElement('td');for(const c of h.cases){const a=document.createElement('a');a.href=link(c);a.textContent=c;td.appendChild(a);td.append(' ');}r.appendChild(td);}
  if(!s.hot_spots.length){const r=hot.insertRow();cell(r,'none');}
  const al=document.querySelector('#alerts tbody');
  for(const a of s.alerts){const r=al.insertRow();cell(r,a.at);const td=document.createElement('td');const l=document.createElement('a');l.href=link(a.complaint);l.textContent=a.complaint;td.appendChild(l);r.appendChild(td);
    cell(r,a.unit);cell(r,a.clock);cell(r,a.kind,a.kind==='BREACH'?'breach':'');}
  const id=new URLSearchParams(location.search).get('complaint');
  let timeline=0;
  if(id){document.getElementById('complaint').value=id;
    const t=await (await fetch('/api/timeline.json?id='+encodeURIComponent(id))).json();
    const tb=document.querySelector('#timeline tbody');
    if(t.error){const r=tb.insertRow();cell(r,t.error);}
    for(const e of (t.entries||[])){const r=tb.insertRow();cell(r,e.time);cell(r,e.summary);timeline++;}}
  // What was drawn, for the browser test: the points each chart laid out on its canvas.
  const drawn=k=>charts[k].getDatasetMeta(0).data.length;
  const sum=a=>a.reduce((x,y)=>x+y,0);
  const out=document.getElementById('rendered');
  out.dataset.volumePoints=drawn('volume');out.dataset.volumeTotal=sum(s.volume.data);
  out.dataset.backlogBars=drawn('backlog');out.dataset.backlogOpen=sum(s.backlog.map(b=>b.open));
  out.dataset.satisfactionBars=drawn('satisfaction');out.dataset.hotSpots=s.hot_spots.length;
  out.dataset.alerts=s.alerts.length;out.dataset.timeline=timeline;
  out.dataset.canvas=['volume','backlog','satisfaction'].map(k=>document.getElementById(k).width).join(',');
  out.textContent='rendered';
}
load().catch(e=>{document.getElementById('rendered').textContent='error: '+e;});
</script></body></html>
)PAGE";

}  // namespace

std::string Dashboard::SummaryJson(const AggregatesConsumer& aggregates) {
  const int64_t now = aggregates.Now();
  const int32_t today = ShanghaiDay(now);
  std::string out = "{";
  absl::StrAppend(&out, "\"as_of\":", Quote(kafka::FormatEventTime(absl::FromUnixSeconds(now))));

  analytics::v1::GetAggregatesRequest days;
  days.set_period(analytics::v1::PERIOD_DAY);
  days.set_from(Day(today - 29));
  days.set_to(Day(today));
  auto volume = aggregates.Aggregates(days);
  absl::flat_hash_map<std::string, int64_t> by_day;
  int64_t applied = 0;
  if (volume.ok()) {
    applied = volume->events_applied();
    for (const auto& row : volume->rows()) by_day[row.period()] = row.figures().volume();
  }
  absl::StrAppend(&out, ",\"events_applied\":", applied);
  std::string labels, data;
  for (int32_t d = today - 29; d <= today; ++d) {
    const std::string name = Day(d);
    absl::StrAppend(&labels, labels.empty() ? "" : ",", Quote(name.substr(5)));
    absl::StrAppend(&data, data.empty() ? "" : ",", by_day[name]);
  }
  absl::StrAppend(&out, ",\"volume\":{\"labels\":[", labels, "],\"data\":[", data, "]}");

  const auto backlog = aggregates.Backlog("");
  out += ",\"backlog\":[";
  for (int i = 0; i < backlog.rows_size() && i < 15; ++i) {
    const auto& row = backlog.rows(i);
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"unit\":", Quote(row.unit()),
                    ",\"open\":", row.open(), ",\"overdue\":", row.overdue(), "}");
  }
  out += "]";

  analytics::v1::GetAggregatesRequest months;
  months.set_period(analytics::v1::PERIOD_MONTH);
  months.set_from(Day(today - 180).substr(0, 7));
  auto satisfaction = aggregates.Aggregates(months);
  labels.clear();
  data.clear();
  if (satisfaction.ok()) {
    for (const auto& row : satisfaction->rows()) {
      absl::StrAppend(&labels, labels.empty() ? "" : ",", Quote(row.period()));
      absl::StrAppend(&data, data.empty() ? "" : ",",
                      absl::StrFormat("%.1f", row.figures().satisfaction_rate() * 100));
    }
  }
  absl::StrAppend(&out, ",\"satisfaction\":{\"labels\":[", labels, "],\"data\":[", data, "]}");

  out += ",\"hot_spots\":[";
  const auto hot = aggregates.HotSpots(20);
  for (int i = 0; i < hot.hot_spots_size(); ++i) {
    const auto& h = hot.hot_spots(i);
    std::string cases;
    for (const auto& c : h.typical_cases()) absl::StrAppend(&cases, cases.empty() ? "" : ",", Quote(c));
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"key\":", Quote(h.key()), ",\"kind\":",
                    Quote(h.kind() == events::v1::HOT_SPOT_KIND_BURST ? "burst" : "volume rise"),
                    ",\"observed\":", h.observed(), ",\"expected\":",
                    absl::StrFormat("%.2f", h.expected()), ",\"cases\":[", cases, "]}");
  }
  out += "],\"alerts\":[";
  const auto alerts = aggregates.RecentAlerts();
  for (size_t i = 0; i < alerts.size() && i < 20; ++i) {
    const auto& a = alerts[i];
    absl::StrAppend(
        &out, i == 0 ? "" : ",", "{\"at\":",
        Quote(absl::FormatTime("%Y-%m-%d %H:%M", common::FromProtoTime(a.fired_at()),
                               absl::FixedTimeZone(8 * 3600))),
        ",\"complaint\":", Quote(a.complaint_id()), ",\"unit\":", Quote(a.unit()),
        ",\"clock\":", Quote(Bare(events::v1::Clock_Name(a.clock()), "CLOCK_")), ",\"kind\":",
        Quote(Bare(events::v1::AlertKind_Name(a.kind()), "ALERT_KIND_")), "}");
  }
  out += "]}";
  return out;
}

absl::StatusOr<std::unique_ptr<Dashboard>> Dashboard::Start(Options options,
                                                            AggregatesConsumer* aggregates,
                                                            Analytics* timelines) {
  const size_t colon = options.address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(options.address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("analytics.dashboard_address: expected host:port, got " +
                                      options.address);
  }
  // Without Chart.js the page has no charts, but the service still serves everything else.
  std::string chart_js = common::ReadFile(options.chart_js).value_or("");
  if (chart_js.empty()) {
    spdlog::error("analytics.chart_js: {} cannot be read: the dashboard has no charts; install "
                  "Debian's libjs-chart.js (deploy/setup.sh does)",
                  options.chart_js);
  }
  std::unique_ptr<Dashboard> dashboard(new Dashboard());
  dashboard->server_ = std::make_unique<httplib::Server>();
  auto& server = *dashboard->server_;
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kPage, "text/html; charset=utf-8");
  });
  server.Get("/static/chart.js",
             [script = std::move(chart_js)](const httplib::Request&, httplib::Response& res) {
               if (script.empty()) {
                 res.status = 503;
                 res.set_content("Chart.js is not installed (libjs-chart.js)", "text/plain");
                 return;
               }
               res.set_header("Cache-Control", "max-age=86400");
               res.set_content(script, "text/javascript; charset=utf-8");
             });
  server.Get("/api/summary.json", [aggregates](const httplib::Request&, httplib::Response& res) {
    res.set_content(SummaryJson(*aggregates), "application/json");
  });
  server.Get("/api/timeline.json", [timelines](const httplib::Request& req,
                                               httplib::Response& res) {
    analytics::v1::GetTimelineRequest request;
    request.set_complaint_id(req.get_param_value("id"));
    auto timeline = timelines->GetTimeline(request);
    if (!timeline.ok()) {
      // The status says which field and why, never customer data (Analytics' own messages).
      res.set_content("{\"error\":" + Quote(std::string(timeline.status().message())) + "}",
                      "application/json");
      return;
    }
    std::string out = "{\"entries\":[";
    for (int i = 0; i < timeline->entries_size(); ++i) {
      const auto& e = timeline->entries(i);
      absl::StrAppend(&out, i == 0 ? "" : ",", "{\"time\":",
                      Quote(absl::FormatTime("%Y-%m-%d %H:%M:%S", common::FromProtoTime(e.time()),
                                             absl::FixedTimeZone(8 * 3600))),
                      ",\"kind\":", Quote(e.kind()), ",\"summary\":", Quote(e.summary()), "}");
    }
    res.set_content(out + "]}", "application/json");
  });
  dashboard->port_ = port == 0 ? server.bind_to_any_port(options.address.substr(0, colon))
                               : (server.bind_to_port(options.address.substr(0, colon), port)
                                      ? port
                                      : -1);
  if (dashboard->port_ <= 0) {
    return absl::UnavailableError("analytics.dashboard_address: cannot listen on " +
                                  options.address);
  }
  dashboard->thread_ = std::thread([&server] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();
  return dashboard;
}

Dashboard::~Dashboard() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace complaints::analytics
