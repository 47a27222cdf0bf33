// The fault plan parser on arbitrary text: never a crash; a plan that parses
// prints to text that parses to the same plan, and printing that again gives
// the same text.
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "scenarios/fault_plan.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto plan = scenarios::parse_fault_plan(text);
  if (!plan.ok()) {
    fuzz::check(plan.code() == rt::Errc::invalid_argument);
    fuzz::check(!plan.error().detail().empty());
    return 0;
  }
  const std::string printed = scenarios::to_string(*plan);
  auto again = scenarios::parse_fault_plan(printed);
  fuzz::check(again.ok());
  fuzz::check(*again == *plan);
  fuzz::check(scenarios::to_string(*again) == printed);
  return 0;
}
