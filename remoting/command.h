// RemotingCommand: one request or response of the RocketMQ remoting protocol
// (reference: shared/reference/rocketmq-protocol.md, sections 1.2-1.8).
//
// On the wire:  | i32 length | i32 headerWord | header | body |
//   length     = 4 + header bytes + body bytes (excludes itself)
//   headerWord = (serializeType << 24) | header bytes
// The header is JSON (serialize type 0) or the ROCKETMQ binary form (1); see
// remoting/codec.h. This struct is the decoded form, independent of both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "remoting/ext_fields.h"

namespace rmq::rt {
class File;
}

namespace rmq::remoting {

enum class SerializeType : uint8_t { json = 0, rocketmq = 1 };

inline constexpr int32_t kFlagResponse = 0x1;
inline constexpr int32_t kFlagOneway = 0x2;

// The MQVersion ordinal this implementation stamps into what it sends
// (V4_9_8); see the reference, section 1.7.
inline constexpr int32_t kOwnVersion = 409;

struct RemotingCommand {
  int32_t code = 0;            // request code (requests) or response code (responses)
  std::string language = "JAVA";
  int32_t version = kOwnVersion;
  int32_t opaque = 0;          // request id; a response echoes it
  int32_t flag = 0;            // kFlagResponse | kFlagOneway
  std::optional<std::string> remark;
  // The typed header, flattened to text (numbers decimal, booleans
  // "true"/"false"), sorted by key.
  ExtFields ext_fields;
  std::vector<std::byte> body;
  // Body bytes that follow `body` on the wire, sent straight from files
  // without passing through this process (Conn::send_file, sendfile(2) in
  // production): a pull answer under transferMsgByHeap=false. Only in
  // commands this process sends; a decoded command never has them, and the
  // file must keep its bytes until the frame is written.
  struct FileSlice {
    std::shared_ptr<rt::File> file;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  std::vector<FileSlice> body_files;
  // How the header was decoded, or how it is to be encoded. Responses are
  // encoded in the serialization of the request they answer.
  SerializeType serialize_type = SerializeType::json;

  bool is_response() const { return (flag & kFlagResponse) != 0; }
  bool is_oneway() const { return (flag & kFlagOneway) != 0; }

  // The value of an extFields entry, if present.
  std::optional<std::string_view> field(std::string_view name) const {
    auto it = ext_fields.find(name);
    if (it == ext_fields.end()) return std::nullopt;
    return std::string_view(it->second);
  }

  // A request with `code`; the opaque is assigned when it is sent.
  static RemotingCommand request(int32_t code) {
    RemotingCommand c;
    c.code = code;
    return c;
  }
  // A response to `req`: same opaque and serialize type, response flag set.
  static RemotingCommand response_to(const RemotingCommand& req, int32_t code,
                                     std::optional<std::string> remark = std::nullopt) {
    RemotingCommand c;
    c.code = code;
    c.opaque = req.opaque;
    c.flag = kFlagResponse;
    c.remark = std::move(remark);
    c.serialize_type = req.serialize_type;
    return c;
  }
};

}  // namespace rmq::remoting
