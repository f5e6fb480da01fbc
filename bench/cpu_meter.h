#pragma once

// Where the CPU went during a bench phase: the processes under test, Redis (from its INFO), and
// the whole machine, sampled before and after and printed per complaint. Shared by the benches
// whose targets are rates on this 2-core box, where every process competes for the same cores.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "libs/redis/redis_client.h"

namespace complaints::bench {

// utime + stime of a process in seconds; -1 if it cannot be read.
double ProcessCpuSeconds(pid_t pid);

class CpuMeter {
 public:
  struct Sample {
    std::vector<double> process_s;  // per process given, in order; -1 if unread
    double redis_s = -1;            // used_cpu_user + used_cpu_sys
    int64_t redis_calls = 0;        // commands Redis has run (cmdstat calls)
    double machine_busy_s = 0, machine_total_s = 0;  // /proc/stat, all cores
  };

  // `processes`: names and pids to follow (a pid <= 0 is skipped); `redis` may be null.
  CpuMeter(std::vector<std::pair<std::string, pid_t>> processes, redis::RedisClient* redis)
      : processes_(std::move(processes)), redis_(redis) {}

  Sample Take() const;
  // "    cpu: <name> N us/complaint; ... redis N us/complaint, N commands/complaint; machine
  // N% busy (all processes, 2 cores)", for what happened between `a` and `b`.
  std::string Line(const Sample& a, const Sample& b, int64_t complaints) const;

 private:
  std::vector<std::pair<std::string, pid_t>> processes_;
  redis::RedisClient* redis_;
};

}  // namespace complaints::bench
