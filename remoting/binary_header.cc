// The ROCKETMQ binary header (serialize type 1; reference section 1.5):
//
//   i16 code | i8 language | i16 version | i32 opaque | i32 flag |
//   i32 R | remark (R bytes) | i32 X | X bytes of (i16 keyLen, key, i32 valLen, value)
//
// A zero-length string means null: an empty remark is written as R = 0 and
// read back as absent; an entry with an empty key or value is dropped on
// reading. Every length is checked against the bytes that remain before it
// is followed; negative lengths are errors. Bytes after the extFields area
// are ignored, as Java does.
#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "remoting/codec.h"

namespace rmq::remoting {

namespace {

constexpr size_t kFixedBytes = 2 + 1 + 2 + 4 + 4;  // code, language, version, opaque, flag

void put_be(std::vector<std::byte>& out, uint32_t v, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) out.push_back(std::byte{static_cast<uint8_t>(v >> (8 * i))});
}

void put_text(std::vector<std::byte>& out, std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  out.insert(out.end(), p, p + s.size());
}

bool fits_i16(int64_t v) {
  return v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max();
}

// Reads big-endian fields from the header, refusing to pass its end.
class Cursor {
 public:
  explicit Cursor(rt::ConstBytes b) : b_(b) {}
  size_t remaining() const { return b_.size() - pos_; }
  size_t pos() const { return pos_; }
  // REQUIRES: remaining() >= bytes (each caller checks first).
  uint32_t be(size_t bytes) {
    RMQ_ASSERT(bytes <= remaining());
    uint32_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | std::to_integer<uint32_t>(b_[pos_ + i]);
    pos_ += bytes;
    return v;
  }
  std::string_view text(size_t bytes) {
    RMQ_ASSERT(bytes <= remaining());
    std::string_view s(reinterpret_cast<const char*>(b_.data()) + pos_, bytes);
    pos_ += bytes;
    return s;
  }

 private:
  rt::ConstBytes b_;
  size_t pos_ = 0;
};

Decoded<RemotingCommand> invalid(std::string detail) {
  Decoded<RemotingCommand> d;
  d.error = DecodeError::binary_header_invalid;
  d.detail = std::move(detail);
  return d;
}

}  // namespace

std::vector<std::byte> encode_binary_header(const RemotingCommand& cmd) {
  // The binary form has 16-bit code and version fields; a caller must not
  // ask for it with values that do not fit (POP codes are JSON-only).
  RMQ_ASSERT_MSG(fits_i16(cmd.code), "code does not fit the ROCKETMQ header");
  RMQ_ASSERT_MSG(fits_i16(cmd.version), "version does not fit the ROCKETMQ header");
  size_t remark_bytes = cmd.remark ? cmd.remark->size() : 0;
  size_t ext_bytes = 0;
  for (const auto& [k, v] : cmd.ext_fields) {
    RMQ_ASSERT_MSG(fits_i16(static_cast<int64_t>(k.size())), "extFields key longer than 32767 bytes");
    ext_bytes += 2 + k.size() + 4 + v.size();
  }
  RMQ_ASSERT(remark_bytes <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  RMQ_ASSERT(ext_bytes <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));

  std::vector<std::byte> out;
  out.reserve(kFixedBytes + 4 + remark_bytes + 4 + ext_bytes);
  put_be(out, static_cast<uint16_t>(cmd.code), 2);
  put_be(out, language_code(cmd.language), 1);
  put_be(out, static_cast<uint16_t>(cmd.version), 2);
  put_be(out, static_cast<uint32_t>(cmd.opaque), 4);
  put_be(out, static_cast<uint32_t>(cmd.flag), 4);
  put_be(out, static_cast<uint32_t>(remark_bytes), 4);
  if (cmd.remark) put_text(out, *cmd.remark);
  put_be(out, static_cast<uint32_t>(ext_bytes), 4);
  for (const auto& [k, v] : cmd.ext_fields) {
    put_be(out, static_cast<uint32_t>(k.size()), 2);
    put_text(out, k);
    put_be(out, static_cast<uint32_t>(v.size()), 4);
    put_text(out, v);
  }
  return out;
}

Decoded<RemotingCommand> decode_binary_header(rt::ConstBytes header) {
  Cursor c(header);
  if (c.remaining() < kFixedBytes + 4) {
    return invalid(fmt::format("binary header of {} bytes is shorter than {}", header.size(), kFixedBytes + 8));
  }
  RemotingCommand cmd;
  cmd.serialize_type = SerializeType::rocketmq;
  cmd.code = static_cast<int16_t>(c.be(2));
  cmd.language.assign(language_name(static_cast<uint8_t>(c.be(1))));
  cmd.version = static_cast<int16_t>(c.be(2));
  cmd.opaque = static_cast<int32_t>(c.be(4));
  cmd.flag = static_cast<int32_t>(c.be(4));

  auto remark_len = static_cast<int32_t>(c.be(4));
  if (remark_len < 0 || static_cast<size_t>(remark_len) > c.remaining()) {
    return invalid(fmt::format("remark length {} at offset {} exceeds the {} bytes left", remark_len,
                               c.pos() - 4, c.remaining()));
  }
  if (remark_len > 0) cmd.remark.emplace(c.text(static_cast<size_t>(remark_len)));

  if (c.remaining() < 4) return invalid("binary header ends before the extFields length");
  auto ext_len = static_cast<int32_t>(c.be(4));
  if (ext_len < 0 || static_cast<size_t>(ext_len) > c.remaining()) {
    return invalid(fmt::format("extFields length {} at offset {} exceeds the {} bytes left", ext_len,
                               c.pos() - 4, c.remaining()));
  }
  Cursor ext(header.subspan(c.pos(), static_cast<size_t>(ext_len)));
  while (ext.remaining() > 0) {
    size_t at = c.pos() + ext.pos();
    if (ext.remaining() < 2) return invalid(fmt::format("extFields entry at offset {} is cut short", at));
    auto key_len = static_cast<int16_t>(ext.be(2));
    if (key_len < 0 || static_cast<size_t>(key_len) > ext.remaining()) {
      return invalid(fmt::format("extFields key length {} at offset {} exceeds the area", key_len, at));
    }
    std::string_view key = ext.text(static_cast<size_t>(key_len));
    if (ext.remaining() < 4) return invalid(fmt::format("extFields entry at offset {} has no value length", at));
    auto val_len = static_cast<int32_t>(ext.be(4));
    if (val_len < 0 || static_cast<size_t>(val_len) > ext.remaining()) {
      return invalid(fmt::format("extFields value length {} at offset {} exceeds the area", val_len, at));
    }
    std::string_view val = ext.text(static_cast<size_t>(val_len));
    // Zero-length strings are null in this encoding: no entry (last wins).
    if (key.empty()) continue;
    if (val.empty()) {
      cmd.ext_fields.erase(key);
    } else {
      cmd.ext_fields.insert_or_assign(key, std::string(val));
    }
  }
  Decoded<RemotingCommand> d;
  d.value = std::move(cmd);
  return d;
}

}  // namespace rmq::remoting
