// Admin headers under mqadmin's field names: what a Java admin sends
// decodes, what we send carries the names a Java broker reads, and a
// missing or malformed field is refused naming it.
#include <gtest/gtest.h>

#include "remoting/codes.h"
#include "remoting/headers_admin.h"

namespace rmq::remoting {
namespace {

RemotingCommand with_fields(std::initializer_list<std::pair<const char*, const char*>> fields) {
  RemotingCommand c = RemotingCommand::request(0);
  for (const auto& [k, v] : fields) c.ext_fields[k] = v;
  return c;
}

std::string field(const RemotingCommand& c, const char* name) {
  auto it = c.ext_fields.find(name);
  return it == c.ext_fields.end() ? "<absent>" : it->second;
}

TEST(AdminHeaders, CreateTopicAsMqadminSendsIt) {
  auto h = CreateTopicRequestHeader::decode(with_fields({{"topic", "T"},
                                                         {"defaultTopic", "TBW102"},
                                                         {"readQueueNums", "8"},
                                                         {"writeQueueNums", "4"},
                                                         {"perm", "6"},
                                                         {"topicFilterType", "SINGLE_TAG"},
                                                         {"topicSysFlag", "0"},
                                                         {"order", "false"}}));
  ASSERT_TRUE(h.ok()) << h.error().message();
  EXPECT_EQ(h->topic, "T");
  EXPECT_EQ(h->read_queue_nums, 8);
  EXPECT_EQ(h->write_queue_nums, 4);
  EXPECT_EQ(h->perm, 6);
  EXPECT_EQ(h->order, false);
  RemotingCommand out = RemotingCommand::request(request_code::kUpdateAndCreateTopic);
  h->encode(out);
  EXPECT_EQ(field(out, "readQueueNums"), "8");
  EXPECT_EQ(field(out, "topicFilterType"), "SINGLE_TAG");
  auto again = CreateTopicRequestHeader::decode(out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->write_queue_nums, 4);
  EXPECT_EQ(again->topic_sys_flag, 0);
  // Only the required fields: the optional ones stay unset.
  auto bare = CreateTopicRequestHeader::decode(
      with_fields({{"topic", "T"}, {"readQueueNums", "1"}, {"writeQueueNums", "1"}, {"perm", "6"}}));
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->topic_filter_type.has_value());
  EXPECT_FALSE(bare->order.has_value());
}

TEST(AdminHeaders, AMissingOrMalformedFieldIsNamed) {
  auto missing = CreateTopicRequestHeader::decode(with_fields({{"topic", "T"}, {"perm", "6"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().detail().find("readQueueNums"), std::string::npos) << missing.error().detail();
  auto bad = ResetOffsetRequestHeader::decode(
      with_fields({{"topic", "T"}, {"group", "G"}, {"timestamp", "soon"}, {"isForce", "true"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail().find("timestamp"), std::string::npos) << bad.error().detail();
  EXPECT_FALSE(QueryMessageRequestHeader::decode(with_fields({{"topic", "T"}, {"key", "k"}})).ok());
  EXPECT_FALSE(ViewMessageRequestHeader::decode(with_fields({})).ok());
  EXPECT_FALSE(BrokerPermRequestHeader::decode(with_fields({})).ok());
}

TEST(AdminHeaders, EachRoundTripsUnderJavasNames) {
  RemotingCommand c = RemotingCommand::request(0);
  QueryMessageRequestHeader{.topic = "T", .key = "k", .max_num = 32, .begin_timestamp = 1, .end_timestamp = 2,
                            .unique_key_query = true}
      .encode(c);
  EXPECT_EQ(field(c, "_UNIQUE_KEY_QUERY"), "true");
  EXPECT_EQ(field(c, "maxNum"), "32");
  auto q = QueryMessageRequestHeader::decode(c);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->end_timestamp, 2);
  EXPECT_EQ(q->unique_key_query, true);

  c = RemotingCommand::request(0);
  ResetOffsetRequestHeader{.topic = "T", .group = "G", .timestamp = -1, .is_force = true}.encode(c);
  EXPECT_EQ(field(c, "isForce"), "true");
  auto r = ResetOffsetRequestHeader::decode(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->timestamp, -1);
  EXPECT_TRUE(r->is_force);

  c = RemotingCommand::request(0);
  DeleteSubscriptionGroupRequestHeader{.group_name = "G", .remove_offset = true}.encode(c);
  EXPECT_FALSE(c.ext_fields.count("cleanOffset"));
  auto d = DeleteSubscriptionGroupRequestHeader::decode(c);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->removes_offsets());
  auto d5 = DeleteSubscriptionGroupRequestHeader::decode(with_fields({{"groupName", "G"}, {"cleanOffset", "true"}}));
  ASSERT_TRUE(d5.ok());
  EXPECT_TRUE(d5->removes_offsets());  // RocketMQ 5's name for it
  auto keep = DeleteSubscriptionGroupRequestHeader::decode(with_fields({{"groupName", "G"}}));
  ASSERT_TRUE(keep.ok());
  EXPECT_FALSE(keep->removes_offsets());

  c = RemotingCommand::request(0);
  GetConsumeStatsRequestHeader{.consumer_group = "G", .topic = std::nullopt}.encode(c);
  EXPECT_FALSE(c.ext_fields.count("topic"));
  c = RemotingCommand::request(0);
  ViewBrokerStatsDataRequestHeader{.stats_name = "TOPIC_PUT_NUMS", .stats_key = "T"}.encode(c);
  EXPECT_EQ(field(c, "statsName"), "TOPIC_PUT_NUMS");
  EXPECT_EQ(field(c, "statsKey"), "T");
  c = RemotingCommand::request(0);
  GetProducerConnectionListRequestHeader{"PG"}.encode(c);
  EXPECT_EQ(field(c, "producerGroup"), "PG");
  c = RemotingCommand::request(0);
  QueryMessageResponseHeader{.index_last_update_timestamp = 5, .index_last_update_phyoffset = 7}.encode(c);
  EXPECT_EQ(field(c, "indexLastUpdatePhyoffset"), "7");
  EXPECT_EQ(QueryMessageResponseHeader::decode(c)->index_last_update_timestamp, 5);
}

TEST(AdminHeaders, WritePermAnswersCountUnderTheRequestsName) {
  RemotingCommand wipe = RemotingCommand::request(0);
  BrokerPermResponseHeader{3}.encode(wipe, request_code::kWipeWritePermOfBroker);
  EXPECT_EQ(field(wipe, "wipeTopicCount"), "3");
  RemotingCommand add = RemotingCommand::request(0);
  BrokerPermResponseHeader{4}.encode(add, request_code::kAddWritePermOfBroker);
  EXPECT_EQ(field(add, "addTopicCount"), "4");
  EXPECT_EQ(BrokerPermResponseHeader::decode(add, request_code::kAddWritePermOfBroker)->topic_count, 4);
  EXPECT_FALSE(BrokerPermResponseHeader::decode(add, request_code::kWipeWritePermOfBroker).ok());
}

}  // namespace
}  // namespace rmq::remoting
