// The bytes a peer sends on a connection: length prefix, header word, header,
// body, frame after frame. Decoding must never crash; a frame that decodes
// must encode and decode again to the same command.
#include <algorithm>

#include "fuzz/fuzz_check.h"
#include "remoting/codec.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::as_bytes(data, size);
  while (in.size() >= 4) {
    auto len = remoting::decode_length_prefix(in.first<4>());
    if (!len.ok()) {
      fuzz::check(!len.detail.empty());
      return 0;
    }
    in = in.subspan(4);
    // A stream cut short would wait for more bytes; decode what is there.
    size_t n = std::min<size_t>(*len.value, in.size());
    auto frame = in.first(n);
    in = in.subspan(n);
    auto d = remoting::decode_frame_body(frame);
    if (!d.ok()) {
      fuzz::check(!d.detail.empty());
      continue;
    }
    auto encoded = remoting::encode_frame(*d.value);
    auto again_len = remoting::decode_length_prefix(std::span(encoded).first<4>());
    fuzz::check(again_len.ok() && *again_len.value == encoded.size() - 4);
    auto again = remoting::decode_frame_body(std::span(encoded).subspan(4));
    fuzz::check(again.ok());
    fuzz::check(fuzz::same(*again.value, *d.value));
  }
  return 0;
}
