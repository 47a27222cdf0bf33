// The lenient JSON parser used for bodies and config files (routes, cluster
// info, heartbeats, offset tables) on arbitrary text: never a crash; what
// parses serializes, in both key styles, to text that parses again and
// serializes to the same text. The typed lookups run over the top level.
#include <string_view>

#include <boost/json.hpp>

#include "common/json.h"
#include "fuzz/fuzz_check.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = json::parse_lenient(text);
  if (!v.ok()) {
    fuzz::check(!v.error().detail().empty());
    return 0;
  }
  for (bool bare : {false, true}) {
    std::string s = json::serialize(*v, bare);
    auto again = json::parse_lenient(s);
    fuzz::check(again.ok());
    fuzz::check(json::serialize(*again, bare) == s);
    fuzz::check(*again == *v);
  }
  if (v->is_object()) {
    for (const auto& kv : v->get_object()) {
      (void)json::scalar_text(kv.value());
      (void)json::get_string(v->get_object(), kv.key());
      (void)json::get_int64(v->get_object(), kv.key());
      (void)json::get_bool(v->get_object(), kv.key());
    }
  }
  return 0;
}
