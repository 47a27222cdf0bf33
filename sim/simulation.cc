#include "sim/simulation.h"

#include <cmath>
#include <cstdio>
#include <iterator>

#include "runtime/scheduler.h"
#include "sim/disk.h"
#include "sim/net.h"
#include "sim/sim_runtime.h"

namespace rmq::sim {

namespace {
constexpr size_t kLogRingLines = 2000;
}

uint64_t hash_fold(uint64_t hash, uint64_t value) {
  // A variant of the murmur3 finalizer over (hash ^ value) with a rotation,
  // so that folding is order-sensitive.
  uint64_t x = ((hash << 5) | (hash >> 59)) ^ value;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// ---------------------------------------------------------------------------
// Node

Node::Node(Simulation& sim, NodeId id, std::string name, std::string ip, Main main)
    : sim_(sim), id_(id), name_(std::move(name)), ip_(std::move(ip)), main_(std::move(main)) {}

rt::Runtime& Node::runtime() {
  RMQ_ASSERT_MSG(runtime_ != nullptr, "node is down");
  return *runtime_;
}

// ---------------------------------------------------------------------------
// Simulation

Simulation::Simulation(uint64_t seed, NetConfig net, DiskConfig disk)
    : seed_(seed),
      hash_(hash_fold(0x73696d, seed)),
      rng_(hash_fold(seed, 1)),
      net_rng_(hash_fold(seed, 2)),
      tie_rng_(hash_fold(seed, 3)),
      disk_config_(disk),
      net_(std::make_unique<Network>(*this, net)) {
  log_ring_.reserve(kLogRingLines);
}

Simulation::~Simulation() {
  // Stop every node first: their tasks may still refer to the network.
  for (auto& n : nodes_)
    if (n->up()) stop_node(*n, false);
}

Node& Simulation::add_node(std::string name, Node::Main main) {
  const auto id = static_cast<NodeId>(nodes_.size());
  RMQ_ASSERT(id < 250 * 250);
  std::string ip = "127.1." + std::to_string(id / 250) + "." + std::to_string(id % 250 + 1);
  nodes_.push_back(std::unique_ptr<Node>(new Node(*this, id, std::move(name), std::move(ip), std::move(main))));
  Node& n = *nodes_.back();
  n.disk_ = std::make_unique<Disk>(disk_config_);
  return n;
}

Node* Simulation::node_by_ip(const std::string& ip) {
  for (auto& n : nodes_)
    if (n->ip() == ip) return n.get();
  return nullptr;
}

SimRuntime* Simulation::live_runtime(NodeId id, uint32_t incarnation) {
  Node& n = *nodes_.at(id);
  if (!n.runtime_ || n.incarnation_ != incarnation) return nullptr;
  return n.runtime_.get();
}

void Simulation::start(NodeId id) {
  Node& n = *nodes_.at(id);
  RMQ_ASSERT_MSG(!n.up(), "start of a node that is up");
  ++n.incarnation_;
  n.powered_ = true;
  n.timer_event_at_ = rt::kNever;
  const uint64_t seed = hash_fold(hash_fold(seed_, 0x6e6f6465 + id), n.incarnation_);
  n.runtime_ = std::make_unique<SimRuntime>(*this, n, seed);
  const uint32_t inc = n.incarnation_;
  schedule(now_, id, EventKind::boot, [this, id, inc] {
    SimRuntime* rt = live_runtime(id, inc);
    if (rt == nullptr) return;
    Node& node = *nodes_[id];
    rt->spawn("main", [rt, &node] { node.main_(*rt); });
  });
}

void Simulation::start_all() {
  for (auto& n : nodes_)
    if (!n->up()) start(n->id());
}

void Simulation::stop_node(Node& n, bool power_loss) {
  RMQ_ASSERT(n.up());
  release_held(n);
  rt::Scheduler& sched = n.runtime_->scheduler();
  RMQ_ASSERT_MSG(!sched.in_task(), "a node cannot crash itself from one of its tasks");
  sched.stop_all();
  sched.run_ready();
  RMQ_ASSERT_MSG(sched.live_tasks() == 0, ("tasks survived a crash: " + sched.describe_live()).c_str());
  net_->node_down(n.id(), !power_loss);
  if (power_loss) {
    n.disk_->power_loss(rng_);
    n.powered_ = false;
  }
  n.runtime_.reset();
  fold(hash_fold(power_loss ? 0xdead : 0xc0de, n.id()));
}

void Simulation::crash(NodeId id) { stop_node(*nodes_.at(id), false); }

void Simulation::power_loss(NodeId id) { stop_node(*nodes_.at(id), true); }

void Simulation::partition(NodeId from, NodeId to, bool two_way) {
  net_->set_blocked(from, to, true);
  if (two_way) net_->set_blocked(to, from, true);
}

void Simulation::heal(NodeId from, NodeId to, bool two_way) {
  net_->set_blocked(from, to, false);
  if (two_way) net_->set_blocked(to, from, false);
}

void Simulation::heal_all() { net_->heal_all(); }

void Simulation::clog(NodeId from, NodeId to, rt::Duration extra) { net_->clog(from, to, extra); }

void Simulation::jitter(NodeId from, NodeId to, rt::Duration extra_max) { net_->jitter(from, to, extra_max); }

void Simulation::loss(NodeId from, NodeId to, double rate) { net_->loss(from, to, rate); }

void Simulation::pause(NodeId id) {
  Node& n = *nodes_.at(id);
  RMQ_ASSERT_MSG(n.up(), "pause of a node that is down");
  if (n.paused_) return;
  n.paused_ = true;
  fold(hash_fold(0x5709, id));
}

void Simulation::resume(NodeId id) {
  Node& n = *nodes_.at(id);
  if (!n.paused_) return;
  release_held(n);
  fold(hash_fold(0xc047, id));
}

void Simulation::release_held(Node& n) {
  n.paused_ = false;
  auto it = held_.find(n.id());
  if (it == held_.end()) return;
  // Due now, in the order they came due, after what is already queued now.
  for (Event& e : it->second) queue_.push(Event{now_, e.tie, seq_++, e.node, e.incarnation, e.kind, std::move(e.fn)});
  held_.erase(it);
}

void Simulation::set_clock_drift(NodeId id, double drift_ppm) {
  ClockConfig& c = nodes_.at(id)->clock_;
  const auto ns = static_cast<double>(now_.time_since_epoch().count());
  // Keep wall_ms continuous: what the old drift added so far stays, as skew.
  c.skew_ms += std::llround(ns * c.drift_ppm / 1e12) - std::llround(ns * drift_ppm / 1e12);
  c.drift_ppm = drift_ppm;
}

void Simulation::reset_connections(NodeId a, NodeId b) { net_->reset_between(a, b); }

void Simulation::set_disk_config(NodeId id, const DiskConfig& cfg) { nodes_.at(id)->disk_->set_config(cfg); }

void Simulation::set_net_config(const NetConfig& cfg) { net_->set_config(cfg); }

const NetConfig& Simulation::net_config() const { return net_->config(); }

void Simulation::set_perturbation(const Perturbation& p) {
  RMQ_ASSERT_MSG(seq_ == 0, "perturbation set after events were scheduled");
  RMQ_ASSERT(p.io_delay_probability >= 0 && p.io_delay_probability <= 1);
  perturbation_ = p;
  fold(hash_fold(0x9e27, (p.shuffle_ties ? 1 : 0) + static_cast<uint64_t>(p.io_delay_probability * 1e6)));
}

void Simulation::at(rt::Instant when, std::function<void()> fn) {
  schedule(when, kNoNode, EventKind::control, std::move(fn));
}

void Simulation::schedule(rt::Instant when, NodeId node, EventKind kind, std::function<void()> fn) {
  RMQ_ASSERT_MSG(when >= now_, "event scheduled in the past");
  const uint32_t inc = node == kNoNode ? 0 : nodes_.at(node)->incarnation_;
  const uint64_t tie = perturbation_.shuffle_ties && kind != EventKind::control ? 1 + tie_rng_.below(uint64_t{1} << 62) : 0;
  queue_.push(Event{when, tie, seq_++, node, inc, kind, std::move(fn)});
}

void Simulation::fold(uint64_t value) { hash_ = hash_fold(hash_, value); }

void Simulation::pump(Node& n) {
  if (!n.up()) return;
  rt::Scheduler& sched = n.runtime_->scheduler();
  sched.fire_timers(now_);
  const uint64_t switches = sched.run_ready();
  if (switches) fold(switches);
  if (!n.up()) return;
  auto next = sched.next_deadline();
  if (next && *next < n.timer_event_at_) {
    n.timer_event_at_ = *next;
    const NodeId id = n.id();
    const rt::Instant at = *next;
    schedule(at, id, EventKind::timer, [this, id, at] {
      Node& node = *nodes_[id];
      if (node.timer_event_at_ == at) node.timer_event_at_ = rt::kNever;
    });
  }
}

bool Simulation::step() {
  if (queue_.empty()) return false;
  // priority_queue::top is const; the function is moved out via const_cast,
  // which is safe because the element is popped right after.
  Event e = std::move(const_cast<Event&>(queue_.top()));
  queue_.pop();
  RMQ_ASSERT(e.time >= now_);
  now_ = e.time;
  if (e.node != kNoNode && nodes_[e.node]->paused_) {
    held_[e.node].push_back(std::move(e));
    return true;
  }
  ++events_;
  fold(static_cast<uint64_t>(now_.time_since_epoch().count()));
  fold((uint64_t{e.node} << 8) | static_cast<uint8_t>(e.kind));
  if (tracer_) {
    // The hash so far: it covers what every earlier event did.
    static constexpr const char* kKinds[] = {"control", "boot",    "timer",    "net_data",
                                             "net_ack", "net_reset", "net_syn", "net_synack"};
    static_assert(std::size(kKinds) == static_cast<size_t>(EventKind::net_synack) + 1);
    char line[192];
    std::snprintf(line, sizeof line, "%lld.%09lld %s %s hash=%016llx",
                  static_cast<long long>(now_.time_since_epoch().count() / 1000000000),
                  static_cast<long long>(now_.time_since_epoch().count() % 1000000000),
                  e.node == kNoNode ? "-" : nodes_[e.node]->name_.c_str(), kKinds[static_cast<size_t>(e.kind)],
                  static_cast<unsigned long long>(hash_));
    tracer_(line);
  }
  // Timers and boots belong to one incarnation of their node; network events
  // check liveness themselves (a dead peer answers with a reset).
  const bool stale = e.node != kNoNode && (e.kind == EventKind::timer || e.kind == EventKind::boot) &&
                     nodes_[e.node]->incarnation_ != e.incarnation;
  if (!stale) e.fn();
  if (e.node != kNoNode) pump(*nodes_[e.node]);
  return true;
}

void Simulation::run_until(rt::Instant until) {
  while (!queue_.empty() && queue_.top().time <= until) step();
  if (until > now_ && until != rt::kNever) now_ = until;
}

bool Simulation::run_until(const std::function<bool()>& done, rt::Duration limit) {
  const rt::Instant until = rt::deadline_after(now_, limit);
  while (!done()) {
    if (queue_.empty() || queue_.top().time > until) {
      if (until != rt::kNever && until > now_) now_ = until;
      return done();
    }
    step();
  }
  return true;
}

void Simulation::log_line(std::string line) {
  if (echo_logs_) std::fprintf(stderr, "%s\n", line.c_str());
  if (log_ring_.size() < kLogRingLines) {
    log_ring_.push_back(std::move(line));
  } else {
    log_ring_[log_ring_next_] = std::move(line);
    log_ring_next_ = (log_ring_next_ + 1) % kLogRingLines;
  }
}

std::vector<std::string> Simulation::recent_logs() const {
  std::vector<std::string> out;
  out.reserve(log_ring_.size());
  for (size_t i = 0; i < log_ring_.size(); ++i)
    out.push_back(log_ring_[(log_ring_next_ + i) % log_ring_.size()]);
  return out;
}

}  // namespace rmq::sim
