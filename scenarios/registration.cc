// registration-at-scale. Goal: the big-heartbeat problem RocketMQ's user
// guide warns about. A broker holding 50 000 topics, on a slow and lossy
// link to its namesrvs, is never dropped from their routes while it is
// alive, and its steady-state heartbeat does not resend its topics: its size
// does not depend on the topic count.
// Method: 2 namesrvs, 1 broker whose topics.json holds 50 000 topics when it
// starts. For 10 minutes the links between the broker and each namesrv are
// slowed by 0.2-3 s, and cut for 0.2-4 s at random (segments are dropped
// and retransmitted, as on a lossy link); the simulated network also has a
// long latency tail. Every second each namesrv must list the broker (once it
// first registered). The bytes of the last full registration and of the
// last keep-alive are reported; a keep-alive above 1 KiB is a failure.
#include <fmt/format.h>

#include "broker/broker.h"
#include "namesrv/name_server.h"
#include "scenarios/nodes.h"
#include "scenarios/fault_inject.h"
#include "scenarios/scenario.h"
#include "scenarios/timeline.h"
#include "sim/disk.h"
#include "sim/sim_runtime.h"
#include "sim/simulation.h"
#include "store/config_files.h"

namespace rmq::scenarios {
namespace {

using rt::Duration;
using sim::NodeId;
using namespace std::chrono_literals;

constexpr int kTopics = 50'000;
constexpr int64_t kKeepAliveBytesMax = 1024;

struct ScaleState : FailureLog {
  std::vector<namesrv::NameServer*> namesrvs;
  std::vector<NodeId> namesrv_nodes;
  std::vector<std::string> namesrv_addrs;
  broker::Broker* broker = nullptr;
  broker::BrokerConfig cfg;
  NodeId broker_node = 0;
  std::vector<bool> seen;  // per namesrv: the broker registered once
  // Last, so that it is destroyed first: its nodes' tasks refer to the above.
  sim::Simulation sim;
  explicit ScaleState(uint64_t seed) : sim(seed) {}
};

void scale_namesrv_main(rt::Runtime& rt, namesrv::NameServer*& slot) {
  namesrv::NamesrvConfig c;
  c.kv_config_path = "/namesrv/kv.json";
  namesrv::NameServer n(rt, c);
  if (!n.start()) return;
  slot = &n;
  struct Clear {
    namesrv::NameServer*& p;
    ~Clear() { p = nullptr; }
  } clear{slot};
  rt.sleep_for(rt::kForever);
}

// topics.json with kTopics topics, written to the broker's disk before it starts.
void write_topics(sim::Disk& disk, const std::string& root) {
  store::TopicConfigTable t;
  t.data_version.counter = 1;
  t.data_version.timestamp = sim::kSimEpochMs;
  for (int i = 0; i < kTopics; ++i) {
    store::TopicConfig tc;
    tc.topic_name = fmt::format("ScaleTopic-{:05d}", i);
    tc.read_queue_nums = tc.write_queue_nums = 4;
    tc.perm = 6;
    t.topic_config_table.emplace(tc.topic_name, tc);
  }
  const std::string text = store::encode_topics(t);
  (void)disk.create_dirs(root + "/config");
  auto f = disk.open(store::topics_path(root), rt::OpenMode::create);
  if (!f) return;
  (void)disk.write(**f, 0, rt::ConstBytes(reinterpret_cast<const std::byte*>(text.data()), text.size()));
  disk.sync(**f);
  (void)disk.sync_dir(root + "/config");
}

RunResult run_registration_at_scale_impl(uint64_t seed, const RunOptions& opts) {
  ScaleState s(seed);
  observe(s.sim, opts);
  s.namesrvs.resize(2, nullptr);
  s.seen.resize(2, false);
  for (size_t i = 0; i < 2; ++i) {
    auto& n = s.sim.add_node(fmt::format("namesrv{}", i),
                             [&s, i](rt::Runtime& rt) { scale_namesrv_main(rt, s.namesrvs[i]); });
    s.namesrv_nodes.push_back(n.id());
    s.namesrv_addrs.push_back(n.ip() + ":9876");
  }
  auto& b = s.sim.add_node("broker", [&s](rt::Runtime& rt) {
    broker_main(rt, s.cfg, [&s](std::string what) { s.fail_at(s.sim.now(), std::move(what)); }, {}, &s.broker);
  });
  s.broker_node = b.id();
  s.cfg.namesrv_addrs = s.namesrv_addrs;
  s.cfg.broker_ip = b.ip();
  sim_store(s.cfg.store, 1 << 20);
  s.cfg.store.store_host = s.cfg.address();
  s.cfg.register_timeout = 6s;
  write_topics(b.disk(), s.cfg.store.root_dir);
  if (opts.faults) {
    sim::NetConfig net = s.sim.net_config();
    net.latency_tail_probability = 0.05;
    net.latency_tail_max = 1s;
    s.sim.set_net_config(net);
  }
  // Short cuts and clogs between the broker and each namesrv, for 10
  // minutes; link faults only (the broker must stay alive).
  FaultInjector injector(s.sim);
  const auto bad = injector.start(seed, opts, [&](rt::Random& r, FaultPlan& plan) {
    for (NodeId ns : s.namesrv_nodes) {
      const std::string name = s.sim.node(ns).name();
      for (Duration t = 20s; t < 600s; t += Duration(r.between(2'000'000'000, 20'000'000'000))) {
        const Duration length = Duration(r.between(200'000'000, 4'000'000'000));
        if (r.below(2) == 0) {
          const Duration extra = Duration(r.between(200'000'000, 3'000'000'000));
          plan.add(t, FaultKind::clog, "broker", name, true).delay = extra;
          plan.add(t + length, FaultKind::unclog, "broker", name, true);
        } else {
          plan.add(t, FaultKind::partition, "broker", name, true);
          plan.add(t + length, FaultKind::heal, "broker", name, true);
        }
      }
    }
  }, {FaultKind::partition, FaultKind::heal, FaultKind::reset, FaultKind::clog, FaultKind::unclog, FaultKind::latency,
      FaultKind::loss});
  if (bad) return refused_plan(*bad);
  // Every second: every namesrv that ever had the broker still has it.
  std::function<void()> check = [&] {
    if (s.broker) {
      for (size_t i = 0; i < s.namesrvs.size(); ++i) {
        auto* n = s.namesrvs[i];
        if (!n) continue;
        const bool live = n->routes().live(s.cfg.address());
        if (live) s.seen[i] = true;
        if (s.seen[i] && !live && s.failures.size() < 10)
          s.fail_at(s.sim.now(), fmt::format("at {} s namesrv{} no longer lists the live broker",
                                           s.sim.now().time_since_epoch().count() / 1'000'000'000, i));
      }
    }
    s.sim.after(1s, check);
  };
  s.sim.after(1s, check);
  s.sim.start_all();
  s.sim.run_until(rt::Instant(610s));
  for (size_t i = 0; i < s.seen.size(); ++i)
    if (!s.seen[i]) s.fail_at(s.sim.now(), fmt::format("namesrv{} never had the broker", i));
  broker::Broker::RegisterStats st;
  if (s.broker) st = s.broker->register_stats();
  else s.fail_at(s.sim.now(), "the broker is not up at the end");
  if (st.last_keepalive_bytes > kKeepAliveBytesMax || st.keepalives == 0)
    s.fail_at(s.sim.now(), fmt::format("steady-state heartbeat of {} bytes ({} sent); at most {} expected",
                                     st.last_keepalive_bytes, st.keepalives, kKeepAliveBytesMax));
  RunResult out;
  out.trace_hash = s.sim.trace_hash();
  out.perturbed = s.sim.perturbation().shuffle_ties;
  out.events = s.sim.events_processed();
  out.simulated = s.sim.now().time_since_epoch();
  out.failures = s.failures;
  out.plan = injector.plan();
  out.faults = fault_names(out.plan);
  out.timeline = timeline_of(s.sim, out, {}, {}, s.failure_times);
  out.notes = {fmt::format("topics={} full_registrations={} ({} bytes each) keepalives={} ({} bytes each)", kTopics,
                           st.full, st.last_full_bytes, st.keepalives, st.last_keepalive_bytes)};
  if (!out.ok()) out.recent_logs = s.sim.recent_logs();
  return out;
}

}  // namespace

RunResult run_registration_at_scale(uint64_t seed, const RunOptions& opts) {
  return run_registration_at_scale_impl(seed, opts);
}

}  // namespace rmq::scenarios
