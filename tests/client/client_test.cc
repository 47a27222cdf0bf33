// The C++ client against a namesrv and a broker in the simulator, used the
// way an application uses it: producers, push consumers (clustering and
// broadcasting), retries, ordering by key, namesrv failover.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "broker/broker.h"
#include "client/producer.h"
#include "common/atomic_file.h"
#include "client/pull_consumer.h"
#include "client/push_consumer.h"
#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "sim/disk.h"
#include "sim/simulation.h"
#include "tests/client/client_test_util.h"

namespace rmq::client {
namespace {

using namespace test_util;

TEST(Client, ProducedMessagesReachAClusteringConsumerExactlyOnceAndIntact) {
  Cluster k(1);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 4);
    Producer p(mq, {.group = "PG"});
    std::map<std::string, SendResult> sent;
    for (int i = 0; i < 60; ++i) {
      auto r = p.send({.topic = "T", .tags = i % 2 ? "odd" : "even", .keys = "k" + std::to_string(i), .body = body_for(i)});
      ASSERT_TRUE(r.ok()) << r.error;
      EXPECT_EQ(r.msg_id.size(), 32u);
      sent[body_for(i)] = r;
    }
    std::set<int32_t> queues;
    for (const auto& [b, r] : sent) queues.insert(r.queue.queue_id);
    EXPECT_EQ(queues.size(), 4u);  // round robin over the queues
    std::map<std::string, int> got;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T", "*");
    c.start([&](const ReceivedMessage& m) {
      ++got[m.body];
      auto it = sent.find(m.body);
      EXPECT_NE(it, sent.end());
      if (it != sent.end()) {
        EXPECT_EQ(m.msg_id, it->second.msg_id);
        EXPECT_EQ(m.queue.queue_id, it->second.queue.queue_id);
        EXPECT_EQ(m.queue_offset, it->second.queue_offset);
        EXPECT_EQ(m.offset_msg_id, it->second.offset_msg_id);
      }
      return ConsumeResult::success;
    });
    for (int i = 0; i < 300 && got.size() < sent.size(); ++i) rt.sleep_for(100ms);
    rt.sleep_for(2s);
    EXPECT_EQ(got.size(), sent.size());
    for (const auto& [b, n] : got) EXPECT_EQ(n, 1) << b.substr(0, 10);
    c.shutdown();
    mq.stop();
  });
}

TEST(Client, TwoMembersSplitTheQueuesAndTheSurvivorTakesThemAll) {
  Cluster k(2);
  std::vector<MessageQueue> a_first, b_first, a_after;
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient ma(rt, client_config(k, ip, "a"));
    MqClient mb(rt, client_config(k, ip, "b"));
    ma.start();
    mb.start();
    k.create_topic(ma, "T", 4);
    PushConsumer a(ma, {.group = "CG"});
    PushConsumer b(mb, {.group = "CG"});
    a.subscribe("T");
    b.subscribe("T");
    auto ok = [](const ReceivedMessage&) { return ConsumeResult::success; };
    a.start(ok);
    b.start(ok);
    rt.sleep_for(3s);
    a.rebalance();
    b.rebalance();
    for (const auto& q : a.owned_queues())
      if (q.topic == "T") a_first.push_back(q);
    for (const auto& q : b.owned_queues())
      if (q.topic == "T") b_first.push_back(q);
    b.shutdown();  // unregisters: the broker tells a, which rebalances
    rt.sleep_for(2s);
    for (const auto& q : a.owned_queues())
      if (q.topic == "T") a_after.push_back(q);
    a.shutdown();
  });
  EXPECT_EQ(a_first.size(), 2u);
  EXPECT_EQ(b_first.size(), 2u);
  std::set<MessageQueue> both(a_first.begin(), a_first.end());
  both.insert(b_first.begin(), b_first.end());
  EXPECT_EQ(both.size(), 4u);  // no queue owned twice
  EXPECT_EQ(a_after.size(), 4u);
}

TEST(Client, AFailedMessageComesBackThroughTheRetryTopicOnRocketMqsSchedule) {
  Cluster k(3);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    ASSERT_TRUE(p.send({.topic = "T", .body = "fails twice"}).ok());
    // From now on the namesrv is 300 ms away from the broker: a registration
    // sent in the background would reach it after the consumer's first
    // rebalance asked for the retry topic's route.
    k.sim.clog(k.broker_node, k.namesrv_nodes[0], 300ms);
    struct Attempt {
      int32_t reconsume_times;
      rt::Instant at;
      std::string topic, msg_id;
    };
    std::vector<Attempt> attempts;
    // A group the broker has never seen: its retry topic is created by the
    // consumer's first heartbeat, and must be routable right after it.
    PushConsumer c(mq, {.group = "CG-new", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    const rt::Instant started = rt.now();
    c.start([&](const ReceivedMessage& m) {
      attempts.push_back({m.reconsume_times, rt.now(), m.topic, m.msg_id});
      return attempts.size() < 3 ? ConsumeResult::reconsume_later : ConsumeResult::success;
    });
    for (int i = 0; i < 1200 && attempts.size() < 3; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(attempts.size(), 3u);
    EXPECT_EQ(attempts[0].reconsume_times, 0);
    EXPECT_EQ(attempts[1].reconsume_times, 1);
    EXPECT_EQ(attempts[2].reconsume_times, 2);
    // At once, then level 3 (10 s), then level 4 (30 s) after each failure.
    EXPECT_LT(attempts[0].at - started, 2s);
    EXPECT_GE(attempts[1].at - attempts[0].at, 10s);
    EXPECT_LT(attempts[1].at - attempts[0].at, 11s);
    EXPECT_GE(attempts[2].at - attempts[1].at, 30s);
    EXPECT_LT(attempts[2].at - attempts[1].at, 31s);
    for (const auto& a : attempts) {
      EXPECT_EQ(a.topic, "T");  // restored from RETRY_TOPIC
      EXPECT_EQ(a.msg_id, attempts[0].msg_id);
    }
    c.shutdown();
  });
}

TEST(Client, ADelayLevelHoldsAMessageBackForItsDelay) {
  Cluster k(4);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 2);
    Producer p(mq, {.group = "PG"});
    std::map<std::string, rt::Instant> arrived;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      arrived[m.body] = rt.now();
      return ConsumeResult::success;
    });
    rt.sleep_for(1s);
    const rt::Instant sent = rt.now();
    ASSERT_TRUE(p.send({.topic = "T", .body = "now"}).ok());
    ASSERT_TRUE(p.send({.topic = "T", .body = "in 5 s", .delay_level = 2}).ok());
    ASSERT_TRUE(p.send({.topic = "T", .body = "in 10 s", .delay_level = 3}).ok());
    EXPECT_FALSE(p.send_batch({{.topic = "T", .body = "x", .delay_level = 1}}).ok());  // RocketMQ refuses it too
    for (int i = 0; i < 200 && arrived.size() < 3; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(arrived.size(), 3u);
    EXPECT_LT(arrived["now"] - sent, 1s);
    EXPECT_GE(arrived["in 5 s"] - sent, 5s);
    EXPECT_LT(arrived["in 5 s"] - sent, 6s);
    EXPECT_GE(arrived["in 10 s"] - sent, 10s);
    EXPECT_LT(arrived["in 10 s"] - sent, 11s);
    c.shutdown();
  });
}

TEST(Client, ABatchIsStoredAsItsMessagesInOrderOnOneQueue) {
  Cluster k(4);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 2);
    Producer p(mq, {.group = "PG"});
    std::vector<ReceivedMessage> got;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      got.push_back(m);
      return ConsumeResult::success;
    });
    rt.sleep_for(1s);
    const SendResult r = p.send_batch({{.topic = "T", .tags = "a", .keys = "k0", .body = "first"},
                                       {.topic = "T", .body = "", .properties = {{"P", "v"}}},
                                       {.topic = "T", .tags = "c", .keys = "k2 k3", .body = "third"}});
    ASSERT_TRUE(r.ok()) << r.error;
    // A message whose properties do not fit the record's i16 length is
    // refused before anything is sent.
    const SendResult big = p.send_batch({{.topic = "T", .body = "x", .properties = {{"P", std::string(40000, 'v')}}}});
    EXPECT_FALSE(big.ok());
    EXPECT_NE(big.error.find("properties take"), std::string::npos) << big.error;
    for (int i = 0; i < 100 && got.size() < 3; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(got.size(), 3u);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].queue, r.queue);
      EXPECT_EQ(got[i].queue_offset, r.queue_offset + static_cast<int64_t>(i));
    }
    EXPECT_EQ(got[0].body, "first");
    EXPECT_EQ(got[0].tags, "a");
    EXPECT_EQ(got[0].keys, "k0");
    EXPECT_EQ(got[0].msg_id, r.msg_id);
    EXPECT_EQ(got[1].body, "");
    EXPECT_EQ(got[1].properties.at("P"), "v");
    EXPECT_EQ(got[2].body, "third");
    EXPECT_EQ(got[2].keys, "k2 k3");
    c.shutdown();
  });
}

TEST(Client, SameKeySameQueueInSendOrder) {
  Cluster k(4);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 4);
    Producer p(mq, {.group = "PG"});
    std::map<std::string, std::set<int32_t>> queue_of;
    std::map<std::string, std::vector<std::string>> order;
    for (int i = 0; i < 40; ++i) {
      const std::string key = "order-" + std::to_string(i % 3);
      const std::string body = key + "#" + std::to_string(i);
      auto r = p.send_by_key({.topic = "T", .body = body}, key);
      ASSERT_TRUE(r.ok()) << r.error;
      queue_of[key].insert(r.queue.queue_id);
      order[key].push_back(body);
    }
    for (const auto& [key, qs] : queue_of) EXPECT_EQ(qs.size(), 1u) << key;
    std::map<std::string, std::vector<std::string>> got;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    size_t n = 0;
    c.start([&](const ReceivedMessage& m) {
      got[m.body.substr(0, m.body.find('#'))].push_back(m.body);
      ++n;
      return ConsumeResult::success;
    });
    for (int i = 0; i < 300 && n < 40; ++i) rt.sleep_for(100ms);
    EXPECT_EQ(got, order);
    c.shutdown();
  });
}

TEST(Client, BroadcastingMembersEachGetEveryMessage) {
  Cluster k(5);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient ma(rt, client_config(k, ip, "a"));
    MqClient mb(rt, client_config(k, ip, "b"));
    ma.start();
    mb.start();
    k.create_topic(ma, "T", 2);
    std::set<std::string> got_a, got_b;
    PushConsumer a(ma, {.group = "BG", .model = remoting::MessageModel::broadcasting,
                        .consume_from = ConsumeFrom::first_offset, .broadcast_offsets_path = "/client/a.offsets"});
    PushConsumer b(mb, {.group = "BG", .model = remoting::MessageModel::broadcasting,
                        .consume_from = ConsumeFrom::first_offset});
    a.subscribe("T");
    b.subscribe("T");
    a.start([&](const ReceivedMessage& m) { return got_a.insert(m.body), ConsumeResult::success; });
    b.start([&](const ReceivedMessage& m) { return got_b.insert(m.body), ConsumeResult::success; });
    Producer p(ma, {.group = "PG"});
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = body_for(i)}).ok());
    for (int i = 0; i < 300 && (got_a.size() < 20 || got_b.size() < 20); ++i) rt.sleep_for(100ms);
    EXPECT_EQ(got_a.size(), 20u);
    EXPECT_EQ(got_b.size(), 20u);
    a.shutdown();
    b.shutdown();
    // a's offsets were kept in its file.
    auto text = common::read_file(rt.fs(), "/client/a.offsets");
    ASSERT_TRUE(text.ok());
    EXPECT_NE(text->find("T broker-a 0 "), std::string::npos) << *text;
    // A member started again on that file goes on from it: only what was
    // sent since arrives, though it would consume from the first offset.
    std::set<std::string> again;
    PushConsumer a2(ma, {.group = "BG", .model = remoting::MessageModel::broadcasting,
                         .consume_from = ConsumeFrom::first_offset, .broadcast_offsets_path = "/client/a.offsets"});
    a2.subscribe("T");
    a2.start([&](const ReceivedMessage& m) { return again.insert(m.body), ConsumeResult::success; });
    ASSERT_TRUE(p.send({.topic = "T", .body = "after"}).ok());
    for (int i = 0; i < 100 && again.empty(); ++i) rt.sleep_for(100ms);
    rt.sleep_for(2s);
    EXPECT_EQ(again, std::set<std::string>{"after"});
    a2.shutdown();
  });
}

TEST(Client, OrderlyRetriesAFailedMessageInPlaceBeforeTheNextOne) {
  Cluster k(7);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = "m" + std::to_string(i)}).ok());
    struct Call {
      std::string body;
      int32_t reconsume_times;
      rt::Instant at;
    };
    std::vector<Call> calls;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset, .orderly = true});
    c.subscribe("T");
    int m2_failures = 0;
    c.start([&](const ReceivedMessage& m) {
      calls.push_back({m.body, m.reconsume_times, rt.now()});
      if (m.body == "m2" && m2_failures < 2) {
        ++m2_failures;
        return ConsumeResult::suspend_current_queue;
      }
      return ConsumeResult::success;
    });
    for (int i = 0; i < 300 && calls.size() < 7; ++i) rt.sleep_for(100ms);
    rt.sleep_for(2s);
    std::vector<std::string> bodies;
    for (const auto& call : calls) bodies.push_back(call.body);
    EXPECT_EQ(bodies, (std::vector<std::string>{"m0", "m1", "m2", "m2", "m2", "m3", "m4"}));
    ASSERT_EQ(calls.size(), 7u);
    EXPECT_EQ(calls[2].reconsume_times, 0);
    EXPECT_EQ(calls[3].reconsume_times, 1);
    EXPECT_EQ(calls[4].reconsume_times, 2);
    EXPECT_GE(calls[3].at - calls[2].at, 1s);  // suspend_current_queue
    EXPECT_LT(calls[3].at - calls[2].at, 2s);
    // The broker's lock on the queue is this member's: another client of
    // the group cannot take it.
    MqClient other(rt, client_config(k, ip, "other"));
    other.start();
    const MessageQueue q{"T", "broker-a", 0};
    auto locked = lock_queues(other, k.cfg.address(), "CG", {q});
    ASSERT_TRUE(locked.ok()) << locked.error().message();
    EXPECT_TRUE(locked->empty());
    c.shutdown();  // commits and unlocks
    locked = lock_queues(other, k.cfg.address(), "CG", {q});
    ASSERT_TRUE(locked.ok());
    EXPECT_EQ(locked->count(q), 1u);
    auto committed = committed_offset(other, k.cfg.address(), "CG", q);
    ASSERT_TRUE(committed.ok());
    EXPECT_EQ(*committed, 5);
    other.stop();
  });
}

TEST(Client, OrderlyGivesUpAfterMaxReconsumeTimesToTheDlq) {
  Cluster k(8);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    ASSERT_TRUE(p.send({.topic = "T", .body = "poison"}).ok());
    ASSERT_TRUE(p.send({.topic = "T", .body = "next"}).ok());
    std::vector<std::string> calls;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset, .max_reconsume_times = 2,
                        .orderly = true});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      calls.push_back(m.body + "/" + std::to_string(m.reconsume_times));
      return m.body == "poison" ? ConsumeResult::suspend_current_queue : ConsumeResult::success;
    });
    for (int i = 0; i < 300 && calls.size() < 4; ++i) rt.sleep_for(100ms);
    EXPECT_EQ(calls, (std::vector<std::string>{"poison/0", "poison/1", "poison/2", "next/0"}));
    auto dlq = queue_offset(mq, k.cfg.address(), {"%DLQ%CG", "broker-a", 0}, QueueEnd::max);
    ASSERT_TRUE(dlq.ok()) << dlq.error().message();
    EXPECT_EQ(*dlq, 1);
    c.shutdown();
  });
}

// A lock that lapses while a message is being retried in place: the
// message is pulled again once the queue is locked again, and its count of
// attempts goes on where it was (RocketMQ keeps it in the process queue).
TEST(Client, OrderlyKeepsAMessagesAttemptCountAcrossALapsedLock) {
  Cluster k(11);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    ASSERT_TRUE(p.send({.topic = "T", .body = "stubborn"}).ok());
    ASSERT_TRUE(p.send({.topic = "T", .body = "next"}).ok());
    std::vector<std::string> calls;
    // The lock lives 2.5 s, renewed only every 20 s: it lapses during the
    // retries and is taken again.
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset, .orderly = true,
                        .lock_interval = 20s, .lock_max_live = 2500ms});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      calls.push_back(m.body + "/" + std::to_string(m.reconsume_times));
      return m.body == "stubborn" && m.reconsume_times < 6 ? ConsumeResult::suspend_current_queue
                                                           : ConsumeResult::success;
    });
    for (int i = 0; i < 600 && (calls.empty() || calls.back() != "next/0"); ++i) rt.sleep_for(100ms);
    EXPECT_EQ(calls, (std::vector<std::string>{"stubborn/0", "stubborn/1", "stubborn/2", "stubborn/3", "stubborn/4",
                                               "stubborn/5", "stubborn/6", "next/0"}));
    c.shutdown();
  });
}

TEST(Client, OrderlyWaitsForALockAnotherMemberHolds) {
  Cluster k(9);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient holder(rt, client_config(k, ip, "holder"));
    holder.start();
    k.create_topic(holder, "T", 1);
    const MessageQueue q{"T", "broker-a", 0};
    auto locked = lock_queues(holder, k.cfg.address(), "CG", {q});
    ASSERT_TRUE(locked.ok());
    ASSERT_EQ(locked->count(q), 1u);
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = "m" + std::to_string(i)}).ok());
    std::vector<rt::Instant> calls;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset, .orderly = true});
    c.subscribe("T");
    c.start([&](const ReceivedMessage&) {
      calls.push_back(rt.now());
      return ConsumeResult::success;
    });
    rt.sleep_for(10s);
    EXPECT_TRUE(calls.empty());  // the holder has it
    EXPECT_TRUE(c.owned_queues().empty() || c.owned_queues().front().topic != "T");
    const rt::Instant released = rt.now();
    ASSERT_TRUE(unlock_queues(holder, k.cfg.address(), "CG", {q}).ok());
    for (int i = 0; i < 100 && calls.size() < 3; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_LT(calls.front() - released, 2s);  // lock_retry_interval, not the 20 s rebalance
    c.shutdown();
    holder.stop();
  });
}

// Across a rebalance, no two members ever run the listener on one queue at
// the same time, and each queue is consumed once, in order: the old owner
// finishes, commits and unlocks before the new one starts.
TEST(Client, OrderlyHandsAQueueOverWithoutOverlapOrRepeat) {
  Cluster k(10);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient ma(rt, client_config(k, ip, "a"));
    MqClient mb(rt, client_config(k, ip, "b"));
    ma.start();
    mb.start();
    k.create_topic(ma, "T", 4);
    Producer p(ma, {.group = "PG"});
    constexpr int kMessages = 80;
    for (int i = 0; i < kMessages; ++i)
      ASSERT_TRUE(p.send_by_key({.topic = "T", .body = std::to_string(i % 4) + ":" + std::to_string(i)},
                                std::to_string(i % 4)).ok());
    std::map<int32_t, std::string> running;  // queue -> member in its listener
    std::map<int32_t, std::vector<int64_t>> offsets;
    int overlaps = 0;
    auto listener = [&](const std::string& who) {
      return [&, who](const ReceivedMessage& m) {
        if (running.count(m.queue.queue_id)) ++overlaps;
        running[m.queue.queue_id] = who;
        offsets[m.queue.queue_id].push_back(m.queue_offset);
        rt.sleep_for(200ms);  // slow: b joins while a is inside
        running.erase(m.queue.queue_id);
        return ConsumeResult::success;
      };
    };
    PushConsumer a(ma, {.group = "CG", .consume_from = ConsumeFrom::first_offset, .orderly = true});
    PushConsumer b(mb, {.group = "CG", .consume_from = ConsumeFrom::first_offset, .orderly = true});
    a.subscribe("T");
    b.subscribe("T");
    // Who holds each queue's lock, as the members report it (on_lock): never
    // two at once, and the queues a lets go are the ones b takes.
    std::map<int32_t, std::string> holder;
    std::vector<std::string> lock_log;
    int double_holds = 0;
    auto watch = [&](const std::string& who) {
      return [&, who](const MessageQueue& q, bool held, std::string_view why) {
        if (q.topic != "T") return;
        lock_log.push_back(fmt::format("{} {} {}", who, why, q.queue_id));
        if (held && holder.count(q.queue_id)) ++double_holds;
        if (held) holder[q.queue_id] = who;
        else if (holder.count(q.queue_id) && holder[q.queue_id] == who) holder.erase(q.queue_id);
      };
    };
    a.on_lock(watch("a"));
    b.on_lock(watch("b"));
    a.start(listener("a"));
    rt.sleep_for(1500ms);
    b.start(listener("b"));
    size_t n = 0;
    for (int i = 0; i < 600 && n < kMessages; ++i) {
      rt.sleep_for(100ms);
      n = 0;
      for (const auto& [q, os] : offsets) n += os.size();
    }
    EXPECT_EQ(overlaps, 0);
    for (int32_t q = 0; q < 4; ++q) {
      std::vector<int64_t> want(kMessages / 4);
      for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<int64_t>(i);
      EXPECT_EQ(offsets[q], want) << "queue " << q;
    }
    std::vector<MessageQueue> of_a, of_b;
    for (const auto& q : a.owned_queues())
      if (q.topic == "T") of_a.push_back(q);
    for (const auto& q : b.owned_queues())
      if (q.topic == "T") of_b.push_back(q);
    EXPECT_EQ(of_a.size(), 2u);
    EXPECT_EQ(of_b.size(), 2u);
    EXPECT_EQ(double_holds, 0) << fmt::format("{}", fmt::join(lock_log, "; "));
    auto count = [&](std::string_view what) {
      return std::count_if(lock_log.begin(), lock_log.end(), [&](const std::string& e) { return e.starts_with(what); });
    };
    EXPECT_EQ(count("a took"), 4) << fmt::format("{}", fmt::join(lock_log, "; "));
    EXPECT_EQ(count("a released"), 2);
    EXPECT_EQ(count("b took"), 2);
    EXPECT_EQ(holder.size(), 4u);
    a.shutdown();
    b.shutdown();
    EXPECT_TRUE(holder.empty());  // shutting down releases every lock
  });
}

// A listener that does not return holds up no rebalance past
// listener_wait_max: the rest of the rebalance (here a second topic) goes
// on, and the queue it sits in is let go once it returns, never started
// again meanwhile.
TEST(Client, ARebalanceDoesNotWaitForeverForAListenerThatDoesNotReturn) {
  Cluster k(12);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient ma(rt, client_config(k, ip, "a"));  // "a" sorts first: a keeps queue 0 of each topic
    MqClient mb(rt, client_config(k, ip, "b"));
    ma.start();
    mb.start();
    k.create_topic(ma, "T1", 2);
    k.create_topic(ma, "T2", 2);
    Producer p(ma, {.group = "PG"});
    ASSERT_TRUE(p.send_to_queue({.topic = "T1", .body = "stuck"}, {"T1", "broker-a", 1}).ok());
    bool release = false, stuck = false;
    int stuck_calls = 0;
    auto listener = [&](const ReceivedMessage& m) {
      if (m.body == "stuck") {
        ++stuck_calls;
        stuck = true;
        while (!release) rt.sleep_for(100ms);
        stuck = false;
      }
      return ConsumeResult::success;
    };
    PushConsumer a(ma, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    PushConsumer b(mb, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    for (auto* c : {&a, &b}) {
      c->subscribe("T1");
      c->subscribe("T2");
    }
    auto owned_by_a = [&] {  // of T1 and T2 (not the group's retry topic)
      std::vector<MessageQueue> out;
      for (const auto& q : a.owned_queues())
        if (q.topic == "T1" || q.topic == "T2") out.push_back(q);
      return out;
    };
    a.start(listener);
    for (int i = 0; i < 100 && !stuck; ++i) rt.sleep_for(100ms);
    EXPECT_TRUE(stuck);
    EXPECT_EQ(owned_by_a().size(), 4u);
    b.start(listener);
    // a's rebalance takes T1:1 (its listener stuck) and T2:1 away.
    rt.sleep_for(10s);
    const std::vector<MessageQueue> want{{"T1", "broker-a", 0}, {"T2", "broker-a", 0}};
    EXPECT_EQ(owned_by_a(), want);
    release = true;
    rt.sleep_for(10s);
    EXPECT_EQ(owned_by_a(), want);
    EXPECT_EQ(stuck_calls, 2);  // b read it again from the offset a had committed: a duplicate, no loss
    a.shutdown();
    b.shutdown();
  });
}

TEST(Client, PullConsumerPollsAssignedQueuesSeeksAndCommits) {
  Cluster k(11);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 2);
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = body_for(i)}).ok());
    PullConsumer c(mq, {.group = "PCG", .consume_from = ConsumeFrom::first_offset, .pull_batch = 4, .auto_commit = false});
    auto queues = c.fetch_queues("T");
    ASSERT_TRUE(queues.ok());
    ASSERT_EQ(queues->size(), 2u);
    c.assign(*queues);
    c.start();
    std::map<int32_t, std::vector<int64_t>> offsets;
    std::set<std::string> bodies;
    size_t n = 0;
    for (int i = 0; i < 50 && n < 20; ++i)
      for (const auto& m : c.poll(1s)) {
        offsets[m.queue.queue_id].push_back(m.queue_offset);
        bodies.insert(m.body);
        ++n;
      }
    EXPECT_EQ(n, 20u);
    EXPECT_EQ(bodies.size(), 20u);
    for (auto& [q, os] : offsets)
      for (size_t i = 0; i < os.size(); ++i) EXPECT_EQ(os[i], static_cast<int64_t>(i)) << "queue " << q;
    EXPECT_TRUE(c.poll(2s).empty());  // nothing more
    const MessageQueue q0 = queues->front();
    ASSERT_TRUE(c.commit().ok());
    EXPECT_EQ(c.committed(q0).value(), static_cast<int64_t>(offsets[0].size()));
    // Back to offset 3 of queue 0: poll() goes on from there.
    ASSERT_TRUE(c.seek(q0, 3).ok());
    EXPECT_EQ(c.position(q0).value(), 3);
    auto again = c.poll(5s);
    ASSERT_FALSE(again.empty());
    EXPECT_EQ(again.front().queue, q0);
    EXPECT_EQ(again.front().queue_offset, 3);
    // Bad seeks say why.
    auto beyond = c.seek(q0, 1000);
    ASSERT_FALSE(beyond.ok());
    EXPECT_EQ(beyond.error().code(), rt::Errc::invalid_argument);
    EXPECT_NE(beyond.error().message().find("outside"), std::string::npos) << beyond.error().message();
    auto other = c.seek({"T", "broker-a", 7}, 0);
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message().find("not assigned"), std::string::npos);
    c.shutdown();
  });
}

TEST(Client, PullConsumersSplitASubscriptionAndResumeFromTheCommittedOffset) {
  Cluster k(12);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient ma(rt, client_config(k, ip, "a"));
    MqClient mb(rt, client_config(k, ip, "b"));
    ma.start();
    mb.start();
    k.create_topic(ma, "T", 4);
    Producer p(ma, {.group = "PG"});
    PullConsumer a(ma, {.group = "PCG", .consume_from = ConsumeFrom::first_offset});
    PullConsumer b(mb, {.group = "PCG", .consume_from = ConsumeFrom::first_offset});
    a.subscribe("T");
    b.subscribe("T");
    a.start();
    b.start();
    rt.sleep_for(3s);
    EXPECT_EQ(a.assignment().size(), 2u);
    EXPECT_EQ(b.assignment().size(), 2u);
    for (int i = 0; i < 12; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = "first-" + std::to_string(i)}).ok());
    std::multiset<std::string> got;
    for (int i = 0; i < 50 && got.size() < 12; ++i) {
      for (const auto& m : a.poll(200ms)) got.insert(m.body);
      for (const auto& m : b.poll(200ms)) got.insert(m.body);
    }
    EXPECT_EQ(got.size(), 12u);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 12u);  // each once
    a.shutdown();  // commits; b takes every queue
    rt.sleep_for(2s);
    EXPECT_EQ(b.assignment().size(), 4u);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = "second-" + std::to_string(i)}).ok());
    std::multiset<std::string> later;
    for (int i = 0; i < 50 && later.size() < 8; ++i)
      for (const auto& m : b.poll(200ms)) later.insert(m.body);
    rt.sleep_for(1s);
    for (const auto& m : b.poll(500ms)) later.insert(m.body);
    EXPECT_EQ(later.size(), 8u);  // a's queues resume after what a consumed
    for (const auto& body : later) EXPECT_EQ(body.rfind("second-", 0), 0u) << body;
    b.shutdown();
  });
}

TEST(Client, PullAtAnOffsetReportsStatusAndFiltersTags) {
  Cluster k(13);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 6; ++i)
      ASSERT_TRUE(p.send({.topic = "T", .tags = i % 2 ? "odd" : "even", .body = std::to_string(i)}).ok());
    rt.sleep_for(100ms);  // dispatched to the consume queue
    PullConsumer c(mq, {.group = "PCG"});
    const MessageQueue q{"T", "broker-a", 0};
    auto r = c.pull(q, "*", 0, 4);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->status, PullStatus::found);
    ASSERT_EQ(r->messages.size(), 4u);
    EXPECT_EQ(r->messages[3].body, "3");
    EXPECT_EQ(r->next_begin_offset, 4);
    EXPECT_EQ(r->max_offset, 6);
    auto odd = c.pull(q, "odd", 0, 32);
    ASSERT_TRUE(odd.ok());
    std::vector<std::string> bodies;
    for (const auto& m : odd->messages) bodies.push_back(m.body);
    EXPECT_EQ(bodies, (std::vector<std::string>{"1", "3", "5"}));
    auto end = c.pull(q, "*", 6, 4);
    ASSERT_TRUE(end.ok());
    EXPECT_EQ(end->status, PullStatus::no_new_msg);
    auto beyond = c.pull(q, "*", 100, 4);
    ASSERT_TRUE(beyond.ok());
    EXPECT_EQ(beyond->status, PullStatus::offset_illegal);
    EXPECT_LE(beyond->next_begin_offset, 6);  // a valid offset (min, as RocketMQ does when min is 0)
    auto missing = c.pull({"T", "no-such-broker", 0}, "*", 0, 4);
    EXPECT_FALSE(missing.ok());
  });
}

// A broker with transferMsgByHeap=false sends records from its files without
// reading them, so a bad sector reaches the client as a record that fails
// its body CRC. The client keeps what came before it and pulls again from
// it; it never skips past it to the answer's nextBeginOffset.
TEST(Client, APullAnswerWithADamagedRecordResumesAtThatRecord) {
  Cluster k(17, 1, [](broker::BrokerConfig& c) { c.transfer_msg_by_heap = false; });
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = "body-" + std::to_string(i)}).ok());
    rt.sleep_for(100ms);  // dispatched to the consume queue
    // One byte of body-2's record goes bad on the broker's disk.
    sim::Disk& disk = k.sim.node(k.broker_node).disk();
    auto log = disk.open("/store/commitlog/00000000000000000000", rt::OpenMode::existing);
    ASSERT_TRUE(log.ok());
    std::vector<std::byte> bytes(4096);
    bytes.resize(disk.read(**log, 0, bytes));
    const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const size_t at = text.find("body-2");
    ASSERT_NE(at, std::string::npos);
    const std::byte bad[] = {std::byte{'X'}};
    ASSERT_TRUE(disk.write(**log, at, bad).ok());

    PullConsumer c(mq, {.group = "PCG"});
    auto r = c.pull({"T", "broker-a", 0}, "*", 0, 32);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->status, PullStatus::found);
    std::vector<std::string> bodies;
    for (const auto& m : r->messages) bodies.push_back(m.body);
    EXPECT_EQ(bodies, (std::vector<std::string>{"body-0", "body-1"}));
    EXPECT_EQ(r->next_begin_offset, 2);
  });
}

TEST(Client, PullConsumerSeeksRacingAndShutdownWakePoll) {
  Cluster k(14);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = std::to_string(i)}).ok());
    PullConsumer c(mq, {.group = "PCG", .consume_from = ConsumeFrom::first_offset, .auto_commit = false});
    const MessageQueue q{"T", "broker-a", 0};
    c.assign({q});
    c.start();
    for (int i = 0; i < 50 && c.assignment().empty(); ++i) rt.sleep_for(100ms);
    // Two seeks at once: one pull task goes on, so each message comes once.
    auto other = rt.spawn("seek", [&] { EXPECT_TRUE(c.seek(q, 2).ok()); });
    EXPECT_TRUE(c.seek(q, 2).ok());
    ASSERT_TRUE(other.join().ok());
    std::vector<int64_t> offsets;
    for (int i = 0; i < 30 && offsets.size() < 4; ++i)
      for (const auto& m : c.poll(200ms)) offsets.push_back(m.queue_offset);
    rt.sleep_for(1s);
    for (const auto& m : c.poll(500ms)) offsets.push_back(m.queue_offset);
    EXPECT_EQ(offsets, (std::vector<int64_t>{2, 3, 4, 5}));
    // A poll waiting in another task returns as soon as the consumer stops.
    rt::Instant returned{};
    auto poller = rt.spawn("poll", [&] {
      EXPECT_TRUE(c.poll(60s).empty());
      returned = rt.now();
    });
    rt.sleep_for(100ms);
    const rt::Instant stopping = rt.now();
    c.shutdown();
    ASSERT_TRUE(poller.join().ok());
    EXPECT_LT(returned - stopping, 1s);
  });
}

// A send whose first attempt went unanswered and whose retry was refused
// failed, but the first attempt may have stored it: maybe_stored says so
// (the chaos checkers take a send without it as never stored).
TEST(Client, ASendIsMaybeStoredWhenAnyAttemptMayHaveStoredIt) {
  Cluster k(19);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG", .send_timeout = 1s, .retries = 1});
    ASSERT_TRUE(p.send({.topic = "T", .body = "first"}).ok());
    // The broker's answers stop reaching the client; it stores the next
    // message, then dies, so the retry is refused.
    k.sim.partition(k.broker_node, k.last_client(), /*two_way=*/false);
    k.sim.after(300ms, [&] {
      k.sim.crash(k.broker_node);
      k.sim.reset_connections(k.broker_node, k.last_client());  // the held answer with them
      k.sim.heal(k.broker_node, k.last_client(), false);
    });
    auto r = p.send({.topic = "T", .body = "second"});
    EXPECT_EQ(r.status, SendStatus::failed);
    EXPECT_TRUE(r.maybe_stored) << r.error;
    EXPECT_NE(r.error.find("refused"), std::string::npos) << r.error;  // the last attempt's
    k.broker_up = false;
    k.sim.start(k.broker_node);
    for (int i = 0; i < 100 && !k.broker_up; ++i) rt.sleep_for(100ms);
    ASSERT_TRUE(k.broker_up);
    rt.sleep_for(1s);  // dispatched again from the log
    PullConsumer c(mq, {.group = "PCG"});
    auto got = c.pull({"T", "broker-a", 0}, "*", 0, 8);
    ASSERT_TRUE(got.ok()) << got.error().message();
    std::vector<std::string> bodies;
    for (const auto& m : got->messages) bodies.push_back(m.body);
    EXPECT_EQ(bodies, (std::vector<std::string>{"first", "second"}));  // it was stored
  });
}

// An operator resets a running group's offsets (mqadmin resetOffsetByTime):
// the broker tells the member, which stops the queue, commits the new
// offset and consumes from there again (RocketMQ's resetOffset).
TEST(Client, AnOperatorsOffsetResetTakesARunningConsumerBack) {
  Cluster k(23);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.send({.topic = "T", .body = "m" + std::to_string(i)}).ok());
    std::vector<std::string> got;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      got.push_back(m.body);
      return ConsumeResult::success;
    });
    for (int i = 0; i < 100 && got.size() < 5; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(got.size(), 5u);
    rt.sleep_for(6s);  // its offset committed (5)
    auto reset = [&](int64_t timestamp) {
      auto req = remoting::RemotingCommand::request(rc::kInvokeBrokerToResetOffset);
      remoting::put_field(req, "topic", std::string("T"));
      remoting::put_field(req, "group", std::string("CG"));
      remoting::put_field(req, "timestamp", timestamp);
      remoting::put_field(req, "isForce", true);
      return mq.invoke(k.cfg.address(), std::move(req), 3s);
    };
    auto r = reset(0);  // the first message stored at or after the epoch: offset 0
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, rs::kSuccess) << r->remark.value_or("");
    EXPECT_NE(remoting::to_text(r->body).find("\"queueId\":0,\"topic\":\"T\"}:0"), std::string::npos)
        << remoting::to_text(r->body);
    for (int i = 0; i < 300 && got.size() < 10; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(got.size(), 10u);  // every message again, in order
    for (int i = 0; i < 5; ++i) EXPECT_EQ(got[static_cast<size_t>(5 + i)], "m" + std::to_string(i));
    // -1: the queue's end; nothing comes again, and the group's offset is 5.
    r = reset(-1);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, rs::kSuccess);
    rt.sleep_for(3s);
    EXPECT_EQ(got.size(), 10u);
    c.shutdown();
    // A group with no member online: CONSUMER_NOT_ONLINE (the tool sets the offsets then).
    auto offline = reset(0);
    ASSERT_TRUE(offline.ok());
    EXPECT_EQ(offline->code, rs::kConsumerNotOnline);
  });
}

TEST(Client, RoutesComeFromTheNextNamesrvAndStayCachedWhenAllAreDown) {
  Cluster k(6, 2);
  k.sim.crash(k.namesrv_nodes[0]);
  k.sim.after(20s, [&] { k.sim.crash(k.namesrv_nodes[1]); });
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 2);
    Producer p(mq, {.group = "PG"});
    auto r = p.send({.topic = "T", .body = "via the second namesrv"});
    EXPECT_TRUE(r.ok()) << r.error;
    rt.sleep_for(25s);  // every namesrv is down now
    mq.refresh_routes();
    auto cached = p.send({.topic = "T", .body = "on the cached route"});
    EXPECT_TRUE(cached.ok()) << cached.error;
    // A topic it never looked up has no route, and the error says why.
    auto none = p.send({.topic = "Other", .body = "nowhere"});
    EXPECT_FALSE(none.ok());
    EXPECT_NE(none.error.find("namesrv"), std::string::npos) << none.error;
  });
}

}  // namespace
}  // namespace rmq::client
