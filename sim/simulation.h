// The deterministic simulator: many nodes in one OS thread, one event queue.
//
// Every event sits in one queue ordered by (time, sequence). Simulated time
// jumps from event to event. Every random choice (latencies, faults, tears)
// comes from generators derived from the seed, and every event folds into a
// 64-bit trace hash: the same seed gives the same hash, always.
//
// A Node is one machine: its own runtime (fibers, clock, RNG), IPv4 address
// and disk. Its main function is what a process would run; a crash destroys
// all of its tasks (their stacks unwind, but no I/O of theirs takes effect)
// and a restart runs main again on the same disk.
//
// Typical use:
//     sim::Simulation sim(seed);
//     auto& a = sim.add_node("a", [](rt::Runtime& rt) { ... });
//     sim.start_all();
//     sim.at(10s, [&] { sim.crash(a.id()); });
//     sim.run_for(60s);
//     fmt::print("{:016x}\n", sim.trace_hash());
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "runtime/runtime.h"
#include "sim/config.h"

namespace rmq::sim {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = UINT32_MAX;

class Simulation;
class SimRuntime;
class Disk;
class Network;

// What kind of event: folded into the trace hash and shown by the tracer.
enum class EventKind : uint8_t {
  control,     // fault plan, test driver
  boot,        // a node starts its main task
  timer,       // a node's task deadlines
  net_data,    // segment delivery
  net_ack,     // window update back to a sender
  net_reset,   // RST reaching an endpoint
  net_syn,     // connection request reaching a node
  net_synack,  // connection accepted/refused, back at the connecting node
};

class Node {
 public:
  using Main = std::function<void(rt::Runtime&)>;

  NodeId id() const { return id_; }
  const std::string& name() const { return name_; }
  // The node's IPv4 address; listen on "<ip>:port" or "0.0.0.0:port".
  const std::string& ip() const { return ip_; }
  bool up() const { return runtime_ != nullptr; }
  // False from a power loss until the next start: the machine answers
  // nothing. After a process crash the machine is on (its kernel refuses
  // connections to ports nobody listens on).
  bool powered() const { return powered_; }
  // True between pause() and resume() (or a crash): the process is stopped.
  bool paused() const { return paused_; }
  // How many times the node has been started.
  uint32_t incarnation() const { return incarnation_; }
  // The running runtime. REQUIRES: up().
  rt::Runtime& runtime();
  Disk& disk() { return *disk_; }
  ClockConfig& clock() { return clock_; }

 private:
  friend class Simulation;
  friend class SimRuntime;
  Node(Simulation& sim, NodeId id, std::string name, std::string ip, Main main);
  Simulation& sim_;
  NodeId id_;
  std::string name_;
  std::string ip_;
  Main main_;
  std::unique_ptr<Disk> disk_;
  std::unique_ptr<SimRuntime> runtime_;
  uint32_t incarnation_ = 0;
  bool powered_ = true;
  bool paused_ = false;
  ClockConfig clock_;
  rt::Instant timer_event_at_ = rt::kNever;  // earliest pending timer event
};

class Simulation {
 public:
  explicit Simulation(uint64_t seed, NetConfig net = {}, DiskConfig disk = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  uint64_t seed() const { return seed_; }
  rt::Instant now() const { return now_; }
  uint64_t trace_hash() const { return hash_; }
  uint64_t events_processed() const { return events_; }

  // Nodes. Addresses are 127.1.x.y, assigned in order of creation.
  Node& add_node(std::string name, Node::Main main);
  Node& node(NodeId id) { return *nodes_.at(id); }
  size_t node_count() const { return nodes_.size(); }
  void start(NodeId id);  // REQUIRES: !up()
  void start_all();

  // Faults. All take effect at the current simulated time.
  // Process crash (kill -9): tasks destroyed, page cache survives, peers see
  // their connections closed.
  void crash(NodeId id);
  // Machine crash: as crash(), plus the disk drops unsynced data (tearing the
  // unsynced tail at sector granularity) and peers are not told.
  void power_loss(NodeId id);
  // Drops segments from `from` to `to` (and back too when two_way), until
  // heal(). TCP retransmits, so data is delayed, not lost, unless the
  // partition outlasts NetConfig::give_up_after.
  void partition(NodeId from, NodeId to, bool two_way = true);
  void heal(NodeId from, NodeId to, bool two_way = true);
  void heal_all();
  // Adds `extra` latency to every segment from `from` to `to`.
  void clog(NodeId from, NodeId to, rt::Duration extra);
  // Adds a latency uniform in [0, extra_max] to every segment from `from`
  // to `to` (order is kept); zero ends it.
  void jitter(NodeId from, NodeId to, rt::Duration extra_max);
  // Drops each delivery attempt from `from` to `to` with probability `rate`;
  // TCP retransmits, so data arrives NetConfig::retransmit_interval later.
  // Zero ends it.
  void loss(NodeId from, NodeId to, double rate);
  // Stops the process (SIGSTOP): its timers, wake-ups and arriving data are
  // held, in order, until resume(); its peers see nothing but silence. A
  // crash or power loss of a paused node releases what was held first.
  // REQUIRES: up() for pause.
  void pause(NodeId id);
  void resume(NodeId id);
  // Sets the wall clock's drift from now on, without a jump.
  void set_clock_drift(NodeId id, double drift_ppm);
  // Resets every connection between the two nodes (both see Errc::reset).
  void reset_connections(NodeId a, NodeId b);
  void set_disk_config(NodeId id, const DiskConfig& cfg);
  void set_net_config(const NetConfig& cfg);
  const NetConfig& net_config() const;
  // REQUIRES: before the first event is scheduled (ties are drawn then).
  void set_perturbation(const Perturbation& p);
  const Perturbation& perturbation() const { return perturbation_; }

  // Driving. `at`/`after` run `fn` as a control event (outside any task).
  void at(rt::Instant when, std::function<void()> fn);
  void after(rt::Duration delay, std::function<void()> fn) { at(now_ + delay, std::move(fn)); }
  // Processes one event. Returns false if the queue is empty.
  bool step();
  // Runs until the queue is empty or the next event is after `until`; then
  // time is `until` (if the queue still had events) .
  void run_until(rt::Instant until);
  void run_for(rt::Duration d) { run_until(now_ + d); }
  // Runs until `done()` holds (checked after each event) or `limit` passes.
  // Returns whether done() held.
  bool run_until(const std::function<bool()>& done, rt::Duration limit);

  // A generator for test drivers and fault plans (separate from the nodes').
  rt::Random& random() { return rng_; }

  // Logging: lines go to a ring of the last `log_ring_lines` lines; when
  // `echo_logs` is set they are also printed to stderr as they happen.
  void set_echo_logs(bool on) { echo_logs_ = on; }
  void set_tracer(std::function<void(const std::string&)> tracer) { tracer_ = std::move(tracer); }
  std::vector<std::string> recent_logs() const;

  // ---- for the backend (SimRuntime, Network, disks) ----
  void schedule(rt::Instant when, NodeId node, EventKind kind, std::function<void()> fn);
  void fold(uint64_t value);
  void log_line(std::string line);
  Network& net() { return *net_; }
  // The runtime of a node if it is up and still `incarnation`, else nullptr.
  SimRuntime* live_runtime(NodeId id, uint32_t incarnation);
  Node* node_by_ip(const std::string& ip);
  rt::Random& net_random() { return net_rng_; }

 private:
  struct Event {
    rt::Instant time;
    uint64_t tie;  // 0, or drawn when ties are shuffled
    uint64_t seq;
    NodeId node;
    uint32_t incarnation;
    EventKind kind;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      if (a.time != b.time) return a.time > b.time;
      return a.tie != b.tie ? a.tie > b.tie : a.seq > b.seq;
    }
  };
  void pump(Node& n);
  void stop_node(Node& n, bool power_loss);
  void release_held(Node& n);

  uint64_t seed_;
  rt::Instant now_{};
  uint64_t hash_;
  uint64_t seq_ = 0;
  uint64_t events_ = 0;
  rt::Random rng_;
  rt::Random net_rng_;
  rt::Random tie_rng_;
  Perturbation perturbation_;
  DiskConfig disk_config_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  // Events of paused nodes, in the order they came due.
  std::map<NodeId, std::vector<Event>> held_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<Network> net_;
  std::vector<std::string> log_ring_;
  size_t log_ring_next_ = 0;
  bool echo_logs_ = false;
  std::function<void(const std::string&)> tracer_;
};

// Mixes `value` into `hash` (a strong 64-bit mix; order-sensitive).
uint64_t hash_fold(uint64_t hash, uint64_t value);

}  // namespace rmq::sim
