#include <gtest/gtest.h>

#include "common/java_hash.h"

namespace rmq::common {
namespace {

TEST(JavaStringHash, MatchesJavaForAsciiBmpAndSurrogatePairs) {
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("TagA"), 2598919);     // the reference's codeSet example
  EXPECT_EQ(java_string_hash("null"), 3392903);     // ali-ons' tag for untagged messages
  EXPECT_EQ(java_string_hash("\xC3\xA9"), 233);     // é, one UTF-16 unit
  EXPECT_EQ(java_string_hash("\xF0\x9F\x98\x80"), 55357 * 31 + 56832);  // U+1F600 as a surrogate pair
  EXPECT_EQ(java_string_hash("polygenelubricants"), INT32_MIN);  // wraps like Java
}

}  // namespace
}  // namespace rmq::common
