#include "remoting/batch_body.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "common/big_endian.h"
#include "runtime/assert.h"

namespace rmq::remoting {

void append_batch_record(std::vector<std::byte>& out, int32_t flag, std::span<const std::byte> body,
                         std::string_view properties) {
  static_assert(kBatchPropertiesBytesMax == static_cast<size_t>(std::numeric_limits<int16_t>::max()));
  RMQ_ASSERT(properties.size() <= kBatchPropertiesBytesMax);
  RMQ_ASSERT(body.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max()) - kBatchRecordFixedBytes -
                                properties.size());
  const size_t total = kBatchRecordFixedBytes + body.size() + properties.size();
  const size_t at = out.size();
  out.resize(at + total);
  std::byte* w = out.data() + at;
  common::put_i32(w, static_cast<int32_t>(total));
  common::put_i32(w + 4, 0);  // MAGICCODE: unused
  common::put_i32(w + 8, 0);  // BODYCRC: the broker's
  common::put_i32(w + 12, flag);
  common::put_i32(w + 16, static_cast<int32_t>(body.size()));
  if (!body.empty()) std::memcpy(w + 20, body.data(), body.size());
  common::put_i16(w + 20 + body.size(), static_cast<int16_t>(properties.size()));
  if (!properties.empty()) std::memcpy(w + kBatchRecordFixedBytes + body.size(), properties.data(), properties.size());
}

rt::Result<std::vector<BatchRecord>> decode_batch_body(std::span<const std::byte> body, uint32_t body_bytes_max) {
  auto bad = [](size_t index, size_t at, const std::string& what) {
    return rt::Error(rt::Errc::invalid_argument, fmt::format("batch record {} at byte {}: {}", index, at, what));
  };
  if (body.empty()) return rt::Error(rt::Errc::invalid_argument, "an empty batch body");
  std::vector<BatchRecord> out;
  size_t at = 0;
  while (at < body.size()) {
    const size_t left = body.size() - at, index = out.size();
    if (left < kBatchRecordFixedBytes) return bad(index, at, fmt::format("{} bytes left, a record has at least 22", left));
    const std::byte* p = body.data() + at;
    const int32_t total = common::get_i32(p);
    if (total < static_cast<int32_t>(kBatchRecordFixedBytes) || static_cast<size_t>(total) > left)
      return bad(index, at, fmt::format("TOTALSIZE {} with {} bytes left", total, left));
    const int32_t body_len = common::get_i32(p + 16);
    if (body_len < 0 || static_cast<uint32_t>(body_len) > body_bytes_max)
      return bad(index, at, fmt::format("body length {} (at most {})", body_len, body_bytes_max));
    if (static_cast<int64_t>(kBatchRecordFixedBytes) + body_len > total)
      return bad(index, at, fmt::format("body length {} past TOTALSIZE {}", body_len, total));
    const int16_t props_len = common::get_i16(p + 20 + body_len);
    if (props_len < 0 || static_cast<int64_t>(kBatchRecordFixedBytes) + body_len + props_len != total)
      return bad(index, at, fmt::format("properties length {} with body length {} and TOTALSIZE {}", props_len,
                                        body_len, total));
    BatchRecord r;
    r.flag = common::get_i32(p + 12);
    r.body = body.subspan(at + 20, static_cast<size_t>(body_len));
    r.properties = std::string_view(reinterpret_cast<const char*>(p + kBatchRecordFixedBytes + body_len),
                                    static_cast<size_t>(props_len));
    out.push_back(r);
    at += static_cast<size_t>(total);
  }
  return out;
}

}  // namespace rmq::remoting
