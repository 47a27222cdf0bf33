// Scenarios of master/slave replication (issue 10), each a cluster of broker
// groups (a master and its slave) driven by the C++ client and judged by the
// history checkers plus replication's own rules.
//
// master-crash. Goal: with SYNC_MASTER, every message acknowledged SEND_OK
// survives its master's permanent loss: consumers read it from the slave,
// intact, and carry on there.
// Method: 1 namesrv, 2 groups (SYNC_MASTER + SLAVE, slaveReadEnable);
// 2 producers, a clustering group of 2 consumers. Between 15 s and 35 s one
// master loses power and never comes back.
//
// ha-partition. Goal: a SYNC_MASTER never answers SEND_OK for bytes its
// slave lacks, and once the faults end the slave's CommitLog is a
// byte-identical prefix of the master's with the same queues.
// Method: 1 namesrv, 1 group (SYNC_MASTER + SLAVE with a slow disk);
// 2 producers; for 45 s the master-slave link is cut (one or both ways) or
// clogged by 0.2-2 s at random. Each SEND_OK is checked against the slave's
// written position when it arrives; after healing, the slave must catch up
// within 2 minutes and its files are compared with the master's.
//
// async-master-loss. Goal: with ASYNC_MASTER, what a master's permanent loss
// costs is bounded by its replication lag at the crash: the slave keeps
// everything the master saw acknowledged, and only acknowledged messages
// beyond it are lost. The loss is reported in the summary, not a failure.
// Method: 1 namesrv, 2 groups (ASYNC_MASTER + SLAVE); 2 producers sending
// fast; at 8-25 s one master loses power for good.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "broker/broker.h"
#include "client/producer.h"
#include "common/message_format.h"
#include "scenarios/rig.h"
#include "store/commit_log.h"

namespace rmq::scenarios {
namespace {

std::string at(rt::Instant t) { return fmt::format("{} ms", t.time_since_epoch().count() / 1'000'000); }

constexpr const char* kHaTopic = "HaTopic";
constexpr int32_t kHaQueues = 2;

struct HaGroup {
  broker::BrokerConfig master_cfg, slave_cfg;
  broker::Broker* master = nullptr;  // set while up
  broker::Broker* slave = nullptr;
  NodeId master_node = 0, slave_node = 0;
};

struct HaState {
  std::vector<std::unique_ptr<HaGroup>> groups;
  std::set<std::string> acked_keys;
  std::set<std::string> excused;  // acknowledged, but lost as RocketMQ allows (async-master-loss)
  std::set<std::string> consumed;
  std::map<std::string, int64_t> phys_of;  // acked key -> its CommitLog offset
  int producers_done = 0;
  bool consumers_stop = false;
  // Checked at each SEND_OK (ha-partition).
  bool check_slave_on_ack = false;
  bool slow_listeners = false;
  Duration second_consumer_after{0};
  // Last, so that its simulation is destroyed first: the nodes' tasks refer
  // to the above.
  Rig rig;
  explicit HaState(uint64_t seed) : rig(seed) {}
};

void add_group(HaState& s, int i, broker::BrokerRole role) {
  auto g = std::make_unique<HaGroup>();
  HaGroup* raw = g.get();
  Rig& k = s.rig;
  const auto fail = [&k](std::string what) { k.fail(std::move(what)); };
  auto& m = k.sim.add_node(fmt::format("master{}", i), [raw, fail](rt::Runtime& rt) {
    broker_main(rt, raw->master_cfg, fail, {}, &raw->master);
  });
  auto& sl = k.sim.add_node(fmt::format("slave{}", i), [raw, fail](rt::Runtime& rt) {
    broker_main(rt, raw->slave_cfg, fail, {}, &raw->slave);
  });
  raw->master_node = m.id();
  raw->slave_node = sl.id();
  for (auto* c : {&raw->master_cfg, &raw->slave_cfg}) {
    c->broker_name = fmt::format("broker-{}", static_cast<char>('a' + i));
    c->namesrv_addrs = k.namesrv_addrs;
    sim_store(c->store, 256 * 1024);  // several segments per run
    c->store.ha.heartbeat_interval = std::chrono::seconds(1);
    c->store.ha.housekeeping_interval = std::chrono::seconds(6);
    c->store.ha.reconnect_backoff = std::chrono::seconds(1);
    c->store.ha.transfer_batch_bytes = 8 * 1024;
    c->store.sync_flush_timeout = std::chrono::seconds(2);
    c->slave_read_enable = true;
  }
  raw->master_cfg.role = role;
  raw->master_cfg.broker_ip = m.ip();
  raw->master_cfg.store.store_host = raw->master_cfg.address();
  raw->slave_cfg.role = broker::BrokerRole::slave;
  raw->slave_cfg.broker_id = 1;
  raw->slave_cfg.store.replica = true;
  raw->slave_cfg.broker_ip = sl.ip();
  raw->slave_cfg.store.store_host = raw->slave_cfg.address();
  s.groups.push_back(std::move(g));
}

// Masters first; slaves a second later, so that their first registration
// already names their master.
void start_cluster(HaState& s, const std::vector<NodeId>& clients) {
  Rig& k = s.rig;
  k.sim.start(0);  // the namesrv
  for (auto& g : s.groups) k.sim.start(g->master_node);
  for (NodeId c : clients) k.sim.start(c);
  k.sim.after(std::chrono::seconds(1), [&s] {
    for (auto& g : s.groups) s.rig.sim.start(g->slave_node);
  });
}

HaGroup* group_of(HaState& s, const std::string& broker_name) {
  for (auto& g : s.groups)
    if (g->master_cfg.broker_name == broker_name) return g.get();
  return nullptr;
}

void ha_producer(rt::Runtime& rt, HaState& s, int p, int count, Duration gap_min, Duration gap_max) {
  Rig& k = s.rig;
  client::MqClient mq(rt, make_client(k, fmt::format("10.1.0.{}", p + 1), fmt::format("p{}", p)));
  mq.start();
  if (p == 0)
    for (auto& g : s.groups) create_topic(rt, mq, g->master_cfg.address(), kHaTopic, kHaQueues);
  rt.sleep_for(std::chrono::seconds(12));  // the topic reaches the namesrv and the slaves (every 10 s)
  client::Producer prod(mq, {.group = "PG"});
  for (int n = 0; n < count; ++n) {
    h::Send snd;
    snd.key = fmt::format("p{}-{}", p, n);
    snd.producer = fmt::format("p{}", p);
    snd.queue.topic = kHaTopic;
    snd.body_digest = snd.key + "|" + std::string(static_cast<size_t>(64 + (n * 37) % 900), 'h');
    snd.invoked = rt.now();
    auto r = prod.send({.topic = kHaTopic, .keys = snd.key, .body = snd.body_digest});
    snd.completed = rt.now();
    if (r.ok()) {
      record_ack(snd, r);
      s.acked_keys.insert(snd.key);
      if (auto id = common::parse_offset_msg_id(r.offset_msg_id)) {
        s.phys_of[snd.key] = id->commit_log_offset;
        HaGroup* g = group_of(s, r.queue.broker_name);
        if (s.check_slave_on_ack && g && g->slave && g->slave->store().written() <= id->commit_log_offset)
          k.fail(fmt::format("SEND_OK for {} at commitlog {} of {} while its slave has only {} bytes",
                                           snd.key, id->commit_log_offset, r.queue.broker_name,
                                           g->slave->store().written()));
      }
    } else {
      // 10/11/12 (stored on the master, not confirmed by a slave), a timeout, a refusal.
      snd.outcome = h::SendOutcome::unknown;
    }
    k.hist.sends.push_back(std::move(snd));
    rt.sleep_for(Duration(rt.random().between(gap_min.count(), gap_max.count())));
  }
  ++s.producers_done;
  mq.stop();
}

void ha_consumer(rt::Runtime& rt, HaState& s, int c) {
  if (c == 1) rt.sleep_for(s.second_consumer_after);
  recording_consumer(rt, s.rig, "CG", kHaTopic, c, -1, s.consumers_stop,
                     [&s, &rt](const client::ReceivedMessage& m, const h::Delivery&) {
                       // Slow listeners: a backlog waits on the masters when one is lost.
                       if (s.slow_listeners) rt.sleep_for(Duration(rt.random().between(500'000'000, 1'500'000'000)));
                       s.consumed.insert(m.keys);
                       return client::ConsumeResult::success;
                     });
}

// Producers and consumers on their own nodes; returns the node ids.
std::vector<NodeId> add_clients(HaState& s, int per_producer, Duration gap_min, Duration gap_max) {
  Rig& k = s.rig;
  std::vector<NodeId> out;
  for (int p = 0; p < 2; ++p)
    out.push_back(k.sim.add_node(fmt::format("producer{}", p), [&s, p, per_producer, gap_min, gap_max](rt::Runtime& rt) {
      ha_producer(rt, s, p, per_producer, gap_min, gap_max);
    }).id());
  h::Group cg{.kind = h::GroupKind::clustering, .topics = {kHaTopic}};
  for (int c = 0; c < 2; ++c) {
    out.push_back(k.sim.add_node(fmt::format("consumer{}", c), [&s, c](rt::Runtime& rt) { ha_consumer(rt, s, c); }).id());
    cg.members.insert(fmt::format("10.2.0.{}@c{}", c + 1, c));
  }
  k.hist.groups["CG"] = cg;
  return out;
}

void setup(HaState& s, const RunOptions& opts) {
  Rig& k = s.rig;
  observe(k.sim, opts);
  k.add_namesrv();
}

// Until the producers are done and every acknowledged message was consumed
// (or the limits pass), then the consumers stop.
void drain(HaState& s) {
  Rig& k = s.rig;
  if (!k.sim.run_until([&] { return s.producers_done == 2; }, std::chrono::minutes(10)))
    k.fail("the producers did not finish");
  k.sim.run_until(
      [&] {
        for (const auto& key : s.acked_keys)
          if (!s.consumed.count(key) && !s.excused.count(key)) return false;
        return true;
      },
      std::chrono::minutes(10));
  k.sim.run_for(std::chrono::seconds(5));
  s.consumers_stop = true;
  k.sim.run_for(std::chrono::seconds(3));
  k.hist.end = k.sim.now();
}

std::string counts(const HaState& s) {
  int unknown = 0;
  for (const auto& snd : s.rig.hist.sends) unknown += snd.outcome == h::SendOutcome::unknown ? 1 : 0;
  return fmt::format("sends={} acked={} not_confirmed={} deliveries={}", s.rig.hist.sends.size(), s.acked_keys.size(),
                     unknown, s.rig.hist.deliveries.size());
}

// ---------------------------------------------------------------------------
// master-crash

RunResult run_master_crash_impl(uint64_t seed, const RunOptions& opts) {
  HaState s(seed);
  Rig& k = s.rig;
  setup(s, opts);
  for (int i = 0; i < 2; ++i) add_group(s, i, broker::BrokerRole::sync_master);
  const int per_producer = scaled(40 + static_cast<int>(k.sim.random().below(30)), opts);
  const size_t victim = k.sim.random().below(s.groups.size());
  const Duration crash_at = Duration(k.sim.random().between(15'000'000'000, 35'000'000'000));
  // One consumer from the start, one only after the crash; both slow.
  s.slow_listeners = true;
  s.second_consumer_after = crash_at;
  auto clients = add_clients(s, per_producer, std::chrono::milliseconds(100), std::chrono::milliseconds(700));
  start_cluster(s, clients);
  // The victim's master loses power for good.
  const std::string master = k.sim.node(s.groups[victim]->master_node).name();
  if (!k.start_faults(opts, [&](rt::Random&, FaultPlan& plan) {
        plan.add(crash_at, FaultKind::power_loss, master);
        plan.add(crash_at, FaultKind::kill, master);
      }))
    return k.bad_plan();
  k.sim.run_until(rt::Instant(crash_at + std::chrono::seconds(1)));
  drain(s);
  // How much of the victim's log its slave served after the crash.
  int from_slave = 0;
  for (const auto& d : k.hist.deliveries)
    from_slave += d.queue.broker == s.groups[victim]->master_cfg.broker_name && d.at > rt::Instant(crash_at) ? 1 : 0;
  return k.finish({fmt::format("{} victim={} crash_at={} delivered_from_slave={}", counts(s),
                               s.groups[victim]->master_cfg.broker_name, at(rt::Instant(crash_at)), from_slave)});
}

// ---------------------------------------------------------------------------
// ha-partition

RunResult run_ha_partition_impl(uint64_t seed, const RunOptions& opts) {
  HaState s(seed);
  Rig& k = s.rig;
  s.check_slave_on_ack = true;
  setup(s, opts);
  add_group(s, 0, broker::BrokerRole::sync_master);
  HaGroup& g = *s.groups[0];
  const int per_producer = scaled(60 + static_cast<int>(k.sim.random().below(40)), opts);
  auto clients = add_clients(s, per_producer, std::chrono::milliseconds(50), std::chrono::milliseconds(500));
  start_cluster(s, clients);
  const std::string master = k.sim.node(g.master_node).name(), slave = k.sim.node(g.slave_node).name();
  const bool planned = k.start_faults(opts, [&](rt::Random& r, FaultPlan& plan) {
    FaultEvent& slow = plan.add(0s, FaultKind::slow_disk, slave);
    slow.delay = 30ms;
    slow.rate = 0.2;
    for (Duration t = 14s; t < 60s; t += Duration(r.between(3'000'000'000, 9'000'000'000))) {
      const Duration length = Duration(r.between(1'000'000'000, 7'000'000'000));
      const uint64_t kind = r.below(3);
      if (kind == 2) {
        const Duration extra = Duration(r.between(200'000'000, 2'000'000'000));
        plan.add(t, FaultKind::clog, master, slave, true).delay = extra;
        plan.add(t + length, FaultKind::unclog, master, slave, true);
      } else {
        const bool two_way = kind == 0;
        const bool from_master = r.below(2) == 0;
        plan.add(t, FaultKind::partition, from_master ? master : slave, from_master ? slave : master, two_way);
        plan.add(t + length, FaultKind::heal, master, slave, true);
      }
    }
  });
  if (!planned) return k.bad_plan();
  int cuts = 0, clogs = 0;
  k.injector.on_applied = [&](const FaultEvent& e, NodeId) {
    cuts += e.kind == FaultKind::partition ? 1 : 0;
    clogs += e.kind == FaultKind::clog ? 1 : 0;
  };
  k.sim.run_until(rt::Instant(std::chrono::seconds(70)));
  k.sim.heal_all();
  for (NodeId a : {g.master_node, g.slave_node})
    for (NodeId b : {g.master_node, g.slave_node})
      if (a != b) k.sim.clog(a, b, Duration::zero());
  k.sim.set_disk_config(g.slave_node, {});
  k.hist.healed_at = k.sim.now();
  drain(s);
  // Caught up, then byte for byte.
  const bool caught_up = k.sim.run_until(
      [&] {
        return g.master && g.slave && g.slave->store().written() == g.master->store().written() &&
               g.slave->store().dispatched() == g.slave->store().written();
      },
      std::chrono::minutes(2));
  if (!caught_up) {
    k.fail(fmt::format("the slave did not catch up within 2 minutes of healing: {} of {} bytes",
                                     g.slave ? g.slave->store().written() : -1,
                                     g.master ? g.master->store().written() : -1));
  } else {
    for (auto& f : compare_commit_logs(k.sim, g.master_node, g.slave_node)) k.fail(std::move(f));
    for (int32_t q = 0; q < kHaQueues; ++q)
      if (g.slave->store().max_offset(kHaTopic, q) != g.master->store().max_offset(kHaTopic, q))
        k.fail(fmt::format("queue {}: the slave has {} messages, the master {}", q,
                                         g.slave->store().max_offset(kHaTopic, q),
                                         g.master->store().max_offset(kHaTopic, q)));
  }
  return k.finish({fmt::format("{} cuts={} clogs={} log_bytes={}", counts(s), cuts, clogs,
                               g.master ? g.master->store().written() : -1)});
}

// ---------------------------------------------------------------------------
// async-master-loss

RunResult run_async_master_loss_impl(uint64_t seed, const RunOptions& opts) {
  HaState s(seed);
  Rig& k = s.rig;
  setup(s, opts);
  for (int i = 0; i < 2; ++i) add_group(s, i, broker::BrokerRole::async_master);
  const int per_producer = scaled(150 + static_cast<int>(k.sim.random().below(100)), opts);
  auto clients = add_clients(s, per_producer, std::chrono::milliseconds(20), std::chrono::milliseconds(120));
  start_cluster(s, clients);
  const size_t victim = k.sim.random().below(s.groups.size());
  HaGroup& g = *s.groups[victim];
  // While the producers send (from 12 s, for 15-30 s).
  const Duration crash_at = Duration(k.sim.random().between(14'000'000'000, 24'000'000'000));
  int64_t written_at_crash = -1, acked_at_crash = -1, kept = -1;
  // The acknowledged messages past what the slave kept are the loss RocketMQ
  // allows an ASYNC_MASTER: counted, then no longer expected.
  auto excuse_lost = [&] {
    if (kept < 0) return;
    for (const auto& snd : k.hist.sends) {
      if (snd.outcome != h::SendOutcome::acked || snd.queue.broker != g.master_cfg.broker_name) continue;
      auto phys = s.phys_of.find(snd.key);
      if (phys == s.phys_of.end() || phys->second < kept || s.excused.count(snd.key)) continue;
      if (phys->second >= written_at_crash)
        k.fail(fmt::format("{} was acknowledged at commitlog {}, past the master's log end {} at "
                                         "the crash",
                                         snd.key, phys->second, written_at_crash));
      s.excused.insert(snd.key);
    }
  };
  // A slow link to the slave (replication lags the acknowledged sends),
  // then the victim's master loses power for good.
  const std::string master = k.sim.node(g.master_node).name(), slave = k.sim.node(g.slave_node).name();
  const bool planned = k.start_faults(opts, [&](rt::Random& r, FaultPlan& plan) {
    const Duration extra = Duration(r.between(50'000'000, 800'000'000));
    plan.add(10s, FaultKind::clog, master, slave, false).delay = extra;
    plan.add(crash_at, FaultKind::power_loss, master);
    plan.add(crash_at, FaultKind::kill, master);
  });
  if (!planned) return k.bad_plan();
  bool crashed = false;
  k.injector.before_apply = [&](const FaultEvent& e, NodeId n) {
    if (n != g.master_node || crashed) return;
    if (e.kind != FaultKind::power_loss && e.kind != FaultKind::crash && e.kind != FaultKind::kill) return;
    // About to crash: what its log holds, and what its slave acknowledged.
    crashed = true;
    if (g.master) {
      written_at_crash = g.master->store().written();
      acked_at_crash = g.master->ha_master()->acked();
    }
    // With its master gone the slave's log no longer grows.
    k.sim.after(std::chrono::seconds(5), [&] {
      if (!g.slave || written_at_crash < 0) {
        k.fail("the victim's master or slave was not up at the crash");
        return;
      }
      kept = g.slave->store().written();
      // What the slave kept: never less than it acknowledged to the master.
      if (kept < acked_at_crash)
        k.fail(fmt::format("the slave has {} bytes but had acknowledged {} to its master", kept,
                                         acked_at_crash));
      excuse_lost();
    });
  };
  k.sim.run_until(rt::Instant(crash_at + std::chrono::seconds(6)));
  drain(s);
  excuse_lost();
  for (auto& snd : k.hist.sends)
    if (s.excused.count(snd.key)) snd.outcome = h::SendOutcome::unknown;
  const size_t lost = s.excused.size();
  return k.finish({fmt::format("{} victim={} crash_at={} lag_at_crash={} slave_kept={} lost_acked={} (bounded by the lag)",
                               counts(s), g.master_cfg.broker_name, at(rt::Instant(crash_at)),
                               written_at_crash >= 0 ? written_at_crash - acked_at_crash : -1, kept, lost)});
}

}  // namespace

RunResult run_master_crash(uint64_t seed, const RunOptions& opts) { return run_master_crash_impl(seed, opts); }
RunResult run_ha_partition(uint64_t seed, const RunOptions& opts) { return run_ha_partition_impl(seed, opts); }
RunResult run_async_master_loss(uint64_t seed, const RunOptions& opts) {
  return run_async_master_loss_impl(seed, opts);
}

}  // namespace rmq::scenarios
