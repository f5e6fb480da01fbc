// The SLA timer's Redis value codec: whatever Redis hands back (a value written by another
// version, a corrupted one) decodes or fails cleanly, and what decodes re-encodes to itself.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "services/sla_timer/store/store_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace complaints;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto key = sla_timer::DecodeMember(input); key.ok()) {
    auto again = sla_timer::EncodeMember(*key);
    fuzz::Require(again.ok(), "a decoded member encodes");
    auto back = sla_timer::DecodeMember(*again);
    fuzz::Require(back.ok() && *back == *key, "member round trip");
  }
  if (auto id = sla_timer::DecodeWorklistMember(input); id.ok()) {
    auto back = sla_timer::DecodeWorklistMember(sla_timer::EncodeWorklistMember(*id));
    fuzz::Require(back.ok() && *back == *id, "worklist member round trip");
  }
  fuzz::RequireCleanError(sla_timer::DecodePolicyState(input).status());
  fuzz::RequireCleanError(sla_timer::DecodeCaseValue(input).status());
  return 0;
}
