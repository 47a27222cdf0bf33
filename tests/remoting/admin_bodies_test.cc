// The admin answers rmq-admin reads (remoting/admin_bodies.h), as a Java
// broker writes them, and the damaged ones refused with a reason.
#include <gtest/gtest.h>

#include "remoting/admin_bodies.h"

namespace rmq::remoting {
namespace {

TEST(AdminBodies, ResetOffsetsReadFastjsonKeysSorted) {
  auto r = decode_reset_offsets(R"({"offsetTable":{)"
                                R"({"brokerName":"broker-b","queueId":0,"topic":"T"}:7,)"
                                R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:0}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].first.broker_name, "broker-a");
  EXPECT_EQ((*r)[0].second, 0);
  EXPECT_EQ((*r)[1].first.broker_name, "broker-b");
  EXPECT_EQ((*r)[1].second, 7);
}

// Found by fuzz_body_decoders: a number past a Java long aborted the
// decoder (Boost.JSON threw converting it).
TEST(AdminBodies, AnOffsetPastAJavaLongIsRefusedNotACrash) {
  auto r = decode_reset_offsets(R"({"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:)"
                                R"(18446744073709551610}})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail().find("not an offset"), std::string::npos) << r.error().detail();
  auto max = decode_reset_offsets(R"({"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:9223372036854775807}})");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->front().second, INT64_MAX);
  EXPECT_FALSE(decode_reset_offsets(R"({"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:"7"}})").ok());
}

}  // namespace
}  // namespace rmq::remoting
