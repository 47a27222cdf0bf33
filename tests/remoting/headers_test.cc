// Typed headers: round trips, required fields, Java parsing rules, and the
// field shapes real clients send.
#include <gtest/gtest.h>

#include "remoting/headers_consumer.h"
#include "remoting/headers_namesrv.h"
#include "remoting/headers_pull.h"
#include "remoting/headers_send.h"

namespace rmq::remoting {
namespace {

TEST(SendHeader, V2UsesLettersV1LongNamesAndBothRoundTrip) {
  SendMessageRequestHeader h;
  h.producer_group = "pg";
  h.topic = "TopicTest";
  h.default_topic = "TBW102";
  h.queue_id = 3;
  h.born_timestamp = 1795564287081;
  h.properties = std::string("TAGS\x01" "a\x02", 7);
  h.batch = false;
  for (int32_t code : {10, 310, 320}) {
    auto c = RemotingCommand::request(code);
    h.encode(c, code != 10);
    EXPECT_EQ(c.ext_fields.count(code == 10 ? "producerGroup" : "a"), 1u);
    auto back = SendMessageRequestHeader::decode(c);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->topic, "TopicTest");
    EXPECT_EQ(back->queue_id, 3);
    EXPECT_EQ(back->born_timestamp, 1795564287081);
    EXPECT_EQ(back->properties, h.properties);
    EXPECT_EQ(back->batch, false);
    EXPECT_FALSE(back->reconsume_times.has_value());
  }
}

TEST(SendHeader, AliOnsFieldsAsDecodedNumbersAndBooleansParse) {
  auto c = RemotingCommand::request(310);
  c.ext_fields = {{"a", "pg"}, {"b", "T"}, {"c", "TBW102"}, {"d", "4"}, {"e", "0"}, {"f", "0"},
                  {"g", "1795564287081"}, {"h", "0"}, {"j", "0"}, {"k", "false"}, {"m", "false"}};
  auto h = SendMessageRequestHeader::decode(c);
  ASSERT_TRUE(h.ok()) << h.error().message();
  EXPECT_EQ(h->unit_mode, false);
  EXPECT_EQ(h->default_topic_queue_nums, 4);
}

TEST(SendHeader, MissingOrMalformedRequiredFieldIsNamed) {
  auto c = RemotingCommand::request(310);
  c.ext_fields = {{"a", "pg"}, {"b", "T"}};
  auto h = SendMessageRequestHeader::decode(c);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().detail().find("'c'"), std::string::npos) << h.error().detail();
  c.ext_fields = {{"a", "pg"}, {"b", "T"}, {"c", "TBW102"}, {"d", "4"}, {"e", "x"}, {"f", "0"}, {"g", "1"}, {"h", "0"}};
  h = SendMessageRequestHeader::decode(c);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().detail().find("'e'"), std::string::npos) << h.error().detail();
}

TEST(SendResponseHeader, AlwaysCarriesRegionAndTraceFlag) {
  SendMessageResponseHeader h;
  h.msg_id = "C0A8000100002A9F0000000000001234";
  h.queue_id = 1;
  h.queue_offset = 17;
  auto c = RemotingCommand::request(0);
  h.encode(c);
  EXPECT_EQ(c.field("MSG_REGION"), "DefaultRegion");
  EXPECT_EQ(c.field("TRACE_ON"), "true");
  auto back = SendMessageResponseHeader::decode(c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->queue_offset, 17);
}

TEST(PullHeader, RoundTripsAndRequiresAllFourResponseOffsets) {
  PullMessageRequestHeader h;
  h.consumer_group = "cg";
  h.topic = "T";
  h.queue_id = 2;
  h.queue_offset = 100;
  h.sys_flag = kPullSuspend | kPullSubscription;
  h.commit_offset = -1;  // ali-ons sends -1
  h.subscription = "TagA || TagB";
  auto c = RemotingCommand::request(11);
  h.encode(c);
  auto back = PullMessageRequestHeader::decode(c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->commit_offset, -1);
  EXPECT_EQ(back->subscription, "TagA || TagB");

  PullMessageResponseHeader r{0, 5, 0, 9};
  auto rc = RemotingCommand::request(0);
  r.encode(rc);
  EXPECT_TRUE(PullMessageResponseHeader::decode(rc).ok());
  rc.ext_fields.erase("minOffset");
  EXPECT_FALSE(PullMessageResponseHeader::decode(rc).ok());
}

TEST(ConsumerHeaders, RoundTrip) {
  UpdateConsumerOffsetRequestHeader u{"cg", "T", 3, 42};
  auto c = RemotingCommand::request(15);
  u.encode(c);
  auto back = UpdateConsumerOffsetRequestHeader::decode(c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->commit_offset, 42);

  ConsumerSendMsgBackRequestHeader s;
  s.offset = 1234;
  s.group = "cg";
  s.delay_level = 0;
  s.max_reconsume_times = 16;
  auto sc = RemotingCommand::request(36);
  s.encode(sc);
  auto sb = ConsumerSendMsgBackRequestHeader::decode(sc);
  ASSERT_TRUE(sb.ok());
  EXPECT_EQ(sb->max_reconsume_times, 16);
  EXPECT_FALSE(sb->unit_mode);

  auto q = RemotingCommand::request(14);
  EXPECT_FALSE(QueryConsumerOffsetRequestHeader::decode(q).ok());
}

TEST(NamesrvHeaders, RegisterBrokerRoundTripAndDefaults) {
  RegisterBrokerRequestHeader h;
  h.broker_name = "broker-a";
  h.broker_addr = "10.0.0.5:10911";
  h.cluster_name = "DefaultCluster";
  h.ha_server_addr = "10.0.0.5:10912";
  h.broker_id = 0;
  auto c = RemotingCommand::request(103);
  h.encode(c);
  c.ext_fields.erase("compressed");
  c.ext_fields.erase("bodyCrc32");
  auto back = RegisterBrokerRequestHeader::decode(c);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->compressed);
  EXPECT_EQ(back->body_crc32, 0);
  c.ext_fields.erase("brokerId");
  EXPECT_FALSE(RegisterBrokerRequestHeader::decode(c).ok());
}

TEST(HeaderFields, BooleansParseLikeJava) {
  auto c = RemotingCommand::request(105);
  c.ext_fields = {{"topic", "T"}, {"acceptStandardJsonOnly", "TRUE"}};
  EXPECT_EQ(GetRouteInfoRequestHeader::decode(c)->accept_standard_json_only, true);
  c.ext_fields["acceptStandardJsonOnly"] = "yes";
  EXPECT_EQ(GetRouteInfoRequestHeader::decode(c)->accept_standard_json_only, false);
}

}  // namespace
}  // namespace rmq::remoting
