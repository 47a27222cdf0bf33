#include "scenarios/fault_inject.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "scenarios/scenario.h"
#include "sim/disk.h"

namespace rmq::scenarios {

rt::Random plan_random(uint64_t seed) { return rt::Random(sim::hash_fold(seed, 0x706c616e)); }

FaultPlan choose_plan(uint64_t seed, const RunOptions& o, const std::function<void(rt::Random&, FaultPlan&)>& draw) {
  if (o.plan) return *o.plan;
  FaultPlan plan;
  if (!o.faults) return plan;
  rt::Random r = plan_random(seed);
  draw(r, plan);
  // Drawn times read better in whole milliseconds (a plan from a file runs
  // exactly as written).
  const auto ms = [](rt::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
  for (auto& e : plan.events) {
    e.at = ms(e.at);
    e.delay = ms(e.delay);
    e.by = ms(e.by);
  }
  return plan;
}

sim::Perturbation perturbation_for(uint64_t seed, const RunOptions& o) {
  rt::Random r(sim::hash_fold(seed, 0x70657274));
  // Drawn even when forced, so that forcing a seed's own draw ("# perturb:
  // on" in a plan file) gives the same knobs below.
  const bool drawn = r.chance(0.5);
  const bool on = o.perturb.value_or(drawn);
  sim::Perturbation p;
  if (!on) return p;
  p.shuffle_ties = true;
  static constexpr double kIoDelay[] = {0.01, 0.05, 0.2};
  p.io_delay_probability = kIoDelay[r.below(3)];
  return p;
}

void observe(sim::Simulation& sim, const RunOptions& o, bool perturbable) {
  if (perturbable) sim.set_perturbation(perturbation_for(sim.seed(), o));
  sim.set_echo_logs(o.verbose);
  if (o.tracer) {
    sim.set_tracer(o.tracer);
  } else if (o.trace) {
    sim.set_tracer([](const std::string& line) { std::fprintf(stderr, "trace %s\n", line.c_str()); });
  }
}

std::vector<FaultKind> all_fault_kinds(const std::vector<FaultKind>& except) {
  std::vector<FaultKind> out;
  for (int i = 0; i < kFaultKindCount; ++i) {
    const auto k = static_cast<FaultKind>(i);
    if (std::find(except.begin(), except.end(), k) == except.end()) out.push_back(k);
  }
  return out;
}

std::vector<std::string> fault_names(const FaultPlan& plan) {
  std::vector<std::string> out;
  for (const auto& e : plan.events) {
    std::string name(to_string(e.kind));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

sim::NodeId FaultInjector::node_id(const std::string& name) const {
  for (sim::NodeId i = 0; i < sim_.node_count(); ++i)
    if (sim_.node(i).name() == name) return i;
  return sim::kNoNode;
}

rt::Result<void> FaultInjector::check(const FaultPlan& plan, const std::vector<FaultKind>& supported) const {
  std::set<std::string> known;
  for (sim::NodeId i = 0; i < sim_.node_count(); ++i) known.insert(sim_.node(i).name());
  auto names = [&] {
    std::string out;
    for (const auto& n : known) out += (out.empty() ? "" : " ") + n;
    return out;
  };
  for (size_t i = 0; i < plan.events.size(); ++i) {
    const FaultEvent& e = plan.events[i];
    for (const std::string* n : {&e.node, &e.peer}) {
      if (n == &e.peer && !is_link_fault(e.kind)) continue;
      if (!known.count(*n))
        return rt::Error(rt::Errc::invalid_argument,
                         fmt::format("fault plan event {} ({}): no node '{}' in this scenario (nodes: {})", i + 1,
                                     to_string(e), *n, names()));
    }
    if (is_link_fault(e.kind) && e.node == e.peer)
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("fault plan event {} ({}): a link joins two different nodes", i + 1, to_string(e)));
    if (std::find(supported.begin(), supported.end(), e.kind) == supported.end())
      return rt::Error(rt::Errc::invalid_argument,
                       fmt::format("fault plan event {} ({}): this scenario does not support {}", i + 1, to_string(e),
                                   to_string(e.kind)));
  }
  return {};
}

std::optional<std::string> FaultInjector::start(uint64_t seed, const RunOptions& o,
                                                const std::function<void(rt::Random&, FaultPlan&)>& draw,
                                                const std::vector<FaultKind>& supported) {
  FaultPlan plan = choose_plan(seed, o, draw);
  if (o.nodes < 1.0)  // a cluster shrunk by the shrinker: its lost nodes' events go too
    std::erase_if(plan.events, [&](const FaultEvent& e) {
      return node_id(e.node) == sim::kNoNode || (is_link_fault(e.kind) && node_id(e.peer) == sim::kNoNode);
    });
  if (auto ok = check(plan, supported); !ok) return ok.error().detail();
  schedule(std::move(plan));
  return std::nullopt;
}

void FaultInjector::schedule(FaultPlan plan) {
  std::stable_sort(plan.events.begin(), plan.events.end(),
                   [](const FaultEvent& a, const FaultEvent& b) { return a.at < b.at; });
  plan_ = std::move(plan);
  for (const FaultEvent& e : plan_.events) {
    RMQ_ASSERT_MSG(node_id(e.node) != sim::kNoNode, "fault plan names an unknown node (check() first)");
    // An event already due (a plan scheduled after the run began) applies now.
    sim_.at(std::max(rt::Instant(e.at), sim_.now()), [this, &e] {
      if (before_apply) before_apply(e, node_id(e.node));
      if (!apply(e)) return;
      ++applied_;
      sim_.fold(sim::hash_fold(0xfa17, static_cast<uint64_t>(e.kind)));
      if (on_applied) on_applied(e, node_id(e.node));
    });
  }
}

void FaultInjector::end_faults() {
  sim_.heal_all();
  for (sim::NodeId i = 0; i < sim_.node_count(); ++i)
    if (sim_.node(i).paused()) sim_.resume(i);
  for (const auto& [id, cfg] : disk_before_) sim_.set_disk_config(id, cfg);
  disk_before_.clear();
  capacity_before_full_.clear();
}

void FaultInjector::on_link(const FaultEvent& e, const std::function<void(sim::NodeId, sim::NodeId)>& fn) {
  const sim::NodeId a = node_id(e.node), b = node_id(e.peer);
  fn(a, b);
  if (e.both_ways) fn(b, a);
}

bool FaultInjector::apply(const FaultEvent& e) {
  const sim::NodeId id = node_id(e.node);
  sim::Node& n = sim_.node(id);
  auto set_disk = [&](const std::function<void(sim::DiskConfig&)>& change) {
    sim::DiskConfig cfg = n.disk().config();
    disk_before_.try_emplace(id, cfg);
    change(cfg);
    sim_.set_disk_config(id, cfg);
  };
  switch (e.kind) {
    case FaultKind::crash:
      if (!n.up()) return false;
      sim_.crash(id);
      return true;
    case FaultKind::power_loss:
      if (!n.up()) return false;
      sim_.power_loss(id);
      return true;
    case FaultKind::kill:
      killed_.insert(id);
      if (n.up()) sim_.crash(id);
      return true;
    case FaultKind::restart:
      if (n.up() || killed(id)) return false;
      sim_.start(id);
      return true;
    case FaultKind::pause:
      if (!n.up() || n.paused()) return false;
      sim_.pause(id);
      return true;
    case FaultKind::resume:
      if (!n.paused()) return false;
      sim_.resume(id);
      return true;
    case FaultKind::partition:
      on_link(e, [&](sim::NodeId a, sim::NodeId b) { sim_.partition(a, b, false); });
      return true;
    case FaultKind::heal:
      on_link(e, [&](sim::NodeId a, sim::NodeId b) { sim_.heal(a, b, false); });
      return true;
    case FaultKind::reset:
      sim_.reset_connections(id, node_id(e.peer));
      return true;
    case FaultKind::clog:
      on_link(e, [&](sim::NodeId a, sim::NodeId b) { sim_.clog(a, b, e.delay); });
      return true;
    case FaultKind::unclog:
      on_link(e, [&](sim::NodeId a, sim::NodeId b) { sim_.clog(a, b, rt::Duration::zero()); });
      return true;
    case FaultKind::latency:
      on_link(e, [&](sim::NodeId a, sim::NodeId b) { sim_.jitter(a, b, e.delay); });
      return true;
    case FaultKind::loss:
      on_link(e, [&](sim::NodeId a, sim::NodeId b) { sim_.loss(a, b, e.rate); });
      return true;
    case FaultKind::slow_disk:
      set_disk([&](sim::DiskConfig& c) {
        c.slow_probability = e.delay > rt::Duration::zero() ? e.rate : 0;
        c.slow_extra = e.delay;
      });
      return true;
    case FaultKind::fsync_stall:
      set_disk([&](sim::DiskConfig& c) {
        c.sync_stall_probability = e.delay > rt::Duration::zero() ? e.rate : 0;
        c.sync_stall = e.delay;
      });
      return true;
    case FaultKind::disk_full:
      if (capacity_before_full_.count(id)) return false;
      capacity_before_full_[id] = n.disk().config().capacity_bytes;
      set_disk([&](sim::DiskConfig& c) { c.capacity_bytes = n.disk().used_bytes(); });
      return true;
    case FaultKind::disk_free: {
      auto it = capacity_before_full_.find(id);
      if (it == capacity_before_full_.end()) return false;
      const uint64_t capacity = it->second;
      capacity_before_full_.erase(it);
      set_disk([&](sim::DiskConfig& c) { c.capacity_bytes = capacity; });
      return true;
    }
    case FaultKind::read_corruption:
      set_disk([&](sim::DiskConfig& c) { c.read_corruption_probability = e.rate; });
      return true;
    case FaultKind::clock_jump:
      n.clock().skew_ms += std::chrono::duration_cast<std::chrono::milliseconds>(e.by).count();
      return true;
    case FaultKind::clock_drift:
      sim_.set_clock_drift(id, e.ppm);
      return true;
  }
  return false;
}

}  // namespace rmq::scenarios
