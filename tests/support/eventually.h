#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace complaints::testsupport {

// Calls `call` (a gRPC call answering grpc::Status) until it succeeds and `done` holds for its
// answer, or `timeout` passes: the services apply events asynchronously, so a command can
// arrive before the case it names has been routed, and a read before the state it shows.
// Returns the last status.
template <typename Call, typename Done>
grpc::Status Until(Call call, Done done, absl::Duration timeout = absl::Seconds(90)) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    grpc::Status status = call();
    if ((status.ok() && done()) || absl::Now() >= deadline) return status;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

template <typename Call>
grpc::Status Eventually(Call call, absl::Duration timeout = absl::Seconds(90)) {
  return Until(call, [] { return true; }, timeout);
}

// Polls `holds` every `poll` until it is true or `timeout` passes; returns its last answer (read
// once per poll, so a flapping condition is never read twice for one decision).
template <typename Predicate>
bool WaitFor(Predicate holds, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(50)) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (holds()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(poll);
  }
}

}  // namespace complaints::testsupport
