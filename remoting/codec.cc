// Frames and the pieces shared by both header codecs. The JSON header lives
// in json_header.cc, the ROCKETMQ binary header in binary_header.cc.
#include "remoting/codec.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace rmq::remoting {

namespace {

constexpr size_t kLengthPrefixBytes = 4;
constexpr size_t kHeaderWordBytes = 4;
constexpr uint32_t kHeaderLengthMask = 0x00FFFFFF;

// Indexed by the ROCKETMQ language byte (reference section 1.6).
constexpr std::string_view kLanguageNames[] = {
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS",
};
constexpr uint8_t kLanguageOther = 7;
static_assert(kLanguageNames[kLanguageOther] == "OTHER");

uint32_t load_be32(const std::byte* p) {
  return (std::to_integer<uint32_t>(p[0]) << 24) | (std::to_integer<uint32_t>(p[1]) << 16) |
         (std::to_integer<uint32_t>(p[2]) << 8) | std::to_integer<uint32_t>(p[3]);
}

void store_be32(std::byte* p, uint32_t v) {
  p[0] = std::byte{static_cast<uint8_t>(v >> 24)};
  p[1] = std::byte{static_cast<uint8_t>(v >> 16)};
  p[2] = std::byte{static_cast<uint8_t>(v >> 8)};
  p[3] = std::byte{static_cast<uint8_t>(v)};
}

template <class T>
Decoded<T> fail(DecodeError e, std::string detail) {
  Decoded<T> d;
  d.error = e;
  d.detail = std::move(detail);
  return d;
}

}  // namespace

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::frame_too_large: return "frame_too_large";
    case DecodeError::length_invalid: return "length_invalid";
    case DecodeError::header_length_invalid: return "header_length_invalid";
    case DecodeError::truncated: return "truncated";
    case DecodeError::serialize_type_unknown: return "serialize_type_unknown";
    case DecodeError::json_invalid: return "json_invalid";
    case DecodeError::json_field_invalid: return "json_field_invalid";
    case DecodeError::binary_header_invalid: return "binary_header_invalid";
  }
  return "unknown";
}

uint8_t language_code(std::string_view name) {
  for (size_t i = 0; i < std::size(kLanguageNames); ++i) {
    if (kLanguageNames[i] == name) return static_cast<uint8_t>(i);
  }
  return kLanguageOther;
}

std::string_view language_name(uint8_t code) {
  return code < std::size(kLanguageNames) ? kLanguageNames[code] : kLanguageNames[kLanguageOther];
}

std::vector<std::byte> encode_frame(const RemotingCommand& cmd) {
  RMQ_ASSERT_MSG(cmd.body_files.empty(), "encode_frame of a command with file slices");
  std::vector<std::byte> out;
  append_frame(cmd, out);
  return out;
}

void append_frame(const RemotingCommand& cmd, std::vector<std::byte>& out) {
  std::string json;
  std::vector<std::byte> binary;
  rt::ConstBytes header;
  if (cmd.serialize_type == SerializeType::json) {
    json = encode_json_header(cmd);
    header = rt::ConstBytes(reinterpret_cast<const std::byte*>(json.data()), json.size());
  } else {
    binary = encode_binary_header(cmd);
    header = binary;
  }
  RMQ_ASSERT_MSG(header.size() <= kHeaderLengthMask, "header does not fit the 24-bit length");
  const uint64_t in_memory = kHeaderWordBytes + header.size() + cmd.body.size();
  uint64_t length = in_memory;
  for (const auto& f : cmd.body_files) length += f.length;
  RMQ_ASSERT_MSG(length <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max()),
                 "frame does not fit the 31-bit length");

  const size_t at = out.size();
  out.resize(at + kLengthPrefixBytes + in_memory);  // the file slices follow
  std::byte* p = out.data() + at;
  store_be32(p, static_cast<uint32_t>(length));
  uint32_t type = static_cast<uint32_t>(cmd.serialize_type);
  store_be32(p + kLengthPrefixBytes, (type << 24) | static_cast<uint32_t>(header.size()));
  p += kLengthPrefixBytes + kHeaderWordBytes;
  if (!header.empty()) std::memcpy(p, header.data(), header.size());
  p += header.size();
  if (!cmd.body.empty()) std::memcpy(p, cmd.body.data(), cmd.body.size());
}

Decoded<uint32_t> decode_length_prefix(std::span<const std::byte, 4> prefix, uint32_t frame_max_bytes) {
  auto length = static_cast<int32_t>(load_be32(prefix.data()));
  if (length < 0) {
    return fail<uint32_t>(DecodeError::length_invalid, fmt::format("negative frame length {}", length));
  }
  uint64_t frame_bytes = kLengthPrefixBytes + static_cast<uint64_t>(length);
  if (frame_bytes > frame_max_bytes) {
    return fail<uint32_t>(DecodeError::frame_too_large,
                          fmt::format("frame of {} bytes exceeds {}", frame_bytes, frame_max_bytes));
  }
  if (static_cast<uint32_t>(length) < kHeaderWordBytes) {
    return fail<uint32_t>(DecodeError::length_invalid,
                          fmt::format("frame length {} leaves no room for the header word", length));
  }
  Decoded<uint32_t> d;
  d.value = static_cast<uint32_t>(length);
  return d;
}

Decoded<RemotingCommand> decode_frame_body(rt::ConstBytes after_length) {
  if (after_length.size() < kHeaderWordBytes) {
    return fail<RemotingCommand>(DecodeError::truncated,
                                 fmt::format("frame of {} bytes has no header word", after_length.size()));
  }
  uint32_t word = load_be32(after_length.data());
  uint32_t type = word >> 24;
  size_t header_bytes = word & kHeaderLengthMask;
  size_t available = after_length.size() - kHeaderWordBytes;
  if (header_bytes > available) {
    return fail<RemotingCommand>(
        DecodeError::header_length_invalid,
        fmt::format("header length {} exceeds the {} bytes after the header word", header_bytes, available));
  }
  rt::ConstBytes header = after_length.subspan(kHeaderWordBytes, header_bytes);
  Decoded<RemotingCommand> d;
  if (type == static_cast<uint32_t>(SerializeType::json)) {
    d = decode_json_header(std::string_view(reinterpret_cast<const char*>(header.data()), header.size()));
  } else if (type == static_cast<uint32_t>(SerializeType::rocketmq)) {
    d = decode_binary_header(header);
  } else {
    return fail<RemotingCommand>(DecodeError::serialize_type_unknown,
                                 fmt::format("serialize type {} is neither JSON (0) nor ROCKETMQ (1)", type));
  }
  if (!d.ok()) return d;
  rt::ConstBytes body = after_length.subspan(kHeaderWordBytes + header_bytes);
  d.value->body.assign(body.begin(), body.end());
  return d;
}

}  // namespace rmq::remoting
