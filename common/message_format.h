// RocketMQ's stored message format (reference 5.1-5.3, 5.5): the CommitLog
// record, which is also each element of a pull, query or view response body,
// so that any RocketMQ client decodes what the store wrote.
//
//   TOTALSIZE i32 | MAGICCODE i32 | BODYCRC i32 | QUEUEID i32 | FLAG i32 |
//   QUEUEOFFSET i64 | PHYSICALOFFSET i64 | SYSFLAG i32 | BORNTIMESTAMP i64 |
//   BORNHOST 8 | STORETIMESTAMP i64 | STOREHOST 8 | RECONSUMETIMES i32 |
//   PREPARED_TX_OFFSET i64 | BODYLEN i32 + BODY | TOPICLEN i8 + TOPIC |
//   PROPLEN i16 + PROPERTIES
//
// Only the V1 layout with IPv4 hosts is written (what 4.x writes and every
// client reads). The decoder tells the three outcomes a recovering reader
// needs apart (STYLE habit 5): a good record, a record cut short by the end of
// the bytes (possibly a torn tail), and corruption — checking magic, size
// bounds and field consistency before it trusts a length, then the body CRC.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::common {

inline constexpr int32_t kMagicV1 = static_cast<int32_t>(0xDAA320A7);
inline constexpr int32_t kMagicV2 = static_cast<int32_t>(0xDAA320AB);
inline constexpr int32_t kBlankMagic = static_cast<int32_t>(0xCBD43194);  // end-of-segment filler

// Fixed part of a V1/IPv4 record: everything but body, topic and properties.
inline constexpr uint32_t kStoredFixedBytes = 91;
inline constexpr uint32_t kTopicBytesMax = 127;        // i8 length in V1
// RocketMQ's topic rule (^[%|a-zA-Z0-9_-]+$, at most kTopicBytesMax bytes):
// also what keeps a topic usable as a directory name.
bool valid_topic_name(std::string_view topic);
inline constexpr uint32_t kPropertiesBytesMax = 32767;  // i16 length
// A record larger than this is never valid (Java's default maxMessageSize is
// 4 MiB; the store allows headroom for properties).
inline constexpr uint32_t kStoredRecordBytesMax = 64 * 1024 * 1024;

// MessageSysFlag bits (reference 6.2).
inline constexpr int32_t kSysFlagCompressed = 0x1;
inline constexpr int32_t kSysFlagMultiTags = 0x2;
inline constexpr int32_t kSysFlagTransactionMask = 0xC;
inline constexpr int32_t kSysFlagTransactionPrepared = 0x4;
inline constexpr int32_t kSysFlagTransactionCommit = 0x8;
inline constexpr int32_t kSysFlagTransactionRollback = 0xC;
// Whether a record takes a ConsumeQueue slot: not a prepared or rolled-back
// transaction half.
inline bool takes_queue_slot(int32_t sys_flag) {
  const int32_t t = sys_flag & kSysFlagTransactionMask;
  return t == 0 || t == kSysFlagTransactionCommit;
}
inline constexpr int32_t kSysFlagBornHostV6 = 0x10;
inline constexpr int32_t kSysFlagStoreHostV6 = 0x20;

// An IPv4 address and port, as stored (4 address bytes + i32 port).
struct HostPort4 {
  uint8_t ip[4] = {0, 0, 0, 0};
  int32_t port = 0;
  bool operator==(const HostPort4&) const = default;
};
// "a.b.c.d:port" -> HostPort4; nullopt if it is not IPv4.
std::optional<HostPort4> parse_host_port4(std::string_view address);
std::string to_string(const HostPort4& h);

struct StoredMessage {
  int32_t body_crc = 0;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  HostPort4 born_host;
  int64_t store_timestamp = 0;
  HostPort4 store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::vector<std::byte> body;
  std::string topic;
  std::string properties;  // the encoded properties string (5.3)
  bool operator==(const StoredMessage&) const = default;
};

// Bytes of the encoded record.
uint32_t stored_size(const StoredMessage& m);

// Appends the V1 record to `out`; BODYCRC is computed from the body (the
// stored m.body_crc is ignored). REQUIRES: topic <= 127 bytes, properties <=
// 32767 bytes, record <= kStoredRecordBytesMax.
void encode_stored(const StoredMessage& m, std::vector<std::byte>& out);

enum class RecordStatus {
  ok,          // a complete, valid record
  incomplete,  // the bytes end inside the record (torn tail, or read more)
  blank,       // end-of-segment filler: skip to the next segment
  corrupt,     // bad magic, impossible sizes, inconsistent fields, bad CRC
};

struct DecodedRecord {
  RecordStatus status = RecordStatus::corrupt;
  uint32_t size = 0;              // ok/blank: bytes the record occupies
  std::optional<StoredMessage> message;  // ok only
  std::string problem;            // corrupt: what is wrong
};

struct DecodeOptions {
  bool check_crc = true;
  // When set, PHYSICALOFFSET must equal it (the reader knows where it is).
  std::optional<int64_t> expected_physical_offset;
};

// Decodes the record at the start of `bytes`. Never reads past `bytes`.
DecodedRecord decode_stored(std::span<const std::byte> bytes, const DecodeOptions& opts = {});

// Java's CRC32 of the body, masked to 31 bits (reference 5.2).
int32_t body_crc(std::span<const std::byte> body);

// ---- properties string (5.3) --------------------------------------------------

using MessageProperties = std::map<std::string, std::string>;
// name U+0001 value U+0002 per entry, trailing U+0002 included.
std::string encode_properties(const MessageProperties& p);
// Segments split on U+0002; a segment of >= 3 bytes splits at its first
// U+0001; empty names or values are dropped. A name given twice keeps its
// last value (RocketMQ's string2messageProperties puts each into a map).
MessageProperties decode_properties(std::string_view s);
// The value decode_properties(s) would hold for `name` (empty when none),
// found without building the map.
std::string_view find_property(std::string_view s, std::string_view name);
// p's value for `name`, empty when none (a decoded map's find_property).
std::string property_value(const MessageProperties& p, std::string_view name);
// Whether a message with these properties answers to `key`: its UNIQ_KEY,
// or one of its space-separated KEYS (what a query by key matches).
bool has_message_key(std::string_view properties, std::string_view key);

// ---- message ids (5.5) ----------------------------------------------------------

// Offset msgId: uppercase hex of store IP | i32 port | i64 CommitLog offset.
std::string offset_msg_id(const HostPort4& store_host, int64_t commit_log_offset);
struct OffsetMsgId {
  HostPort4 store_host;
  int64_t commit_log_offset = 0;
};
// nullopt unless 32 hex characters (the IPv4 form).
std::optional<OffsetMsgId> parse_offset_msg_id(std::string_view id);

}  // namespace rmq::common
