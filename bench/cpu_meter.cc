#include "bench/cpu_meter.h"

#include <unistd.h>

#include <fstream>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace complaints::bench {
namespace {

std::string InfoField(const std::string& info, const std::string& name) {
  const size_t at = info.find("\n" + name + ":");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 2;
  return info.substr(start, info.find('\r', start) - start);
}

double PerComplaintMicros(double seconds, int64_t complaints) {
  return seconds / static_cast<double>(complaints) * 1e6;
}

}  // namespace

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces: the fields start after its closing parenthesis.
  const size_t close = all.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(all.substr(close + 2), ' ');
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

CpuMeter::Sample CpuMeter::Take() const {
  Sample s;
  for (const auto& [name, pid] : processes_) {
    s.process_s.push_back(pid > 0 ? ProcessCpuSeconds(pid) : -1);
  }
  if (redis_ != nullptr) {
    auto info = redis_->Command({"INFO", "all"});
    if (info.ok()) {
      const std::string text = "\n" + info->str;
      double user = 0, sys = 0;
      if (absl::SimpleAtod(InfoField(text, "used_cpu_user"), &user) &&
          absl::SimpleAtod(InfoField(text, "used_cpu_sys"), &sys)) {
        s.redis_s = user + sys;
      }
      // cmdstat_<name>:calls=N,... lines
      for (size_t at = text.find("\ncmdstat_"); at != std::string::npos;
           at = text.find("\ncmdstat_", at + 1)) {
        const size_t calls = text.find("calls=", at);
        int64_t n = 0;
        if (calls != std::string::npos &&
            absl::SimpleAtoi(text.substr(calls + 6, text.find(',', calls) - calls - 6), &n)) {
          s.redis_calls += n;
        }
      }
    }
  }
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  std::vector<double> ticks;
  for (double t; ticks.size() < 8 && stat >> t;) ticks.push_back(t);
  if (ticks.size() == 8) {
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    double total = 0;
    for (double t : ticks) total += t;
    s.machine_total_s = total / hz;
    s.machine_busy_s = (total - ticks[3] - ticks[4]) / hz;  // minus idle and iowait
  }
  return s;
}

std::string CpuMeter::Line(const Sample& a, const Sample& b, int64_t complaints) const {
  if (complaints <= 0) return "";
  std::string out = "    cpu:";
  for (size_t i = 0; i < processes_.size() && i < a.process_s.size() && i < b.process_s.size();
       ++i) {
    if (a.process_s[i] < 0 || b.process_s[i] < 0) continue;
    absl::StrAppend(&out, " ", processes_[i].first, " ",
                    static_cast<int>(PerComplaintMicros(b.process_s[i] - a.process_s[i], complaints)),
                    " us/complaint;");
  }
  if (a.redis_s >= 0 && b.redis_s >= 0) {
    absl::StrAppend(&out, " redis ",
                    static_cast<int>(PerComplaintMicros(b.redis_s - a.redis_s, complaints)),
                    " us/complaint, ",
                    absl::StrFormat("%.1f", static_cast<double>(b.redis_calls - a.redis_calls) /
                                                static_cast<double>(complaints)),
                    " commands/complaint;");
  }
  const double total = b.machine_total_s - a.machine_total_s;
  if (total > 0) {
    absl::StrAppend(&out, " machine ",
                    static_cast<int>(100 * (b.machine_busy_s - a.machine_busy_s) / total),
                    "% busy (all processes, ", sysconf(_SC_NPROCESSORS_ONLN), " cores)");
  }
  return out;
}

}  // namespace complaints::bench
