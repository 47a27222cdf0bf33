// The simulated network: TCP-like ordered byte streams between nodes.
//
// Each direction of a connection is a FIFO of segments with a latency drawn
// per segment; a segment never overtakes the one before it. A writer may have
// at most NetConfig::window_bytes in flight or unread, then write_all waits
// (flow control). Faults:
//   - partition (one-way or two-way): segments and SYNs are retransmitted
//     until the link heals; after give_up_after the connection resets;
//   - clog: extra latency on a link; jitter: extra latency drawn per segment;
//   - loss: a delivery attempt is dropped and retransmitted later;
//   - reset: both ends see Errc::reset;
//   - node crash: the kernel closes the node's sockets (peers read EOF, or
//     get a reset if data was left unread); power loss: peers are not told,
//     and whatever they send later is answered with a reset.
// Internal to sim/.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "runtime/runtime.h"
#include "sim/config.h"
#include "sim/simulation.h"

namespace rmq::sim {

struct Endpoint;
struct ListenerState;
struct ConnectAttempt;

class Network {
 public:
  Network(Simulation& sim, NetConfig cfg) : sim_(sim), cfg_(cfg) {}
  ~Network();

  const NetConfig& config() const { return cfg_; }
  void set_config(const NetConfig& cfg) { cfg_ = cfg; }

  rt::Result<std::unique_ptr<rt::Listener>> listen(SimRuntime& rt, std::string_view address);
  rt::Result<std::unique_ptr<rt::Conn>> connect(SimRuntime& rt, std::string_view address,
                                                rt::Duration timeout);

  // The node's process died (notify_peers: kernel closes its sockets) or
  // its machine lost power (peers are not told).
  void node_down(NodeId id, bool notify_peers);

  void set_blocked(NodeId from, NodeId to, bool blocked);
  void heal_all();
  void clog(NodeId from, NodeId to, rt::Duration extra);
  void jitter(NodeId from, NodeId to, rt::Duration extra_max);
  void loss(NodeId from, NodeId to, double rate);
  void reset_between(NodeId a, NodeId b);

  // ---- used by the connection and listener objects ----
  bool blocked(NodeId from, NodeId to) const { return blocked_.count({from, to}) != 0; }
  rt::Duration latency(NodeId from, NodeId to);
  void send(const std::shared_ptr<Endpoint>& e, std::vector<std::byte> data, bool fin);
  void deliver(const std::shared_ptr<Endpoint>& e);
  void send_reset(const std::shared_ptr<Endpoint>& to, rt::Duration after);
  void ack(const std::shared_ptr<Endpoint>& reader, uint64_t bytes);
  void close_endpoint(const std::shared_ptr<Endpoint>& e, bool reset);
  void unregister(const Endpoint& e);
  void unregister(const ListenerState& l);
  void syn_arrives(const std::shared_ptr<ConnectAttempt>& a);
  void synack_arrives(const std::shared_ptr<ConnectAttempt>& a);
  void wake(Endpoint& e, bool reader, bool writer);

 private:
  std::shared_ptr<Endpoint> make_endpoint(SimRuntime& rt, uint16_t local_port, std::string peer);
  uint16_t ephemeral_port(NodeId id);

  Simulation& sim_;
  NetConfig cfg_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::map<std::pair<NodeId, NodeId>, rt::Duration> clogged_;
  std::map<std::pair<NodeId, NodeId>, rt::Duration> jitter_;
  std::map<std::pair<NodeId, NodeId>, double> loss_;
  std::map<std::pair<NodeId, uint16_t>, std::shared_ptr<ListenerState>> listeners_;
  // Open endpoints by (node, id): kept alive until closed, so a crash can
  // close what its tasks left open.
  std::map<std::pair<NodeId, uint64_t>, std::shared_ptr<Endpoint>> endpoints_;
  std::map<NodeId, uint16_t> next_port_;
  uint64_t next_endpoint_id_ = 1;
};

}  // namespace rmq::sim
