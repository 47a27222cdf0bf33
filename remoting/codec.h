// Encoding and decoding RemotingCommand frames (reference sections 1.2-1.5).
//
// Decoders never throw and never allocate more than the frame they were
// given; they return a DecodeError that the connection reports (one log line
// naming the peer and the reason) before it closes.
//
// Tolerance (what real clients send): extFields values may be JSON strings,
// numbers or booleans (converted to text; null skipped); unknown header keys
// are ignored; \uXXXX escapes incl. surrogate pairs and raw UTF-8 decode;
// `remark` may be absent, null or "".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

// Largest accepted frame: 4 + length <= this (Java's frameMaxLength).
inline constexpr uint32_t kDefaultFrameMaxBytes = 16 * 1024 * 1024;

enum class DecodeError {
  frame_too_large,        // 4 + length above the configured maximum
  length_invalid,         // negative length, or shorter than the header word
  header_length_invalid,  // header length beyond the frame
  truncated,              // fewer bytes than the lengths promise
  serialize_type_unknown, // high byte of the header word not 0 or 1
  json_invalid,           // not a JSON object / bad syntax / bad UTF-8 escape
  json_field_invalid,     // a known field of the wrong type (e.g. "code":"x")
  binary_header_invalid,  // ROCKETMQ header lengths inconsistent
};
std::string_view to_string(DecodeError e);

template <class T>
struct Decoded {
  std::optional<T> value;
  DecodeError error{};
  std::string detail;  // e.g. "frame of 20000000 bytes exceeds 16777216"
  bool ok() const { return value.has_value(); }
};

// ---- whole frames ----------------------------------------------------------

// Encodes `cmd` as a complete frame (length prefix included), with the header
// in cmd.serialize_type. REQUIRES: cmd.body_files is empty.
std::vector<std::byte> encode_frame(const RemotingCommand& cmd);
// Appends that frame to `out` (for writers that gather several frames). The
// length prefix counts cmd.body_files, whose bytes are not appended: the
// writer sends them right after.
void append_frame(const RemotingCommand& cmd, std::vector<std::byte>& out);

// Checks the 4-byte length prefix of a frame: returns the number of bytes
// that follow it, or an error (negative, below 4, or 4 + length above
// `frame_max_bytes`). Call before allocating anything for the frame.
Decoded<uint32_t> decode_length_prefix(std::span<const std::byte, 4> prefix,
                                       uint32_t frame_max_bytes = kDefaultFrameMaxBytes);

// Decodes the bytes after the length prefix: header word, header, body.
Decoded<RemotingCommand> decode_frame_body(rt::ConstBytes after_length);

// ---- headers alone (used by the above; exposed for tests and fuzzing) ------

std::string encode_json_header(const RemotingCommand& cmd);
Decoded<RemotingCommand> decode_json_header(std::string_view json);

std::vector<std::byte> encode_binary_header(const RemotingCommand& cmd);
Decoded<RemotingCommand> decode_binary_header(rt::ConstBytes header);

// LanguageCode name <-> ROCKETMQ byte (section 1.6). Unknown bytes decode as
// "OTHER"; unknown names encode as OTHER (7).
uint8_t language_code(std::string_view name);
std::string_view language_name(uint8_t code);

}  // namespace rmq::remoting
