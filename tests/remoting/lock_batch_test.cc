// LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies as Java clients send them, and the
// bad ones a broker must refuse with a reason.
#include <gtest/gtest.h>

#include "remoting/lock_batch.h"

namespace rmq::remoting {
namespace {

TEST(LockBatch, JavaRequestDecodes) {
  // LockBatchRequestBody as fastjson writes it (mqSet is a HashSet).
  auto r = decode_lock_batch_request(
      R"({"clientId":"10.0.0.9@12345","consumerGroup":"CG","mqSet":[{"brokerName":"broker-a","queueId":1,)"
      R"("topic":"T"},{"brokerName":"broker-a","queueId":"0","topic":"T","extra":true}],"onlyThisBroker":true})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->client_id, "10.0.0.9@12345");
  EXPECT_EQ(r->consumer_group, "CG");
  EXPECT_TRUE(r->only_this_broker);
  ASSERT_EQ(r->mqs.size(), 2u);
  EXPECT_EQ(r->mqs[0], (LockQueue{"T", "broker-a", 1}));
  EXPECT_EQ(r->mqs[1].queue_id, 0);  // a number as a string
  EXPECT_EQ(r->mqs[1].key(), "T@broker-a@0");
}

TEST(LockBatch, BadRequestsAreErrorsThatSayWhy) {
  struct Case {
    const char* body;
    const char* says;
  };
  for (const Case& c : {Case{"[]", "not an object"}, Case{R"({"consumerGroup":"CG"})", "clientId"},
                        Case{R"({"clientId":"c","consumerGroup":"CG","mqSet":{}})", "not an array"},
                        Case{R"({"clientId":"c","consumerGroup":"CG","mqSet":[1]})", "not an object"},
                        Case{R"({"clientId":"c","consumerGroup":"CG","mqSet":[{"topic":"T","queueId":-1}]})", "queueId"},
                        Case{R"({"clientId":"c","consumerGroup":"CG","mqSet":[{"topic":"T","queueId":4294967296}]})",
                             "queueId"},
                        Case{R"({"clientId":"c","consumerGroup":"CG","mqSet":[{"queueId":1}]})", "topic"}}) {
    auto r = decode_lock_batch_request(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code(), rt::Errc::invalid_argument) << c.body;
    EXPECT_NE(r.error().message().find(c.says), std::string::npos) << c.body << ": " << r.error().message();
  }
  EXPECT_FALSE(decode_lock_batch_request("{not json").ok());
  EXPECT_FALSE(decode_lock_batch_response(R"({"lockOKMQSet":"x"})").ok());
}

TEST(LockBatch, RoundTrips) {
  LockBatchRequest r{"CG", "c@1", false, {{"T", "b", 0}, {"%RETRY%CG", "b", 7}}};
  auto again = decode_lock_batch_request(encode_lock_batch_request(r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, r);
  std::vector<LockQueue> locked{{"T", "b", 3}};
  auto answer = decode_lock_batch_response(encode_lock_batch_response(locked));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(*answer, locked);
  auto none = decode_lock_batch_response(R"({})");  // nothing locked
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace rmq::remoting
