// The admin answers (remoting/admin_bodies.h): the broker writes them as a
// Java broker does, rmq-admin reads them back, and the damaged ones are
// refused with a reason.
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

// What the broker writes is byte for byte the JSON RocketMQ's broker writes
// (fastjson: MessageQueue keys, fields in name order), and reads back equal.
TEST(AdminBodies, TheBrokersAnswersAreRocketMqsJsonAndReadBackEqual) {
  const MessageQueueKey a{"T", "broker-a", 0}, b{"T", "broker-a", 1};
  EXPECT_EQ(mq_key_json(a), R"({"brokerName":"broker-a","queueId":0,"topic":"T"})");

  const std::vector<TopicQueueStats> topic{{a, 0, 5, 1700000000000}, {b, 2, 9, 0}};
  EXPECT_EQ(encode_topic_stats(topic),
            R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":1700000000000,)"
            R"("maxOffset":5,"minOffset":0},{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"lastUpdateTimestamp":0,)"
            R"("maxOffset":9,"minOffset":2}}})");
  EXPECT_EQ(decode_topic_stats(encode_topic_stats(topic)).value(), topic);

  const ConsumeStats consume{{{a, 5, 3, 1700000000000}, {b, 9, 9, 0}}, 0};
  EXPECT_TRUE(encode_consume_stats(consume).starts_with(R"({"consumeTps":0.0,"offsetTable":{)"));
  EXPECT_EQ(decode_consume_stats(encode_consume_stats(consume)).value(), consume);

  const std::vector<std::pair<MessageQueueKey, int64_t>> reset{{a, 4}, {b, 0}};
  EXPECT_EQ(encode_reset_offsets(reset),
            R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:4,)"
            R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:0}})");
  EXPECT_EQ(decode_reset_offsets(encode_reset_offsets(reset)).value(), reset);

  const BrokerStatsData stats{.minute_sum = 6, .hour_sum = 60, .day_sum = 600, .minute_tps = 0.1, .hour_tps = 0, .day_tps = 0.5};
  EXPECT_EQ(encode_broker_stats(stats), R"({"statsDay":{"avgpt":0.0,"sum":600,"tps":0.5},)"
                                        R"("statsHour":{"avgpt":0.0,"sum":60,"tps":0.0},)"
                                        R"("statsMinute":{"avgpt":0.0,"sum":6,"tps":0.1}})");
  EXPECT_EQ(decode_broker_stats(encode_broker_stats(stats)).value(), stats);

  EXPECT_EQ(encode_group_list({"G1", "G2"}), R"({"groupList":["G1","G2"]})");
  EXPECT_EQ(decode_group_list(encode_group_list({"G2", "G1"})).value(), (std::vector<std::string>{"G1", "G2"}));

  EXPECT_EQ(encode_kv_table({{"putTps", "1.0 0.5 0.1"}, {"brokerName", "broker-a"}}),
            R"({"table":{"putTps":"1.0 0.5 0.1","brokerName":"broker-a"}})");  // in the given order
  auto table = decode_kv_table(encode_kv_table({{"putTps", "1.0 0.5 0.1"}})).value();
  EXPECT_EQ(table_rate(table, "putTps"), "1.00");

  GroupConnections g;
  g.connections = {{"10.0.0.1@a", "10.0.0.1:50000", "JAVA", 401}};
  g.consume_type = "CONSUME_PASSIVELY";
  g.message_model = "CLUSTERING";
  g.consume_from_where = "CONSUME_FROM_LAST_OFFSET";
  SubscriptionData sd;
  sd.topic = "T";
  sd.sub_string = "TagA || TagB";
  sd.tags_set = {"TagA", "TagB"};
  const std::string consumers = encode_consumer_connections(g, {{"T", sd}});
  EXPECT_TRUE(consumers.starts_with(
      R"({"connectionSet":[{"clientAddr":"10.0.0.1:50000","clientId":"10.0.0.1@a","language":"JAVA","version":401}],)"))
      << consumers;
  EXPECT_NE(consumers.find(R"("subscriptionTable":{"T":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG",)"
                           R"("subString":"TagA || TagB","subVersion":0,"tagsSet":["TagA","TagB"],"topic":"T"}})"),
            std::string::npos)
      << consumers;
  g.subscriptions = {{"T", "TagA || TagB"}};
  EXPECT_EQ(decode_group_connections(consumers).value(), g);
  const auto producers = decode_group_connections(encode_producer_connections(g.connections)).value();
  EXPECT_EQ(producers.connections, g.connections);
  EXPECT_TRUE(producers.subscriptions.empty());
}

}  // namespace
}  // namespace rmq::remoting
