// The stored-message decoder (CommitLog records, pull bodies) on arbitrary
// bytes: never a crash, never a read past the input; a record that decodes
// re-encodes to the same bytes (with its CRC recomputed); and walking a
// buffer record by record always makes progress.
#include "common/message_format.h"
#include "fuzz/fuzz_check.h"

using namespace rmq;
using namespace rmq::common;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = fuzz::as_bytes(data, size);
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto d = decode_stored(bytes.subspan(pos), {.check_crc = true, .expected_physical_offset = std::nullopt});
    if (d.status != RecordStatus::ok && d.status != RecordStatus::blank) break;
    fuzz::check(d.size > 0);
    if (d.status == RecordStatus::ok) {
      std::vector<std::byte> again;
      encode_stored(*d.message, again);
      fuzz::check(again.size() == d.size);
      fuzz::check(std::equal(again.begin(), again.end(), bytes.begin() + static_cast<ptrdiff_t>(pos)));
    }
    if (d.size > bytes.size() - pos) break;  // a blank record claiming more than is left
    pos += d.size;
  }
  (void)decode_properties(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
