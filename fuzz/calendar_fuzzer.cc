// A business calendar file (deploy/calendars/*.calendar), parsed beside the shipped CN base
// calendar; a registry that loads must answer working-time questions for any instant.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "libs/calendar/calendar_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace complaints;
  static const std::string base = fuzz::ShippedFile("deploy/calendars/CN.calendar");
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto registry = calendar::CalendarRegistry::Parse(
      {{.name = "CN.calendar", .text = base}, {.name = "fuzzed.calendar", .text = text}});
  fuzz::RequireCleanError(registry.status());
  return 0;
}
