// The C++ client against a namesrv and a broker in the simulator, used the
// way an application uses it: producers, push consumers (clustering and
// broadcasting), retries, ordering by key, namesrv failover.
#include <gtest/gtest.h>

#include <set>

#include "broker/broker.h"
#include "client/producer.h"
#include "common/atomic_file.h"
#include "client/push_consumer.h"
#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "sim/simulation.h"

namespace rmq::client {
namespace {

using namespace std::chrono_literals;
namespace rc = remoting::request_code;
namespace rs = remoting::response_code;

struct Cluster {
  broker::BrokerConfig cfg;
  bool broker_up = false;
  std::vector<std::string> namesrv_addrs;
  std::vector<sim::NodeId> namesrv_nodes;
  sim::NodeId broker_node = 0;
  sim::Simulation sim;  // last: destroyed first

  explicit Cluster(uint64_t seed, int namesrvs = 1) : sim(seed) {
    for (int i = 0; i < namesrvs; ++i) {
      auto& ns = sim.add_node("namesrv" + std::to_string(i), [](rt::Runtime& rt) {
        namesrv::NamesrvConfig c;
        c.kv_config_path = "/namesrv/kv.json";
        namesrv::NameServer n(rt, c);
        ASSERT_TRUE(n.start().ok());
        rt.sleep_for(rt::kForever);
      });
      namesrv_nodes.push_back(ns.id());
      namesrv_addrs.push_back(ns.ip() + ":9876");
    }
    auto& b = sim.add_node("broker", [this](rt::Runtime& rt) {
      broker::Broker br(rt, cfg);
      ASSERT_TRUE(br.start().ok());
      broker_up = true;
      rt.sleep_for(rt::kForever);
    });
    broker_node = b.id();
    cfg.namesrv_addrs = namesrv_addrs;
    cfg.broker_ip = b.ip();
    cfg.store.root_dir = "/store";
    cfg.store.commit_log_segment_bytes = 1 << 20;
    cfg.store.store_host = cfg.address();
    sim.start_all();
    sim.run_until([&] { return broker_up; }, 10s);
  }

  // Runs `body` on a new client node until it returns.
  void client(const std::string& name, const std::function<void(rt::Runtime&, const std::string& ip)>& body,
              rt::Duration limit = 30min) {
    bool done = false;
    auto& n = sim.add_node(name, [&](rt::Runtime& rt) {
      body(rt, sim.node(clients_.back()).ip());
      done = true;
    });
    clients_.push_back(n.id());
    sim.start(n.id());
    ASSERT_TRUE(sim.run_until([&] { return done; }, limit)) << name << " did not finish";
  }

  void create_topic(MqClient& mq, const std::string& topic, int32_t queues) {
    auto req = remoting::RemotingCommand::request(rc::kUpdateAndCreateTopic);
    remoting::put_field(req, "topic", topic);
    remoting::put_field(req, "readQueueNums", queues);
    remoting::put_field(req, "writeQueueNums", queues);
    remoting::put_field(req, "perm", int32_t{6});
    auto r = mq.invoke(cfg.address(), std::move(req), 3s);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, rs::kSuccess);
    mq.runtime().sleep_for(100ms);  // registered with the namesrvs at once
  }

 private:
  std::vector<sim::NodeId> clients_;
};

ClientConfig client_config(const Cluster& k, const std::string& ip, const std::string& instance) {
  ClientConfig c;
  c.namesrv_addrs = k.namesrv_addrs;
  c.client_ip = ip;
  c.instance_name = instance;
  return c;
}

std::string body_for(int i) {
  // Some bodies pass the 4 KiB compression threshold.
  return "m" + std::to_string(i) + "-" + std::string(static_cast<size_t>(i % 7 == 0 ? 6000 : i % 100), 'x');
}

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

TEST(Client, AFailedMessageComesBackThroughTheRetryTopic) {
  Cluster k(3);
  k.client("app", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, client_config(k, ip, "app"));
    mq.start();
    k.create_topic(mq, "T", 1);
    Producer p(mq, {.group = "PG"});
    ASSERT_TRUE(p.send({.topic = "T", .body = "fails once"}).ok());
    std::vector<int32_t> attempts;
    std::string topic_seen;
    PushConsumer c(mq, {.group = "CG", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T");
    c.start([&](const ReceivedMessage& m) {
      attempts.push_back(m.reconsume_times);
      topic_seen = m.topic;
      return attempts.size() == 1 ? ConsumeResult::reconsume_later : ConsumeResult::success;
    });
    // The retry topic's route appears after the first heartbeat; the next
    // rebalance (20 s) picks it up.
    for (int i = 0; i < 600 && attempts.size() < 2; ++i) rt.sleep_for(100ms);
    ASSERT_EQ(attempts.size(), 2u);
    EXPECT_EQ(attempts[0], 0);
    EXPECT_EQ(attempts[1], 1);
    EXPECT_EQ(topic_seen, "T");  // restored from RETRY_TOPIC
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
    EXPECT_NE(text->find("T broker-a 0 "), std::string::npos);
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
