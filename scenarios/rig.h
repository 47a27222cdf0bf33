// The simulated cluster the reliability and replication scenarios share: a
// namesrv, brokers (with their crash and restart schedule), the history the
// checkers judge, and a consumer that records what it is given.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "client/mq_client.h"
#include "client/producer.h"
#include "client/push_consumer.h"
#include "scenarios/fault_inject.h"
#include "scenarios/history.h"
#include "scenarios/nodes.h"
#include "scenarios/scenario.h"
#include "scenarios/timeline.h"
#include "sim/disk.h"
#include "sim/simulation.h"

namespace rmq::scenarios {

using rt::Duration;
using sim::NodeId;
namespace h = history;

// The namesrv, the brokers and what the scenarios share.
struct Rig : FailureLog {
  h::History hist;
  std::vector<std::string> namesrv_addrs;
  std::vector<NodeId> broker_nodes;
  std::vector<std::string> broker_node_names;  // the simulator's names, as fault plans name them
  std::vector<broker::BrokerConfig> broker_cfgs;
  std::vector<broker::Broker*> broker_up;  // each broker while it serves, else null
  // Slaves (add_slaves): slave<i> of broker<i>, with the same broker name.
  std::vector<NodeId> slave_nodes;
  std::vector<std::string> slave_node_names;
  std::vector<broker::BrokerConfig> slave_cfgs;
  std::vector<broker::Broker*> slave_up;
  // A failure of the scenario's own checks, found now.
  void fail(std::string what) { fail_at(sim.now(), std::move(what)); }
  // Broker name -> when it was down: [crash, restart).
  std::map<std::string, std::vector<std::pair<rt::Instant, rt::Instant>>> down;
  int crashes = 0;
  std::map<NodeId, rt::Instant> crashed_at;  // a broker's or slave's last crash
  std::string plan_error;
  // After the above, so that it is destroyed first: its nodes' tasks refer
  // to the above.
  sim::Simulation sim;
  FaultInjector injector{sim};
  explicit Rig(uint64_t seed) : sim(seed) {}

  // The run's faults: the plan given in `o`, or what `draw` makes of the
  // seed; checked against the nodes and `supported`, then scheduled. A
  // broker's crash and restart are recorded in `down`. False (plan_error
  // set) when a given plan does not fit.
  bool start_faults(const RunOptions& o, const std::function<void(rt::Random&, FaultPlan&)>& draw,
                    const std::vector<FaultKind>& supported = all_fault_kinds());

  void add_namesrv(const std::string& name = "namesrv") {
    auto& n = sim.add_node(name, [](rt::Runtime& rt) { namesrv_main(rt); });
    namesrv_addrs.push_back(n.ip() + ":9876");
  }
  void add_brokers(int count, const std::function<void(broker::BrokerConfig&)>& tweak) {
    broker_cfgs.resize(static_cast<size_t>(count));
    broker_up.assign(static_cast<size_t>(count), nullptr);
    for (int i = 0; i < count; ++i) {
      auto& n = sim.add_node(fmt::format("broker{}", i), [this, i](rt::Runtime& rt) {
        const auto b = static_cast<size_t>(i);
        broker_main(rt, broker_cfgs[b], [this](std::string what) { failures.push_back(what); }, {}, &broker_up[b]);
      });
      auto& cfg = broker_cfgs[static_cast<size_t>(i)];
      cfg.broker_name = fmt::format("broker-{}", static_cast<char>('a' + i));
      cfg.namesrv_addrs = namesrv_addrs;
      cfg.broker_ip = n.ip();
      sim_store(cfg.store, 1 << 20);
      cfg.store.store_host = cfg.address();
      // Pull answers copied and validated, or sent from the files.
      cfg.transfer_msg_by_heap = sim.random().below(2) == 0;
      if (tweak) tweak(cfg);
      broker_nodes.push_back(n.id());
      broker_node_names.push_back(n.name());
    }
  }
  // A slave for each broker added so far (call once, after add_brokers):
  // node slave<i>, brokerId 1, the master's store and flush settings, and
  // `tweak` applied to it. The master learns nothing here; set its role.
  void add_slaves(const std::function<void(broker::BrokerConfig&)>& tweak);
  // From `from` to `until`, every 3-15 s a broker crashes (or loses power
  // when `power` allows) for 0.5-6 s.
  void draw_broker_faults(rt::Random& r, FaultPlan& plan, Duration from, Duration until, bool power) const;
  // Swarm families on client-broker links, each on 30 % of seeds, 1-3 times
  // within [from, until): a client cut off from a broker (one way or both),
  // and that link clogged. They delay sends and deliveries, never a
  // broker's own work.
  void draw_client_swarm(rt::Random& r, FaultPlan& plan, const std::vector<std::string>& clients, Duration from,
                         Duration until) const;
  // Starts every broker and slave that is down and not killed for good.
  void restart_all() {
    for (const auto* nodes : {&broker_nodes, &slave_nodes})
      for (NodeId n : *nodes)
        if (!sim.node(n).up() && !injector.killed(n)) sim.start(n);
  }
  // When a broker that must work from `t` for `window` can: `t`, or, when
  // an outage overlaps, the end of the outage plus `ready` (recovery and a
  // service's first run), walking over outages that overlap in turn.
  rt::Instant ready_at(const std::string& broker, rt::Instant t, Duration window, Duration ready) const {
    auto it = down.find(broker);
    if (it == down.end()) return t;
    for (bool moved = true; moved;) {
      moved = false;
      for (const auto& [from, until] : it->second) {
        if (from <= t + window && until + ready > t) {
          t = until + ready;
          moved = true;
        }
      }
    }
    return t;
  }
  RunResult bad_plan() const { return refused_plan(plan_error); }
  RunResult finish(const std::vector<std::string>& notes) {
    const h::Summary sum = h::check_all(hist);
    RunResult out;
    for (NodeId i = 0; i < sim.node_count(); ++i) sim.fold(sim.node(i).disk().digest());
    out.trace_hash = sim.trace_hash();
    out.perturbed = sim.perturbation().shuffle_ties;
    out.events = sim.events_processed();
    out.simulated = sim.now().time_since_epoch();
    out.failures = failures;
    for (const auto& v : sum.violations)
      if (out.failures.size() < 20) out.failures.push_back(h::to_string(v.kind) + ": " + v.description);
    for (const auto& [group, causes] : sum.duplicates)
      for (const auto& [cause, n] : causes) out.duplicates += n;
    out.plan = injector.plan();
    out.faults = fault_names(out.plan);
    out.notes = notes;
    if (out.failures.size() > 20) out.failures.resize(20);
    if (!out.ok()) out.recent_logs = sim.recent_logs();
    out.timeline = timeline_of(sim, out, hist, sum.violations, failure_times);
    return out;
  }
};


// An acknowledged send: its outcome, and where the broker says it put it (a
// parked message's offset is not where consumers read it).
inline void record_ack(h::Send& snd, const client::SendResult& r) {
  snd.outcome = h::SendOutcome::acked;
  snd.queue.broker = r.queue.broker_name;
  snd.queue.queue_id = r.queue.queue_id;
  if (!snd.parked) snd.queue_offset = r.queue_offset;
  snd.msg_id = r.msg_id;
}

// A send that was not acknowledged: failed (never stored) when every
// attempt was refused, else unknown (a timeout may still have stored it).
inline void record_unacked(h::Send& snd, const client::SendResult& r) {
  const bool refused = r.status == client::SendStatus::failed && !r.maybe_stored;
  snd.outcome = refused ? h::SendOutcome::failed : h::SendOutcome::unknown;
}

// A slave's CommitLog (files under /store/commitlog) against its master's:
// every segment the slave has is the master's byte for byte, the last one
// a prefix. The differences found, as failure texts.
std::vector<std::string> compare_commit_logs(sim::Simulation& sim, NodeId master, NodeId slave);

// What the history records of a rebalance and of a delivery.
inline h::Rebalance rebalance_record(const std::string& group, const std::string& consumer, rt::Instant at,
                                     const std::vector<client::MessageQueue>& owned) {
  h::Rebalance rb{.group = group, .consumer = consumer, .at = at};
  for (const auto& q : owned) rb.owned.insert({q.topic, q.broker_name, q.queue_id});
  return rb;
}
// Records `c`'s lock changes (orderly consumers) into `hist` as `consumer` of `group`.
inline void record_locks(client::PushConsumer& c, h::History& hist, rt::Runtime& rt, const std::string& group,
                         const std::string& consumer) {
  c.on_lock([&hist, &rt, group, consumer](const client::MessageQueue& q, bool held, std::string_view why) {
    hist.locks.push_back({.group = group,
                          .consumer = consumer,
                          .at = rt.now(),
                          .queue = {q.topic, q.broker_name, q.queue_id},
                          .held = held,
                          .why = std::string(why)});
  });
}
inline h::Delivery delivery_record(const std::string& group, const std::string& consumer,
                                   const client::ReceivedMessage& m, rt::Instant at) {
  return {.group = group,
          .consumer = consumer,
          .key = m.keys,
          .msg_id = m.msg_id,
          .queue = {m.queue.topic, m.queue.broker_name, m.queue.queue_id},
          .queue_offset = m.queue_offset,
          .body_digest = m.body,
          .reconsume_times = m.reconsume_times,
          .at = at};
}

inline client::ClientConfig make_client(const Rig& k, const std::string& ip, const std::string& instance) {
  return {.namesrv_addrs = k.namesrv_addrs, .client_ip = ip, .instance_name = instance};
}

// A push consumer (instance c<c> on 10.2.0.<c+1>) of `group` on `topic`
// that records its rebalances and deliveries in the rig's history until
// `stop`; `listener` answers each delivery.
using RecordingListener = std::function<client::ConsumeResult(const client::ReceivedMessage&, const h::Delivery&)>;
void recording_consumer(rt::Runtime& rt, Rig& k, const std::string& group, const std::string& topic, int c,
                        int32_t max_reconsume, const bool& stop, const RecordingListener& listener);

}  // namespace rmq::scenarios
