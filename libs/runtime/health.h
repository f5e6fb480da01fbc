#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace complaints::runtime {

// Whether a service can do its work right now, as its workers find out: a consumer retrying
// records because Redis or Kafka fails reports an outage, and the end of it. The service is
// healthy when no reporter is in an outage. The gRPC server follows it (grpc.health.v1
// NOT_SERVING during an outage, SERVING after), so probes and load balancers see an instance
// that cannot make progress, and operators get a signal other than a stalled partition.
// Knows nothing of gRPC or Kafka: StartGrpcServer listens, CreateConsumer reports.
// Thread-safe.
class DependencyHealth {
 public:
  using Listener = std::function<void(bool healthy)>;

  // A callback for one worker: Reporter("consumer complaints-intake ivr.calls.v1")(true) marks
  // that worker in an outage, (false) its end. Callbacks stay valid as long as this object.
  std::function<void(bool in_outage)> Reporter(std::string name);

  bool healthy() const;

  // Called, under this object's lock (so calls arrive in order), with every change of
  // healthy(), and at once with the current value. One listener; an empty one removes it (do
  // that before what the listener touches goes away).
  void SetListener(Listener listener);

 private:
  void Report(int id, const std::string& name, bool in_outage);

  mutable std::mutex mu_;
  int next_id_ = 0;
  std::map<int, std::string> in_outage_;  // reporter id → name
  Listener listener_;
};

}  // namespace complaints::runtime
