#include "common/message_format.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/message_const.h"
#include "runtime/assert.h"

namespace rmq::common {

namespace {

class Writer {
 public:
  explicit Writer(std::vector<std::byte>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(std::byte{v}); }
  void i16(int16_t v) { be(static_cast<uint16_t>(v), 2); }
  void i32(int32_t v) { be(static_cast<uint32_t>(v), 4); }
  void i64(int64_t v) { be(static_cast<uint64_t>(v), 8); }
  void host(const HostPort4& h) {
    for (uint8_t b : h.ip) u8(b);
    i32(h.port);
  }
  void raw(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void raw(std::string_view s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out_.insert(out_.end(), p, p + s.size());
  }

 private:
  void be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(std::byte{static_cast<uint8_t>(v >> (8 * i))});
  }
  std::vector<std::byte>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> b) : b_(b) {}
  size_t pos() const { return pos_; }
  bool has(size_t n) const { return b_.size() - pos_ >= n; }
  uint8_t u8() { return static_cast<uint8_t>(b_[pos_++]); }
  int16_t i16() { return static_cast<int16_t>(be(2)); }
  int32_t i32() { return static_cast<int32_t>(be(4)); }
  int64_t i64() { return static_cast<int64_t>(be(8)); }
  HostPort4 host() {
    HostPort4 h;
    for (auto& b : h.ip) b = u8();
    h.port = i32();
    return h;
  }
  std::span<const std::byte> take(size_t n) {
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  uint64_t be(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b_[pos_++]);
    return v;
  }
  std::span<const std::byte> b_;
  size_t pos_ = 0;
};

DecodedRecord corrupt(std::string problem) {
  DecodedRecord d;
  d.status = RecordStatus::corrupt;
  d.problem = std::move(problem);
  return d;
}

}  // namespace

std::optional<HostPort4> parse_host_port4(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  HostPort4 h;
  std::string_view ip = address.substr(0, colon);
  for (int i = 0; i < 4; ++i) {
    const auto dot = i < 3 ? ip.find('.') : ip.size();
    if (dot == std::string_view::npos || dot == 0) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(ip.data(), ip.data() + dot, v);
    if (ec != std::errc() || end != ip.data() + dot || v > 255) return std::nullopt;
    h.ip[i] = static_cast<uint8_t>(v);
    ip.remove_prefix(i < 3 ? dot + 1 : dot);
  }
  if (!ip.empty()) return std::nullopt;
  const std::string_view port = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), h.port);
  if (ec != std::errc() || end != port.data() + port.size() || h.port < 0 || h.port > 65535) return std::nullopt;
  return h;
}

std::string to_string(const HostPort4& h) {
  return std::to_string(h.ip[0]) + "." + std::to_string(h.ip[1]) + "." + std::to_string(h.ip[2]) + "." +
         std::to_string(h.ip[3]) + ":" + std::to_string(h.port);
}

int32_t body_crc(std::span<const std::byte> body) {
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  return static_cast<int32_t>(crc & 0x7fffffff);
}

uint32_t stored_size(const StoredMessage& m) {
  return kStoredFixedBytes + static_cast<uint32_t>(m.body.size() + m.topic.size() + m.properties.size());
}

void encode_stored(const StoredMessage& m, std::vector<std::byte>& out) {
  RMQ_ASSERT(m.topic.size() <= kTopicBytesMax);
  RMQ_ASSERT(m.properties.size() <= kPropertiesBytesMax);
  const uint32_t size = stored_size(m);
  RMQ_ASSERT(size <= kStoredRecordBytesMax);
  const size_t start = out.size();
  out.reserve(start + size);
  Writer w(out);
  w.i32(static_cast<int32_t>(size));
  w.i32(kMagicV1);
  w.i32(body_crc(m.body));
  w.i32(m.queue_id);
  w.i32(m.flag);
  w.i64(m.queue_offset);
  w.i64(m.physical_offset);
  w.i32(m.sys_flag & ~(kSysFlagBornHostV6 | kSysFlagStoreHostV6));
  w.i64(m.born_timestamp);
  w.host(m.born_host);
  w.i64(m.store_timestamp);
  w.host(m.store_host);
  w.i32(m.reconsume_times);
  w.i64(m.prepared_transaction_offset);
  w.i32(static_cast<int32_t>(m.body.size()));
  w.raw(m.body);
  w.u8(static_cast<uint8_t>(m.topic.size()));
  w.raw(m.topic);
  w.i16(static_cast<int16_t>(m.properties.size()));
  w.raw(m.properties);
  RMQ_ASSERT(out.size() - start == size);
}

DecodedRecord decode_stored(std::span<const std::byte> bytes, const DecodeOptions& opts) {
  DecodedRecord d;
  if (bytes.size() < 8) {
    d.status = RecordStatus::incomplete;
    return d;
  }
  Reader r(bytes);
  const int32_t total = r.i32();
  const int32_t magic = r.i32();
  if (magic == kBlankMagic) {
    if (total < 8) return corrupt("blank record of " + std::to_string(total) + " bytes");
    d.status = RecordStatus::blank;
    d.size = static_cast<uint32_t>(total);
    return d;
  }
  if (magic != kMagicV1 && magic != kMagicV2) return corrupt("bad magic code " + std::to_string(magic));
  if (total < static_cast<int32_t>(kStoredFixedBytes) || static_cast<uint32_t>(total) > kStoredRecordBytesMax)
    return corrupt("record size " + std::to_string(total) + " out of bounds");
  if (bytes.size() < static_cast<size_t>(total)) {
    d.status = RecordStatus::incomplete;
    return d;
  }
  Reader f(bytes.first(static_cast<size_t>(total)));
  f.take(8);
  StoredMessage m;
  m.body_crc = f.i32();
  m.queue_id = f.i32();
  m.flag = f.i32();
  m.queue_offset = f.i64();
  m.physical_offset = f.i64();
  m.sys_flag = f.i32();
  if (m.sys_flag & (kSysFlagBornHostV6 | kSysFlagStoreHostV6)) return corrupt("IPv6 host addresses are not supported");
  m.born_timestamp = f.i64();
  m.born_host = f.host();
  m.store_timestamp = f.i64();
  m.store_host = f.host();
  m.reconsume_times = f.i32();
  m.prepared_transaction_offset = f.i64();
  const int32_t body_len = f.i32();
  if (body_len < 0 || !f.has(static_cast<size_t>(body_len))) return corrupt("body length " + std::to_string(body_len) + " exceeds the record");
  auto body = f.take(static_cast<size_t>(body_len));
  m.body.assign(body.begin(), body.end());
  size_t topic_len = 0;
  if (magic == kMagicV1) {
    if (!f.has(1)) return corrupt("record ends before the topic length");
    topic_len = f.u8();
  } else {
    if (!f.has(2)) return corrupt("record ends before the topic length");
    const int16_t n = f.i16();
    if (n < 0) return corrupt("negative topic length");
    topic_len = static_cast<size_t>(n);
  }
  if (!f.has(topic_len)) return corrupt("topic length exceeds the record");
  auto topic = f.take(topic_len);
  m.topic.assign(reinterpret_cast<const char*>(topic.data()), topic.size());
  if (!f.has(2)) return corrupt("record ends before the properties length");
  const int16_t props_len = f.i16();
  if (props_len < 0 || !f.has(static_cast<size_t>(props_len))) return corrupt("properties length exceeds the record");
  auto props = f.take(static_cast<size_t>(props_len));
  m.properties.assign(reinterpret_cast<const char*>(props.data()), props.size());
  if (f.pos() != static_cast<size_t>(total))
    return corrupt("fields add up to " + std::to_string(f.pos()) + " bytes, record says " + std::to_string(total));
  if (m.topic.empty()) return corrupt("empty topic");
  if (m.queue_id < 0 || m.queue_offset < 0 || m.physical_offset < 0) return corrupt("negative queue id or offset");
  if (opts.expected_physical_offset && m.physical_offset != *opts.expected_physical_offset)
    return corrupt("physical offset " + std::to_string(m.physical_offset) + " where " +
                   std::to_string(*opts.expected_physical_offset) + " was expected");
  if (opts.check_crc && body_crc(m.body) != m.body_crc) return corrupt("body CRC mismatch");
  d.status = RecordStatus::ok;
  d.size = static_cast<uint32_t>(total);
  d.message = std::move(m);
  return d;
}

std::string encode_properties(const MessageProperties& p) {
  std::string out;
  for (const auto& [k, v] : p) {
    out += k;
    out += '\x01';
    out += v;
    out += '\x02';
  }
  return out;
}

namespace {

// Calls fn(name, value) for each well-formed entry of `s`, in order.
template <typename Fn>
void for_each_property(std::string_view s, Fn&& fn) {
  while (!s.empty()) {
    const auto end = s.find('\x02');
    std::string_view seg = s.substr(0, end);
    s.remove_prefix(end == std::string_view::npos ? s.size() : end + 1);
    if (seg.size() < 3) continue;
    const auto sep = seg.find('\x01');
    if (sep == std::string_view::npos || sep == 0 || sep + 1 == seg.size()) continue;
    fn(seg.substr(0, sep), seg.substr(sep + 1));
  }
}

}  // namespace

MessageProperties decode_properties(std::string_view s) {
  MessageProperties p;
  for_each_property(s, [&](std::string_view name, std::string_view value) { p[std::string(name)] = std::string(value); });
  return p;
}

std::string_view find_property(std::string_view s, std::string_view name) {
  // The last entry named `name` (decode_properties keeps the last), found
  // from the end: "name U+0001 value" at the start or after a U+0002. An
  // entry with an empty value is dropped there, so the search goes on.
  if (name.empty()) return {};
  for (size_t from = s.size(); from > 0;) {
    const size_t hit = s.rfind(name, from - 1);
    if (hit == std::string_view::npos) return {};
    const size_t sep = hit + name.size();
    if ((hit == 0 || s[hit - 1] == '\x02') && sep < s.size() && s[sep] == '\x01') {
      const size_t end = s.find('\x02', sep);
      const std::string_view value = s.substr(sep + 1, end == std::string_view::npos ? end : end - sep - 1);
      if (!value.empty()) return value;
    }
    from = hit;
  }
  return {};
}

std::string property_value(const MessageProperties& p, std::string_view name) {
  auto it = p.find(std::string(name));
  return it == p.end() ? std::string() : it->second;
}

bool has_message_key(std::string_view properties, std::string_view key) {
  if (key.empty()) return false;
  if (find_property(properties, kPropUniqKey) == key) return true;
  std::string_view keys = find_property(properties, kPropKeys);
  while (!keys.empty()) {
    const size_t sp = keys.find(' ');
    if (keys.substr(0, sp) == key) return true;
    if (sp == std::string_view::npos) break;
    keys.remove_prefix(sp + 1);
  }
  return false;
}

std::string offset_msg_id(const HostPort4& store_host, int64_t commit_log_offset) {
  std::vector<std::byte> raw;
  Writer w(raw);
  w.host(store_host);
  w.i64(commit_log_offset);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::byte b : raw) {
    out += kHex[static_cast<uint8_t>(b) >> 4];
    out += kHex[static_cast<uint8_t>(b) & 0xF];
  }
  return out;
}

std::optional<OffsetMsgId> parse_offset_msg_id(std::string_view id) {
  if (id.size() != 32) return std::nullopt;
  std::vector<std::byte> raw;
  for (size_t i = 0; i < 32; i += 2) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(id.data() + i, id.data() + i + 2, v, 16);
    if (ec != std::errc() || end != id.data() + i + 2) return std::nullopt;
    raw.push_back(std::byte{static_cast<uint8_t>(v)});
  }
  Reader r(raw);
  OffsetMsgId out;
  out.store_host = r.host();
  out.commit_log_offset = r.i64();
  return out;
}

bool valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > kTopicBytesMax) return false;
  return std::all_of(topic.begin(), topic.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '%' || c == '|';
  });
}

}  // namespace rmq::common
