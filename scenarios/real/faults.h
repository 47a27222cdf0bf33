// How rmq-chaos applies a fault plan's events to real processes: the
// machine (ChaosNet: namespaces, processes, nftables drops), the proxy
// every link of the cluster goes through, and the brokers' small disks.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "scenarios/fault_plan.h"
#include "scenarios/real/disk.h"
#include "scenarios/real/net.h"
#include "scenarios/real/proxy.h"
#include "scenarios/real/shape.h"

namespace rmq::chaos {

struct Rigs {
  ChaosNet net;
  ChaosProxy proxy;
  ChaosDisks disks;
  std::set<std::string> killed;  // nodes killed for good
};

// Every connection the shape's nodes make, each a proxy link (ports from
// 20000 on the hub): clients to every broker (:10911) and namesrv (:9876),
// brokers to every namesrv, slaves to their master (:10911 metadata sync,
// :10912 replication). Node i's address is node_ip(i).
std::vector<ProxyLink> proxy_links(const RealShape& s);

// Why rmq-chaos cannot apply `e` to the shape's cluster; empty if it can.
std::string unsupported(const scenarios::FaultEvent& e, const RealShape& s);

// Applies `e` (one rmq-chaos supports) and prints it.
void apply(Rigs& rigs, const RealShape& s, const scenarios::FaultEvent& e);

}  // namespace rmq::chaos
