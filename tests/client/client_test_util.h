// Helpers of the client suites: a namesrv and a broker in the simulator,
// and client nodes that run an application body.
#pragma once

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "client/mq_client.h"
#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "sim/simulation.h"

namespace rmq::client::test_util {

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

  explicit Cluster(uint64_t seed, int namesrvs = 1, const std::function<void(broker::BrokerConfig&)>& tweak = {})
      : sim(seed) {
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
    if (tweak) tweak(cfg);
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

  // The node of the client body running now (or last run).
  sim::NodeId last_client() const { return clients_.back(); }

 private:
  std::vector<sim::NodeId> clients_;
};

inline ClientConfig client_config(const Cluster& k, const std::string& ip, const std::string& instance) {
  ClientConfig c;
  c.namesrv_addrs = k.namesrv_addrs;
  c.client_ip = ip;
  c.instance_name = instance;
  return c;
}

inline std::string body_for(int i) {
  // Some bodies pass the 4 KiB compression threshold.
  return "m" + std::to_string(i) + "-" + std::string(static_cast<size_t>(i % 7 == 0 ? 6000 : i % 100), 'x');
}

}  // namespace rmq::client::test_util
