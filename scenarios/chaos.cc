// Scenario "chaos": swarm testing of the whole cluster.
//
// Goal: whatever mix of faults a seed draws, every message a producer saw
// acknowledged reaches the clustering group and each broadcasting member,
// intact, with nothing delivered that was not sent, under the durability
// the drawn configuration promises.
// Method: each seed draws the cluster's configuration (2 namesrvs, 2-3
// brokers, ASYNC_FLUSH or SYNC_FLUSH, transferMsgByHeap per broker, and on
// 35 % of seeds a slave for each broker, under SYNC_MASTER or
// ASYNC_MASTER, read from while its master is away), the
// workload's knobs (2-4 producers, send gaps, bursts and body sizes; a
// clustering group of 2-3 and a broadcasting group of 2, listener latency,
// listener failures retried through %RETRY%, pull batch size and local
// cache limit; on some seeds delay levels 1-3 on 30 % of the plain sends,
// producer0 sending transactions (one in four rolled back, one in four
// left to the check-back, some outlasting transactionTimeOut), and an
// orderly group of 2 while producer1 pins each sharding key to one queue),
// and a swarm fault plan: a random subset of fault families (crashes,
// power loss under SYNC_FLUSH, pauses, client-broker cuts, clogs, latency,
// loss and resets, slow disks and fsync stalls, full disks for 1-10 s
// (never restarted for it), clock jumps and drift
// unless messages are delayed, and brokers dropping out of the namesrvs'
// routes for 125-180 s and coming back; with slaves, master-slave links cut
// or clogged, and under SYNC_MASTER a master lost for good), each at its
// own rate, over 60 s. Slaves take every server fault masters do. Under
// SYNC_MASTER each SEND_OK is checked against the slave's log as it
// arrives.
// Consumers read all along, so a read of something later lost is seen.
// Then the faults end, every broker and slave not killed for good
// restarts, the producers finish, every slave whose master lives catches
// up and holds a byte-identical prefix of its log, and the history goes
// through every checker of scenarios/history.h.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>

#include "broker/broker.h"
#include "client/producer.h"
#include "client/push_consumer.h"
#include "common/message_format.h"
#include "client/transaction_producer.h"
#include "scenarios/chaos.h"
#include "scenarios/rig.h"

namespace rmq::scenarios {
namespace {

constexpr const char* kTopic = "ChaosTopic";
constexpr int kQueuesPerBroker = 4;

struct Knobs {
  int producers = 2;
  int per_producer = 60;
  Duration send_gap_max = 200ms;
  double burst_probability = 0;  // a send followed by 5-20 back to back
  size_t body_bytes_max = 400;
  int clustering = 2;
  int broadcasting = 2;     // BG's members (fewer only when shrunk)
  int orderly_members = 2;  // OG's, under `orderly`
  Duration listener_delay_max{0};
  double listener_failure = 0;  // clustering: a first, second or third delivery answered reconsume_later
  int32_t pull_batch = 32;
  size_t cached_messages_max = 1000;
  bool sync_flush = false;
  double delay_share = 0;     // sends at delay levels 1-3 (1 s, 5 s, 10 s)
  bool transactions = false;  // producer0 sends transactions
  bool orderly = false;       // an orderly group OG of 2; producer1 sends by sharding key
  bool ha = false;            // each broker<i> a master with a slave<i>
  bool sync_master = false;   // under `ha`: SYNC_MASTER, else ASYNC_MASTER
};

struct ChaosState {
  Knobs knobs;
  std::set<std::string> acked_keys;
  std::map<std::string, std::set<std::string>> seen;  // CG, or a BG member -> keys consumed
  int producers_done = 0;
  bool consumers_stop = false;
  // Transactions: each key's local decision (none: its producer never
  // decided), and where its send record is.
  std::map<std::string, client::LocalTransactionState> decided;
  std::map<std::string, size_t> tx_send;
  Rig rig;
  explicit ChaosState(uint64_t seed) : rig(seed) {}
};

Knobs draw_knobs(rt::Random& r) {
  Knobs k;
  k.producers = 2 + static_cast<int>(r.below(3));
  k.per_producer = 30 + static_cast<int>(r.below(70));
  k.send_gap_max = Duration(r.between(2'000'000, 400'000'000));
  k.burst_probability = r.chance(0.3) ? 0.05 : 0;
  k.body_bytes_max = r.chance(0.2) ? 8000 : 400;
  k.clustering = 2 + static_cast<int>(r.below(2));
  k.listener_delay_max = r.chance(0.5) ? Duration(r.between(1'000'000, 300'000'000)) : Duration(0);
  k.listener_failure = r.chance(0.3) ? 0.05 : 0;
  static constexpr int32_t kBatches[] = {1, 4, 32};
  k.pull_batch = kBatches[r.below(3)];
  k.cached_messages_max = r.chance(0.3) ? 8 : 1000;
  k.sync_flush = r.chance(0.5);
  k.delay_share = r.chance(0.3) ? 0.3 : 0;
  k.transactions = r.chance(0.25);
  k.orderly = r.chance(0.3);
  return k;
}

// A send's target: producer1 under knobs.orderly pins each sharding key to
// one queue of one broker, so that key order holds across route changes.
client::MessageQueue pinned_queue(const ChaosState& s, int n) {
  const auto& cfgs = s.rig.broker_cfgs;
  const PinnedQueue p = pinned_queue_of(n, cfgs.size(), kQueuesPerBroker);
  return {kTopic, cfgs[p.broker_index].broker_name, p.queue_id};
}

// Under SYNC_MASTER, SEND_OK means the master's slave has written the
// message: its log reaches past it (a slave's log holds whole records only:
// it keeps a partly received one aside, so past its start is past its end). Not judged when the slave went down
// after the send began (its restarted log may be shorter after a power
// loss) or is down now.
void check_replicated(ChaosState& s, const h::Send& snd, const client::SendResult& r) {
  Rig& k = s.rig;
  const auto id = common::parse_offset_msg_id(r.offset_msg_id);
  if (!id) {
    k.fail(fmt::format("SEND_OK for {} with an offset message id {} that does not parse", snd.key,
                                     r.offset_msg_id));
    return;
  }
  for (size_t g = 0; g < k.broker_cfgs.size(); ++g) {
    if (k.broker_cfgs[g].broker_name != r.queue.broker_name) continue;
    broker::Broker* slave = k.slave_up[g];
    const auto crash = k.crashed_at.find(k.slave_nodes[g]);
    if (!slave || (crash != k.crashed_at.end() && crash->second >= snd.invoked)) return;
    if (slave->store().written() <= id->commit_log_offset)
      k.fail(fmt::format("SEND_OK for {} at commitlog {} of {} while its slave has only {} bytes",
                                       snd.key, id->commit_log_offset, r.queue.broker_name,
                                       slave->store().written()));
  }
}

void producer_main(rt::Runtime& rt, ChaosState& s, int p) {
  Rig& k = s.rig;
  client::MqClient mq(rt, make_client(k, fmt::format("10.1.0.{}", p + 1), fmt::format("p{}", p)));
  mq.start();
  if (p == 0)
    for (const auto& cfg : k.broker_cfgs) create_topic(rt, mq, cfg.address(), kTopic, kQueuesPerBroker);
  rt.sleep_for(3s);  // the topic reaches the namesrvs
  client::Producer prod(mq, {.group = "PG"});
  const bool transactional = p == 0 && s.knobs.transactions, pinned = p == 1 && s.knobs.orderly;
  std::unique_ptr<client::TransactionProducer> tp;
  if (transactional)
    tp = std::make_unique<client::TransactionProducer>(
        mq, client::ProducerConfig{.group = "TPG"},
        [&s](const client::ReceivedMessage& half) { return recorded_decision(s.decided, half.keys); });
  int burst = 0;
  for (int n = 0; n < s.knobs.per_producer; ++n) {
    h::Send snd;
    snd.key = fmt::format("p{}-{}", p, n);
    snd.producer = fmt::format("p{}", p);
    snd.queue.topic = kTopic;
    const std::string body = filler_body(snd.key, 16 + rt.random().below(s.knobs.body_bytes_max));
    snd.body_digest = body;
    // Delay levels on plain sends only: a transaction's is ignored (the
    // producer clears it, as RocketMQ's does), and a delayed message would
    // overtake its sharding key's order.
    int32_t level = 0;
    if (!transactional && !pinned && rt.random().chance(s.knobs.delay_share))
      level = 1 + static_cast<int32_t>(rt.random().below(3));
    if (level > 0) snd.delay = std::chrono::milliseconds(k.broker_cfgs[0].store.delay_level_ms[static_cast<size_t>(level - 1)]);
    snd.parked = level > 0 || transactional;
    if (pinned) snd.sharding_key = sharding_key_of(n);
    snd.invoked = rt.now();
    const client::Message m{.topic = kTopic, .keys = snd.key, .body = body, .delay_level = level};
    if (transactional) {
      // Recorded first: the outcome comes from the decision at the end.
      snd.completed = snd.invoked;
      snd.outcome = h::SendOutcome::failed;
      s.tx_send[snd.key] = k.hist.sends.size();
      k.hist.sends.push_back(snd);
      const std::string key = snd.key;
      const auto r = tp->send_in_transaction(m, [&](const client::Message&, const client::SendResult& half) {
        h::Send& rec = k.hist.sends[s.tx_send[key]];
        rec.queue.broker = half.queue.broker_name;
        rec.queue.queue_id = half.queue.queue_id;
        rec.msg_id = half.msg_id;
        return local_transaction(rt, key, s.decided);
      });
      k.hist.sends[s.tx_send[key]].completed = rt.now();
      (void)r;
    } else {
      const client::SendResult r = pinned ? prod.send_to_queue(m, pinned_queue(s, n)) : prod.send(m);
      snd.completed = rt.now();
      if (r.ok()) {
        record_ack(snd, r);
        s.acked_keys.insert(snd.key);
        if (s.knobs.sync_master) check_replicated(s, snd, r);
      } else {
        record_unacked(snd, r);
      }
      k.hist.sends.push_back(std::move(snd));
    }
    if (burst == 0 && rt.random().chance(s.knobs.burst_probability)) burst = 5 + static_cast<int>(rt.random().below(16));
    if (burst > 0) {
      --burst;
      continue;
    }
    rt.sleep_for(Duration(rt.random().between(1'000'000, s.knobs.send_gap_max.count())));
  }
  ++s.producers_done;
  // A transaction producer stays, answering check-backs.
  while (tp && !s.consumers_stop) rt.sleep_for(1s);
  tp.reset();
  mq.stop();
}

// Consumer c (instance c<c>): clustering group CG for c < knobs.clustering,
// else broadcasting group BG (the next two), else orderly group OG (the two
// after, under knobs.orderly). A delivery counts once its listener returns.
void consumer_main(rt::Runtime& rt, ChaosState& s, int c) {
  Rig& k = s.rig;
  const bool orderly = c >= s.knobs.clustering + s.knobs.broadcasting;
  const bool broadcasting = c >= s.knobs.clustering && !orderly;
  const std::string group = orderly ? "OG" : broadcasting ? "BG" : "CG";
  client::MqClient mq(rt, make_client(k, fmt::format("10.2.0.{}", c + 1), fmt::format("c{}", c)));
  mq.start();
  client::PushConsumer pc(
      mq, {.group = group,
           .model = broadcasting ? remoting::MessageModel::broadcasting : remoting::MessageModel::clustering,
           .consume_from = client::ConsumeFrom::first_offset,
           .pull_batch = s.knobs.pull_batch,
           .max_cached_messages = s.knobs.cached_messages_max,
           .orderly = orderly});
  pc.subscribe(kTopic);
  const std::string id = mq.client_id();
  pc.on_rebalance([&](const std::vector<client::MessageQueue>& owned) {
    k.hist.rebalances.push_back(rebalance_record(group, id, rt.now(), owned));
  });
  record_locks(pc, k.hist, rt, group, id);
  pc.start([&](const client::ReceivedMessage& m) {
    if (s.knobs.listener_delay_max > Duration::zero())
      rt.sleep_for(Duration(rt.random().below(static_cast<uint64_t>(s.knobs.listener_delay_max.count()))));
    k.hist.deliveries.push_back(delivery_record(group, id, m, rt.now()));
    if (orderly) {  // now and then a failure, retried in place
      if (rt.random().below(20) == 0) return client::ConsumeResult::suspend_current_queue;
      s.seen[group].insert(m.keys);
      return client::ConsumeResult::success;
    }
    // A failure is retried through %RETRY%CG (broadcasting does not retry).
    if (!broadcasting && m.reconsume_times < 3 && rt.random().chance(s.knobs.listener_failure))
      return client::ConsumeResult::reconsume_later;
    s.seen[broadcasting ? id : group].insert(m.keys);
    return client::ConsumeResult::success;
  });
  while (!s.consumers_stop) rt.sleep_for(1s);
  pc.shutdown();
  mq.stop();
}

// Master/slave timings sized for a run of minutes (replication.cc's), and
// reads from a slave while its master is away.
void ha_timings(broker::BrokerConfig& cfg) {
  cfg.store.ha.heartbeat_interval = 1s;
  cfg.store.ha.housekeeping_interval = 6s;
  cfg.store.ha.reconnect_backoff = 1s;
  cfg.store.ha.transfer_batch_bytes = 8 * 1024;
  cfg.store.sync_flush_timeout = 2s;
  cfg.slave_read_enable = true;
}

// The swarm plan: each family on or off for the seed, at its own rate,
// over 5-60 s; route drops may run past that (up to 3 minutes each).
// A master lost for good, under SYNC_MASTER only (its slave holds every
// acknowledged message), when the workload needs no master once a message
// is stored: no delay levels, transactions or retries (parked on the
// master's schedule topic) and no orderly group (queue locks come from
// masters).
bool may_kill(const Knobs& k) {
  return k.sync_master && k.delay_share == 0 && !k.transactions && k.listener_failure == 0 && !k.orderly;
}

void draw_plan(rt::Random& r, FaultPlan& plan, const ChaosState& s, const std::vector<std::string>& clients,
               const std::vector<std::string>& namesrvs) {
  const auto& brokers = s.rig.broker_node_names;  // masters under `ha`
  const auto& slaves = s.rig.slave_node_names;
  std::vector<std::string> servers = brokers;
  servers.insert(servers.end(), slaves.begin(), slaves.end());
  auto pick = [&r](const std::vector<std::string>& v) -> const std::string& { return v[r.below(v.size())]; };
  auto gap = [&r](double per_minute) { return Duration(static_cast<int64_t>(r.between(0, 2'000'000) * 60'000 / per_minute)); };
  auto each = [&](double chance, double per_minute, const std::function<void(Duration)>& add) {
    if (!r.chance(chance)) return;
    const double rate = per_minute * (0.5 + static_cast<double>(r.below(100)) / 50);
    for (Duration t = 5s + gap(rate); t < 60s; t += gap(rate)) add(t);
  };
  auto outage = [&r](int64_t min_ms, int64_t max_ms) { return Duration(r.between(min_ms * 1'000'000, max_ms * 1'000'000)); };
  // A master lost for good (see may_kill). Its slave must then serve every
  // read, so no slave loses power on these seeds (a second fault).
  const bool kill = may_kill(s.knobs) && r.chance(0.4);
  if (kill) {
    const std::string& m = pick(brokers);
    const Duration at = outage(15000, 50000);
    plan.add(at, FaultKind::kill, m);
  }
  each(0.5, 4, [&](Duration t) {  // crashes (power loss too under SYNC_FLUSH)
    const std::string& b = pick(servers);
    const bool slave = std::find(slaves.begin(), slaves.end(), b) != slaves.end();
    const bool power = s.knobs.sync_flush && !(kill && slave) && r.chance(0.4);
    plan.add(t, power ? FaultKind::power_loss : FaultKind::crash, b);
    plan.add(t + outage(100, 6000), FaultKind::restart, b);
  });
  each(0.3, 3, [&](Duration t) {  // a stopped process, broker or client
    const std::string& n = r.chance(0.5) ? pick(servers) : pick(clients);
    plan.add(t, FaultKind::pause, n);
    plan.add(t + outage(200, 10000), FaultKind::resume, n);
  });
  each(0.4, 4, [&](Duration t) {  // a client cut off from a broker
    const std::string& c = pick(clients);
    const std::string& b = pick(servers);
    const bool both = r.chance(0.6), from_client = r.chance(0.5);
    plan.add(t, FaultKind::partition, from_client ? c : b, from_client ? b : c, both);
    plan.add(t + outage(200, 8000), FaultKind::heal, c, b, true);
  });
  each(0.3, 4, [&](Duration t) {  // clogs, latency and loss on a client-broker link
    const std::string& c = pick(clients);
    const std::string& b = pick(servers);
    const Duration end = t + outage(500, 10000);
    switch (r.below(3)) {
      case 0:
        plan.add(t, FaultKind::clog, c, b, true).delay = outage(50, 2000);
        plan.add(end, FaultKind::unclog, c, b, true);
        break;
      case 1:
        plan.add(t, FaultKind::latency, c, b, true).delay = outage(5, 300);
        plan.add(end, FaultKind::latency, c, b, true).delay = Duration(0);
        break;
      default:
        plan.add(t, FaultKind::loss, c, b, true).rate = 0.05 + static_cast<double>(r.below(30)) / 100;
        plan.add(end, FaultKind::loss, c, b, true).rate = 0;
        break;
    }
  });
  each(0.2, 3, [&](Duration t) {
    const std::string& c = pick(clients);  // one draw per statement: argument order is the compiler's
    plan.add(t, FaultKind::reset, c, pick(servers), true);
  });
  each(0.3, 2, [&](Duration t) {  // slow disks and stalling syncs
    const std::string& b = pick(servers);
    FaultEvent& slow = plan.add(t, r.chance(0.5) ? FaultKind::slow_disk : FaultKind::fsync_stall, b);
    slow.delay = outage(5, 2000);
    slow.rate = 0.05 + static_cast<double>(r.below(40)) / 100;
    plan.add(t + outage(1000, 15000), slow.kind, b);  // delay 0: over
  });
  each(0.2, 2, [&](Duration t) {  // a full disk for 1-10 s: the broker must take writes again on its own
    const std::string& b = pick(servers);
    plan.add(t, FaultKind::disk_full, b);
    plan.add(t + outage(1000, 10000), FaultKind::disk_free, b);
  });
  // Clocks: a jump, or a drift (not with delay levels: the early-delivery
  // check reads one clock, and a broker whose clock jumps ahead re-stores
  // delayed messages early by that clock).
  if (s.knobs.delay_share == 0) each(0.2, 2, [&](Duration t) {
    const std::string& b = pick(servers);
    if (r.chance(0.5)) {
      plan.add(t, FaultKind::clock_jump, b).by = Duration(r.between(-5'000'000'000, 5'000'000'000));
    } else {
      plan.add(t, FaultKind::clock_drift, b).ppm = static_cast<double>(r.between(-2000, 2000));
    }
  });
  if (r.chance(0.4)) {  // brokers drop out of the routes and come back
    const int drops = 1 + static_cast<int>(r.below(2));
    for (int i = 0; i < drops; ++i) {
      const std::string& b = pick(servers);
      const Duration at = outage(5000, 40000), end = at + outage(125000, 180000);
      for (const auto& n : namesrvs) plan.add(at, FaultKind::partition, b, n, true);
      for (const auto& n : namesrvs) plan.add(end, FaultKind::heal, b, n, true);
    }
  }
  if (s.knobs.ha) each(0.5, 3, [&](Duration t) {  // a slave cut off from its master, or the link clogged
    const size_t g = r.below(brokers.size());
    const std::string &m = brokers[g], &sl = slaves[g];
    const Duration end = t + outage(500, 12000);
    if (r.chance(0.5)) {
      const bool both = r.chance(0.5), from_master = r.chance(0.5);
      plan.add(t, FaultKind::partition, from_master ? m : sl, from_master ? sl : m, both);
      plan.add(end, FaultKind::heal, m, sl, true);
    } else {
      plan.add(t, FaultKind::clog, m, sl, true).delay = outage(50, 2000);
      plan.add(end, FaultKind::unclog, m, sl, true);
    }
  });
  // A master that loses power while its syncs stall, so that it has
  // written bytes it has not synced (SYNC_FLUSH: a slave must never be
  // streamed them, or it ends up ahead of its master).
  if (s.knobs.ha && s.knobs.sync_flush) each(0.4, 1.5, [&](Duration t) {
    const std::string& m = pick(brokers);
    FaultEvent& stall = plan.add(t, FaultKind::fsync_stall, m);
    stall.delay = outage(1000, 3000);
    stall.rate = 1.0;
    const Duration lost = t + outage(100, 900), back = lost + outage(500, 4000);
    plan.add(lost, FaultKind::power_loss, m);
    plan.add(back, FaultKind::restart, m);
    plan.add(back, FaultKind::fsync_stall, m);  // delay 0: over
  });
}

// Once the faults are over, every slave whose master lives catches up
// within 2 minutes, and its CommitLog is then a byte-identical prefix of
// its master's (a slave that kept bytes its master lost to a power loss
// must not be streamed the master's new bytes after them).
void check_replicas(ChaosState& s) {
  Rig& k = s.rig;
  for (size_t g = 0; g < k.broker_cfgs.size(); ++g) {
    if (k.injector.killed(k.broker_nodes[g])) continue;
    const bool caught_up = k.sim.run_until(
        [&] {
          broker::Broker *m = k.broker_up[g], *sl = k.slave_up[g];
          return m && sl && sl->store().written() == m->store().written();
        },
        2min);
    if (!caught_up) {
      auto written = [](broker::Broker* b) { return b ? b->store().written() : -1; };
      k.fail(fmt::format("{} did not catch up with {} within 2 minutes of the heal: {} of {} bytes",
                                       k.slave_node_names[g], k.broker_node_names[g], written(k.slave_up[g]),
                                       written(k.broker_up[g])));
      continue;
    }
    for (auto& f : compare_commit_logs(k.sim, k.broker_nodes[g], k.slave_nodes[g])) k.fail(std::move(f));
  }
}

// The seed's knobs, namesrvs and broker count: the first draws of a run.
// `nodes` (RunOptions::nodes) scales the clients after the draws.
int draw_cluster(ChaosState& s, double nodes) {
  Rig& k = s.rig;
  s.knobs = draw_knobs(k.sim.random());
  s.knobs.ha = k.sim.random().chance(0.35);
  s.knobs.sync_master = s.knobs.ha && k.sim.random().chance(0.6);
  s.knobs.producers = scaled_nodes(s.knobs.producers, nodes);
  s.knobs.clustering = scaled_nodes(s.knobs.clustering, nodes);
  s.knobs.broadcasting = scaled_nodes(s.knobs.broadcasting, nodes);
  s.knobs.orderly_members = scaled_nodes(s.knobs.orderly_members, nodes);
  k.add_namesrv("namesrv0");
  k.add_namesrv("namesrv1");
  return 2 + static_cast<int>(k.sim.random().below(2));
}

RunResult run_chaos_impl(uint64_t seed, const RunOptions& opts) {
  ChaosState s(seed);
  Rig& k = s.rig;
  observe(k.sim, opts);
  const int brokers = draw_cluster(s, opts.nodes);
  s.knobs.per_producer = scaled(s.knobs.per_producer, opts);
  k.add_brokers(brokers, [&](broker::BrokerConfig& cfg) {
    cfg.store.flush_disk_type = s.knobs.sync_flush ? store::FlushDiskType::sync_flush : store::FlushDiskType::async_flush;
    if (s.knobs.transactions) cfg.transaction_check_interval = 5s;
    if (s.knobs.ha) {
      cfg.role = s.knobs.sync_master ? broker::BrokerRole::sync_master : broker::BrokerRole::async_master;
      ha_timings(cfg);
    }
  });
  if (s.knobs.ha) k.add_slaves({});
  std::vector<std::string> clients;
  for (int p = 0; p < s.knobs.producers; ++p)
    clients.push_back(k.sim.add_node(fmt::format("producer{}", p), [&s, p](rt::Runtime& rt) { producer_main(rt, s, p); })
                          .name());
  h::Group cg{.kind = h::GroupKind::clustering, .topics = {kTopic}};
  h::Group bg{.kind = h::GroupKind::broadcasting, .topics = {kTopic}};
  h::Group og{.kind = h::GroupKind::clustering, .topics = {kTopic}, .orderly = true};
  const int consumers = s.knobs.clustering + s.knobs.broadcasting + (s.knobs.orderly ? s.knobs.orderly_members : 0);
  for (int c = 0; c < consumers; ++c) {
    clients.push_back(k.sim.add_node(fmt::format("consumer{}", c), [&s, c](rt::Runtime& rt) { consumer_main(rt, s, c); })
                          .name());
    (c < s.knobs.clustering ? cg : c < s.knobs.clustering + s.knobs.broadcasting ? bg : og).members.insert(fmt::format("10.2.0.{}@c{}", c + 1, c));
  }
  k.hist.groups["CG"] = cg;
  k.hist.groups["BG"] = bg;
  if (s.knobs.orderly) k.hist.groups["OG"] = og;
  k.sim.start_all();
  // What the configuration promises decides what a plan may do: no power
  // loss under ASYNC_FLUSH; nothing killed for good but a SYNC_MASTER whose
  // slave then serves everything (may_kill: the liveness phase needs the
  // rest); no read corruption (not judged yet).
  std::vector<FaultKind> unsupported = {FaultKind::read_corruption};
  if (!may_kill(s.knobs)) unsupported.push_back(FaultKind::kill);
  if (!s.knobs.sync_flush) unsupported.push_back(FaultKind::power_loss);
  if (s.knobs.delay_share > 0) unsupported.insert(unsupported.end(), {FaultKind::clock_jump, FaultKind::clock_drift});
  if (!k.start_faults(opts, [&](rt::Random& r, FaultPlan& plan) { draw_plan(r, plan, s, clients, {"namesrv0", "namesrv1"}); },
                      all_fault_kinds(unsupported)))
    return k.bad_plan();
  Duration safety = 65s;
  for (const auto& e : k.injector.plan().events) safety = std::max(safety, e.at + 5s);
  k.sim.run_until(rt::Instant(safety));
  k.injector.end_faults();
  k.restart_all();
  for (NodeId n = 0; n < k.sim.node_count(); ++n)
    if (!k.sim.node(n).up() && !k.injector.killed(n)) k.sim.start(n);  // a crashed client comes back too
  k.hist.healed_at = k.sim.now();
  if (!k.sim.run_until([&] { return s.producers_done == s.knobs.producers; }, 10min))
    k.fail("the producers did not finish");
  // Transactions: a committed one may arrive or not. END_TRANSACTION is
  // oneway (lost with a broker's crash or power loss), and a check-back
  // reaches only producers that heartbeat the broker: one out of the
  // namesrvs' routes (dropped when its connection to them closed) gives up
  // after transactionCheckMax checks and discards the half, as RocketMQ's
  // does. What must hold here: nothing rolled back or undecided is ever
  // delivered (aborted_read). transaction-crash judges that commits arrive.
  for (const auto& [key, d] : s.decided) {
    h::Send& snd = k.hist.sends[s.tx_send.at(key)];
    if (d == client::LocalTransactionState::commit && !snd.queue.broker.empty()) snd.outcome = h::SendOutcome::unknown;
  }
  auto everything_consumed = [&] {
    for (const auto& [group, keys] : s.seen)
      if (!std::includes(keys.begin(), keys.end(), s.acked_keys.begin(), s.acked_keys.end())) return false;
    return s.seen.size() == static_cast<size_t>(1 + s.knobs.broadcasting + (s.knobs.orderly ? 1 : 0));
  };
  k.sim.run_until(everything_consumed, 10min);
  if (s.knobs.ha) check_replicas(s);
  k.sim.run_for(s.knobs.transactions ? 20s : 5s);  // late duplicates (and leaked rollbacks) show up too
  s.consumers_stop = true;
  k.sim.run_for(3s);
  k.hist.end = k.sim.now();
  const Knobs& n = s.knobs;
  const char* ha = !n.ha ? "none" : n.sync_master ? "SYNC_MASTER+SLAVE" : "ASYNC_MASTER+SLAVE";
  return k.finish({fmt::format("brokers={} {} ha={} producers={}x{} gap<={}ms burst={} body<={}B clustering={} "
                               "listener<={}ms failing={} batch={} cache={} delayed={} tx={} orderly={} sends={} "
                               "acked={} deliveries={} broker_faults={}",
                               brokers, n.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH", ha, n.producers, n.per_producer,
                               n.send_gap_max.count() / 1'000'000, n.burst_probability, n.body_bytes_max, n.clustering,
                               n.listener_delay_max.count() / 1'000'000, n.listener_failure, n.pull_batch,
                               n.cached_messages_max, n.delay_share, n.transactions, n.orderly,
                               k.hist.sends.size(), s.acked_keys.size(), k.hist.deliveries.size(), k.crashes)});
}

}  // namespace

RunResult run_chaos(uint64_t seed, const RunOptions& opts) { return run_chaos_impl(seed, opts); }

ChaosCluster chaos_cluster(uint64_t seed, double nodes) {
  ChaosState s(seed);
  const int brokers = draw_cluster(s, nodes);
  return {.brokers = brokers,
          .producers = s.knobs.producers,
          .clustering = s.knobs.clustering,
          .broadcasting = s.knobs.broadcasting,
          .orderly_members = s.knobs.orderly_members,
          .sync_flush = s.knobs.sync_flush,
          .listener_failure = s.knobs.listener_failure,
          .delay_share = s.knobs.delay_share,
          .transactions = s.knobs.transactions,
          .orderly = s.knobs.orderly,
          .ha = s.knobs.ha,
          .sync_master = s.knobs.sync_master};
}

}  // namespace rmq::scenarios
