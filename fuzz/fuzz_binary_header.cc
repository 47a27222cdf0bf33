// The ROCKETMQ binary header decoder on arbitrary bytes: never a crash; what
// decodes re-encodes to bytes that decode to the same command and encode to
// the same bytes.
#include "fuzz/fuzz_check.h"
#include "remoting/codec.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto d = remoting::decode_binary_header(fuzz::as_bytes(data, size));
  if (!d.ok()) {
    fuzz::check(!d.detail.empty());
    return 0;
  }
  fuzz::check(d.value->serialize_type == remoting::SerializeType::rocketmq);
  auto encoded = remoting::encode_binary_header(*d.value);
  fuzz::check(encoded.size() <= size);  // nothing is added; null entries drop
  auto again = remoting::decode_binary_header(encoded);
  fuzz::check(again.ok());
  fuzz::check(fuzz::same(*again.value, *d.value));
  fuzz::check(remoting::encode_binary_header(*again.value) == encoded);
  return 0;
}
