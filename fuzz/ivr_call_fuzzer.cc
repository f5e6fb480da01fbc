// ivr.calls.v1 records as telephony sends them: protobuf or JSON, decoded, mapped to a
// submission and validated, as intake does before anything is stored.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "services/intake/ivr_call.h"
#include "services/intake/submission.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace complaints;
  // The first byte picks the content-type header: JSON, protobuf, or none (sniffed).
  kafka::IncomingRecord record;
  if (size > 0) {
    if (data[0] % 3 == 0) record.headers.emplace_back("content-type", "application/json");
    if (data[0] % 3 == 1) record.headers.emplace_back("content-type", "application/protobuf");
    record.value.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  }
  auto call = intake::ParseIvrCall(record);
  fuzz::RequireCleanError(call.status());
  if (!call.ok()) return 0;
  const intake::v1::SubmitComplaintRequest request = intake::FromIvrCall(*call);
  const absl::Status valid = intake::ValidateSubmission(
      request, [](std::string_view code) { return code.size() < 40; },
      absl::FromUnixSeconds(1'800'000'000));
  fuzz::RequireCleanError(valid);
  if (valid.ok()) intake::NormalizeCustomer(request.customer());
  return 0;
}
