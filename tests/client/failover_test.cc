// Consumers and a master/slave broker group: when the master leaves the
// route they read from the slave and commit offsets there; when it is back
// they return to it (RocketMQ's findBrokerAddressInSubscribe).
#include <map>
#include <set>

#include "client/producer.h"
#include "client/push_consumer.h"
#include "client_test_util.h"
#include "tests/util/broker_node.h"

namespace rmq::client {
namespace {

using namespace test_util;

struct MasterSlave {
  broker::BrokerConfig master_cfg, slave_cfg;
  broker::Broker* master = nullptr;
  broker::Broker* slave = nullptr;
  std::string namesrv_addr;
  sim::NodeId master_node = 0, slave_node = 0;
  std::vector<sim::NodeId> clients;
  sim::Simulation sim;

  explicit MasterSlave(uint64_t seed) : sim(seed) {
    auto& ns = sim.add_node("namesrv", [](rt::Runtime& rt) {
      namesrv::NamesrvConfig c;
      c.kv_config_path = "/namesrv/kv.json";
      namesrv::NameServer n(rt, c);
      ASSERT_TRUE(n.start().ok());
      rt.sleep_for(rt::kForever);
    });
    namesrv_addr = ns.ip() + ":9876";
    auto node = [this](const char* name, broker::BrokerConfig& cfg, broker::Broker*& slot) -> sim::Node& {
      return sim.add_node(name, [&cfg, &slot](rt::Runtime& rt) { rmq::test::serve_broker(rt, cfg, slot); });
    };
    auto& m = node("master", master_cfg, master);
    auto& s = node("slave", slave_cfg, slave);
    master_node = m.id();
    slave_node = s.id();
    for (auto* c : {&master_cfg, &slave_cfg}) {
      c->namesrv_addrs = {namesrv_addr};
      c->store.root_dir = "/store";
      c->store.commit_log_segment_bytes = 1 << 20;
      c->slave_read_enable = true;
    }
    master_cfg.role = broker::BrokerRole::sync_master;
    master_cfg.broker_ip = m.ip();
    master_cfg.store.store_host = master_cfg.address();
    slave_cfg.role = broker::BrokerRole::slave;
    slave_cfg.broker_id = 1;
    slave_cfg.store.replica = true;
    slave_cfg.broker_ip = s.ip();
    slave_cfg.store.store_host = slave_cfg.address();
    sim.start_all();
    sim.run_until([&] { return master && slave && !master->ha_master()->slaves().empty(); }, 30s);
  }

  void client(const std::string& name, const std::function<void(rt::Runtime&, const std::string&)>& body,
              rt::Duration limit = 30min) {
    bool done = false;
    auto& n = sim.add_node(name, [&](rt::Runtime& rt) {
      body(rt, sim.node(clients.back()).ip());
      done = true;
    });
    clients.push_back(n.id());
    sim.start(n.id());
    ASSERT_TRUE(sim.run_until([&] { return done; }, limit)) << name << " did not finish";
  }

  ClientConfig config(const std::string& ip, const std::string& instance) const {
    ClientConfig c;
    c.namesrv_addrs = {namesrv_addr};
    c.client_ip = ip;
    c.instance_name = instance;
    return c;
  }
};

TEST(Failover, ConsumersReadFromTheSlaveWhileTheMasterIsAwayAndReturnToIt) {
  MasterSlave k(1);
  ASSERT_TRUE(k.master && k.slave);
  std::set<std::string> acked;
  k.client("producer", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, k.config(ip, "p"));
    mq.start();
    auto req = remoting::RemotingCommand::request(rc::kUpdateAndCreateTopic);
    remoting::put_field(req, "topic", "T");
    remoting::put_field(req, "readQueueNums", int32_t{2});
    remoting::put_field(req, "writeQueueNums", int32_t{2});
    remoting::put_field(req, "perm", int32_t{6});
    ASSERT_EQ(mq.invoke(k.master_cfg.address(), std::move(req), 3s)->code, rs::kSuccess);
    rt.sleep_for(11s);  // the slave has the topic too
    Producer p(mq, {.group = "PG"});
    for (int i = 0; i < 60; ++i) {
      auto r = p.send(Message{.topic = "T", .body = "m" + std::to_string(i)});
      ASSERT_EQ(r.status, SendStatus::ok) << r.error;
      acked.insert("m" + std::to_string(i));
    }
    mq.stop();
  });
  ASSERT_EQ(acked.size(), 60u);

  // The master goes away; a consumer starts and reads everything from the slave.
  k.sim.crash(k.master_node);
  std::map<std::string, int> seen;
  bool stop = false, all_from_slave = false, consumer_done = false;
  std::string consumer_ip;
  auto& cnode = k.sim.add_node("consumer", [&](rt::Runtime& rt) {
    MqClient mq(rt, k.config(consumer_ip, "c"));
    mq.start();
    PushConsumer c(mq, {.group = "G", .consume_from = ConsumeFrom::first_offset});
    c.subscribe("T", "*");
    c.start([&](const ReceivedMessage& m) {
      ++seen[m.body];
      return ConsumeResult::success;
    });
    while (seen.size() < 60) rt.sleep_for(100ms);
    all_from_slave = true;
    while (!stop) rt.sleep_for(100ms);
    c.shutdown();
    mq.stop();
    consumer_done = true;
  });
  consumer_ip = cnode.ip();
  k.sim.start(cnode.id());
  ASSERT_TRUE(k.sim.run_until([&] { return all_from_slave; }, 5min)) << "got " << seen.size() << " of 60 from the slave";
  // Its offsets went to the slave (the master is away).
  ASSERT_TRUE(k.sim.run_until(
      [&] {
        int64_t total = 0;
        for (int q = 0; q < 2; ++q) total += k.slave->offsets().query("G", "T", q).value_or(0);
        return total == 60;
      },
      30s));

  // The master comes back; new messages reach the consumer through it.
  k.sim.start(k.master_node);
  ASSERT_TRUE(k.sim.run_until([&] { return k.master != nullptr; }, 30s));
  k.client("producer2", [&](rt::Runtime& rt, const std::string& ip) {
    MqClient mq(rt, k.config(ip, "p2"));
    mq.start();
    Producer p(mq, {.group = "PG"});
    rt.sleep_for(5s);
    for (int i = 60; i < 90; ++i) {
      auto r = p.send(Message{.topic = "T", .body = "m" + std::to_string(i)});
      if (r.status == SendStatus::ok) acked.insert("m" + std::to_string(i));
    }
    mq.stop();
  });
  EXPECT_GE(acked.size(), 80u);
  ASSERT_TRUE(k.sim.run_until(
      [&] {
        for (const auto& a : acked)
          if (!seen.count(a)) return false;
        return true;
      },
      3min));
  // Back on the master: it took the consumer's offsets.
  ASSERT_TRUE(k.sim.run_until(
      [&] {
        int64_t total = 0;
        for (int q = 0; q < 2; ++q) total += k.master->offsets().query("G", "T", q).value_or(0);
        return total >= static_cast<int64_t>(acked.size());
      },
      30s))
      << "master offsets " << k.master->offsets().query("G", "T", 0).value_or(-1) << "+"
      << k.master->offsets().query("G", "T", 1).value_or(-1) << ", slave "
      << k.slave->offsets().query("G", "T", 0).value_or(-1) << "+" << k.slave->offsets().query("G", "T", 1).value_or(-1)
      << ", acked " << acked.size();
  stop = true;
  ASSERT_TRUE(k.sim.run_until([&] { return consumer_done; }, 1min));
  // Nothing was delivered twice: the consumer kept its place across both moves.
  for (const auto& [b, n] : seen) EXPECT_EQ(n, 1) << b;
}

}  // namespace
}  // namespace rmq::client
