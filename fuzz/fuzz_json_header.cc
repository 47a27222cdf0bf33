// The JSON header decoder on arbitrary text: never a crash; what decodes
// re-encodes to text that decodes to the same command, and re-encoding that
// gives the same text.
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "remoting/codec.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = remoting::decode_json_header(text);
  if (!d.ok()) {
    fuzz::check(!d.detail.empty());
    return 0;
  }
  fuzz::check(d.value->serialize_type == remoting::SerializeType::json);
  std::string encoded = remoting::encode_json_header(*d.value);
  auto again = remoting::decode_json_header(encoded);
  fuzz::check(again.ok());
  fuzz::check(fuzz::same(*again.value, *d.value));
  fuzz::check(remoting::encode_json_header(*again.value) == encoded);
  return 0;
}
