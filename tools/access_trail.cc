// access_trail: who read or changed a complaint, or was refused, from access.audit.v1.
//
//   access_trail [--bootstrap 127.0.0.1:9092] <complaint id>
//
// Reads the topic to its end (outside any consumer group) and prints the complaint's access
// records in order: time, principal, method, allowed or refused (with the reason), the case's
// unit when the decision looked it up, and the answering service. The records are written by
// every service's authorization step (libs/grpcutil/authorization.h, libs/runtime/access_control.h).
// It needs access to the broker, which is the operators' and auditors' (not the branches').
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "complaints/events/v1/access.pb.h"
#include "libs/common/proto_time.h"
#include "libs/events/envelope.h"
#include "libs/kafka/topic_reader.h"

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:9092";
  std::string complaint_id;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--bootstrap" && i + 1 < argc) {
      bootstrap = argv[++i];
    } else if (complaint_id.empty() && !arg.empty() && arg[0] != '-') {
      complaint_id = arg;
    } else {
      std::fprintf(stderr, "usage: %s [--bootstrap host:port] <complaint id>\n", argv[0]);
      return 2;
    }
  }
  if (complaint_id.empty()) {
    std::fprintf(stderr, "usage: %s [--bootstrap host:port] <complaint id>\n", argv[0]);
    return 2;
  }
  auto reader = complaints::kafka::TopicReader::Open(bootstrap, "access.audit.v1");
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    return 1;
  }
  if (!(*reader)->ReadToEnd(absl::Seconds(30))) {
    std::fprintf(stderr, "access.audit.v1: not read to its end within 30 s\n");
    return 1;
  }
  // Each service publishes its own records: merged here by time.
  std::vector<complaints::events::v1::AccessAudited> events;
  for (const auto& record : (*reader)->Seen(complaints::kafka::AboutComplaint(complaint_id))) {
    complaints::events::v1::AccessAudited event;
    if (complaints::events::ParseRecord(record, &event).ok()) events.push_back(std::move(event));
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return complaints::common::FromProtoTime(a.time()) < complaints::common::FromProtoTime(b.time());
  });
  const int count = static_cast<int>(events.size());
  for (const auto& event : events) {
    std::printf("%s  %-26s %-58s %-7s %s%s%s\n",
                absl::FormatTime("%Y-%m-%d %H:%M:%E3S", complaints::common::FromProtoTime(event.time()),
                                 absl::LocalTimeZone())
                    .c_str(),
                event.principal().c_str(), event.method().c_str(),
                event.allowed() ? (event.change() ? "CHANGE" : "READ") : "REFUSED",
                event.unit().empty() ? "" : ("unit " + event.unit() + " ").c_str(),
                ("via " + event.service()).c_str(),
                event.allowed() ? "" : (": " + event.reason()).c_str());
  }
  std::printf("%d access records for %s\n", count, complaint_id.c_str());
  return 0;
}
