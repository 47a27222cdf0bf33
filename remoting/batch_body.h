// The body of a batch send (SEND_BATCH_MESSAGE, or SEND_MESSAGE_V2 with
// header `batch`; reference 5.4): records back to back, each
//   i32 TOTALSIZE (22 + bodyLen + propLen), i32 MAGICCODE (0), i32 BODYCRC
//   (0: the broker computes it), i32 FLAG, i32 bodyLen + body,
//   i16 propLen + properties.
// The producer writes it, the broker reads it; both use this file.
//
// Pure. The decoder reads only inside its input, returns views into it
// (valid while the input is), and answers Errc::invalid_argument naming the
// record and what is wrong with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::remoting {

inline constexpr size_t kBatchRecordFixedBytes = 22;  // the four i32s, bodyLen and propLen
inline constexpr size_t kBatchPropertiesBytesMax = 32767;  // propLen is an i16

// One message of a batch, as views.
struct BatchRecord {
  int32_t flag = 0;
  std::span<const std::byte> body;
  std::string_view properties;  // the message's own (U+0001/U+0002 string)
};

// Appends one record to `out`. REQUIRES: properties.size() <= kBatchPropertiesBytesMax
// and body.size() < 2 GiB; the caller refuses larger messages first.
void append_batch_record(std::vector<std::byte>& out, int32_t flag, std::span<const std::byte> body,
                         std::string_view properties);

// The records of `body`, in order. Refused: an empty body, a record cut
// short, a length that disagrees with TOTALSIZE, or a message body longer
// than `body_bytes_max`.
rt::Result<std::vector<BatchRecord>> decode_batch_body(std::span<const std::byte> body, uint32_t body_bytes_max);

}  // namespace rmq::remoting
