// Scenario "cluster" (issue 6 (a)): the C++ client against a small cluster.
//
// Goal: with broker process crashes and restarts, every message a producer
// saw acknowledged is delivered to every subscribed group (clustering: one
// member; broadcasting: each member), intact, with no phantom, no aborted
// read and no offset given to two messages; duplicates are counted with
// their cause.
// Method: 2 namesrvs, 2 brokers (ASYNC_FLUSH) with 4 queues each of one
// topic (8 queues), 3 producers (client Producer, sync sends with retries on
// the other broker), a clustering group of 3 and a broadcasting group of 2
// (client PushConsumer). Safety phase: for 30 s brokers are killed and
// restarted at random. Liveness phase: faults over, producers finish, then up
// to 10 simulated minutes for deliveries. The recorded history goes through
// every checker of scenarios/history.h.
#include <fmt/format.h>

#include "broker/broker.h"
#include "client/producer.h"
#include "client/push_consumer.h"
#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "scenarios/history.h"
#include "scenarios/scenario.h"
#include "sim/disk.h"
#include "sim/simulation.h"

namespace rmq::scenarios {
namespace {

using rt::Duration;
using sim::NodeId;
namespace h = history;

constexpr const char* kTopic = "ClusterTopic";
constexpr int kQueuesPerBroker = 4;

std::string body_of(const std::string& key, int n) {
  std::string b = key + "|";
  const size_t len = 16 + static_cast<size_t>((n * 7919) % (n % 11 == 0 ? 6000 : 400));
  while (b.size() < len) b.push_back(static_cast<char>('a' + (b.size() * 13 + static_cast<size_t>(n)) % 26));
  return b;
}

struct Cluster {
  sim::Simulation sim;
  h::History hist;
  std::vector<std::string> namesrv_addrs;
  std::vector<NodeId> broker_nodes;
  std::vector<broker::BrokerConfig> broker_cfgs;
  std::vector<std::string> failures;
  int producers_done = 0;
  bool consumers_stop = false;
  explicit Cluster(uint64_t seed) : sim(seed) {}
};

void create_topic(rt::Runtime& rt, client::MqClient& mq, const std::string& addr) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto req = remoting::RemotingCommand::request(remoting::request_code::kUpdateAndCreateTopic);
    remoting::put_field(req, "topic", kTopic);
    remoting::put_field(req, "readQueueNums", int32_t{kQueuesPerBroker});
    remoting::put_field(req, "writeQueueNums", int32_t{kQueuesPerBroker});
    remoting::put_field(req, "perm", int32_t{6});
    auto r = mq.invoke(addr, std::move(req), 3s);
    if (r && r->code == remoting::response_code::kSuccess) return;
    rt.sleep_for(500ms);
  }
}

void producer_main(rt::Runtime& rt, Cluster& k, int p, int count, const std::string& ip) {
  client::MqClient mq(rt, {.namesrv_addrs = k.namesrv_addrs, .client_ip = ip, .instance_name = fmt::format("p{}", p)});
  mq.start();
  if (p == 0)
    for (const auto& cfg : k.broker_cfgs) create_topic(rt, mq, cfg.address());
  rt.sleep_for(2s);  // the topic reaches the namesrvs
  client::Producer prod(mq, {.group = "PG"});
  for (int n = 0; n < count; ++n) {
    h::Send s;
    s.key = fmt::format("p{}-{}", p, n);
    s.producer = fmt::format("p{}", p);
    s.queue.topic = kTopic;
    const std::string body = body_of(s.key, n);
    s.body_digest = body;
    s.invoked = rt.now();
    auto r = prod.send({.topic = kTopic, .keys = s.key, .body = body});
    s.completed = rt.now();
    if (r.ok()) {
      s.outcome = h::SendOutcome::acked;
      s.queue.broker = r.queue.broker_name;
      s.queue.queue_id = r.queue.queue_id;
      s.queue_offset = r.queue_offset;
      s.msg_id = r.msg_id;
    } else {
      s.outcome = h::SendOutcome::unknown;  // a timeout may still have stored it
    }
    k.hist.sends.push_back(std::move(s));
    rt.sleep_for(Duration(rt.random().between(5'000'000, 200'000'000)));
  }
  ++k.producers_done;
  mq.stop();
}

void consumer_main(rt::Runtime& rt, Cluster& k, const std::string& group, remoting::MessageModel model,
                   const std::string& instance, const std::string& ip) {
  client::MqClient mq(rt, {.namesrv_addrs = k.namesrv_addrs, .client_ip = ip, .instance_name = instance});
  mq.start();
  client::PushConsumer c(mq, {.group = group, .model = model, .consume_from = client::ConsumeFrom::first_offset});
  c.subscribe(kTopic);
  const std::string id = mq.client_id();
  c.on_rebalance([&](const std::vector<client::MessageQueue>& owned) {
    h::Rebalance rb;
    rb.group = group;
    rb.consumer = id;
    rb.at = rt.now();
    for (const auto& q : owned) rb.owned.insert({q.topic, q.broker_name, q.queue_id});
    k.hist.rebalances.push_back(std::move(rb));
  });
  c.start([&](const client::ReceivedMessage& m) {
    h::Delivery d;
    d.group = group;
    d.consumer = id;
    d.key = m.keys;
    d.msg_id = m.msg_id;
    d.queue = {m.queue.topic, m.queue.broker_name, m.queue.queue_id};
    d.queue_offset = m.queue_offset;
    d.body_digest = m.body;
    d.reconsume_times = m.reconsume_times;
    d.at = rt.now();
    k.hist.deliveries.push_back(std::move(d));
    return client::ConsumeResult::success;
  });
  while (!k.consumers_stop) rt.sleep_for(1s);
  c.shutdown();
  mq.stop();
}

}  // namespace

RunResult run_cluster(uint64_t seed, const RunOptions& opts) {
  Cluster k(seed);
  auto& sim = k.sim;
  rt::Random& r = sim.random();
  sim.set_echo_logs(opts.verbose);
  if (opts.trace) sim.set_tracer([](const std::string& line) { std::fprintf(stderr, "trace %s\n", line.c_str()); });
  for (int i = 0; i < 2; ++i) {
    auto& n = sim.add_node(fmt::format("namesrv{}", i), [](rt::Runtime& rt) {
      namesrv::NamesrvConfig c;
      c.kv_config_path = "/namesrv/kv.json";
      namesrv::NameServer ns(rt, c);
      if (!ns.start()) return;
      rt.sleep_for(rt::kForever);
    });
    k.namesrv_addrs.push_back(n.ip() + ":9876");
  }
  k.broker_cfgs.resize(2);
  for (int i = 0; i < 2; ++i) {
    auto& n = sim.add_node(fmt::format("broker{}", i), [&k, i](rt::Runtime& rt) {
      broker::Broker b(rt, k.broker_cfgs[static_cast<size_t>(i)]);
      if (auto st = b.start(); !st) {
        if (st.error().code() != rt::Errc::cancelled) k.failures.push_back("broker start: " + st.error().message());
        return;
      }
      rt.sleep_for(rt::kForever);
    });
    auto& cfg = k.broker_cfgs[static_cast<size_t>(i)];
    cfg.broker_name = i == 0 ? "broker-a" : "broker-b";
    cfg.namesrv_addrs = k.namesrv_addrs;
    cfg.broker_ip = n.ip();
    cfg.store.root_dir = "/store";
    cfg.store.commit_log_segment_bytes = 1 << 20;
    cfg.store.store_host = cfg.address();
    k.broker_nodes.push_back(n.id());
  }
  const int per_producer = 40 + static_cast<int>(r.below(60));
  for (int p = 0; p < 3; ++p) {
    // Client ips are only names here (in client ids and UNIQ_KEYs).
    sim.add_node(fmt::format("producer{}", p), [&k, p, per_producer](rt::Runtime& rt) {
      producer_main(rt, k, p, per_producer, fmt::format("10.1.0.{}", p + 1));
    });
  }
  h::Group clustering{.kind = h::GroupKind::clustering, .topics = {kTopic}};
  h::Group broadcasting{.kind = h::GroupKind::broadcasting, .topics = {kTopic}};
  for (int c = 0; c < 5; ++c) {
    const bool bc = c >= 3;
    const std::string group = bc ? "BG" : "CG";
    const std::string instance = fmt::format("c{}", c);
    const std::string ip = fmt::format("10.2.0.{}", c + 1);
    sim.add_node(fmt::format("consumer{}", c), [&k, group, instance, bc, ip](rt::Runtime& rt) {
      consumer_main(rt, k, group, bc ? remoting::MessageModel::broadcasting : remoting::MessageModel::clustering,
                    instance, ip);
    });
    (bc ? broadcasting : clustering).members.insert(ip + "@" + instance);
  }
  k.hist.groups["CG"] = clustering;
  k.hist.groups["BG"] = broadcasting;
  sim.start_all();

  // Safety phase: broker process crashes and restarts.
  int crashes = 0;
  if (opts.faults) {
    for (Duration t = Duration(r.between(3'000'000'000, 8'000'000'000)); t < 30s;
         t += Duration(r.between(2'000'000'000, 10'000'000'000))) {
      const NodeId b = k.broker_nodes[r.below(2)];
      const Duration down = Duration(r.between(100'000'000, 4'000'000'000));
      ++crashes;
      sim.at(rt::Instant(t), [&sim, b, down] {
        if (!sim.node(b).up()) return;
        sim.crash(b);
        sim.after(down, [&sim, b] {
          if (!sim.node(b).up()) sim.start(b);
        });
      });
    }
  }
  sim.run_for(35s);
  for (NodeId b : k.broker_nodes)
    if (!sim.node(b).up()) sim.start(b);
  k.hist.healed_at = sim.now();
  if (!sim.run_until([&] { return k.producers_done == 3; }, 10min)) k.failures.push_back("the producers did not finish");
  // Liveness: every acknowledged message reaches both groups.
  auto everything_delivered = [&] {
    std::set<std::string> acked;
    for (const auto& s : k.hist.sends)
      if (s.outcome == h::SendOutcome::acked) acked.insert(s.key);
    std::map<std::string, std::set<std::string>> seen;  // group or member -> keys
    for (const auto& d : k.hist.deliveries) seen[d.group == "BG" ? d.consumer : d.group].insert(d.key);
    if (seen["CG"].size() < acked.size()) return false;
    for (const auto& m : broadcasting.members)
      if (seen[m].size() < acked.size()) return false;
    return true;
  };
  sim.run_until(everything_delivered, 10min);
  sim.run_for(5s);  // late duplicates show up too
  k.consumers_stop = true;
  sim.run_for(3s);
  k.hist.end = sim.now();

  const h::Summary sum = h::check_all(k.hist);
  RunResult out;
  for (NodeId i = 0; i < sim.node_count(); ++i) sim.fold(sim.node(i).disk().digest());
  out.trace_hash = sim.trace_hash();
  out.events = sim.events_processed();
  out.simulated = sim.now().time_since_epoch();
  out.failures = k.failures;
  for (const auto& v : sum.violations)
    if (out.failures.size() < 20) out.failures.push_back(h::to_string(v.kind) + ": " + v.description);
  for (const auto& [group, causes] : sum.duplicates)
    for (const auto& [cause, n] : causes) out.duplicates += n;
  if (crashes > 0) out.faults.push_back("crash");
  size_t acked = 0;
  for (const auto& s : k.hist.sends) acked += s.outcome == h::SendOutcome::acked;
  out.notes.push_back(fmt::format("sends={} acked={} deliveries={} duplicates={} broker_crashes={}", k.hist.sends.size(),
                                  acked, k.hist.deliveries.size(), out.duplicates, crashes));
  if (!out.ok()) out.recent_logs = sim.recent_logs();
  return out;
}

}  // namespace rmq::scenarios
