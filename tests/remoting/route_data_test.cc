// Route bodies: what Java namesrvs and brokers write, and our encodings.
#include <gtest/gtest.h>

#include <zlib.h>

#include "remoting/route_data.h"

namespace rmq::remoting {
namespace {

RegisterBrokerBody sample_body() {
  RegisterBrokerBody b;
  b.data_version = {1700000000000, 7, 0};
  TopicConfig t;
  t.topic_name = "TopicTest";
  t.read_queue_nums = 4;
  t.write_queue_nums = 4;
  b.topic_config_table["TopicTest"] = t;
  TopicConfig tbw;
  tbw.topic_name = "TBW102";
  tbw.perm = 7;
  tbw.read_queue_nums = tbw.write_queue_nums = 8;
  b.topic_config_table["TBW102"] = tbw;
  return b;
}

TEST(RegisterBrokerBody, PlainAndCompressedRoundTrip) {
  for (bool compressed : {false, true}) {
    const auto bytes = encode_register_broker_body(sample_body(), compressed);
    auto back = decode_register_broker_body(bytes, compressed);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back->data_version, sample_body().data_version);
    EXPECT_EQ(back->topic_config_table, sample_body().topic_config_table);
  }
}

TEST(RegisterBrokerBody, JavaJsonFromTheReferenceDecodes) {
  const std::string java =
      R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":7,"stateVersion":0,)"
      R"("timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,)"
      R"("topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4,"attributes":{}}}}})";
  auto b = decode_register_broker_body(to_bytes(java), false);
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->data_version.counter, 7);
  EXPECT_EQ(b->topic_config_table.at("TopicTest").perm, 6);
}

TEST(RegisterBrokerBody, BadCompressedBodiesAreErrorsNotCrashes) {
  const auto good = encode_register_broker_body(sample_body(), true);
  auto truncated = good;
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(decode_register_broker_body(truncated, true).ok());
  EXPECT_FALSE(decode_register_broker_body(to_bytes("not zlib"), true).ok());
  EXPECT_FALSE(decode_register_broker_body(to_bytes("{not json"), false).ok());
}

TEST(RegisterBrokerBody, ZipBombStopsAtTheInflateLimit) {
  std::string zeros(kMaxInflatedBodyBytes + 1024 * 1024, '\0');
  uLongf cap = compressBound(static_cast<uLong>(zeros.size()));
  std::vector<std::byte> bomb(cap);
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(bomb.data()), &cap, reinterpret_cast<const Bytef*>(zeros.data()),
                      static_cast<uLong>(zeros.size()), 9),
            Z_OK);
  bomb.resize(cap);
  auto r = decode_register_broker_body(bomb, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail().find("inflates beyond"), std::string::npos);
}

TopicRouteData sample_route() {
  TopicRouteData r;
  BrokerData b;
  b.cluster = "DefaultCluster";
  b.broker_name = "broker-a";
  b.broker_addrs = {{0, "10.0.0.5:10911"}, {1, "10.0.0.6:10911"}};
  r.broker_datas.push_back(b);
  r.queue_datas.push_back(QueueData{"broker-a", 4, 4, 6, 0});
  return r;
}

TEST(TopicRoute, OldClientsGetBareKeysNewOnesQuotedAndBothDecode) {
  const auto bare = encode_topic_route(sample_route(), false);
  const auto quoted = encode_topic_route(sample_route(), true);
  EXPECT_NE(bare.find(R"({0:"10.0.0.5:10911",1:"10.0.0.6:10911"})"), std::string::npos) << bare;
  EXPECT_NE(quoted.find(R"({"0":"10.0.0.5:10911","1":"10.0.0.6:10911"})"), std::string::npos) << quoted;
  EXPECT_EQ(*decode_topic_route(bare), sample_route());
  EXPECT_EQ(*decode_topic_route(quoted), sample_route());
}

TEST(TopicRoute, AcceptsOldTopicSynFlagSpelling) {
  auto r = decode_topic_route(
      R"({"brokerDatas":[],"queueDatas":[{"brokerName":"a","perm":6,"readQueueNums":1,"topicSynFlag":3,"writeQueueNums":1}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->queue_datas.at(0).topic_sys_flag, 3);
}

TEST(ClusterInfo, AlwaysBareKeysAndRoundTrips) {
  ClusterInfo c;
  c.broker_addr_table["broker-a"] = sample_route().broker_datas[0];
  c.cluster_addr_table["DefaultCluster"] = {"broker-a"};
  const auto text = encode_cluster_info(c);
  EXPECT_NE(text.find("{0:"), std::string::npos) << text;
  EXPECT_EQ(*decode_cluster_info(text), c);
}

TEST(TopicList, RoundTrips) {
  const std::vector<std::string> topics{"TBW102", "TopicTest"};
  EXPECT_EQ(encode_topic_list(topics), R"({"topicList":["TBW102","TopicTest"]})");
  EXPECT_EQ(*decode_topic_list(encode_topic_list(topics)), topics);
}

}  // namespace
}  // namespace rmq::remoting
