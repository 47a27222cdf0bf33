// Frame and header codecs: round trips in both serializations, what real
// clients send, and every kind of bad input (an error, never a crash).
#include "remoting/codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/util/bytes.h"

namespace rmq::remoting {
namespace {

using test::bytes_of;
using test::string_of;

void put_be32(std::vector<std::byte>& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(std::byte{static_cast<uint8_t>(v >> (8 * i))});
}
void put_be16(std::vector<std::byte>& out, uint16_t v) {
  out.push_back(std::byte{static_cast<uint8_t>(v >> 8)});
  out.push_back(std::byte{static_cast<uint8_t>(v)});
}
void put_text(std::vector<std::byte>& out, std::string_view s) {
  auto b = bytes_of(s);
  out.insert(out.end(), b.begin(), b.end());
}

// The bytes after the length prefix: header word, header, body.
std::vector<std::byte> frame_body(uint32_t type, std::string_view header, std::string_view body = "") {
  std::vector<std::byte> out;
  put_be32(out, (type << 24) | static_cast<uint32_t>(header.size()));
  put_text(out, header);
  put_text(out, body);
  return out;
}

Decoded<uint32_t> length_prefix(uint32_t v, uint32_t max = kDefaultFrameMaxBytes) {
  std::vector<std::byte> b;
  put_be32(b, v);
  return decode_length_prefix(std::span<const std::byte, 4>(b.data(), 4), max);
}

Decoded<RemotingCommand> decode_json(std::string_view header) {
  return decode_frame_body(frame_body(0, header));
}

RemotingCommand json_ok(std::string_view header) {
  auto d = decode_json(header);
  EXPECT_TRUE(d.ok()) << header << " -> " << to_string(d.error) << ": " << d.detail;
  return d.ok() ? std::move(*d.value) : RemotingCommand{};
}

DecodeError json_error(std::string_view header) {
  auto d = decode_json(header);
  EXPECT_FALSE(d.ok()) << header;
  EXPECT_FALSE(d.detail.empty());
  return d.error;
}

// Decodes a whole frame as a connection does: prefix, then the rest.
Decoded<RemotingCommand> decode_whole(const std::vector<std::byte>& frame) {
  EXPECT_GE(frame.size(), 4u);
  auto len = decode_length_prefix(std::span<const std::byte, 4>(frame.data(), 4));
  if (!len.ok()) return {std::nullopt, len.error, len.detail};
  EXPECT_EQ(*len.value, frame.size() - 4);
  return decode_frame_body(rt::ConstBytes(frame).subspan(4));
}

void expect_same(const RemotingCommand& a, const RemotingCommand& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.language, b.language);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.opaque, b.opaque);
  EXPECT_EQ(a.flag, b.flag);
  EXPECT_EQ(a.remark, b.remark);
  EXPECT_EQ(a.ext_fields, b.ext_fields);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.serialize_type, b.serialize_type);
}

// ---- frames ---------------------------------------------------------------

TEST(FrameCodec, EncodedFrameHasLengthHeaderWordHeaderAndBody) {
  auto c = RemotingCommand::request(105);
  c.opaque = 7;
  c.ext_fields["topic"] = "T";
  c.body = bytes_of("xyz");
  auto f = encode_frame(c);
  std::string header = encode_json_header(c);
  std::vector<std::byte> want;
  put_be32(want, static_cast<uint32_t>(4 + header.size() + 3));
  put_be32(want, static_cast<uint32_t>(header.size()));
  put_text(want, header);
  put_text(want, "xyz");
  EXPECT_EQ(f, want);

  c.serialize_type = SerializeType::rocketmq;
  f = encode_frame(c);
  auto bin = encode_binary_header(c);
  ASSERT_GE(f.size(), 8u);
  EXPECT_EQ(std::to_integer<int>(f[4]), 1);  // serialize type in the high byte
  EXPECT_EQ(f.size(), 8 + bin.size() + 3);
}

TEST(FrameCodec, LengthPrefixAcceptsUpToTheMaximum) {
  auto d = length_prefix(kDefaultFrameMaxBytes - 4);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d.value, kDefaultFrameMaxBytes - 4);
  EXPECT_EQ(*length_prefix(4).value, 4u);
}

TEST(FrameCodec, FrameTooLargeIsRejectedBeforeAllocation) {
  EXPECT_EQ(length_prefix(0x7fffffff).error, DecodeError::frame_too_large);
  EXPECT_EQ(length_prefix(kDefaultFrameMaxBytes - 3).error, DecodeError::frame_too_large);  // 16 MiB + 1
  EXPECT_EQ(length_prefix(100, 64).error, DecodeError::frame_too_large);
  EXPECT_EQ(length_prefix(0x7fffffff).detail, "frame of 2147483651 bytes exceeds 16777216");
}

TEST(FrameCodec, NegativeOrTooShortLengthIsInvalid) {
  EXPECT_EQ(length_prefix(0x80000000).error, DecodeError::length_invalid);
  EXPECT_EQ(length_prefix(0xffffffff).error, DecodeError::length_invalid);
  for (uint32_t n = 0; n < 4; ++n) EXPECT_EQ(length_prefix(n).error, DecodeError::length_invalid) << n;
}

TEST(FrameCodec, HeaderLengthBeyondFrameIsInvalid) {
  auto b = frame_body(0, "{}");
  b.pop_back();
  EXPECT_EQ(decode_frame_body(b).error, DecodeError::header_length_invalid);
  std::vector<std::byte> huge;
  put_be32(huge, 0x00ffffff);
  EXPECT_EQ(decode_frame_body(huge).error, DecodeError::header_length_invalid);
}

TEST(FrameCodec, BodyShorterThanHeaderWordIsTruncated) {
  for (size_t n = 0; n < 4; ++n) {
    std::vector<std::byte> b(n, std::byte{0});
    EXPECT_EQ(decode_frame_body(b).error, DecodeError::truncated) << n;
  }
}

TEST(FrameCodec, UnknownSerializeTypeIsRejected) {
  for (uint32_t type : {2u, 0x7fu, 0x80u, 0xffu}) {
    EXPECT_EQ(decode_frame_body(frame_body(type, "{}")).error, DecodeError::serialize_type_unknown) << type;
  }
}

TEST(FrameCodec, RestAfterHeaderIsBodyAndAbsentBodyIsEmpty) {
  auto d = decode_frame_body(frame_body(0, R"({"code":1})", "payload"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(string_of(d.value->body), "payload");
  d = decode_frame_body(frame_body(0, R"({"code":1})"));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.value->body.empty());
}

// ---- JSON header ----------------------------------------------------------

TEST(JsonHeader, EncodesLikeFastjson) {
  RemotingCommand c;
  c.code = 0;
  c.opaque = 42;
  c.flag = kFlagResponse;
  c.ext_fields = {{"queueId", "1"}, {"msgId", "C0A8"}, {"TRACE_ON", "true"}};
  EXPECT_EQ(encode_json_header(c),
            R"({"code":0,"extFields":{"TRACE_ON":"true","msgId":"C0A8","queueId":"1"},"flag":1,)"
            R"("language":"JAVA","opaque":42,"serializeTypeCurrentRPC":"JSON","version":409})");
  c.ext_fields.clear();
  c.remark = std::string("a\"b\\c\x01\x1f\n" "é");
  EXPECT_EQ(encode_json_header(c),
            "{\"code\":0,\"extFields\":{},\"flag\":1,\"language\":\"JAVA\",\"opaque\":42,"
            "\"remark\":\"a\\\"b\\\\c\\u0001\\u001f\\u000a\xC3\xA9\",\"serializeTypeCurrentRPC\":\"JSON\","
            "\"version\":409}");
}

TEST(JsonHeader, AliOnsSendMessageV2Decodes) {
  // Verbatim from the ali-ons capture (reference/ali-ons-wire-capture.md).
  const std::string header =
      R"({"code":310,"language":"JAVA","opaque":6,"flag":0,"version":121,"extFields":{"a":"PID_aliOns_produce_mwvcmyneffdcdd","b":"CapTopic","c":"TBW102","d":4,"e":3,"f":0,"g":1795564323070,"h":0,"i":"TAGS\u0001TagA\u0002KEYS\u0001k-mwvcmyneffdcdd-0 seq-0\u0002hUtf8\u0001héllo-世界-✓\u0002","j":0,"k":false}})";
  auto c = json_ok(header);
  EXPECT_EQ(c.code, 310);
  EXPECT_EQ(c.language, "JAVA");
  EXPECT_EQ(c.opaque, 6);
  EXPECT_EQ(c.flag, 0);
  EXPECT_EQ(c.version, 121);
  EXPECT_FALSE(c.remark.has_value());
  EXPECT_EQ(c.serialize_type, SerializeType::json);
  EXPECT_EQ(c.field("d"), "4");
  EXPECT_EQ(c.field("f"), "0");
  EXPECT_EQ(c.field("g"), "1795564323070");
  EXPECT_EQ(c.field("k"), "false");
  EXPECT_EQ(c.field("i"),
            "TAGS\x01TagA\x02KEYS\x01k-mwvcmyneffdcdd-0 seq-0\x02hUtf8\x01h\xC3\xA9llo-\xE4\xB8\x96\xE7\x95\x8C-"
            "\xE2\x9C\x93\x02");
  EXPECT_EQ(c.ext_fields.size(), 11u);
}

TEST(JsonHeader, AliOnsNumbersAndBooleansBecomeExactText) {
  auto c = json_ok(R"({"code":310,"language":"JAVA","opaque":1,"flag":0,"version":121,)"
                   R"("extFields":{"a":"PG","queueId":0,"k":false,"g":1795564287081}})");
  EXPECT_EQ(c.field("queueId"), "0");
  EXPECT_EQ(c.field("k"), "false");
  EXPECT_EQ(c.field("g"), "1795564287081");
  EXPECT_EQ(c.field("a"), "PG");
  // Re-encoded, every value is a JSON string.
  EXPECT_NE(encode_json_header(c).find(R"("g":"1795564287081")"), std::string::npos);
}

TEST(JsonHeader, AliOnsQueryConsumerOffsetFrameDecodes) {
  const std::string header =
      R"({"code":14,"language":"JAVA","opaque":15,"flag":0,"version":121,"extFields":{"topic":"CapTopic","consumerGroup":"GID_x","queueId":0}})";
  std::vector<std::byte> frame;
  put_be32(frame, static_cast<uint32_t>(4 + header.size()));
  auto rest = frame_body(0, header);
  frame.insert(frame.end(), rest.begin(), rest.end());
  auto d = decode_whole(frame);
  ASSERT_TRUE(d.ok()) << d.detail;
  EXPECT_EQ(d.value->code, 14);
  EXPECT_EQ(d.value->field("queueId"), "0");
  EXPECT_EQ(d.value->field("topic"), "CapTopic");
}

TEST(JsonHeader, JavaHeaderWithSerializeTypeAndRemarkDecodes) {
  auto c = json_ok(
      R"({"code":17,"extFields":{"topic":"T"},"flag":1,"language":"CPP","opaque":-5,"remark":"no route",)"
      R"("serializeTypeCurrentRPC":"JSON","version":409})");
  EXPECT_EQ(c.code, 17);
  EXPECT_EQ(c.flag, 1);
  EXPECT_EQ(c.language, "CPP");
  EXPECT_EQ(c.opaque, -5);
  EXPECT_EQ(c.remark, "no route");
  EXPECT_EQ(c.field("topic"), "T");
}

TEST(JsonHeader, RemarkAbsentNullOrEmpty) {
  EXPECT_EQ(json_ok(R"({"code":1})").remark, std::nullopt);
  EXPECT_EQ(json_ok(R"({"code":1,"remark":null})").remark, std::nullopt);
  EXPECT_EQ(json_ok(R"({"code":1,"remark":""})").remark, "");
  EXPECT_EQ(json_ok(R"({"code":1,"remark":12})").remark, "12");
}

TEST(JsonHeader, ExtFieldScalarsBecomeTextAndNullIsSkipped) {
  auto c = json_ok(R"({"extFields":{"s":"x","i":-12,"big":123456789012345678901234567890,"d":1.50,)"
                   R"("e":2E+3,"t":true,"f":false,"n":null,"dup":"1","dup":"2"}})");
  EXPECT_EQ(c.field("s"), "x");
  EXPECT_EQ(c.field("i"), "-12");
  EXPECT_EQ(c.field("big"), "123456789012345678901234567890");
  EXPECT_EQ(c.field("d"), "1.50");
  EXPECT_EQ(c.field("e"), "2E+3");
  EXPECT_EQ(c.field("t"), "true");
  EXPECT_EQ(c.field("f"), "false");
  EXPECT_EQ(c.field("n"), std::nullopt);
  EXPECT_EQ(c.field("dup"), "2");
  EXPECT_EQ(c.ext_fields.size(), 8u);
}

TEST(JsonHeader, NullExtFieldRemovesEarlierValue) {
  EXPECT_EQ(json_ok(R"({"extFields":{"a":"1","a":null}})").field("a"), std::nullopt);
}

TEST(JsonHeader, NestedExtFieldValueBecomesCompactJsonText) {
  auto c = json_ok(R"({"extFields":{"o":{ "a" : [1, "x\u0001", {}] , "b":null }, "arr":[ ]}})");
  EXPECT_EQ(c.field("o"), R"({"a":[1,"x\u0001",{}],"b":null})");
  EXPECT_EQ(c.field("arr"), "[]");
}

TEST(JsonHeader, EscapesAndSurrogatePairsDecode) {
  auto c = json_ok(R"({"remark":"\u0001\u0002\ud83d\ude00\u00e9\"\\\/\b\f\n\r\t","extFields":{"k\u0041":"v"}})");
  EXPECT_EQ(c.remark, "\x01\x02\xF0\x9F\x98\x80\xC3\xA9\"\\/\b\f\n\r\t");
  EXPECT_EQ(c.field("kA"), "v");
  EXPECT_EQ(json_ok(R"({"remark":"\ud800"})").remark, "\xEF\xBF\xBD");
}

TEST(JsonHeader, KeysInAnyOrderAndUnknownKeysIgnored) {
  auto c = json_ok(R"({"version":1,"unknown":{"x":[1,2,{"y":null}]},"opaque":3,"code":2,"other":"z",)"
                   R"("serializeTypeCurrentRPC":"ROCKETMQ","flag":2})");
  EXPECT_EQ(c.code, 2);
  EXPECT_EQ(c.opaque, 3);
  EXPECT_EQ(c.version, 1);
  EXPECT_TRUE(c.is_oneway());
  EXPECT_EQ(c.serialize_type, SerializeType::json);
}

TEST(JsonHeader, NumericStringsAndLanguageNumbersAreAccepted) {
  auto c = json_ok(R"({"code":"310","opaque":"-7","flag":"0","version":"121","language":1})");
  EXPECT_EQ(c.code, 310);
  EXPECT_EQ(c.opaque, -7);
  EXPECT_EQ(c.version, 121);
  EXPECT_EQ(c.language, "CPP");
  EXPECT_EQ(json_ok(R"({"language":200})").language, "OTHER");
  EXPECT_EQ(json_ok(R"({"language":"NODE_JS"})").language, "NODE_JS");
  EXPECT_EQ(json_ok(R"({"code":null,"language":null})").language, "JAVA");
}

TEST(JsonHeader, EmptyObjectGivesDefaults) {
  auto c = json_ok(" { } ");
  EXPECT_EQ(c.code, 0);
  EXPECT_EQ(c.language, "JAVA");
  EXPECT_TRUE(c.ext_fields.empty());
}

TEST(JsonHeader, SyntaxErrorsAreJsonInvalid) {
  for (std::string_view bad : {"", " ", "{", "{\"code\":1", "{\"code\":1,}", "{\"code\" 1}", "{code:1}",
                               "{\"code\":1}x", "{\"remark\":\"abc}", "{\"remark\":\"\\x\"}",
                               "{\"remark\":\"\\u12G4\"}", "{\"extFields\":{\"a\":01}}", "{\"extFields\":{\"a\":-}}",
                               "{\"extFields\":{\"a\":tru}}", "{\"extFields\":{1:\"a\"}}", "{\"extFields\":{\"a\"}}",
                               "{\"x\":[1,]}", "{\"x\":[1 2]}", "{\"code\":}", "\xff"}) {
    EXPECT_EQ(json_error(bad), DecodeError::json_invalid) << bad;
  }
}

TEST(JsonHeader, HeaderNotAnObjectIsJsonInvalid) {
  for (std::string_view bad : {"[]", "42", "\"s\"", "null", "true"}) {
    EXPECT_EQ(json_error(bad), DecodeError::json_invalid) << bad;
  }
}

TEST(JsonHeader, WrongFieldTypesAreJsonFieldInvalid) {
  for (std::string_view bad :
       {R"({"code":"x"})", R"({"code":1.5})", R"({"code":1e2})", R"({"code":true})", R"({"code":2147483648})",
        R"({"opaque":-2147483649})", R"({"flag":[]})", R"({"version":{}})", R"({"code":"99999999999"})",
        R"({"language":true})", R"({"language":-1})", R"({"language":256})", R"({"remark":{}})",
        R"({"remark":[]})", R"({"extFields":"a"})", R"({"extFields":[]})", R"({"extFields":1})"}) {
    EXPECT_EQ(json_error(bad), DecodeError::json_field_invalid) << bad;
  }
  auto d = decode_json(R"({"code":"x"})");
  EXPECT_NE(d.detail.find("\"code\""), std::string::npos) << d.detail;
}

TEST(JsonHeader, DeepNestingIsRejectedWithoutRecursingDeep) {
  std::string deep = R"({"extFields":{"a":)" + std::string(10000, '[');
  EXPECT_EQ(json_error(deep), DecodeError::json_invalid);
  deep = R"({"unknown":)" + std::string(10000, '{');
  EXPECT_EQ(json_error(deep), DecodeError::json_invalid);
  EXPECT_EQ(json_error(std::string(10000, '[')), DecodeError::json_invalid);
  // 64 levels in all (header, extFields, 62 arrays) are fine; 65 are not.
  std::string ok = R"({"extFields":{"a":)" + std::string(62, '[') + std::string(62, ']') + "}}";
  EXPECT_EQ(json_ok(ok).field("a"), std::string(62, '[') + std::string(62, ']'));
  std::string over = R"({"extFields":{"a":)" + std::string(63, '[') + std::string(63, ']') + "}}";
  EXPECT_EQ(json_error(over), DecodeError::json_invalid);
}

// ---- ROCKETMQ binary header -------------------------------------------------

// code, language, version, opaque, flag, then remark and the extFields area.
// The length fields are the true ones unless given.
std::vector<std::byte> binary_header(std::string_view remark, const std::vector<std::byte>& ext,
                                     std::optional<uint32_t> remark_len = {}, std::optional<uint32_t> ext_len = {}) {
  std::vector<std::byte> out;
  put_be16(out, 310);
  out.push_back(std::byte{1});
  put_be16(out, 409);
  put_be32(out, 42);
  put_be32(out, 0);
  put_be32(out, remark_len.value_or(static_cast<uint32_t>(remark.size())));
  put_text(out, remark);
  put_be32(out, ext_len.value_or(static_cast<uint32_t>(ext.size())));
  out.insert(out.end(), ext.begin(), ext.end());
  return out;
}

std::vector<std::byte> entry(std::string_view k, std::string_view v) {
  std::vector<std::byte> out;
  put_be16(out, static_cast<uint16_t>(k.size()));
  put_text(out, k);
  put_be32(out, static_cast<uint32_t>(v.size()));
  put_text(out, v);
  return out;
}

std::vector<std::byte> concat(std::initializer_list<std::vector<std::byte>> parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(BinaryHeader, EncodesTheSectionOneFiveLayout) {
  RemotingCommand c;
  c.code = 310;
  c.language = "CPP";
  c.version = 409;
  c.opaque = 42;
  c.remark = "hi";
  c.ext_fields = {{"a", "1"}, {"bb", "xyz"}};
  EXPECT_EQ(encode_binary_header(c), binary_header("hi", concat({entry("a", "1"), entry("bb", "xyz")})));
}

TEST(BinaryHeader, DecodesFieldsAndEntries) {
  auto d = decode_binary_header(binary_header("hi", concat({entry("a", "1"), entry("bb", "xyz")})));
  ASSERT_TRUE(d.ok()) << d.detail;
  const auto& c = *d.value;
  EXPECT_EQ(c.code, 310);
  EXPECT_EQ(c.language, "CPP");
  EXPECT_EQ(c.version, 409);
  EXPECT_EQ(c.opaque, 42);
  EXPECT_EQ(c.flag, 0);
  EXPECT_EQ(c.remark, "hi");
  EXPECT_EQ(c.field("a"), "1");
  EXPECT_EQ(c.field("bb"), "xyz");
  EXPECT_EQ(c.serialize_type, SerializeType::rocketmq);
}

TEST(BinaryHeader, NegativeCodeAndVersionAreSignExtended) {
  RemotingCommand c;
  c.code = -1000;
  c.version = -1;
  c.serialize_type = SerializeType::rocketmq;
  auto d = decode_binary_header(encode_binary_header(c));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value->code, -1000);
  EXPECT_EQ(d.value->version, -1);
}

TEST(BinaryHeader, ZeroLengthStringsAreNull) {
  RemotingCommand c;
  c.remark = "";
  c.ext_fields = {{"empty", ""}, {"k", "v"}};
  auto d = decode_binary_header(encode_binary_header(c));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value->remark, std::nullopt);
  EXPECT_EQ(d.value->ext_fields, (ExtFields{{"k", "v"}}));
  d = decode_binary_header(binary_header("", concat({entry("", "orphan")})));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.value->ext_fields.empty());
}

TEST(BinaryHeader, DuplicateKeysLastWins) {
  auto d = decode_binary_header(binary_header("", concat({entry("k", "1"), entry("k", "2"), entry("j", "x"),
                                                          entry("j", "")})));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value->ext_fields, (ExtFields{{"k", "2"}}));
}

TEST(BinaryHeader, UnknownLanguageByteDecodesAsOther) {
  auto h = binary_header("", {});
  h[2] = std::byte{200};
  EXPECT_EQ(decode_binary_header(h).value->language, "OTHER");
}

TEST(BinaryHeader, BytesAfterExtFieldsAreIgnored) {
  auto h = binary_header("r", concat({entry("k", "v")}));
  h.push_back(std::byte{0xEE});
  auto d = decode_binary_header(h);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value->field("k"), "v");
}

TEST(BinaryHeader, InconsistentLengthsAreInvalid) {
  auto expect_invalid = [](const std::vector<std::byte>& h, std::string_view what) {
    auto d = decode_binary_header(h);
    EXPECT_FALSE(d.ok()) << what;
    EXPECT_EQ(d.error, DecodeError::binary_header_invalid) << what;
    EXPECT_FALSE(d.detail.empty()) << what;
  };
  auto good = binary_header("ab", concat({entry("k", "v")}));
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<std::byte> cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
    expect_invalid(cut, "truncated to " + std::to_string(n));
  }
  expect_invalid(binary_header("ab", {}, /*remark_len=*/3), "remark length beyond header");
  expect_invalid(binary_header("ab", {}, /*remark_len=*/0x7fffffff), "huge remark length");
  expect_invalid(binary_header("", {}, 0x80000000u), "negative remark length");
  expect_invalid(binary_header("", concat({entry("k", "v")}), {}, 100), "ext length beyond header");
  expect_invalid(binary_header("", {}, {}, 0xffffffffu), "negative ext length");

  auto bad_key = entry("k", "v");
  bad_key[1] = std::byte{50};  // key length 50 in a 8-byte area
  expect_invalid(binary_header("", bad_key), "key length beyond area");
  bad_key[0] = std::byte{0x80};  // negative key length
  expect_invalid(binary_header("", bad_key), "negative key length");
  auto bad_val = entry("k", "v");
  bad_val[6] = std::byte{9};  // value length 9 with 1 byte left
  expect_invalid(binary_header("", bad_val), "value length beyond area");
  bad_val[3] = std::byte{0xff};  // negative value length
  expect_invalid(binary_header("", bad_val), "negative value length");
  // An entry that runs past X even though the header has more bytes.
  auto h = binary_header("", concat({entry("k", "value")}), {}, 6);
  expect_invalid(h, "entry crosses the extFields area");
  expect_invalid(binary_header("", {std::byte{0}}), "one stray byte in the area");
}

TEST(BinaryHeader, FrameWithBinaryHeaderBadLengthsIsInvalid) {
  auto h = binary_header("ab", {}, 300);
  std::vector<std::byte> b;
  put_be32(b, (1u << 24) | static_cast<uint32_t>(h.size()));
  b.insert(b.end(), h.begin(), h.end());
  EXPECT_EQ(decode_frame_body(b).error, DecodeError::binary_header_invalid);
}

// ---- language codes ----------------------------------------------------------

TEST(LanguageCode, NamesMapToSectionOneSixBytes) {
  const char* names[] = {"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
                         "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"};
  for (uint8_t i = 0; i < 14; ++i) {
    EXPECT_EQ(language_code(names[i]), i);
    EXPECT_EQ(language_name(i), names[i]);
  }
  EXPECT_EQ(language_code("COBOL"), 7);
  EXPECT_EQ(language_code(""), 7);
  EXPECT_EQ(language_name(14), "OTHER");
  EXPECT_EQ(language_name(255), "OTHER");
}

TEST(DecodeErrorText, EveryErrorHasAName) {
  EXPECT_EQ(to_string(DecodeError::frame_too_large), "frame_too_large");
  EXPECT_EQ(to_string(DecodeError::binary_header_invalid), "binary_header_invalid");
  EXPECT_EQ(to_string(DecodeError::json_field_invalid), "json_field_invalid");
}

// ---- round trips -------------------------------------------------------------

// Strings of arbitrary bytes or of valid UTF-8 (including control characters
// and supplementary-plane characters).
rc::Gen<std::string> gen_text() {
  auto utf8 = rc::gen::map(rc::gen::container<std::vector<uint32_t>>(rc::gen::oneOf(
                               rc::gen::inRange<uint32_t>(0, 0x80), rc::gen::inRange<uint32_t>(0x80, 0xD800),
                               rc::gen::inRange<uint32_t>(0xE000, 0x110000))),
                           [](const std::vector<uint32_t>& cps) {
                             std::string s;
                             for (uint32_t cp : cps) {
                               if (cp < 0x80) {
                                 s.push_back(static_cast<char>(cp));
                               } else if (cp < 0x800) {
                                 s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
                                 s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
                               } else if (cp < 0x10000) {
                                 s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
                                 s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
                                 s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
                               } else {
                                 s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
                                 s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
                                 s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
                                 s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
                               }
                             }
                             return s;
                           });
  return rc::gen::oneOf(utf8, rc::gen::container<std::string>(rc::gen::arbitrary<char>()),
                        rc::gen::arbitrary<std::string>());
}

RemotingCommand gen_command(SerializeType type) {
  RemotingCommand c;
  c.serialize_type = type;
  if (type == SerializeType::rocketmq) {
    c.code = *rc::gen::arbitrary<int16_t>();
    c.version = *rc::gen::arbitrary<int16_t>();
  } else {
    c.code = *rc::gen::arbitrary<int32_t>();
    c.version = *rc::gen::arbitrary<int32_t>();
  }
  c.language = *rc::gen::oneOf(rc::gen::element<std::string>("JAVA", "CPP", "GO", "NODE_JS", "OTHER"), gen_text());
  c.opaque = *rc::gen::arbitrary<int32_t>();
  c.flag = *rc::gen::arbitrary<int32_t>();
  if (*rc::gen::arbitrary<bool>()) c.remark = *gen_text();
  {
    const auto fields = *rc::gen::container<std::map<std::string, std::string>>(gen_text(), gen_text());
    c.ext_fields = ExtFields(fields.begin(), fields.end());
  }
  c.body = *rc::gen::container<std::vector<std::byte>>(
      rc::gen::map(rc::gen::arbitrary<uint8_t>(), [](uint8_t b) { return std::byte{b}; }));
  return c;
}

// What the binary header can carry: an empty remark or value is null, and
// language names outside the table become OTHER.
RemotingCommand binary_expectation(RemotingCommand c) {
  if (c.remark && c.remark->empty()) c.remark.reset();
  erase_if(c.ext_fields, [](const auto& kv) { return kv.first.empty() || kv.second.empty(); });
  c.language = std::string(language_name(language_code(c.language)));
  return c;
}

bool same(const RemotingCommand& a, const RemotingCommand& b) {
  return a.code == b.code && a.language == b.language && a.version == b.version && a.opaque == b.opaque &&
         a.flag == b.flag && a.remark == b.remark && a.ext_fields == b.ext_fields && a.body == b.body &&
         a.serialize_type == b.serialize_type;
}

RC_GTEST_PROP(FrameRoundTrip, JsonFrameDecodesToTheSameCommand, ()) {
  const auto c = gen_command(SerializeType::json);
  auto d = decode_whole(encode_frame(c));
  RC_ASSERT(d.ok());
  RC_ASSERT(same(*d.value, c));
}

RC_GTEST_PROP(FrameRoundTrip, BinaryFrameDecodesToTheSameCommandUpToNulls, ()) {
  const auto c = gen_command(SerializeType::rocketmq);
  auto d = decode_whole(encode_frame(c));
  RC_ASSERT(d.ok());
  RC_ASSERT(same(*d.value, binary_expectation(c)));
}

RC_GTEST_PROP(FrameRoundTrip, DecodeNeverCrashesOnArbitraryBytes, ()) {
  const auto bytes = *rc::gen::container<std::vector<std::byte>>(
      rc::gen::map(rc::gen::arbitrary<uint8_t>(), [](uint8_t b) { return std::byte{b}; }));
  auto d = decode_frame_body(bytes);
  if (d.ok()) {
    auto again = decode_whole(encode_frame(*d.value));
    RC_ASSERT(again.ok());
    RC_ASSERT(same(*again.value, *d.value));
  } else {
    RC_ASSERT(!d.detail.empty());
  }
}

TEST(FrameRoundTrip, ExampleCommandsSurviveBothEncodings) {
  auto c = RemotingCommand::request(310);
  c.opaque = 9;
  c.remark = "r";
  c.ext_fields = {{"i", "KEYS\x01k\x02"}, {"g", "1795564287081"}};
  c.body = bytes_of("hello");
  for (auto type : {SerializeType::json, SerializeType::rocketmq}) {
    c.serialize_type = type;
    auto d = decode_whole(encode_frame(c));
    ASSERT_TRUE(d.ok()) << d.detail;
    expect_same(*d.value, c);
  }
}

// ---- fuzz seeds and crash regressions ---------------------------------------

std::filesystem::path repo_root() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

std::vector<std::byte> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes_of(s);
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The committed seeds must stay valid, or the fuzzers start from noise.
TEST(FuzzSeeds, EveryFrameSeedDecodesAndRoundTrips) {
  auto files = files_in(repo_root() / "fuzz/corpus/fuzz_frame");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    auto bytes = read_bytes(f);
    rt::ConstBytes in(bytes);
    int frames = 0;
    while (!in.empty()) {
      ASSERT_GE(in.size(), 4u) << f;
      auto len = decode_length_prefix(in.first<4>());
      ASSERT_TRUE(len.ok()) << f << ": " << len.detail;
      ASSERT_LE(*len.value, in.size() - 4) << f;
      auto d = decode_frame_body(in.subspan(4, *len.value));
      ASSERT_TRUE(d.ok()) << f << ": " << d.detail;
      auto again = decode_whole(encode_frame(*d.value));
      ASSERT_TRUE(again.ok()) << f;
      expect_same(*again.value, *d.value);
      in = in.subspan(4 + *len.value);
      ++frames;
    }
    EXPECT_GE(frames, 1) << f;
  }
}

TEST(FuzzSeeds, EveryHeaderSeedDecodes) {
  auto json_files = files_in(repo_root() / "fuzz/corpus/fuzz_json_header");
  auto binary_files = files_in(repo_root() / "fuzz/corpus/fuzz_binary_header");
  ASSERT_FALSE(json_files.empty());
  ASSERT_FALSE(binary_files.empty());
  for (const auto& f : json_files) {
    auto d = decode_json_header(string_of(read_bytes(f)));
    EXPECT_TRUE(d.ok()) << f << ": " << d.detail;
  }
  for (const auto& f : binary_files) {
    auto d = decode_binary_header(read_bytes(f));
    EXPECT_TRUE(d.ok()) << f << ": " << d.detail;
  }
}

// Inputs the fuzzers once crashed on (tests/remoting/regress/): every decoder
// must handle them without crashing, and what decodes must round-trip.
TEST(FuzzRegressions, SavedInputsDecodeWithoutCrashing) {
  for (const auto& f : files_in(repo_root() / "tests/remoting/regress")) {
    auto bytes = read_bytes(f);
    SCOPED_TRACE(f.string());
    if (bytes.size() >= 4) {
      (void)decode_length_prefix(rt::ConstBytes(bytes).first<4>());
    }
    auto frame = decode_frame_body(bytes);
    if (frame.ok()) {
      auto again = decode_whole(encode_frame(*frame.value));
      ASSERT_TRUE(again.ok());
      expect_same(*again.value, *frame.value);
    }
    auto json = decode_json_header(string_of(bytes));
    if (json.ok()) {
      auto again = decode_json_header(encode_json_header(*json.value));
      ASSERT_TRUE(again.ok());
      expect_same(*again.value, *json.value);
    }
    auto binary = decode_binary_header(bytes);
    if (binary.ok()) {
      auto again = decode_binary_header(encode_binary_header(*binary.value));
      ASSERT_TRUE(again.ok());
      expect_same(*again.value, *binary.value);
    }
  }
}

}  // namespace
}  // namespace rmq::remoting
