// rmq-chaos's machine: one network namespace per node, joined by a bridge in
// a hub namespace, nftables drop rules for partitions, and the node
// processes with their signals. Only addresses inside its own namespaces
// (10.77.0.0/24) are used; nothing on the host's own network changes.
//
// Needs root, iproute2 (`ip`) and nftables (`nft`). Every namespace it makes
// is named rmqc-*; a start removes any left by an earlier run.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace rmq::chaos {

// Node i's address (the hub is 10.77.0.1).
inline std::string node_ip(size_t index) { return "10.77.0." + std::to_string(index + 2); }

struct NodeSpec {
  std::string name;               // as fault plans name it: broker0, producer1, ...
  std::string ip;                 // 10.77.0.x
  std::vector<std::string> argv;  // the process, run inside the node's namespace
  std::string log_path;           // its stdout and stderr
};

class ChaosNet {
 public:
  ChaosNet() = default;
  ~ChaosNet() { shutdown(); }
  // Kills every process and removes the namespaces (the destructor too).
  void shutdown();
  ChaosNet(const ChaosNet&) = delete;
  ChaosNet& operator=(const ChaosNet&) = delete;

  // Empty when root, `ip` and `nft` are there; else why not.
  static std::string missing_prerequisites();
  // One run per machine: every run uses the same rmqc-* namespace names and
  // addresses, and setup() deletes what it finds, so a second run started
  // meanwhile would tear down the first's network and start its nodes in
  // the first's namespaces (a restarted broker then found its port taken).
  // Takes an exclusive lock on kMachineLock, held until the process exits;
  // when another run holds it, says so on stdout and waits.
  static void lock_machine();
  static constexpr const char* kMachineLock = "/tmp/rmq-chaos.lock";

  // Creates the hub and one namespace per node. False, with `error`, when
  // a command failed.
  bool setup(const std::vector<NodeSpec>& nodes, std::string& error);

  // Processes. start() of a running node does nothing.
  bool start(const std::string& node);
  void kill(const std::string& node);    // SIGKILL, then reaped
  void pause(const std::string& node);   // SIGSTOP
  void resume(const std::string& node);  // SIGCONT
  bool running(const std::string& node);  // reaps it if it exited
  bool paused(const std::string& node) const { return paused_.count(node) != 0; }
  // The exit status of a node's last process (once it exited), or -1.
  int exit_status(const std::string& node) const;

  // The hub's own address (the proxy listens there).
  static constexpr const char* kHubIp = "10.77.0.1";
  static constexpr const char* kHubNetns = "/var/run/netns/rmqc-hub";
  // Sends `from`'s connections to `to`'s address at `to_port` to the hub's
  // `proxy_port` instead (nftables DNAT in `from`'s namespace).
  bool redirect(const std::string& from, const std::string& to, uint16_t to_port, uint16_t proxy_port);

  // Partitions: packets from `from` to `to` are dropped until healed.
  void partition(const std::string& from, const std::string& to);
  void heal(const std::string& from, const std::string& to);
  void heal_all();  // partitions and losses
  // Loss: each packet from `from` to `to` dropped with probability `rate`
  // (nftables numgen; TCP retransmits). Zero ends it.
  void set_loss(const std::string& from, const std::string& to, double rate);

  const NodeSpec& spec(const std::string& node) const { return specs_.at(node); }

 private:
  void apply_rules(const std::string& node);

  std::map<std::string, NodeSpec> specs_;
  std::map<std::string, pid_t> pids_;
  std::map<std::string, int> exit_status_;
  std::set<std::string> paused_;
  std::set<std::pair<std::string, std::string>> blocked_;  // (from, to)
  std::map<std::pair<std::string, std::string>, double> loss_;
  // (from, to) whose connections go through the proxy: their to-to-from
  // packets are judged at `from`, by source address.
  std::set<std::pair<std::string, std::string>> proxied_;
  bool made_ = false;
};

// Runs a command (no shell) and waits; its exit status, or -1.
int run_command(const std::vector<std::string>& argv, bool quiet = true);

}  // namespace rmq::chaos
