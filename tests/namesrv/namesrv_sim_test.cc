// NameServers in the simulator: three brokers register with two namesrvs
// every 30 s; clients read routes from either; heartbeat loss between one
// broker and one namesrv removes it there (120-130 s after its last
// registration, not before) and only there; it returns after the link
// heals; a namesrv crash leaves the other serving.
#include <gtest/gtest.h>

#include <optional>

#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/headers_namesrv.h"
#include "remoting/route_data.h"
#include "remoting/rpc.h"
#include "sim/simulation.h"

namespace rmq::namesrv {
namespace {

using namespace std::chrono_literals;
namespace rc = remoting::request_code;
namespace rs = remoting::response_code;

constexpr int kBrokers = 3;
constexpr int kNamesrvs = 2;

std::string broker_addr(sim::Simulation& s, sim::NodeId id) { return s.node(id).ip() + ":10911"; }

// A broker that only registers: every 30 s, with every namesrv, in parallel.
void fake_broker(rt::Runtime& rt, int index, std::vector<std::string> namesrvs, std::string self_addr) {
  remoting::RpcClient client(rt, nullptr);
  remoting::RegisterBrokerBody body;
  body.data_version.timestamp = rt.wall_ms();
  body.data_version.counter = 1;
  remoting::TopicConfig t;
  t.topic_name = "TopicTest";
  t.read_queue_nums = t.write_queue_nums = 4;
  body.topic_config_table[t.topic_name] = t;
  const auto bytes = remoting::encode_register_broker_body(body, /*compressed=*/index == 2);
  for (;;) {
    std::vector<rt::Task> calls;
    for (const auto& ns : namesrvs) {
      calls.push_back(rt.spawn("register", [&, ns] {
        auto req = remoting::RemotingCommand::request(rc::kRegisterBroker);
        remoting::RegisterBrokerRequestHeader h;
        h.broker_name = "broker-" + std::to_string(index);
        h.broker_addr = self_addr;
        h.cluster_name = "DefaultCluster";
        h.ha_server_addr = self_addr;
        h.compressed = index == 2;
        h.encode(req);
        req.body = bytes;
        (void)client.invoke(ns, std::move(req), 6s);
      }));
    }
    for (auto& c : calls) (void)c.join();
    rt.sleep_for(30s);
  }
}

struct Cluster {
  std::vector<sim::NodeId> namesrv_nodes, broker_nodes;
  std::vector<NameServer*> namesrvs;  // set while each namesrv node is up
  std::vector<std::string> namesrv_addrs;
  // Last, so it is destroyed first: its nodes' tasks refer to the above.
  sim::Simulation sim{7};

  Cluster() {
    namesrvs.assign(kNamesrvs, nullptr);
    for (int i = 0; i < kNamesrvs; ++i) {
      auto& n = sim.add_node("namesrv" + std::to_string(i), [this, i](rt::Runtime& rt) {
        NamesrvConfig cfg;
        cfg.listen_address = "0.0.0.0:9876";
        cfg.kv_config_path = "/namesrv/kvConfig.json";
        NameServer ns(rt, cfg);
        ASSERT_TRUE(ns.start().ok());
        namesrvs[static_cast<size_t>(i)] = &ns;
        struct Clear {
          NameServer*& p;
          ~Clear() { p = nullptr; }
        } clear{namesrvs[static_cast<size_t>(i)]};
        rt.sleep_for(rt::kForever);
      });
      namesrv_nodes.push_back(n.id());
      namesrv_addrs.push_back(n.ip() + ":9876");
    }
    for (int b = 0; b < kBrokers; ++b) {
      auto& n = sim.add_node("broker" + std::to_string(b), [this, b](rt::Runtime& rt) {
        fake_broker(rt, b, namesrv_addrs, broker_addr(sim, broker_nodes[static_cast<size_t>(b)]));
      });
      broker_nodes.push_back(n.id());
    }
  }

  // Reads the route of `topic` from namesrv `i` through a client node.
  std::optional<remoting::TopicRouteData> read_route(int i, const std::string& topic) {
    std::optional<remoting::TopicRouteData> out;
    bool done = false;
    auto& client = sim.add_node("client", [&](rt::Runtime& rt) {
      remoting::RpcClient c(rt, nullptr);
      auto req = remoting::RemotingCommand::request(rc::kGetRouteinfoByTopic);
      remoting::GetRouteInfoRequestHeader h;
      h.topic = topic;
      h.encode(req);
      auto resp = c.invoke(namesrv_addrs[static_cast<size_t>(i)], std::move(req), 3s);
      if (resp && resp->code == rs::kSuccess) {
        auto r = remoting::decode_topic_route(remoting::to_text(resp->body));
        if (r) out = *r;
      }
      done = true;
    });
    sim.start(client.id());
    sim.run_until([&] { return done; }, 10s);
    sim.crash(client.id());
    return out;
  }

  bool live_at(int ns, sim::NodeId broker) {
    NameServer* p = namesrvs[static_cast<size_t>(ns)];
    return p && p->routes().is_live(broker_addr(sim, broker));
  }
};

TEST(NamesrvSim, RoutesHeartbeatLossExpiryHealAndCrash) {
  Cluster c;
  c.sim.start_all();
  c.sim.run_for(5s);

  for (int i = 0; i < kNamesrvs; ++i) {
    auto route = c.read_route(i, "TopicTest");
    ASSERT_TRUE(route.has_value()) << "namesrv " << i;
    EXPECT_EQ(route->queue_datas.size(), 3u);
    ASSERT_EQ(route->broker_datas.size(), 3u);
    for (int b = 0; b < kBrokers; ++b) {
      EXPECT_EQ(route->broker_datas[static_cast<size_t>(b)].broker_name, "broker-" + std::to_string(b));
      EXPECT_EQ(route->broker_datas[static_cast<size_t>(b)].broker_addrs.at(0), broker_addr(c.sim, c.broker_nodes[static_cast<size_t>(b)]));
    }
    EXPECT_FALSE(c.read_route(i, "NoSuchTopic").has_value());
  }

  // Heartbeat loss: cut broker0 <-> namesrv0 just after the 60 s registration.
  c.sim.run_until(rt::Instant(61s));
  c.sim.partition(c.broker_nodes[0], c.namesrv_nodes[0]);
  std::optional<rt::Instant> removed_at;
  while (c.sim.now() < rt::Instant(200s)) {
    c.sim.run_for(500ms);
    if (!removed_at && !c.live_at(0, c.broker_nodes[0])) removed_at = c.sim.now();
    ASSERT_TRUE(c.live_at(1, c.broker_nodes[0])) << "the other namesrv lost the broker";
    ASSERT_TRUE(c.live_at(0, c.broker_nodes[1]));
  }
  ASSERT_TRUE(removed_at.has_value()) << "broker never expired";
  EXPECT_GE(*removed_at, rt::Instant(60s + 120s));
  EXPECT_LE(*removed_at, rt::Instant(60s + 130s + 500ms));
  auto route0 = c.read_route(0, "TopicTest");
  ASSERT_TRUE(route0.has_value());
  EXPECT_EQ(route0->broker_datas.size(), 2u);
  EXPECT_EQ(c.read_route(1, "TopicTest")->broker_datas.size(), 3u);

  // Heal: the broker is back within one registration period.
  c.sim.heal(c.broker_nodes[0], c.namesrv_nodes[0]);
  c.sim.run_for(40s);
  EXPECT_TRUE(c.live_at(0, c.broker_nodes[0]));
  EXPECT_EQ(c.read_route(0, "TopicTest")->broker_datas.size(), 3u);

  // A namesrv crash leaves the other one serving every broker.
  c.sim.crash(c.namesrv_nodes[0]);
  c.sim.run_for(35s);
  auto route1 = c.read_route(1, "TopicTest");
  ASSERT_TRUE(route1.has_value());
  EXPECT_EQ(route1->broker_datas.size(), 3u);
  EXPECT_FALSE(c.read_route(0, "TopicTest").has_value());
  // Restarted, it learns the routes again from the next registrations.
  c.sim.start(c.namesrv_nodes[0]);
  c.sim.run_for(35s);
  EXPECT_EQ(c.read_route(0, "TopicTest")->broker_datas.size(), 3u);
}

TEST(NamesrvSim, BrokerProcessCrashDropsItAtOnceThroughConnectionClose) {
  Cluster c;
  c.sim.start_all();
  c.sim.run_for(5s);
  ASSERT_TRUE(c.live_at(0, c.broker_nodes[1]));
  c.sim.crash(c.broker_nodes[1]);
  c.sim.run_for(1s);  // well before the 120 s expiry
  EXPECT_FALSE(c.live_at(0, c.broker_nodes[1]));
  EXPECT_FALSE(c.live_at(1, c.broker_nodes[1]));
  EXPECT_EQ(c.read_route(0, "TopicTest")->broker_datas.size(), 2u);
}

}  // namespace
}  // namespace rmq::namesrv

namespace rmq::namesrv {
namespace {

// QUERY_DATA_VERSION, the brokers' keep-alive: bad input is refused with
// SYSTEM_ERROR; an unknown broker is "changed" with no version in the answer.
TEST(NamesrvSim, QueryDataVersionRefusesBadInputAndCallsAnUnknownBrokerChanged) {
  sim::Simulation s(7);
  auto& ns = s.add_node("namesrv", [](rt::Runtime& rt) {
    NamesrvConfig c;
    c.kv_config_path = "/namesrv/kv.json";
    NameServer n(rt, c);
    ASSERT_TRUE(n.start().ok());
    rt.sleep_for(rt::kForever);
  });
  const std::string addr = ns.ip() + ":9876";
  bool done = false;
  auto& cl = s.add_node("client", [&](rt::Runtime& rt) {
    remoting::RpcClient client(rt, nullptr);
    auto query = [&](bool with_header, std::string body) {
      auto req = remoting::RemotingCommand::request(rc::kQueryDataVersion);
      if (with_header) {
        remoting::QueryDataVersionRequestHeader h;
        h.broker_name = "broker-a";
        h.broker_addr = "10.0.0.1:10911";
        h.cluster_name = "DefaultCluster";
        h.encode(req);
      }
      req.body = remoting::to_bytes(body);
      auto r = client.invoke(addr, std::move(req), 3s);
      EXPECT_TRUE(r.ok());
      return r ? *r : remoting::RemotingCommand{};
    };
    const std::string version = remoting::encode_data_version({.timestamp = 1, .counter = 2, .state_version = 0});
    EXPECT_EQ(query(true, "not json").code, rs::kSystemError);
    EXPECT_EQ(query(true, "[1,2]").code, rs::kSystemError);
    EXPECT_EQ(query(false, version).code, rs::kSystemError);
    auto unknown = query(true, version);
    EXPECT_EQ(unknown.code, rs::kSuccess);
    auto h = remoting::QueryDataVersionResponseHeader::decode(unknown);
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(h->changed);
    EXPECT_TRUE(unknown.body.empty());
    done = true;
  });
  s.start(ns.id());
  s.start(cl.id());
  ASSERT_TRUE(s.run_until([&] { return done; }, 30s));
}

}  // namespace
}  // namespace rmq::namesrv
