// common/json: lenient fastjson-style reading, fastjson-style writing.
#include "common/json.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace rmq::json {
namespace {

namespace bj = boost::json;

bj::value parse_ok(std::string_view text) {
  auto r = parse_lenient(text);
  EXPECT_TRUE(r.ok()) << text << " -> " << (r.ok() ? "" : r.error().detail());
  return r.ok() ? std::move(r).value() : bj::value();
}

std::string parse_error(std::string_view text, size_t max_depth = kMaxDepth) {
  auto r = parse_lenient(text, max_depth);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return {};
  EXPECT_EQ(r.code(), rt::Errc::invalid_argument);
  return r.error().detail();
}

TEST(JsonParse, StandardDocumentParses) {
  auto v = parse_ok(R"( {"a": [1, -2, 3.5, true, false, null, "x"], "b": {}} )");
  const auto& o = v.as_object();
  ASSERT_EQ(o.size(), 2u);
  const auto& a = o.at("a").as_array();
  EXPECT_EQ(a[0].as_int64(), 1);
  EXPECT_EQ(a[1].as_int64(), -2);
  EXPECT_EQ(a[2].as_double(), 3.5);
  EXPECT_TRUE(a[3].as_bool());
  EXPECT_TRUE(a[5].is_null());
  EXPECT_EQ(a[6].as_string(), "x");
  EXPECT_TRUE(o.at("b").as_object().empty());
}

TEST(JsonParse, RouteBodyWithBareNumericKeysParses) {
  auto v = parse_ok(
      R"({"brokerDatas":[{"brokerAddrs":{0:"10.0.0.5:10911",1:"x",-1:2},"brokerName":"b","cluster":"c"}],)"
      R"("queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4}]})");
  const auto& addrs = v.at("brokerDatas").at(0).at("brokerAddrs").as_object();
  ASSERT_EQ(addrs.size(), 3u);
  EXPECT_EQ(addrs.at("0").as_string(), "10.0.0.5:10911");
  EXPECT_EQ(addrs.at("1").as_string(), "x");
  EXPECT_EQ(addrs.at("-1").as_int64(), 2);
  EXPECT_EQ(v.at("queueDatas").at(0).at("perm").as_int64(), 6);
}

TEST(JsonParse, ObjectKeyBecomesItsCompactTextInWrittenOrder) {
  auto v = parse_ok(R"({ { "topic" : "t", "brokerName":"b","queueId":0 } : {"brokerOffset":5}, "x":1})");
  const auto& o = v.as_object();
  ASSERT_EQ(o.size(), 2u);
  const auto& inner = o.at(R"({"topic":"t","brokerName":"b","queueId":0})");
  EXPECT_EQ(inner.at("brokerOffset").as_int64(), 5);
}

TEST(JsonParse, NestedObjectKeysParse) {
  auto v = parse_ok(R"({{{"a":1}:2}:3})");
  EXPECT_EQ(v.as_object().at(R"({"{\"a\":1}":2})").as_int64(), 3);
}

TEST(JsonParse, DuplicateKeyLastWins) {
  auto v = parse_ok(R"({"a":1,"a":2})");
  EXPECT_EQ(v.as_object().size(), 1u);
  EXPECT_EQ(v.at("a").as_int64(), 2);
}

TEST(JsonParse, EscapesAndSurrogatePairsDecodeToUtf8) {
  auto v = parse_ok(R"(["\u0001\u0002", "\ud83d\ude00", "\u00e9\u4e16", "\"\\\/\b\f\n\r\t", "h\u00e9llo-世界"])");
  const auto& a = v.as_array();
  EXPECT_EQ(a[0].as_string(), std::string("\x01\x02"));
  EXPECT_EQ(a[1].as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(a[2].as_string(), "\xC3\xA9\xE4\xB8\x96");
  EXPECT_EQ(a[3].as_string(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(a[4].as_string(), "h\xC3\xA9llo-世界");
}

TEST(JsonParse, LoneSurrogateBecomesReplacementCharacter) {
  auto v = parse_ok(R"(["\ud800x", "\udc00"])");
  EXPECT_EQ(v.at(0).as_string(), "\xEF\xBF\xBDx");
  EXPECT_EQ(v.at(1).as_string(), "\xEF\xBF\xBD");
}

TEST(JsonParse, IntegersKeepFullPrecision) {
  auto v = parse_ok("[1795564287081, -9223372036854775808, 18446744073709551615, 18446744073709551616]");
  EXPECT_EQ(v.at(0).as_int64(), 1795564287081);
  EXPECT_EQ(v.at(1).as_int64(), INT64_MIN);
  EXPECT_EQ(v.at(2).as_uint64(), UINT64_MAX);
  EXPECT_TRUE(v.at(3).is_double());
}

TEST(JsonParse, DoubleUnderflowReadsAsZero) {
  auto v = parse_ok("[1e-400, -0.000001e-999999999999999999999, 4.9E-324, 100000e-330]");
  EXPECT_EQ(v.at(0).as_double(), 0.0);
  EXPECT_EQ(v.at(1).as_double(), 0.0);
  EXPECT_TRUE(std::signbit(v.at(1).as_double()));
  EXPECT_GT(v.at(2).as_double(), 0.0);
  EXPECT_EQ(v.at(3).as_double(), 0.0);  // 1e-325
}

TEST(JsonParse, DepthLimitIsEnforced) {
  std::string ok(64, '[');
  ok += std::string(64, ']');
  EXPECT_TRUE(parse_lenient(ok).ok());
  std::string deep(65, '[');
  deep += std::string(65, ']');
  EXPECT_NE(parse_error(deep).find("nesting deeper than 64"), std::string::npos);
  EXPECT_FALSE(parse_lenient(std::string(10000, '[')).ok());
  EXPECT_FALSE(parse_lenient(std::string(100000, '{')).ok());
  EXPECT_FALSE(parse_lenient(R"({"a":{"b":1}})", 1).ok());
  EXPECT_TRUE(parse_lenient(R"({"a":{"b":1}})", 2).ok());
}

TEST(JsonParse, ObjectKeysCountTowardsDepth) {
  EXPECT_FALSE(parse_lenient(R"({{"a":1}:2})", 1).ok());
  EXPECT_TRUE(parse_lenient(R"({{"a":1}:2})", 2).ok());
}

TEST(JsonParse, BadInputYieldsErrorWithOffset) {
  EXPECT_EQ(parse_error(""), "json: unexpected end of input at offset 0");
  EXPECT_EQ(parse_error("[1,]"), "json: unexpected character at offset 3");
  EXPECT_EQ(parse_error("{\"a\" 1}"), "json: expected ':' at offset 5");
  EXPECT_EQ(parse_error("[1] x"), "json: trailing characters at offset 4");
  EXPECT_NE(parse_error("\"abc").find("unterminated string"), std::string::npos);
  EXPECT_NE(parse_error(R"("\x")").find("invalid escape"), std::string::npos);
  EXPECT_NE(parse_error(R"("\u12G4")").find("invalid \\u escape"), std::string::npos);
  EXPECT_NE(parse_error("[01]").find("leading zero"), std::string::npos);
  EXPECT_NE(parse_error("[1.]").find("invalid number"), std::string::npos);
  EXPECT_NE(parse_error("[1e999]").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error("[-123456789e99999999999999999999]").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error("{-:1}").find("bare key"), std::string::npos);
  EXPECT_NE(parse_error("{a:1}").find("expected an object key"), std::string::npos);
  EXPECT_NE(parse_error("[tru]").find("invalid literal"), std::string::npos);
  EXPECT_NE(parse_error("[1 2]").find("expected ','"), std::string::npos);
  EXPECT_NE(parse_error("{\"a\":1").find("unexpected end"), std::string::npos);
}

TEST(JsonSerialize, BareNumericKeysReproduceFastjsonOutput) {
  auto v = parse_ok(R"({0:"a",-1:2,"x":{"01":true}})");
  EXPECT_EQ(json::serialize(v, /*bare_numeric_keys=*/true), R"({0:"a",-1:2,"x":{01:true}})");
  EXPECT_EQ(json::serialize(v), R"({"0":"a","-1":2,"x":{"01":true}})");
}

TEST(JsonSerialize, KeysKeepInsertionOrder) {
  bj::object o;
  o["z"] = 1;
  o["a"] = 2;
  o["m"] = bj::array{1, "x", nullptr};
  EXPECT_EQ(json::serialize(o), R"({"z":1,"a":2,"m":[1,"x",null]})");
}

TEST(JsonSerialize, ControlCharactersEscapedAsUnicodeAndUtf8Raw) {
  bj::value v = bj::string("a\x01\n\"\\\x1f" "é世");
  EXPECT_EQ(json::serialize(v), "\"a\\u0001\\u000a\\\"\\\\\\u001f" "é世\"");
}

TEST(JsonSerialize, IntegersExactAndDoublesLikeJava) {
  EXPECT_EQ(json::serialize(bj::value(int64_t{1795564287081})), "1795564287081");
  EXPECT_EQ(json::serialize(bj::value(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(json::serialize(bj::value(UINT64_MAX)), "18446744073709551615");
  EXPECT_EQ(json::serialize(bj::value(0.0)), "0.0");
  EXPECT_EQ(json::serialize(bj::value(-0.0)), "-0.0");
  EXPECT_EQ(json::serialize(bj::value(1.5)), "1.5");
  EXPECT_EQ(json::serialize(bj::value(100.0)), "100.0");
  EXPECT_EQ(json::serialize(bj::value(0.001)), "0.001");
  EXPECT_EQ(json::serialize(bj::value(1234567.0)), "1234567.0");
  EXPECT_EQ(json::serialize(bj::value(1e7)), "1.0E7");
  EXPECT_EQ(json::serialize(bj::value(1.5e-5)), "1.5E-5");
  EXPECT_EQ(json::serialize(bj::value(-2.5e300)), "-2.5E300");
}

TEST(JsonSerialize, EmptyContainers) {
  EXPECT_EQ(json::serialize(parse_ok(R"({"a":[],"b":{},"c":[{}]})")), R"({"a":[],"b":{},"c":[{}]})");
}

TEST(JsonScalar, TextOfEachKind) {
  EXPECT_EQ(scalar_text(bj::value("s")), "s");
  EXPECT_EQ(scalar_text(bj::value(int64_t{-7})), "-7");
  EXPECT_EQ(scalar_text(bj::value(true)), "true");
  EXPECT_EQ(scalar_text(bj::value(false)), "false");
  EXPECT_EQ(scalar_text(bj::value(2.0)), "2.0");
  EXPECT_EQ(scalar_text(bj::value(nullptr)), std::nullopt);
  EXPECT_EQ(scalar_text(bj::value(bj::array{})), std::nullopt);
  EXPECT_EQ(scalar_text(bj::value(bj::object{})), std::nullopt);
}

TEST(JsonGet, TypedLookupsCoerceLikeFastjson) {
  auto v = parse_ok(R"({"i":5,"s":"42","neg":"-3","f":1.5,"w":5.0,"big":18446744073709551615,)"
                    R"("bad":"4x","b":true,"bs":"false","bS":"TRUE","one":1,"n":null,"o":{}})");
  const auto& o = v.as_object();
  EXPECT_EQ(get_int64(o, "i"), 5);
  EXPECT_EQ(get_int64(o, "s"), 42);
  EXPECT_EQ(get_int64(o, "neg"), -3);
  EXPECT_EQ(get_int64(o, "f"), std::nullopt);
  EXPECT_EQ(get_int64(o, "w"), 5);
  EXPECT_EQ(get_int64(o, "big"), std::nullopt);
  EXPECT_EQ(get_int64(o, "bad"), std::nullopt);
  EXPECT_EQ(get_int64(o, "b"), std::nullopt);
  EXPECT_EQ(get_int64(o, "n"), std::nullopt);
  EXPECT_EQ(get_int64(o, "missing"), std::nullopt);
  EXPECT_EQ(get_bool(o, "b"), true);
  EXPECT_EQ(get_bool(o, "bs"), false);
  EXPECT_EQ(get_bool(o, "bS"), true);
  EXPECT_EQ(get_bool(o, "one"), true);
  EXPECT_EQ(get_bool(o, "s"), std::nullopt);
  EXPECT_EQ(get_bool(o, "n"), std::nullopt);
  EXPECT_EQ(get_string(o, "s"), "42");
  EXPECT_EQ(get_string(o, "i"), "5");
  EXPECT_EQ(get_string(o, "b"), "true");
  EXPECT_EQ(get_string(o, "n"), std::nullopt);
  EXPECT_EQ(get_string(o, "o"), std::nullopt);
  EXPECT_EQ(get_string(o, "missing"), std::nullopt);
}

TEST(JsonGet, Int64OverflowInStringIsRejected) {
  auto v = parse_ok(R"({"max":"9223372036854775807","over":"9223372036854775808","huge":1e19})");
  EXPECT_EQ(get_int64(v.as_object(), "max"), INT64_MAX);
  EXPECT_EQ(get_int64(v.as_object(), "over"), std::nullopt);
  EXPECT_EQ(get_int64(v.as_object(), "huge"), std::nullopt);
}

// The committed fuzz seeds for bodies (routes with bare keys, heartbeats,
// offset tables with object keys) must parse and survive a round trip.
TEST(JsonFuzzSeeds, EveryBodySeedParsesAndRoundTrips) {
  auto dir = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "fuzz/corpus/fuzz_json_body";
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto v = parse_lenient(text);
    ASSERT_TRUE(v.ok()) << e.path() << ": " << v.error().detail();
    auto again = parse_lenient(json::serialize(*v, /*bare_numeric_keys=*/true));
    ASSERT_TRUE(again.ok()) << e.path();
    EXPECT_EQ(*again, *v) << e.path();
    ++seen;
  }
  EXPECT_GE(seen, 5);
}

// ---- properties -----------------------------------------------------------

// An arbitrary value of bounded depth, with awkward strings and keys.
rc::Gen<bj::value> gen_value(int depth) {
  auto scalar = rc::gen::oneOf(
      rc::gen::just(bj::value(nullptr)), rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return bj::value(b); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t i) { return bj::value(i); }),
      rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t u) { return bj::value(u); }),
      rc::gen::map(rc::gen::arbitrary<double>(),
                   [](double d) { return std::isfinite(d) ? bj::value(d) : bj::value(0.5); }),
      rc::gen::map(rc::gen::arbitrary<std::string>(), [](const std::string& s) { return bj::value(s); }));
  if (depth <= 0) return scalar;
  auto array = rc::gen::map(rc::gen::container<std::vector<bj::value>>(rc::gen::resize(4, gen_value(depth - 1))),
                            [](std::vector<bj::value> xs) {
                              bj::array a;
                              for (auto& x : xs) a.push_back(std::move(x));
                              return bj::value(std::move(a));
                            });
  auto key = rc::gen::oneOf(rc::gen::arbitrary<std::string>(),
                            rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t i) { return std::to_string(i); }));
  auto object = rc::gen::map(
      rc::gen::container<std::vector<std::pair<std::string, bj::value>>>(
          rc::gen::resize(4, rc::gen::pair(key, gen_value(depth - 1)))),
      [](std::vector<std::pair<std::string, bj::value>> kvs) {
        bj::object o;
        for (auto& [k, x] : kvs) o.insert_or_assign(k, std::move(x));
        return bj::value(std::move(o));
      });
  return rc::gen::oneOf(scalar, array, object);
}

RC_GTEST_PROP(JsonProperty, SerializeThenParseGivesEqualValue, ()) {
  const auto v = *gen_value(3);
  const bool bare = *rc::gen::arbitrary<bool>();
  const std::string text = json::serialize(v, bare);
  auto back = parse_lenient(text);
  RC_ASSERT(back.ok());
  // Doubles print in the shortest form that reads back exactly; -0.0 stays.
  RC_ASSERT(json::serialize(*back, bare) == text);
  RC_ASSERT(*back == v);
}

}  // namespace
}  // namespace rmq::json
