// Properties files: parsing, overrides, typed access naming the key.
#include <gtest/gtest.h>

#include "common/config.h"
#include "common/numbers.h"

namespace rmq::common {
namespace {

TEST(Properties, ParsesKeyValuesCommentsAndWhitespace) {
  auto p = Properties::parse("# comment\n! also\n\nlistenPort = 10911\r\nbrokerName=broker-a\nflag: true\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p->get_int("listenPort", 0), 10911);
  EXPECT_EQ(p->get_string("brokerName", ""), "broker-a");
  EXPECT_EQ(*p->get_bool("flag", false), true);
  EXPECT_EQ(*p->get_int("missing", 7), 7);
}

TEST(Properties, LineWithoutSeparatorIsAnErrorNamingTheLine) {
  auto p = Properties::parse("a=1\nnonsense\n");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().detail().find("line 2"), std::string::npos);
}

TEST(Properties, InvalidValuesNameTheKey) {
  auto p = Properties::parse("listenPort=abc\nflag=yes\nport2=70000\n");
  ASSERT_TRUE(p.ok());
  auto port = p->get_int("listenPort", 1);
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().detail().find("listenPort"), std::string::npos);
  auto flag = p->get_bool("flag", false);
  ASSERT_FALSE(flag.ok());
  EXPECT_NE(flag.error().detail().find("flag"), std::string::npos);
  auto range = p->get_int("port2", 1, 1, 65535);
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().detail().find("port2"), std::string::npos);
}

TEST(Properties, OverridesWinAndUnknownKeysAreReported) {
  auto p = Properties::parse("listenPort=1\ntypo=2\n");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->apply_overrides({"--listenPort=2"}).ok());
  EXPECT_EQ(*p->get_int("listenPort", 0), 2);
  EXPECT_EQ(p->unknown_keys(), (std::vector<std::string>{"typo"}));
  EXPECT_FALSE(p->apply_overrides({"listenPort=3"}).ok());
  EXPECT_FALSE(p->apply_overrides({"--=3"}).ok());
}

TEST(JavaNumbers, ParseLikeJava) {
  EXPECT_EQ(parse_java_long("-42"), -42);
  EXPECT_EQ(parse_java_long("+42"), 42);
  EXPECT_FALSE(parse_java_long("+-1").has_value());
  EXPECT_FALSE(parse_java_long("1.5").has_value());
  EXPECT_FALSE(parse_java_long("").has_value());
  EXPECT_FALSE(parse_java_long("99999999999999999999").has_value());
  EXPECT_FALSE(parse_java_int("2147483648").has_value());
  EXPECT_EQ(parse_java_int("-2147483648"), INT32_MIN);
  EXPECT_TRUE(parse_java_bool("TRUE"));
  EXPECT_FALSE(parse_java_bool("yes"));
}

}  // namespace
}  // namespace rmq::common
