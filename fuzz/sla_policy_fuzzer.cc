// The SLA policy file (deploy/policies/*.textproto), parsed and checked as at start-up.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "services/sla_timer/policy/policy_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  complaints::fuzz::RequireCleanError(complaints::sla_policy::ParsePolicyText(text).status());
  return 0;
}
