// The batch body (reference 5.4) as the producer writes it and the broker
// reads it, and the damaged bodies a broker must refuse with a reason.
#include <gtest/gtest.h>

#include <string>

#include "common/big_endian.h"
#include "remoting/batch_body.h"

namespace rmq::remoting {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string text_of(std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

std::vector<std::byte> two_records() {
  std::vector<std::byte> out;
  append_batch_record(out, 7, bytes_of("hello"), "KEYS\x01k1\x02");
  append_batch_record(out, 0, {}, "");
  return out;
}

std::string refusal(std::span<const std::byte> body, uint32_t max = 1024) {
  auto r = decode_batch_body(body, max);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().detail();
}

TEST(BatchBody, RecordsRoundTripWithTheLayoutJavaWrites) {
  const std::vector<std::byte> body = two_records();
  ASSERT_EQ(body.size(), 22u + 5 + 8 + 22u);
  EXPECT_EQ(common::get_i32(body.data()), 35);       // TOTALSIZE
  EXPECT_EQ(common::get_i32(body.data() + 4), 0);    // MAGICCODE
  EXPECT_EQ(common::get_i32(body.data() + 8), 0);    // BODYCRC
  EXPECT_EQ(common::get_i32(body.data() + 12), 7);   // FLAG
  EXPECT_EQ(common::get_i32(body.data() + 16), 5);   // bodyLen
  EXPECT_EQ(common::get_i16(body.data() + 25), 8);   // propLen
  auto r = decode_batch_body(body, 1024);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].flag, 7);
  EXPECT_EQ(text_of((*r)[0].body), "hello");
  EXPECT_EQ((*r)[0].properties, "KEYS\x01k1\x02");
  EXPECT_EQ((*r)[1].flag, 0);
  EXPECT_TRUE((*r)[1].body.empty());
  EXPECT_TRUE((*r)[1].properties.empty());
}

TEST(BatchBody, AnEmptyBodyIsRefused) { EXPECT_EQ(refusal({}), "an empty batch body"); }

TEST(BatchBody, ARecordCutShortIsRefusedNamingIt) {
  const std::vector<std::byte> body = two_records();
  const std::string why = refusal(std::span(body).first(body.size() - 1));
  EXPECT_NE(why.find("batch record 1 at byte 35"), std::string::npos) << why;
  EXPECT_NE(refusal(std::span(body).first(30)).find("TOTALSIZE 35 with 30 bytes left"), std::string::npos);
}

TEST(BatchBody, LengthsThatDisagreeWithTotalSizeAreRefused) {
  std::vector<std::byte> body = two_records();
  common::put_i32(body.data() + 16, 6);  // bodyLen one more: the propLen read moves, the sum breaks
  EXPECT_NE(refusal(body).find("record 0"), std::string::npos);
  body = two_records();
  common::put_i32(body.data() + 16, 30);  // past TOTALSIZE
  EXPECT_NE(refusal(body).find("body length 30 past TOTALSIZE 35"), std::string::npos);
  body = two_records();
  common::put_i32(body.data() + 16, -1);
  EXPECT_NE(refusal(body).find("body length -1"), std::string::npos);
  body = two_records();
  common::put_i16(body.data() + 25, -8);
  EXPECT_NE(refusal(body).find("properties length -8"), std::string::npos);
  body = two_records();
  common::put_i32(body.data(), 21);
  EXPECT_NE(refusal(body).find("TOTALSIZE 21"), std::string::npos);
}

TEST(BatchBody, ABodyOverTheMaximumIsRefused) {
  const std::vector<std::byte> body = two_records();
  EXPECT_NE(refusal(body, 4).find("body length 5 (at most 4)"), std::string::npos);
  EXPECT_TRUE(decode_batch_body(body, 5).ok());
}

}  // namespace
}  // namespace rmq::remoting
