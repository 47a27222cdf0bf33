// rmq-chaos's fault-injecting TCP proxy: every connection between the
// cluster's nodes goes through it (an nftables DNAT in the connecting
// node's namespace sends it to a port of its own on the hub's address):
// clients to brokers and namesrvs, brokers to namesrvs, slaves to their
// masters. So a link can be clogged, given latency or reset, which
// nftables cannot do (it only drops) and this kernel has no netem for.
//
// One thread, inside the hub namespace, runs a poll loop: it accepts on one
// port per (from, to, port) link, connects to `to`, and forwards the
// bytes of each direction in order, each chunk held until its release time
// (now + the link's fixed delay + a random share of its jitter). The runner's
// thread changes the delays; nothing else crosses threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rmq::chaos {

struct ProxyLink {
  std::string from, to;     // node names: `from` connects, `to` listens
  uint16_t port = 0;        // on the hub address
  std::string to_address;   // ip:port the proxy connects to
  uint16_t to_port = 0;     // its port (`from`'s connections to it are redirected)
};

// Extra delay of one direction of a link.
struct LinkDelay {
  int64_t fixed_us = 0;       // clog
  int64_t jitter_max_us = 0;  // latency: up to this much more, drawn per chunk
};

class ChaosProxy {
 public:
  ChaosProxy() = default;
  ~ChaosProxy() { stop(); }
  ChaosProxy(const ChaosProxy&) = delete;
  ChaosProxy& operator=(const ChaosProxy&) = delete;

  // Starts the thread in network namespace `netns` (a path under
  // /var/run/netns), listening on `listen_ip` at each link's port. False,
  // with `error`, when a listener cannot be made.
  bool start(const std::string& netns, const std::string& listen_ip, const std::vector<ProxyLink>& links,
             std::string& error);
  void stop();

  // The delay of bytes from node `from` to node `to` (either end of a link).
  void set_delay(const std::string& from, const std::string& to, LinkDelay d);
  void clear_delays();
  // Resets every open connection `from` made to `to` (RST to both ends, as
  // a dropped middlebox would); new connections go through.
  void reset(const std::string& from, const std::string& to);

 private:
  void loop(std::vector<int> listeners);
  LinkDelay delay_of(const std::string& from, const std::string& to);

  std::vector<ProxyLink> links_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards delays_ and resets_
  std::map<std::pair<std::string, std::string>, LinkDelay> delays_;
  std::set<std::pair<std::string, std::string>> resets_;  // (from, to) to reset once
};

}  // namespace rmq::chaos
