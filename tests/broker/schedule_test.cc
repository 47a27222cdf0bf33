// Delay levels over the wire (reference 8.5): a message sent with DELAY=L is
// parked in SCHEDULE_TOPIC_XXXX and delivered to its own queue once its
// level's delay has passed — never before, in order, across crashes,
// restarts and (under SYNC_FLUSH) power loss.
#include <gtest/gtest.h>

#include <map>

#include "store/config_files.h"
#include "tests/broker/broker_test_util.h"

namespace rmq::broker {
namespace {

using namespace test_util;

RemotingCommand send_delayed(remoting::RpcClient& c, const std::string& addr, const std::string& topic, int32_t queue,
                             const std::string& body, const std::string& level) {
  return send(c, addr, topic, queue, body, "TagA", 0, {{"DELAY", level}});
}

// Every message of `topic` queue `q`, waiting up to `limit` for `want` of them.
std::vector<common::StoredMessage> drain(rt::Runtime& rt, remoting::RpcClient& c, const std::string& addr,
                                         const std::string& topic, int32_t q, size_t want, rt::Duration limit) {
  std::vector<common::StoredMessage> got;
  const rt::Instant until = rt.now() + limit;
  while (got.size() < want && rt.now() < until) {
    auto p = pull(c, addr, "G", topic, q, static_cast<int64_t>(got.size()), 6, 1000);
    for (auto& m : records(p)) got.push_back(std::move(m));
  }
  return got;
}

TEST(Schedule, ADelayedMessageArrivesAfterItsLevelsDelayNotBefore) {
  Cluster k(21);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 2, 2).code, rs::kSuccess);
    const rt::Instant sent = rt.now();
    auto s = send_delayed(c, k.broker_addr, "T", 1, "later", "2");  // level 2: 5 s
    ASSERT_EQ(s.code, rs::kSuccess) << s.remark.value_or("");
    EXPECT_EQ(header_int(s, "queueId"), 1);      // the queue it was sent to
    EXPECT_EQ(header_int(s, "queueOffset"), 0);  // its offset in SCHEDULE_TOPIC_XXXX queue 1
    // Held pulls answer nothing for almost five seconds.
    auto early = pull(c, k.broker_addr, "G", "T", 1, 0, 6, 4900);
    EXPECT_EQ(early.code, rs::kPullNotFound);
    // Then it comes, filtered by its tag (the tags code is recomputed).
    RemotingCommand got;
    do got = pull(c, k.broker_addr, "G", "T", 1, 0, 6, 15000, "TagA");
    while (got.code == rs::kPullNotFound);
    const rt::Duration waited = rt.now() - sent;
    EXPECT_GE(waited, 5s);
    EXPECT_LT(waited, 5100ms);
    ASSERT_EQ(got.code, rs::kSuccess);
    auto ms = records(got);
    ASSERT_EQ(ms.size(), 1u);
    EXPECT_EQ(text(ms[0].body), "later");
    EXPECT_EQ(ms[0].topic, "T");
    EXPECT_EQ(ms[0].queue_id, 1);
    auto props = common::decode_properties(ms[0].properties);
    EXPECT_EQ(props.count("DELAY"), 0u);
    EXPECT_EQ(props["REAL_TOPIC"], "T");
    EXPECT_EQ(props["REAL_QID"], "1");
    EXPECT_EQ(props["WAIT"], "false");
    EXPECT_EQ(props["UNIQ_KEY"], "Ulater");
    // The parked copy was stored when sent; the delivered one 5 s later.
    auto parked = c.invoke(k.broker_addr, [&] {
      auto req = RemotingCommand::request(rc::kViewMessageById);
      remoting::put_field(req, "offset", common::parse_offset_msg_id(s.field("msgId").value_or(""))->commit_log_offset);
      return req;
    }(), 5s);
    ASSERT_TRUE(parked.ok());
    auto p = records(*parked);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].topic, "SCHEDULE_TOPIC_XXXX");
    EXPECT_EQ(p[0].queue_id, 1);
    EXPECT_GE(ms[0].store_timestamp - p[0].store_timestamp, 5000);
    auto info = runtime_info(c, k.broker_addr);
    EXPECT_EQ(info["scheduleMessageOffset_2"], "1,1");
    EXPECT_EQ(info["scheduleMessageDelay_2"], "5000");
  });
}

TEST(Schedule, LevelsAboveTheLastAreClampedAndABadLevelIsRefused) {
  Cluster k(22, [](BrokerConfig& cfg) { cfg.store.delay_level_ms = {1'000, 2'000}; });
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "far", "99").code, rs::kSuccess);
    rt.sleep_for(10ms);  // dispatched to its queue
    EXPECT_EQ(runtime_info(c, k.broker_addr)["scheduleMessageOffset_2"], "0,1");  // the last level's queue
    auto bad = send_delayed(c, k.broker_addr, "T", 0, "when", "soon");
    EXPECT_EQ(bad.code, rs::kMessageIllegal);
    EXPECT_NE(bad.remark.value_or("").find("DELAY"), std::string::npos) << bad.remark.value_or("");
    // Level 0 or below: not delayed.
    ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "now", "0").code, rs::kSuccess);
    auto now = pull(c, k.broker_addr, "G", "T", 0, 0, 6, 100);
    ASSERT_EQ(records(now).size(), 1u);
    EXPECT_EQ(text(records(now)[0].body), "now");
    auto far = drain(rt, c, k.broker_addr, "T", 0, 2, 10s);
    ASSERT_EQ(far.size(), 2u);
    EXPECT_EQ(text(far[1].body), "far");
  });
}

TEST(Schedule, EachLevelDeliversInOrderAndLevelsDoNotWaitForEachOther) {
  Cluster k(23);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "slow", "3").code, rs::kSuccess);  // 10 s
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "fast" + std::to_string(i), "1").code, rs::kSuccess);  // 1 s
    auto got = drain(rt, c, k.broker_addr, "T", 0, 6, 20s);
    ASSERT_EQ(got.size(), 6u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(text(got[static_cast<size_t>(i)].body), "fast" + std::to_string(i));
    EXPECT_EQ(text(got[5].body), "slow");
  });
}

TEST(Schedule, AWallClockSteppingBackNeverMakesADeliveryEarly) {
  Cluster k(28);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    const rt::Instant sent = rt.now();
    ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "stepped", "2").code, rs::kSuccess);  // 5 s
    rt.sleep_for(500ms);
    k.sim.node(k.broker_node).clock().skew_ms = -1000;  // the broker's clock steps back 1 s
    auto got = drain(rt, c, k.broker_addr, "T", 0, 1, 20s);
    ASSERT_EQ(got.size(), 1u);
    // 5 s by the broker's clock: 6 s of real time, never sooner.
    EXPECT_GE(rt.now() - sent, 6s);
    EXPECT_LT(rt.now() - sent, 7s);
  });
}

TEST(Schedule, ProgressSurvivesACrashAndAMessageDueWhileDownComesAtRestart) {
  Cluster k(24);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "a", "1").code, rs::kSuccess);  // 1 s
    ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "b", "4").code, rs::kSuccess);  // 30 s
    ASSERT_EQ(drain(rt, c, k.broker_addr, "T", 0, 1, 5s).size(), 1u);
    rt.sleep_for(11s);  // the progress is saved every 10 s
  });
  k.sim.crash(k.broker_node);
  k.sim.run_for(30s);  // b falls due while the broker is down
  k.sim.start(k.broker_node);
  ASSERT_TRUE(k.sim.run_until([&] { return k.broker != nullptr; }, 10s));
  const rt::Instant restarted = k.sim.now();
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto got = drain(rt, c, k.broker_addr, "T", 0, 2, 10s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(text(got[0].body), "a");
    EXPECT_EQ(text(got[1].body), "b");
    EXPECT_LT(rt.now() - restarted, 2s);  // promptly after the restart
    // a is not delivered again: its level's progress was saved.
    rt.sleep_for(3s);
    auto p = pull(c, k.broker_addr, "G", "T", 0, 2, 6, 100);
    EXPECT_EQ(p.code, rs::kPullNotFound);
  });
}

TEST(Schedule, ADeliveryNotYetSavedIsRepeatedAfterACrashNeverLost) {
  Cluster k(25);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    rt.sleep_for(12s);  // the progress is saved at 10 s and 20 s after the start
    ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "x", "1").code, rs::kSuccess);
    ASSERT_EQ(drain(rt, c, k.broker_addr, "T", 0, 1, 5s).size(), 1u);  // delivered at ~10 s, saved at 20 s
  });
  k.sim.crash(k.broker_node);  // before the save
  k.sim.start(k.broker_node);
  ASSERT_TRUE(k.sim.run_until([&] { return k.broker != nullptr; }, 10s));
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    // RocketMQ's at-least-once: the delivery is repeated, as a second copy.
    auto got = drain(rt, c, k.broker_addr, "T", 0, 2, 5s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(text(got[0].body), "x");
    EXPECT_EQ(text(got[1].body), "x");
    EXPECT_NE(got[0].physical_offset, got[1].physical_offset);
  });
}

TEST(Schedule, AcknowledgedDelayedMessagesSurvivePowerLossUnderSyncFlush) {
  Cluster k(26, [](BrokerConfig& cfg) { cfg.store.flush_disk_type = store::FlushDiskType::sync_flush; });
  std::vector<std::string> acked;
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    for (int i = 0; i < 30; ++i) {
      const std::string body = "m" + std::to_string(i);
      if (send_delayed(c, k.broker_addr, "T", 0, body, std::to_string(1 + i % 3)).code == rs::kSuccess)
        acked.push_back(body);
      rt.sleep_for(100ms);
    }
  });
  ASSERT_EQ(acked.size(), 30u);
  // Power goes while the first levels are being delivered, and again later.
  k.sim.power_loss(k.broker_node);
  k.sim.start(k.broker_node);
  ASSERT_TRUE(k.sim.run_until([&] { return k.broker != nullptr; }, 10s));
  k.sim.run_for(1500ms);
  k.sim.power_loss(k.broker_node);
  k.sim.start(k.broker_node);
  ASSERT_TRUE(k.sim.run_until([&] { return k.broker != nullptr; }, 10s));
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    auto got = drain(rt, c, k.broker_addr, "T", 0, 1000, 20s);  // everything there is (duplicates allowed)
    std::set<std::string> seen;
    for (const auto& m : got) seen.insert(text(m.body));
    for (const auto& b : acked) EXPECT_TRUE(seen.count(b)) << b << " was acknowledged and is lost";
  });
}

TEST(Schedule, DelayOffsetsAreReportedInRocketMqsShape) {
  Cluster k(27);
  k.client([&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    ASSERT_EQ(create_topic(c, k.broker_addr, "T", 1, 1).code, rs::kSuccess);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(send_delayed(c, k.broker_addr, "T", 0, "d", "1").code, rs::kSuccess);
    ASSERT_EQ(drain(rt, c, k.broker_addr, "T", 0, 3, 5s).size(), 3u);
    auto r = c.invoke(k.broker_addr, RemotingCommand::request(rc::kGetAllDelayOffset), 5s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(text(r->body).find("{\"offsetTable\":{1:3,2:0,"), 0u) << text(r->body);
    auto t = store::decode_delay_offsets(text(r->body));
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->offset_table.size(), 18u);
    EXPECT_EQ(t->offset_table.at(1), 3);
  });
}

}  // namespace
}  // namespace rmq::broker
