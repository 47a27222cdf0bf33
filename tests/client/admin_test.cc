// client::Admin's group operations against a namesrv and a broker in the
// simulator, as an operator's program uses them (rmq-admin's group family
// is built on them): consume stats, connections, deleting a group with its
// offsets, and resetting offsets by time, offline and online.
#include <gtest/gtest.h>

#include "client/admin.h"
#include "client/producer.h"
#include "client/push_consumer.h"
#include "tests/client/client_test_util.h"

namespace rmq::client {
namespace {

using namespace test_util;

// Ten messages in each of T's two queues, acknowledged.
void fill(Producer& p) {
  for (int32_t q = 0; q < 2; ++q)
    for (int i = 0; i < 10; ++i)
      ASSERT_TRUE(p.send_to_queue({.topic = "T", .body = "m" + std::to_string(i)}, {"T", "broker-a", q}).ok());
}

int64_t offset_of(Admin& admin, const std::string& addr, const std::string& group, int32_t q) {
  auto stats = admin.consume_stats(addr, group, "T");
  EXPECT_TRUE(stats.ok()) << (stats ? "" : stats.error().message);
  if (!stats) return -2;
  for (const auto& s : stats->queues)
    if (s.mq.queue_id == q) return s.consumer_offset;
  return -3;
}

TEST(Admin, ResetOffsetByTimeSetsAnOfflineGroupsOffsetsItself) {
  Cluster k(31);
  k.client("ops", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "ops"));
    mq.start();
    k.create_topic(mq, "T", 2);
    Producer p(mq, {.group = "PG"});
    fill(p);
    Admin admin(mq);
    const std::string broker = k.cfg.address();
    for (int32_t q = 0; q < 2; ++q) ASSERT_TRUE(admin.update_consumer_offset(broker, "G", {"T", "broker-a", q}, 10).ok());
    EXPECT_EQ(offset_of(admin, broker, "G", 0), 10);

    // Back to the start (every message is stored after 0 ms): no member is
    // online, so the offsets are set here, from the consume stats.
    auto back = admin.reset_offset_by_time("T", "G", 0, /*force=*/true);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_FALSE(back->online);
    ASSERT_EQ(back->queues.size(), 2u);
    for (const auto& q : back->queues) {
      EXPECT_EQ(q.broker_offset, 10);
      EXPECT_EQ(q.consumer_offset, 10);
      EXPECT_EQ(q.time_offset, 0);
      EXPECT_EQ(q.offset, 0);
    }
    EXPECT_EQ(offset_of(admin, broker, "G", 0), 0);
    EXPECT_EQ(offset_of(admin, broker, "G", 1), 0);
    // To the end without force: an offset only moves back, so it stays.
    auto forward = admin.reset_offset_by_time("T", "G", -1, /*force=*/false);
    ASSERT_TRUE(forward.ok());
    for (const auto& q : forward->queues) {
      EXPECT_EQ(q.time_offset, 10);
      EXPECT_EQ(q.offset, 0);
    }
    EXPECT_EQ(offset_of(admin, broker, "G", 0), 0);
    // With force it moves forward too.
    ASSERT_TRUE(admin.reset_offset_by_time("T", "G", -1, /*force=*/true).ok());
    EXPECT_EQ(offset_of(admin, broker, "G", 1), 10);
    // A topic without a route is an error naming it, not an empty reset.
    auto none = admin.reset_offset_by_time("Nowhere", "G", 0, true);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("TOPIC_NOT_EXIST"), std::string::npos) << none.error().message;
  });
}

TEST(Admin, ResetOffsetByTimeHasOnlineMembersResetThemselves) {
  Cluster k(32);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 2);
    Producer p(mq, {.group = "PG"});
    fill(p);
    int received = 0;
    PushConsumer c(mq, {.group = "G", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    c.start([&](const ReceivedMessage&) {
      ++received;
      return ConsumeResult::success;
    });
    for (int i = 0; i < 100 && received < 20; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(received, 20);
    rt.sleep_for(6s);  // the consumer commits its offsets

    Admin admin(mq);
    auto back = admin.reset_offset_by_time("T", "G", 0, /*force=*/true);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back->online);
    ASSERT_EQ(back->queues.size(), 2u);
    for (const auto& q : back->queues) EXPECT_EQ(q.offset, 0);
    // The member was told and consumes everything again.
    for (int i = 0; i < 300 && received < 40; ++i) rt.sleep_for(100ms);
    EXPECT_EQ(received, 40);

    // Its connection as the broker sees it.
    auto conns = admin.consumer_connections(k.cfg.address(), "G");
    ASSERT_TRUE(conns.ok()) << conns.error().message;
    ASSERT_EQ(conns->connections.size(), 1u);
    EXPECT_EQ(conns->connections[0].client_id, mq.client_id());
    EXPECT_EQ(conns->subscriptions.at("T"), "*");
    EXPECT_EQ(conns->message_model, "CLUSTERING");
    auto producers = admin.producer_connections(k.cfg.address(), "PG");
    ASSERT_TRUE(producers.ok()) << producers.error().message;
    EXPECT_EQ(producers->connections.size(), 1u);
    c.shutdown();
  });
}

TEST(Admin, DeletingAGroupWithItsOffsetsForgetsThemAndWithoutKeepsThem) {
  Cluster k(33);
  k.client("ops", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "ops"));
    mq.start();
    k.create_topic(mq, "T", 2);
    Producer p(mq, {.group = "PG"});
    fill(p);
    Admin admin(mq);
    const std::string broker = k.cfg.address();
    for (const std::string g : {"Keep", "Drop"}) {
      ASSERT_TRUE(admin.create_subscription_group(broker, R"({"groupName":")" + g + R"(","retryMaxTimes":3})").ok());
      ASSERT_TRUE(admin.update_consumer_offset(broker, g, {"T", "broker-a", 0}, 7).ok());
    }
    ASSERT_TRUE(admin.delete_subscription_group(broker, "Keep", /*remove_offsets=*/false).ok());
    ASSERT_TRUE(admin.delete_subscription_group(broker, "Drop", /*remove_offsets=*/true).ok());
    EXPECT_EQ(offset_of(admin, broker, "Keep", 0), 7);
    EXPECT_EQ(offset_of(admin, broker, "Drop", 0), 0);  // none any more
    // The group's stored config is gone with it.
    auto all = admin.ask_broker(broker, remoting::RemotingCommand::request(rc::kGetAllSubscriptiongroupConfig));
    ASSERT_TRUE(all.ok());
    const std::string text(reinterpret_cast<const char*>(all->body.data()), all->body.size());
    EXPECT_EQ(text.find("\"Drop\""), std::string::npos);
    EXPECT_EQ(text.find("\"Keep\""), std::string::npos);
    // A broker that is not there: an error naming its address.
    auto gone = admin.consume_stats("10.9.9.9:10911", "Keep", "T");
    ASSERT_FALSE(gone.ok());
    EXPECT_NE(gone.error().message.find("10.9.9.9:10911"), std::string::npos) << gone.error().message;
  });
}

}  // namespace
}  // namespace rmq::client
