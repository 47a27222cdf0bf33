// Scenario "cluster" (issue 6 (a)) and its variants (b)-(f): the C++ client
// against a small cluster.
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

#include <algorithm>

#include "client/producer.h"
#include "client/push_consumer.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "scenarios/fault_inject.h"
#include "scenarios/history.h"
#include "scenarios/nodes.h"
#include "scenarios/rig.h"
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

// What a variant of the scenario does to the cluster.
enum class Variant {
  broker_crashes,    // (a) kill -9 and restart brokers at random
  namesrvs_down,     // (b) every namesrv down for 10 minutes while traffic goes on
  broker_heartbeat,  // (c) one broker cut off from both namesrvs for 150-200 s
  consumer_crash,    // (d) a clustering consumer crashes for good
  slow_disk,         // (f) SYNC_FLUSH brokers with slow operations and 3 s fsync stalls
  orderly,           // (e) orderly groups; members join, leave and crash
};

// One listener call of the orderly scenario's clustering group.
struct ListenerCall {
  h::QueueRef queue;
  std::string consumer;
  rt::Instant start, end;
  bool ended = false;
};

struct Cluster : FailureLog {
  Variant plan = Variant::broker_crashes;
  Duration send_gap_max = 200ms;
  // A workload knob per seed: the longest a (non-orderly) listener takes.
  // Slow listeners keep pulled messages buffered and unconsumed, which is
  // where offset and rebalance bugs show.
  Duration listener_delay_max{0};
  std::vector<sim::NodeId> namesrv_nodes;
  std::vector<sim::NodeId> consumer_nodes;
  h::History hist;
  std::vector<std::string> namesrv_addrs;
  std::vector<NodeId> broker_nodes;
  std::vector<broker::BrokerConfig> broker_cfgs;
  int producers_done = 0;
  bool consumers_stop = false;
  std::set<std::string> leaving;  // instances told to shut down
  std::map<std::string, Duration> join_at;  // instances that start late
  std::vector<ListenerCall> calls;  // orderly: CG's listener calls
  // Kept as the history grows, for the liveness check after every event.
  std::set<std::string> acked_keys;
  std::map<std::string, std::set<std::string>> seen_keys;  // CG, or a BG member -> keys delivered
  // Last, so that it is destroyed first: its nodes' tasks refer to the above.
  sim::Simulation sim;
  explicit Cluster(uint64_t seed) : sim(seed) {}
};

void producer_main(rt::Runtime& rt, Cluster& k, int p, int count, const std::string& ip) {
  client::MqClient mq(rt, {.namesrv_addrs = k.namesrv_addrs, .client_ip = ip, .instance_name = fmt::format("p{}", p)});
  mq.start();
  if (p == 0)
    for (const auto& cfg : k.broker_cfgs) create_topic(rt, mq, cfg.address(), kTopic, kQueuesPerBroker);
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
    client::SendResult r;
    if (k.plan == Variant::orderly) {
      s.sharding_key = sharding_key_of(n);
      r = prod.send_by_key({.topic = kTopic, .keys = s.key, .body = body}, *s.sharding_key);
    } else {
      r = prod.send({.topic = kTopic, .keys = s.key, .body = body});
    }
    s.completed = rt.now();
    if (r.ok()) {
      s.outcome = h::SendOutcome::acked;
      k.acked_keys.insert(s.key);
      s.queue.broker = r.queue.broker_name;
      s.queue.queue_id = r.queue.queue_id;
      s.queue_offset = r.queue_offset;
      s.msg_id = r.msg_id;
    } else {
      record_unacked(s, r);
    }
    k.hist.sends.push_back(std::move(s));
    rt.sleep_for(Duration(rt.random().between(5'000'000, k.send_gap_max.count())));
  }
  ++k.producers_done;
  mq.stop();
}

void consumer_main(rt::Runtime& rt, Cluster& k, const std::string& group, remoting::MessageModel model,
                   const std::string& instance, const std::string& ip) {
  if (auto it = k.join_at.find(instance); it != k.join_at.end()) rt.sleep_for(it->second);
  client::MqClient mq(rt, {.namesrv_addrs = k.namesrv_addrs, .client_ip = ip, .instance_name = instance});
  mq.start();
  const bool orderly = k.plan == Variant::orderly;
  client::PushConsumer c(mq, {.group = group, .model = model, .consume_from = client::ConsumeFrom::first_offset,
                              .orderly = orderly});
  c.subscribe(kTopic);
  const std::string id = mq.client_id();
  c.on_rebalance([&](const std::vector<client::MessageQueue>& owned) {
    k.hist.rebalances.push_back(rebalance_record(group, id, rt.now(), owned));
  });
  record_locks(c, k.hist, rt, group, id);
  c.start([&](const client::ReceivedMessage& m) {
    // A slow listener's work comes first: a member that crashes inside it
    // has not consumed the message (it counts once it returns).
    if (!orderly && k.listener_delay_max > Duration::zero())
      rt.sleep_for(Duration(rt.random().below(static_cast<uint64_t>(k.listener_delay_max.count()))));
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
    k.seen_keys[group == "BG" ? id : group].insert(d.key);
    k.hist.deliveries.push_back(std::move(d));
    if (!orderly) return client::ConsumeResult::success;
    // Orderly: some work, and now and then a failure retried in place.
    const size_t call = k.calls.size();
    if (model == remoting::MessageModel::clustering)
      k.calls.push_back({{m.queue.topic, m.queue.broker_name, m.queue.queue_id}, id, rt.now(), rt.now()});
    rt.sleep_for(Duration(rt.random().below(200'000'000)));
    if (model == remoting::MessageModel::clustering) {
      k.calls[call].end = rt.now();
      k.calls[call].ended = true;
    }
    return rt.random().below(20) == 0 ? client::ConsumeResult::suspend_current_queue : client::ConsumeResult::success;
  });
  while (!k.consumers_stop && !k.leaving.count(instance)) rt.sleep_for(1s);
  c.shutdown();
  if (k.leaving.count(instance)) k.hist.rebalances.push_back({group, id, rt.now(), {}});  // owns nothing now
  mq.stop();
}

}  // namespace

RunResult run_cluster_variant(uint64_t seed, const RunOptions& opts, Variant plan) {
  Cluster k(seed);
  k.plan = plan;
  // Traffic must outlast a 10-minute namesrv outage.
  if (plan == Variant::namesrvs_down) k.send_gap_max = 8s;
  if (plan == Variant::broker_heartbeat) k.send_gap_max = 10s;
  if (plan == Variant::orderly) k.send_gap_max = 600ms;  // traffic across the joins, the leave and the crash
  auto& sim = k.sim;
  rt::Random& r = sim.random();
  observe(sim, opts);
  for (int i = 0; i < 2; ++i) {
    auto& n = sim.add_node(fmt::format("namesrv{}", i), [](rt::Runtime& rt) { namesrv_main(rt); });
    k.namesrv_addrs.push_back(n.ip() + ":9876");
    k.namesrv_nodes.push_back(n.id());
  }
  k.broker_cfgs.resize(2);
  for (int i = 0; i < 2; ++i) {
    auto& n = sim.add_node(fmt::format("broker{}", i), [&k, i](rt::Runtime& rt) {
      broker_main(rt, k.broker_cfgs[static_cast<size_t>(i)],
                  [&k](std::string what) { k.fail_at(k.sim.now(), std::move(what)); });
    });
    auto& cfg = k.broker_cfgs[static_cast<size_t>(i)];
    cfg.broker_name = i == 0 ? "broker-a" : "broker-b";
    cfg.namesrv_addrs = k.namesrv_addrs;
    cfg.broker_ip = n.ip();
    sim_store(cfg.store, 1 << 20);
    cfg.store.store_host = cfg.address();
    if (plan == Variant::slow_disk) cfg.store.flush_disk_type = store::FlushDiskType::sync_flush;
    cfg.transfer_msg_by_heap = r.below(2) == 0;  // pull answers copied, or sent from the files
    k.broker_nodes.push_back(n.id());
  }
  const int per_producer = scaled(40 + static_cast<int>(r.below(60)), opts);
  if (r.chance(0.5)) k.listener_delay_max = Duration(r.between(1'000'000, 400'000'000));
  for (int p = 0; p < 3; ++p) {
    // Client ips are only names here (in client ids and UNIQ_KEYs).
    sim.add_node(fmt::format("producer{}", p), [&k, p, per_producer](rt::Runtime& rt) {
      producer_main(rt, k, p, per_producer, fmt::format("10.1.0.{}", p + 1));
    });
  }
  h::Group clustering{.kind = h::GroupKind::clustering, .topics = {kTopic}, .orderly = plan == Variant::orderly};
  h::Group broadcasting{.kind = h::GroupKind::broadcasting, .topics = {kTopic}, .orderly = plan == Variant::orderly};
  // Orderly: a fourth clustering member (c5) joins later.
  const int consumers = plan == Variant::orderly ? 6 : 5;
  if (plan == Variant::orderly) k.join_at["c5"] = Duration(r.between(8'000'000'000, 15'000'000'000));
  for (int c = 0; c < consumers; ++c) {
    const bool bc = c == 3 || c == 4;
    const std::string group = bc ? "BG" : "CG";
    const std::string instance = fmt::format("c{}", c);
    const std::string ip = fmt::format("10.2.0.{}", c + 1);
    auto& cn = sim.add_node(fmt::format("consumer{}", c), [&k, group, instance, bc, ip](rt::Runtime& rt) {
      consumer_main(rt, k, group, bc ? remoting::MessageModel::broadcasting : remoting::MessageModel::clustering,
                    instance, ip);
    });
    k.consumer_nodes.push_back(cn.id());
    (bc ? broadcasting : clustering).members.insert(ip + "@" + instance);
  }
  k.hist.groups["CG"] = clustering;
  k.hist.groups["BG"] = broadcasting;
  sim.start_all();

  // Safety phase: the variant's faults, as a plan.
  std::vector<std::string> broker_names, namesrv_names, consumer_names;
  for (NodeId n : k.broker_nodes) broker_names.push_back(sim.node(n).name());
  for (NodeId n : k.namesrv_nodes) namesrv_names.push_back(sim.node(n).name());
  for (NodeId n : k.consumer_nodes) consumer_names.push_back(sim.node(n).name());
  // Orderly: c0 leaves cleanly (workload, not a fault).
  if (opts.faults && plan == Variant::orderly)
    sim.at(rt::Instant(Duration(r.between(18'000'000'000, 25'000'000'000))), [&k] { k.leaving.insert("c0"); });
  FaultInjector injector(sim);
  const auto refused = injector.start(seed, opts, [&](rt::Random& pr, FaultPlan& fp) {
    auto add = [&fp](Duration at, FaultKind kind, const std::string& node, const std::string& peer = {}) -> FaultEvent& {
      return peer.empty() ? fp.add(at, kind, node) : fp.add(at, kind, node, peer, true);
    };
    // Swarm, in every variant after its own faults: some seeds also pause a
    // broker, cut a client off from a broker, or clog that link, 1-3 times
    // each within the first 30 s.
    auto swarm = [&] {
      for (int family = 0; family < 3; ++family) {
        if (!pr.chance(0.3)) continue;
        for (int n = 1 + static_cast<int>(pr.below(3)); n > 0; --n) {
          const Duration at = Duration(pr.between(3'000'000'000, 28'000'000'000));
          const Duration len = Duration(pr.between(200'000'000, 5'000'000'000));
          const std::string& b = broker_names[pr.below(2)];
          const bool producer = pr.chance(0.5);
          const std::string client =
              producer ? fmt::format("producer{}", pr.below(3)) : consumer_names[pr.below(consumer_names.size())];
          if (family == 0) {
            add(at, FaultKind::pause, b);
            add(at + len, FaultKind::resume, b);
          } else if (family == 1) {
            add(at, FaultKind::partition, client, b).both_ways = pr.chance(0.5);
            add(at + len, FaultKind::heal, client, b);
          } else {
            add(at, FaultKind::clog, client, b).delay = Duration(pr.between(50'000'000, 2'000'000'000));
            add(at + len, FaultKind::unclog, client, b);
          }
        }
      }
    };
    switch (plan) {
      case Variant::broker_crashes:
        for (Duration t = Duration(pr.between(3'000'000'000, 8'000'000'000)); t < 30s;
             t += Duration(pr.between(2'000'000'000, 10'000'000'000))) {
          const std::string& b = broker_names[pr.below(2)];
          add(t, FaultKind::crash, b);
          add(t + Duration(pr.between(100'000'000, 4'000'000'000)), FaultKind::restart, b);
        }
        break;
      case Variant::namesrvs_down: {
        const Duration at = Duration(pr.between(5'000'000'000, 20'000'000'000));
        for (const auto& n : namesrv_names) add(at, FaultKind::crash, n);
        for (const auto& n : namesrv_names) add(at + 10min, FaultKind::restart, n);
        break;
      }
      case Variant::broker_heartbeat: {
        const std::string& b = broker_names[pr.below(2)];
        const Duration at = Duration(pr.between(5'000'000'000, 20'000'000'000));
        const Duration outage = Duration(pr.between(180'000'000'000, 240'000'000'000));
        for (const auto& n : namesrv_names) add(at, FaultKind::partition, b, n);
        for (const auto& n : namesrv_names) add(at + outage, FaultKind::heal, b, n);
        break;
      }
      case Variant::consumer_crash: {  // one of the clustering group, for good
        // One draw per statement: argument order is the compiler's choice.
        const Duration at = Duration(pr.between(5'000'000'000, 25'000'000'000));
        add(at, FaultKind::kill, consumer_names[pr.below(3)]);
        break;
      }
      case Variant::orderly:  // c1 crashes, holding its locks until the broker's 60 s lease runs out
        add(Duration(pr.between(26'000'000'000, 32'000'000'000)), FaultKind::kill, consumer_names[1]);
        break;
      case Variant::slow_disk:
        for (const auto& b : broker_names) {
          FaultEvent& slow = add(0s, FaultKind::slow_disk, b);
          slow.delay = 50ms;
          slow.rate = 0.2;
          FaultEvent& stall = add(0s, FaultKind::fsync_stall, b);
          stall.delay = 3s;
          stall.rate = 0.1;
          add(30s, FaultKind::slow_disk, b);
          add(30s, FaultKind::fsync_stall, b);
        }
        break;
    }
    swarm();
  }, all_fault_kinds());
  if (refused) return refused_plan(*refused);
  const FaultPlan& drawn = injector.plan();
  // The checks the plan's faults call for: a clustering consumer's crash
  // (ownership settles), a broker cut off from every namesrv (its routes
  // drop). The safety phase lasts until 5 s after the last event.
  int crashes = 0;
  std::optional<std::string> crashed_consumer;
  rt::Instant settle_until{};
  struct CutOff {
    std::string broker;
    rt::Instant from, until;
  };
  std::optional<CutOff> cut_off;
  Duration safety = 35s;
  for (const auto& e : drawn.events) safety = std::max(safety, e.at + 5s);
  for (size_t i = 0; i < 3 && !crashed_consumer; ++i)
    for (const auto& e : drawn.events)
      if (e.node == consumer_names[i] && (e.kind == FaultKind::kill || e.kind == FaultKind::crash ||
                                          e.kind == FaultKind::power_loss)) {
        crashed_consumer = fmt::format("10.2.0.{}@c{}", i + 1, i);
        // One 10 s client scan plus one 20 s rebalance period; orderly: the
        // 60 s lock lease too.
        settle_until = rt::Instant(e.at + (plan == Variant::orderly ? 90s : 40s));
        break;
      }
  for (size_t b = 0; b < 2 && !cut_off; ++b) {
    std::map<std::string, Duration> cut;  // namesrv -> since
    for (const auto& e : drawn.events) {
      if (e.node != broker_names[b] || !e.both_ways) continue;
      if (e.kind == FaultKind::partition && !cut.count(e.peer)) cut[e.peer] = e.at;
      if (e.kind != FaultKind::heal || cut.size() != namesrv_names.size()) {
        if (e.kind == FaultKind::heal) cut.erase(e.peer);
        continue;
      }
      Duration from{};
      for (const auto& [n, since] : cut) from = std::max(from, since);
      // From 120 s (namesrv expiry) + 10 s (its scan) + 30 s (the clients'
      // route refresh) after the cut until the heal, producers use only the
      // other broker.
      if (e.at > from + 160s)
        cut_off = CutOff{k.broker_cfgs[b].broker_name, rt::Instant(from + 160s), rt::Instant(e.at)};
      break;
    }
  }
  injector.on_applied = [&](const FaultEvent& e, NodeId n) {
    const bool down = e.kind == FaultKind::crash || e.kind == FaultKind::power_loss || e.kind == FaultKind::kill;
    if (down && std::find(k.broker_nodes.begin(), k.broker_nodes.end(), n) != k.broker_nodes.end()) ++crashes;
    // A crashed member's listener call never returns.
    const auto c = std::find(k.consumer_nodes.begin(), k.consumer_nodes.end(), n);
    if (!down || c == k.consumer_nodes.end()) return;
    const std::string id = fmt::format("10.2.0.{}@c{}", c - k.consumer_nodes.begin() + 1, c - k.consumer_nodes.begin());
    for (auto& call : k.calls)
      if (call.consumer == id && !call.ended) {
        call.end = sim.now();
        call.ended = true;
      }
  };
  sim.run_until(rt::Instant(safety));
  for (NodeId b : k.broker_nodes)
    if (!sim.node(b).up() && !injector.killed(b)) sim.start(b);
  k.hist.healed_at = sim.now();
  if (!sim.run_until([&] { return k.producers_done == 3; }, 10min)) k.fail_at(sim.now(), "the producers did not finish");
  // Liveness: every acknowledged message reaches both groups.
  auto everything_delivered = [&] {
    const size_t acked = k.acked_keys.size();
    if (k.seen_keys["CG"].size() < acked) return false;
    for (const auto& m : broadcasting.members)
      if (k.seen_keys[m].size() < acked) return false;
    return true;
  };
  sim.run_until(everything_delivered, 10min);
  sim.run_for(5s);  // late duplicates show up too
  if (sim.now() < settle_until) sim.run_until(settle_until);
  const rt::Instant stopping = sim.now();  // consumers leave from here on
  k.consumers_stop = true;
  sim.run_for(3s);
  k.hist.end = sim.now();

  // (d) By the time it settles (one 10 s scan plus one 20 s rebalance period
  // after the crash; orderly: the 60 s lock lease too), the survivors own
  // every queue, each exactly once, and nothing changes after that.
  if (crashed_consumer) {
    std::map<std::string, std::set<h::QueueRef>> owned, final_owned;
    for (const auto& rb : k.hist.rebalances) {
      if (rb.group != "CG" || rb.consumer == *crashed_consumer || rb.at >= stopping) continue;
      if (rb.at <= settle_until) owned[rb.consumer] = rb.owned;
      final_owned[rb.consumer] = rb.owned;
    }
    if (owned != final_owned)
      k.fail_at(settle_until, fmt::format("ownership still changed after {} ms (the crash plus its settling time)",
                                       settle_until.time_since_epoch().count() / 1'000'000));
    std::map<h::QueueRef, int> owners;
    for (const auto& [c, qs] : owned)
      for (const auto& q : qs)
        if (q.topic == kTopic) ++owners[q];
    if (owners.size() != 2 * kQueuesPerBroker)
      k.fail_at(settle_until, fmt::format("after the crash the survivors own {} of {} queues", owners.size(),
                                       2 * kQueuesPerBroker));
    for (const auto& [q, n] : owners)
      if (n != 1) k.fail_at(settle_until, fmt::format("{} is owned by {} survivors", h::to_string(q), n));
    if (!k.failures.empty())
      for (const auto& rb : k.hist.rebalances)
        if (rb.group == "CG")
          k.fail_at(rb.at, fmt::format("rebalance of {} at {}: {} queues", rb.consumer,
                                           rb.at.time_since_epoch().count() / 1'000'000, rb.owned.size()));
  }
  // (e) Orderly: one queue's listener calls never overlap across members:
  // the next owner starts only after the last one's call returned.
  if (plan == Variant::orderly) {
    std::map<h::QueueRef, std::vector<const ListenerCall*>> by_queue;
    for (const auto& call : k.calls) by_queue[call.queue].push_back(&call);
    for (const auto& [q, list] : by_queue) {
      const ListenerCall* last = nullptr;
      for (const ListenerCall* call : list) {  // in start order
        if (last && last->consumer != call->consumer && (!last->ended || last->end > call->start))
          k.fail_at(call->start, fmt::format("{}: {} started at {} ms while {} was still in its listener", h::to_string(q),
                                           call->consumer, call->start.time_since_epoch().count() / 1'000'000,
                                           last->consumer));
        last = call;
      }
    }
  }
  if (cut_off) {
    int moved = 0;
    for (const auto& snd : k.hist.sends) {
      if (snd.outcome != h::SendOutcome::acked || snd.invoked < cut_off->from || snd.invoked >= cut_off->until) continue;
      ++moved;
      if (snd.queue.broker == cut_off->broker)
        k.fail_at(snd.invoked, fmt::format("{} went to {} after its routes had dropped", snd.key, cut_off->broker));
    }
    if (moved == 0) k.fail_at(cut_off->until, "no send fell in the window where only one broker was routed");
  }
  const h::Summary sum = h::check_all(k.hist);
  RunResult out;
  for (NodeId i = 0; i < sim.node_count(); ++i) sim.fold(sim.node(i).disk().digest());
  out.trace_hash = sim.trace_hash();
  out.perturbed = sim.perturbation().shuffle_ties;
  out.events = sim.events_processed();
  out.simulated = sim.now().time_since_epoch();
  out.failures = k.failures;
  for (const auto& v : sum.violations)
    if (out.failures.size() < 20) out.failures.push_back(h::to_string(v.kind) + ": " + v.description);
  for (const auto& [group, causes] : sum.duplicates)
    for (const auto& [cause, n] : causes) out.duplicates += n;
  out.plan = injector.plan();
  out.faults = fault_names(out.plan);
  const size_t acked = k.acked_keys.size();
  out.notes.push_back(fmt::format("sends={} acked={} deliveries={} duplicates={} broker_crashes={} listener_delay_max={}ms",
                                  k.hist.sends.size(), acked, k.hist.deliveries.size(), out.duplicates, crashes,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(k.listener_delay_max).count()));
  if (!out.ok()) out.recent_logs = sim.recent_logs();
  out.timeline = timeline_of(sim, out, k.hist, sum.violations, k.failure_times);
  return out;
}

RunResult run_cluster(uint64_t seed, const RunOptions& o) { return run_cluster_variant(seed, o, Variant::broker_crashes); }
RunResult run_namesrvs_down(uint64_t seed, const RunOptions& o) { return run_cluster_variant(seed, o, Variant::namesrvs_down); }
RunResult run_broker_namesrv_heartbeat_loss(uint64_t seed, const RunOptions& o) {
  return run_cluster_variant(seed, o, Variant::broker_heartbeat);
}
RunResult run_consumer_crash(uint64_t seed, const RunOptions& o) { return run_cluster_variant(seed, o, Variant::consumer_crash); }
RunResult run_slow_disk_sync(uint64_t seed, const RunOptions& o) { return run_cluster_variant(seed, o, Variant::slow_disk); }
RunResult run_orderly_rebalance(uint64_t seed, const RunOptions& o) { return run_cluster_variant(seed, o, Variant::orderly); }

}  // namespace rmq::scenarios
