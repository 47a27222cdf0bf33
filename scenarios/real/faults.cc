#include "scenarios/real/faults.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>

namespace rmq::chaos {

using scenarios::FaultEvent;
using scenarios::FaultKind;

std::vector<ProxyLink> proxy_links(const RealShape& s) {
  std::vector<ProxyLink> out;
  auto index_of = [&](const std::string& name) {
    return static_cast<size_t>(
        std::find_if(s.nodes.begin(), s.nodes.end(), [&](const RealNode& n) { return n.name == name; }) - s.nodes.begin());
  };
  auto add = [&](const RealNode& from, const RealNode& to, int port) {
    out.push_back({.from = from.name,
                   .to = to.name,
                   .port = static_cast<uint16_t>(20000 + out.size()),
                   .to_address = fmt::format("{}:{}", node_ip(index_of(to.name)), port),
                   .to_port = static_cast<uint16_t>(port)});
  };
  for (const auto& n : s.nodes) {
    const bool client = n.role == Role::producer || n.role == Role::consumer;
    if (!client && n.role != Role::broker) continue;  // a namesrv connects to nothing
    for (const auto& to : s.nodes) {
      if (to.role == Role::namesrv) add(n, to, 9876);
      if (client && to.role == Role::broker) add(n, to, 10911);
      if (n.role == Role::broker && to.name == n.broker.master) {
        add(n, to, 10911);
        add(n, to, 10912);
      }
    }
  }
  return out;
}

namespace {

// The link between `a` and `b`, oriented as its connections go; nullopt
// when neither connects to the other.
std::optional<ProxyLink> link_between(const RealShape& s, const std::string& a, const std::string& b) {
  for (auto& l : proxy_links(s))
    if ((l.from == a && l.to == b) || (l.from == b && l.to == a)) return std::move(l);
  return std::nullopt;
}

}  // namespace

std::string unsupported(const FaultEvent& e, const RealShape& s) {
  switch (e.kind) {
    case FaultKind::crash: case FaultKind::kill: case FaultKind::restart: case FaultKind::pause:
    case FaultKind::resume: case FaultKind::partition: case FaultKind::heal: case FaultKind::loss:
      return "";
    case FaultKind::clog: case FaultKind::unclog: case FaultKind::latency: case FaultKind::reset:
      return link_between(s, e.node, e.peer) ? "" : fmt::format("{} and {} never connect to each other", e.node, e.peer);
    case FaultKind::disk_full: case FaultKind::disk_free:
      return is_broker(s, e.node) ? "" : "only a broker's disk can be filled";
    case FaultKind::power_loss:
      return "power_loss needs a machine whose unsynced writes can be dropped (a VM or a device mapper)";
    case FaultKind::slow_disk: case FaultKind::fsync_stall: case FaultKind::read_corruption:
      return fmt::format("{} needs a disk rig (a device mapper) rmq-chaos does not have", scenarios::to_string(e.kind));
    case FaultKind::clock_jump: case FaultKind::clock_drift:
      return fmt::format("{} needs a clock rig rmq-chaos does not have", scenarios::to_string(e.kind));
  }
  return "unknown kind";
}

void apply(Rigs& rigs, const RealShape& s, const FaultEvent& e) {
  auto delay = [&](bool fixed, rt::Duration d) {
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    const LinkDelay ld = fixed ? LinkDelay{us, 0} : LinkDelay{0, us};
    rigs.proxy.set_delay(e.node, e.peer, ld);
    if (e.both_ways) rigs.proxy.set_delay(e.peer, e.node, ld);
  };
  auto link = [&](const std::function<void(const std::string&, const std::string&)>& fn) {
    fn(e.node, e.peer);
    if (e.both_ways) fn(e.peer, e.node);
  };
  switch (e.kind) {
    case FaultKind::crash: rigs.net.kill(e.node); break;
    case FaultKind::kill:
      rigs.killed.insert(e.node);
      rigs.net.kill(e.node);
      break;
    case FaultKind::restart:
      if (!rigs.killed.count(e.node)) rigs.net.start(e.node);
      break;
    case FaultKind::pause: rigs.net.pause(e.node); break;
    case FaultKind::resume: rigs.net.resume(e.node); break;
    case FaultKind::partition: link([&](const std::string& a, const std::string& b) { rigs.net.partition(a, b); }); break;
    case FaultKind::heal: link([&](const std::string& a, const std::string& b) { rigs.net.heal(a, b); }); break;
    case FaultKind::loss: link([&](const std::string& a, const std::string& b) { rigs.net.set_loss(a, b, e.rate); }); break;
    case FaultKind::clog: delay(true, e.delay); break;
    case FaultKind::unclog: delay(true, rt::Duration::zero()); break;
    case FaultKind::latency: delay(false, e.delay); break;
    case FaultKind::reset:
      if (auto l = link_between(s, e.node, e.peer)) rigs.proxy.reset(l->from, l->to);
      break;
    case FaultKind::disk_full: rigs.disks.fill(e.node); break;
    case FaultKind::disk_free: rigs.disks.free(e.node); break;
    default: break;  // refused or dropped before the run
  }
  std::printf("  %6.1fs %s\n", std::chrono::duration<double>(e.at).count(), scenarios::to_string(e).c_str());
  std::fflush(stdout);
}

}  // namespace rmq::chaos
