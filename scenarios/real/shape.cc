#include "scenarios/real/shape.h"

#include <fmt/format.h>

#include <algorithm>

#include "scenarios/chaos.h"

namespace rmq::chaos {

namespace {

// Builds a shape in start order.
class Builder {
 public:
  Builder(std::string_view scenario, uint64_t seed) {
    s_.scenario = std::string(scenario);
    s_.seed = seed;
  }
  Builder& namesrv(const std::string& name) {
    s_.nodes.push_back({.name = name, .role = Role::namesrv});
    return *this;
  }
  // A master broker (broker_name broker-a, broker-b, ... in call order).
  Builder& broker(const std::string& name, bool sync_flush, const std::string& role = "ASYNC_MASTER") {
    s_.nodes.push_back({.name = name,
                        .role = Role::broker,
                        .broker = {.broker_name = next_broker_name(), .role = role, .sync_flush = sync_flush}});
    return *this;
  }
  // A slave of the master added last.
  Builder& slave(const std::string& name) { return slave_of(s_.nodes.back().name, name); }
  // A slave of the master node `master`.
  Builder& slave_of(const std::string& master, const std::string& name) {
    const RealNode& m = *std::find_if(s_.nodes.begin(), s_.nodes.end(), [&](const RealNode& n) { return n.name == master; });
    s_.nodes.push_back({.name = name,
                        .role = Role::broker,
                        .broker = {.broker_name = m.broker.broker_name, .broker_id = 1, .role = "SLAVE",
                                   .sync_flush = m.broker.sync_flush, .master = m.name}});
    return *this;
  }
  Builder& producer(const std::string& name, ProducerSpec spec = {}) {
    s_.nodes.push_back({.name = name, .role = Role::producer, .producer = spec});
    return *this;
  }
  Builder& consumer(const std::string& name, ConsumerSpec spec = {}) {
    s_.nodes.push_back({.name = name, .role = Role::consumer, .consumer = std::move(spec)});
    return *this;
  }
  Builder& unchecked(std::string what) {
    s_.unchecked.push_back(std::move(what));
    return *this;
  }
  RealShape& shape() { return s_; }

 private:
  std::string next_broker_name() { return fmt::format("broker-{}", static_cast<char>('a' + masters_++)); }
  RealShape s_;
  int masters_ = 0;
};

RealShape refused(std::string_view scenario, uint64_t seed, std::string why) {
  RealShape s;
  s.scenario = std::string(scenario);
  s.seed = seed;
  s.refused = std::move(why);
  return s;
}

// cluster, namesrvs-down, broker-namesrv-heartbeat-loss, consumer-crash,
// slow-disk-sync and orderly-rebalance: 2 namesrvs, 2 brokers, 3
// producers, consumers 0-2 in CG and 3-4 in BG (orderly: consumer5 in CG).
RealShape cluster_family(std::string_view scenario, uint64_t seed, bool sync_flush, bool orderly) {
  Builder b(scenario, seed);
  b.namesrv("namesrv0").namesrv("namesrv1").broker("broker0", sync_flush).broker("broker1", sync_flush);
  for (int p = 0; p < 3; ++p) b.producer(fmt::format("producer{}", p), {.orderly = orderly});
  for (int c = 0; c < (orderly ? 6 : 5); ++c) {
    const bool bc = c == 3 || c == 4;
    // Orderly listeners now and then suspend a queue (retried in place), as in the simulation.
    b.consumer(fmt::format("consumer{}", c), {.group = bc ? "BG" : "CG", .broadcasting = bc, .orderly = orderly,
                                              .failure_share = orderly ? 0.05 : 0});
  }
  if (orderly)
    b.unchecked("no two members inside one queue's listener at once (listener calls are not timed across processes)")
        .unchecked("consumer5 joining late and consumer0 leaving (workload events, not faults): all run throughout");
  return b.shape();
}

// master-crash, ha-partition, async-master-loss: one namesrv, `groups`
// master and slave pairs, 2 producers, 2 consumers in CG.
RealShape ha_family(std::string_view scenario, uint64_t seed, int groups, const std::string& role) {
  Builder b(scenario, seed);
  b.namesrv("namesrv");
  for (int g = 0; g < groups; ++g) b.broker(fmt::format("master{}", g), false, role).slave(fmt::format("slave{}", g));
  b.producer("producer0").producer("producer1").consumer("consumer0").consumer("consumer1");
  b.unchecked("the slave's CommitLog compared byte for byte with the master's (files are not read back)");
  b.shape().async_replication = role == "ASYNC_MASTER";
  return b.shape();
}

RealShape chaos_family(std::string_view scenario, uint64_t seed, double nodes) {
  const scenarios::ChaosCluster c = scenarios::chaos_cluster(seed, nodes);
  Builder b(scenario, seed);
  b.namesrv("namesrv0").namesrv("namesrv1");
  const std::string role = !c.ha ? "ASYNC_MASTER" : c.sync_master ? "SYNC_MASTER" : "ASYNC_MASTER";
  for (int i = 0; i < c.brokers; ++i) b.broker(fmt::format("broker{}", i), c.sync_flush, role);
  // Slaves after every master, as the simulation adds them.
  if (c.ha)
    for (int i = 0; i < c.brokers; ++i) b.slave_of(fmt::format("broker{}", i), fmt::format("slave{}", i));
  for (int p = 0; p < c.producers; ++p)
    b.producer(fmt::format("producer{}", p), {.delay_share = c.delay_share,
                                              .orderly = p == 1 && c.orderly,
                                              .transactional = p == 0 && c.transactions});
  for (int i = 0; i < c.clustering + c.broadcasting + (c.orderly ? c.orderly_members : 0); ++i) {
    const bool og = i >= c.clustering + c.broadcasting, bc = i >= c.clustering && !og;
    b.consumer(fmt::format("consumer{}", i), {.group = og ? "OG" : bc ? "BG" : "CG",
                                              .broadcasting = bc,
                                              .orderly = og,
                                              .failure_share = og ? 0.05 : bc ? 0 : c.listener_failure});
  }
  if (c.transactions) b.shape().transaction_check_interval_ms = 5000;
  b.unchecked("the seed's send gaps, bursts, body sizes, listener latency, pull batch and cache limit");
  if (c.sync_master) b.unchecked("each SEND_OK against its slave's log as it arrives (needs the slave's position)");
  return b.shape();
}

}  // namespace

RealShape real_shape(std::string_view scenario, uint64_t seed, double nodes) {
  if (scenario == "ping")
    return refused(scenario, seed, "ping runs the runtime's echo nodes (n0, n1, ...), not a RocketMQ cluster");
  if (scenario == "registration-at-scale")
    return refused(scenario, seed,
                   "its property is one broker's registration of 50 000 topics and the size of its keep-alive, "
                   "measured inside the simulator; the workloads here do not create 50 000 topics");
  if (scenario == "cluster" || scenario == "namesrvs-down" || scenario == "broker-namesrv-heartbeat-loss" ||
      scenario == "consumer-crash")
    return cluster_family(scenario, seed, false, false);
  if (scenario == "slow-disk-sync") return cluster_family(scenario, seed, true, false);
  if (scenario == "orderly-rebalance") return cluster_family(scenario, seed, false, true);
  if (scenario == "chaos") return chaos_family(scenario, seed, nodes);
  if (scenario == "master-crash") return ha_family(scenario, seed, 2, "SYNC_MASTER");
  if (scenario == "ha-partition") return ha_family(scenario, seed, 1, "SYNC_MASTER");
  if (scenario == "async-master-loss") return ha_family(scenario, seed, 2, "ASYNC_MASTER");

  Builder b(scenario, seed);
  if (scenario == "broker-crash" || scenario == "broker-power-loss") {
    // The simulation's producers write straight to the broker and a
    // checker reads every acknowledged offset back; here the client sends
    // and a consumer named for the checker reads.
    b.namesrv("namesrv").broker("broker", scenario == "broker-power-loss");
    b.producer("producer0").producer("producer1").producer("producer2").consumer("checker");
    b.unchecked("each acknowledged offset read back at the offset the broker answered");
    return b.shape();
  }
  if (scenario == "long-poll") {
    b.namesrv("namesrv").broker("broker", false).producer("producer").consumer("consumer");
    b.unchecked("delivery within 1 ms of the message being stored (needs simulated time)");
    return b.shape();
  }
  if (scenario == "consumer-heartbeat-loss") {
    b.namesrv("namesrv").broker("broker", false).producer("producer0");
    for (int c = 0; c < 3; ++c) b.consumer(fmt::format("consumer{}", c));
    b.unchecked("the silent consumer dropped 120-132 s after its last heartbeat, the group notified, its return "
                "within 70 s");
    return b.shape();
  }
  if (scenario == "delay-crash") {
    b.namesrv("namesrv").broker("broker0", true).broker("broker1", true);
    b.producer("producer0", {.delay_share = 0.5}).producer("producer1", {.delay_share = 0.5});
    b.consumer("consumer0", {.failure_share = 0.1}).consumer("consumer1", {.failure_share = 0.1});
    b.unchecked("each delayed message delivered within its time + 1 s whenever its broker was up");
    return b.shape();
  }
  if (scenario == "retry-dlq") {
    b.namesrv("namesrv").broker("broker0", false).producer("producer");
    b.consumer("consumer0", {.failure_share = 0.3}).consumer("consumer1", {.failure_share = 0.3});
    b.consumer("dlq-reader", {.group = "DLQ-READER", .topic = "%DLQ%CG"});
    b.unchecked("the retry schedule (10 s, 30 s, 1 m after each failure) and the DLQ after maxReconsumeTimes: "
                "listeners here fail at most 3 times, so nothing should reach the DLQ");
    return b.shape();
  }
  if (scenario == "transaction-crash") {
    b.namesrv("namesrv").broker("broker0", false).broker("broker1", false);
    for (int p = 0; p < 3; ++p) b.producer(fmt::format("producer{}", p), {.transactional = true});
    b.consumer("consumer0").consumer("consumer1");
    b.shape().transaction_check_interval_ms = 5000;
    b.unchecked("each transaction stored exactly once in the half topic")
        .unchecked("committed transactions arriving: a commit whose oneway END_TRANSACTION is lost may be discarded "
                   "after transactionCheckMax check-backs, so commits are judged only in the simulation; rollbacks never "
                   "leaking is judged here");
    return b.shape();
  }
  return refused(scenario, seed, fmt::format("no scenario '{}'", scenario));
}

const RealNode* find_node(const RealShape& s, std::string_view name) {
  for (const auto& n : s.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

bool is_broker(const RealShape& s, std::string_view name) {
  const RealNode* n = find_node(s, name);
  return n && n->role == Role::broker;
}

bool is_client(const RealShape& s, std::string_view name) {
  const RealNode* n = find_node(s, name);
  return n && (n->role == Role::producer || n->role == Role::consumer);
}

}  // namespace rmq::chaos
