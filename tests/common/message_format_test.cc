// The stored message format: exact layout, round trips, and the three
// outcomes a recovering reader depends on (ok, incomplete, corrupt).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "common/message_format.h"

namespace rmq::common {
namespace {

StoredMessage sample() {
  StoredMessage m;
  m.queue_id = 3;
  m.flag = 7;
  m.queue_offset = 42;
  m.physical_offset = 4096;
  m.born_timestamp = 1700000000000;
  m.born_host = *parse_host_port4("10.0.0.9:53211");
  m.store_timestamp = 1700000000123;
  m.store_host = *parse_host_port4("192.168.0.1:10911");
  m.body = {std::byte{'h'}, std::byte{'i'}};
  m.topic = "TopicTest";
  m.properties = encode_properties({{"TAGS", "TagA"}, {"UNIQ_KEY", "ABC"}});
  return m;
}

int32_t be32_at(const std::vector<std::byte>& b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return static_cast<int32_t>(v);
}

TEST(StoredMessage, LayoutMatchesTheReference) {
  std::vector<std::byte> out;
  const auto m = sample();
  encode_stored(m, out);
  ASSERT_EQ(out.size(), 91 + 2 + 9 + m.properties.size());
  EXPECT_EQ(be32_at(out, 0), static_cast<int32_t>(out.size()));
  EXPECT_EQ(be32_at(out, 4), kMagicV1);
  EXPECT_EQ(be32_at(out, 8), body_crc(m.body));
  EXPECT_EQ(be32_at(out, 12), 3);           // QUEUEID
  EXPECT_EQ(be32_at(out, 24), 42);          // low word of QUEUEOFFSET at 20
  EXPECT_EQ(be32_at(out, 32), 4096);        // low word of PHYSICALOFFSET at 28
  EXPECT_EQ(static_cast<uint8_t>(out[64]), 192);  // STOREHOST
  EXPECT_EQ(be32_at(out, 68), 10911);
  EXPECT_EQ(be32_at(out, 84), 2);           // BODYLEN
  EXPECT_EQ(static_cast<uint8_t>(out[90]), 9);    // TOPICLEN after the body
}

TEST(StoredMessage, RoundTripsAndKnowsItsSize) {
  std::vector<std::byte> out;
  auto m = sample();
  encode_stored(m, out);
  auto d = decode_stored(out, {.check_crc = true, .expected_physical_offset = 4096});
  ASSERT_EQ(d.status, RecordStatus::ok) << d.problem;
  EXPECT_EQ(d.size, out.size());
  m.body_crc = body_crc(m.body);
  EXPECT_EQ(*d.message, m);
}

TEST(StoredMessage, EveryPrefixIsIncompleteNeverCorruptOrOk) {
  std::vector<std::byte> out;
  encode_stored(sample(), out);
  for (size_t n = 0; n < out.size(); ++n)
    EXPECT_EQ(decode_stored(std::span(out).first(n)).status, RecordStatus::incomplete) << n;
}

TEST(StoredMessage, DamageIsCorruptWithAReason) {
  std::vector<std::byte> good;
  encode_stored(sample(), good);
  auto flipped = [&](size_t at) {
    auto b = good;
    b[at] ^= std::byte{0x01};
    return decode_stored(b);
  };
  EXPECT_EQ(flipped(5).status, RecordStatus::corrupt);    // magic
  EXPECT_EQ(flipped(88).status, RecordStatus::corrupt);   // body byte: CRC
  EXPECT_NE(flipped(88).problem.find("CRC"), std::string::npos);
  EXPECT_EQ(flipped(87).status, RecordStatus::corrupt);   // body length: fields no longer add up
  auto tiny = good;
  tiny[3] = std::byte{10};  // TOTALSIZE 10: below the fixed part
  tiny[2] = tiny[1] = tiny[0] = std::byte{0};
  EXPECT_EQ(decode_stored(tiny).status, RecordStatus::corrupt);
  EXPECT_EQ(decode_stored(good, {.check_crc = true, .expected_physical_offset = 1}).status, RecordStatus::corrupt);
  auto body_flipped = good;
  body_flipped[88] ^= std::byte{0x01};
  EXPECT_EQ(decode_stored(body_flipped, {.check_crc = false, .expected_physical_offset = std::nullopt}).status,
            RecordStatus::ok);
}

TEST(StoredMessage, BlankRecordEndsASegment) {
  std::vector<std::byte> b{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{100}};
  const auto magic = static_cast<uint32_t>(kBlankMagic);
  for (int i = 3; i >= 0; --i) b.push_back(std::byte{static_cast<uint8_t>(magic >> (8 * i))});
  auto d = decode_stored(b);
  EXPECT_EQ(d.status, RecordStatus::blank);
  EXPECT_EQ(d.size, 100u);
}

TEST(Properties, EncodeDecodeAndJavaParsingRules) {
  const MessageProperties p{{"KEYS", "k1 k2"}, {"TAGS", "TagA"}, {"\xe4\xb8\xad", "\xe6\x96\x87"}};
  EXPECT_EQ(decode_properties(encode_properties(p)), p);
  EXPECT_EQ(decode_properties(std::string_view("a\x01" "b\x02" "x\x02\x01v\x02" "k\x01\x02" "c\x01" "d")),
            (MessageProperties{{"a", "b"}, {"c", "d"}}));
  EXPECT_TRUE(decode_properties("").empty());
}

// A name given twice: the last value, in the map and in a lookup alike
// (RocketMQ's string2messageProperties; the store once took the first).
TEST(Properties, ADuplicateNameKeepsItsLastValueEverywhere) {
  const std::string s("KEYS\x01" "first\x02" "TAGS\x01" "t\x02" "KEYS\x01" "second\x02" "KEYS\x01\x02", 36);
  EXPECT_EQ(decode_properties(s).at("KEYS"), "second");
  EXPECT_EQ(find_property(s, "KEYS"), "second");
  EXPECT_EQ(find_property(s, "TAGS"), "t");
  EXPECT_EQ(find_property(s, "NONE"), "");
  EXPECT_EQ(find_property(std::string_view("a\x01\x02" "b\x01" "c"), "a"), "");  // an empty value: no entry
  EXPECT_EQ(find_property(std::string_view("a\x01\x02" "b\x01" "c"), "b"), "c");
}

// What a query by key matches: the UNIQ_KEY, or one of the
// space-separated KEYS (the store's index and rmq-admin's filter agree).
TEST(Properties, AMessageAnswersToItsUniqKeyAndEachOfItsKeys) {
  const std::string s = encode_properties({{"KEYS", "order-1 order-2"}, {"UNIQ_KEY", "AC10"}});
  EXPECT_TRUE(has_message_key(s, "AC10"));
  EXPECT_TRUE(has_message_key(s, "order-1"));
  EXPECT_TRUE(has_message_key(s, "order-2"));
  EXPECT_FALSE(has_message_key(s, "order"));
  EXPECT_FALSE(has_message_key(s, "order-1 order-2"));
  EXPECT_FALSE(has_message_key(s, ""));  // not every message without a UNIQ_KEY
  EXPECT_FALSE(has_message_key(encode_properties({{"TAGS", "t"}}), ""));
  EXPECT_EQ(property_value({{"TAGS", "t"}}, "TAGS"), "t");
  EXPECT_EQ(property_value({{"TAGS", "t"}}, "KEYS"), "");
}

// find_property agrees with decode_properties on any string of the
// alphabet that matters (separators and a few letters).
RC_GTEST_PROP(Properties, FindAgreesWithDecode, ()) {
  const auto s = *rc::gen::container<std::string>(rc::gen::element('\x01', '\x02', 'a', 'b', 'c'));
  const auto d = decode_properties(s);
  for (const char* name : {"a", "b", "ab", "c", "abc"}) {
    const auto it = d.find(name);
    RC_ASSERT(find_property(s, name) == (it == d.end() ? std::string_view() : std::string_view(it->second)));
  }
}

TEST(OffsetMsgId, MatchesTheReferenceExample) {
  auto id = parse_offset_msg_id("C0A8000100002A9F0000000000001234");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(to_string(id->store_host), "192.168.0.1:10911");
  EXPECT_EQ(id->commit_log_offset, 0x1234);
  EXPECT_EQ(offset_msg_id(id->store_host, id->commit_log_offset), "C0A8000100002A9F0000000000001234");
  EXPECT_FALSE(parse_offset_msg_id("C0A80001").has_value());
  EXPECT_FALSE(parse_offset_msg_id("ZZA8000100002A9F0000000000001234").has_value());
  EXPECT_FALSE(parse_host_port4("1.2.3:4").has_value());
  EXPECT_FALSE(parse_host_port4("1.2.3.256:4").has_value());
}

RC_GTEST_PROP(StoredMessage, ArbitraryMessagesRoundTrip, ()) {
  StoredMessage m;
  m.queue_id = *rc::gen::inRange(0, 1024);
  m.queue_offset = *rc::gen::inRange<int64_t>(0, INT64_MAX / 2);
  m.physical_offset = *rc::gen::inRange<int64_t>(0, INT64_MAX / 2);
  m.flag = *rc::gen::arbitrary<int32_t>();
  m.born_timestamp = *rc::gen::arbitrary<int64_t>();
  m.reconsume_times = *rc::gen::arbitrary<int32_t>();
  const auto body = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  for (uint8_t b : body) m.body.push_back(std::byte{b});
  // Topics are 1..127 bytes in V1 records (one length byte, Java's limit).
  const auto topic_len = *rc::gen::inRange<size_t>(1, 128);
  m.topic = *rc::gen::container<std::string>(topic_len, rc::gen::inRange('a', 'z'));
  m.properties = *rc::gen::resize(300, rc::gen::arbitrary<std::string>());
  std::vector<std::byte> out;
  encode_stored(m, out);
  auto d = decode_stored(out);
  RC_ASSERT(d.status == RecordStatus::ok);
  m.body_crc = body_crc(m.body);
  RC_ASSERT(*d.message == m);
}

RC_GTEST_PROP(StoredMessage, ArbitraryBytesNeverCrashAndOkMeansReencodable, ()) {
  const auto raw = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  std::vector<std::byte> bytes;
  for (uint8_t b : raw) bytes.push_back(std::byte{b});
  auto d = decode_stored(bytes, {.check_crc = false, .expected_physical_offset = std::nullopt});
  if (d.status == RecordStatus::ok) {
    std::vector<std::byte> again;
    encode_stored(*d.message, again);
    RC_ASSERT(again.size() == d.size);
  }
}

}  // namespace
}  // namespace rmq::common
