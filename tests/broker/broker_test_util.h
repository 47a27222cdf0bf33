// Helpers of the broker suites: a namesrv node and a broker node in the
// simulator, and the requests a client sends, over the wire.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <string>

#include "broker/broker.h"
#include "common/json.h"
#include "common/message_format.h"
#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_consumer.h"
#include "remoting/headers_namesrv.h"
#include "remoting/headers_pull.h"
#include "remoting/headers_send.h"
#include "remoting/heartbeat.h"
#include "remoting/route_data.h"
#include "sim/simulation.h"
#include "tests/util/broker_node.h"

namespace rmq::broker::test_util {

using namespace std::chrono_literals;
namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

struct Cluster {
  BrokerConfig cfg;
  Broker* broker = nullptr;  // set while the broker node is up
  std::string namesrv_addr, broker_addr;
  sim::NodeId namesrv_node = 0, broker_node = 0;
  // Last, so it is destroyed first: its nodes' tasks refer to the above.
  sim::Simulation sim;

  explicit Cluster(uint64_t seed, const std::function<void(BrokerConfig&)>& tweak = {}) : sim(seed) {
    auto& ns = sim.add_node("namesrv", [](rt::Runtime& rt) {
      namesrv::NamesrvConfig c;
      c.kv_config_path = "/namesrv/kv.json";
      namesrv::NameServer n(rt, c);
      ASSERT_TRUE(n.start().ok());
      rt.sleep_for(rt::kForever);
    });
    namesrv_node = ns.id();
    namesrv_addr = ns.ip() + ":9876";
    auto& b = sim.add_node("broker", [this](rt::Runtime& rt) { rmq::test::serve_broker(rt, cfg, broker); });
    broker_node = b.id();
    broker_addr = b.ip() + ":10911";
    cfg.namesrv_addrs = {namesrv_addr};
    cfg.broker_ip = b.ip();
    cfg.store.root_dir = "/store";
    cfg.store.commit_log_segment_bytes = 1 << 20;
    cfg.store.store_host = cfg.address();
    if (tweak) tweak(cfg);
    sim.start_all();
    sim.run_until([&] { return broker != nullptr; }, 10s);
  }

  // A slave of the broker (brokerId 1, the same name, slaveReadEnable), which
  // learns its master from the namesrv. Started at once.
  BrokerConfig slave_cfg;
  Broker* slave = nullptr;  // set while the slave node is up
  std::string slave_addr;
  sim::NodeId slave_node = 0;
  void add_slave(const std::function<void(BrokerConfig&)>& tweak = {}) {
    auto& n = sim.add_node("slave", [this](rt::Runtime& rt) { rmq::test::serve_broker(rt, slave_cfg, slave); });
    slave_node = n.id();
    slave_addr = n.ip() + ":10911";
    slave_cfg = cfg;
    slave_cfg.broker_id = 1;
    slave_cfg.role = BrokerRole::slave;
    slave_cfg.store.replica = true;
    slave_cfg.slave_read_enable = true;
    slave_cfg.broker_ip = n.ip();
    slave_cfg.store.store_host = slave_cfg.address();
    if (tweak) tweak(slave_cfg);
    sim.start(slave_node);
    sim.run_until([&] { return slave != nullptr; }, 10s);
  }

  // Runs `body` on a fresh client node; fails the test if it does not end.
  void client(const std::function<void(rt::Runtime&)>& body, rt::Duration limit = 10min) {
    bool done = false;
    auto& n = sim.add_node("client" + std::to_string(clients_++), [&](rt::Runtime& rt) {
      body(rt);
      done = true;
    });
    sim.start(n.id());
    ASSERT_TRUE(sim.run_until([&] { return done; }, limit)) << "the client did not finish";
  }

 private:
  int clients_ = 0;
};

inline std::string text(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

inline RemotingCommand create_topic(remoting::RpcClient& c, const std::string& addr, const std::string& topic, int32_t read,
                             int32_t write, int32_t perm = 6) {
  auto req = RemotingCommand::request(rc::kUpdateAndCreateTopic);
  remoting::put_field(req, "topic", topic);
  remoting::put_field(req, "defaultTopic", "TBW102");
  remoting::put_field(req, "readQueueNums", read);
  remoting::put_field(req, "writeQueueNums", write);
  remoting::put_field(req, "perm", perm);
  remoting::put_field(req, "topicFilterType", "SINGLE_TAG");
  auto r = c.invoke(addr, std::move(req), 5s);
  EXPECT_TRUE(r.ok());
  return r ? *r : RemotingCommand{};
}

// SEND_MESSAGE_V2 of `body` to `topic`'s queue `queue_id`.
inline RemotingCommand send_request(const std::string& topic, int32_t queue_id, const std::string& body,
                                    const std::string& tags = "TagA", int32_t reconsume_times = 0,
                                    const common::MessageProperties& extra = {}, const std::string& group = "PG",
                                    int64_t born_ms = 1700000000000) {
  auto req = RemotingCommand::request(rc::kSendMessageV2);
  remoting::SendMessageRequestHeader h;
  h.producer_group = group;
  h.topic = topic;
  h.default_topic = "TBW102";
  h.default_topic_queue_nums = 4;
  h.queue_id = queue_id;
  h.born_timestamp = born_ms;
  common::MessageProperties props = extra;
  props.insert({{"TAGS", tags}, {"KEYS", "k-" + body}, {"UNIQ_KEY", "U" + body}});
  h.properties = common::encode_properties(props);
  h.reconsume_times = reconsume_times;
  h.encode(req, /*v2=*/true);
  req.body = remoting::to_bytes(body);
  return req;
}

// send_request's answer; the test fails when there is none.
inline RemotingCommand send(remoting::RpcClient& c, const std::string& addr, const std::string& topic, int32_t queue_id,
                     const std::string& body, const std::string& tags = "TagA", int32_t reconsume_times = 0,
                     const common::MessageProperties& extra = {}, const std::string& group = "PG",
                     int64_t born_ms = 1700000000000) {
  auto r = c.invoke(addr, send_request(topic, queue_id, body, tags, reconsume_times, extra, group, born_ms), 10s);
  EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message());
  return r ? *r : RemotingCommand{};
}

inline RemotingCommand pull(remoting::RpcClient& c, const std::string& addr, const std::string& group,
                     const std::string& topic, int32_t queue_id, int64_t offset, int32_t sys_flag = 6,
                     int64_t suspend_ms = 15000, const std::string& subscription = "*") {
  auto req = RemotingCommand::request(rc::kPullMessage);
  remoting::PullMessageRequestHeader h;
  h.consumer_group = group;
  h.topic = topic;
  h.queue_id = queue_id;
  h.queue_offset = offset;
  h.sys_flag = sys_flag;
  h.suspend_timeout_millis = suspend_ms;
  h.subscription = subscription;
  h.encode(req);
  auto r = c.invoke(addr, std::move(req), 30s);
  EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message());
  return r ? *r : RemotingCommand{};
}

inline std::vector<common::StoredMessage> records(const RemotingCommand& resp) {
  std::vector<common::StoredMessage> out;
  size_t at = 0;
  while (at < resp.body.size()) {
    auto d = common::decode_stored(std::span<const std::byte>(resp.body.data() + at, resp.body.size() - at));
    EXPECT_EQ(d.status, common::RecordStatus::ok) << d.problem;
    if (d.status != common::RecordStatus::ok) break;
    out.push_back(*d.message);
    at += d.size;
  }
  return out;
}

inline RemotingCommand heartbeat(remoting::RpcClient& c, const std::string& addr, const std::string& client_id,
                          const std::string& group, const std::vector<std::string>& topics,
                          remoting::MessageModel model = remoting::MessageModel::clustering) {
  remoting::HeartbeatData hb;
  hb.client_id = client_id;
  remoting::ConsumerData cd;
  cd.group_name = group;
  cd.message_model = model;
  for (const auto& t : topics) {
    remoting::SubscriptionData s;
    s.topic = t;
    cd.subscriptions.push_back(s);
  }
  hb.consumers.push_back(cd);
  auto req = RemotingCommand::request(rc::kHeartBeat);
  req.body = remoting::to_bytes(remoting::encode_heartbeat(hb));
  auto r = c.invoke(addr, std::move(req), 5s);
  EXPECT_TRUE(r.ok());
  return r ? *r : RemotingCommand{};
}

inline int64_t header_int(const RemotingCommand& c, const char* name) {
  auto v = c.field(name);
  return v ? std::stoll(std::string(*v)) : INT64_MIN;
}

// GET_BROKER_RUNTIME_INFO's table; empty when it did not answer.
inline std::map<std::string, std::string> runtime_info(remoting::RpcClient& c, const std::string& addr) {
  auto r = c.invoke(addr, RemotingCommand::request(rc::kGetBrokerRuntimeInfo), 5s);
  std::map<std::string, std::string> out;
  if (!r) return out;
  auto v = json::parse_lenient(text(r->body));
  if (!v) return out;
  for (const auto& [k, val] : v->as_object().at("table").as_object()) out[std::string(k)] = std::string(val.as_string());
  return out;
}

}  // namespace rmq::broker::test_util
