// HeartbeatData as Java, rocketmq-client-cpp and ali-ons send it.
#include <gtest/gtest.h>

#include "common/java_hash.h"
#include "remoting/heartbeat.h"

namespace rmq::remoting {
namespace {

TEST(Heartbeat, JavaBodyFromTheReferenceDecodes) {
  const std::string java =
      R"({"clientID":"10.0.0.9@12345#987654321","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",)"
      R"("consumeType":"CONSUME_PASSIVELY","groupName":"cg1","messageModel":"CLUSTERING","subscriptionDataSet":[)"
      R"({"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,)"
      R"("tagsSet":["TagA"],"topic":"TopicTest"},{"classFilterMode":false,"codeSet":[],"expressionType":"TAG",)"
      R"("subString":"*","subVersion":1700000000001,"tagsSet":[],"topic":"%RETRY%cg1"}],"unitMode":false}],)"
      R"("producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"},{"groupName":"pg1"}],"heartbeatFingerprint":0,"withoutSub":false})";
  auto h = decode_heartbeat(java);
  ASSERT_TRUE(h.ok()) << h.error().message();
  EXPECT_EQ(h->client_id, "10.0.0.9@12345#987654321");
  EXPECT_EQ(h->producer_groups, (std::vector<std::string>{"CLIENT_INNER_PRODUCER", "pg1"}));
  ASSERT_EQ(h->consumers.size(), 1u);
  const auto& c = h->consumers[0];
  EXPECT_EQ(c.message_model, MessageModel::clustering);
  ASSERT_EQ(c.subscriptions.size(), 2u);
  EXPECT_EQ(c.subscriptions[0].code_set, (std::set<int32_t>{2598919}));
  EXPECT_EQ(c.subscriptions[1].topic, "%RETRY%cg1");
  EXPECT_TRUE(c.subscriptions[1].tags_set.empty());
}

TEST(Heartbeat, CppOrdinalsStringVersionsAndWrongCodesAreNormalized) {
  const std::string cpp =
      R"({"clientID":"c","consumerDataSet":[{"consumeFromWhere":4,"consumeType":1,"groupName":"g","messageModel":0,)"
      R"("subscriptionDataSet":[{"codeSet":[12],"subString":"a||b","subVersion":"1700000000000","tagsSet":["a","b"],"topic":"T"}]}],)"
      R"("producerDataSet":[]})";
  auto h = decode_heartbeat(cpp);
  ASSERT_TRUE(h.ok()) << h.error().message();
  const auto& c = h->consumers.at(0);
  EXPECT_EQ(c.consume_type, ConsumeType::passively);
  EXPECT_EQ(c.message_model, MessageModel::broadcasting);
  EXPECT_EQ(c.consume_from_where, ConsumeFromWhere::first_offset);
  const auto& s = c.subscriptions.at(0);
  EXPECT_EQ(s.sub_version, 1700000000000);
  EXPECT_EQ(s.expression_type, "TAG");
  EXPECT_EQ(s.code_set, (std::set<int32_t>{common::java_string_hash("a"), common::java_string_hash("b")}));
}

TEST(Heartbeat, MalformedBodiesAreErrors) {
  EXPECT_FALSE(decode_heartbeat("[]").ok());
  EXPECT_FALSE(decode_heartbeat(R"({"consumerDataSet":[]})").ok());  // no clientID
  EXPECT_FALSE(decode_heartbeat(R"({"clientID":"c","consumerDataSet":[{"groupName":"g","messageModel":"NOPE"}]})").ok());
  EXPECT_FALSE(decode_heartbeat(R"({"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{}]}]})").ok());
}

TEST(Heartbeat, EncodeDecodeRoundTrip) {
  HeartbeatData h;
  h.client_id = "127.0.0.1@1";
  h.producer_groups = {"pg"};
  ConsumerData c;
  c.group_name = "cg";
  c.message_model = MessageModel::broadcasting;
  SubscriptionData s;
  s.topic = "T";
  s.sub_string = "x || y";
  s.tags_set = parse_tag_expression(s.sub_string);
  c.subscriptions.push_back(s);
  h.consumers.push_back(c);
  auto back = decode_heartbeat(encode_heartbeat(h));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->consumers.at(0).subscriptions.at(0).tags_set, (std::set<std::string>{"x", "y"}));
  EXPECT_EQ(back->consumers.at(0).message_model, MessageModel::broadcasting);
}

TEST(TagExpression, ParsesAllAndAlternatives) {
  EXPECT_TRUE(parse_tag_expression("*").empty());
  EXPECT_TRUE(parse_tag_expression(" ").empty());
  EXPECT_EQ(parse_tag_expression("a || b ||c"), (std::set<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace rmq::remoting
