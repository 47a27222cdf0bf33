// What a seed of the `chaos` scenario draws for its cluster, for those who
// start the same cluster elsewhere (rmq-chaos, scenarios/real/shape.h).
#pragma once

#include <cstdint>

namespace rmq::scenarios {

struct ChaosCluster {
  int brokers = 2;              // broker0..: masters, each its own broker-a, broker-b, ...
  int producers = 2;            // producer0..
  int clustering = 2;           // consumer0.. in group CG; the next ones in broadcasting group BG
  int broadcasting = 2;         // BG's members
  int orderly_members = 2;      // OG's members (after BG), under `orderly`
  bool sync_flush = false;
  double listener_failure = 0;  // CG's share of deliveries answered "later"
  double delay_share = 0;       // sends at delay levels 1-3
  bool transactions = false;    // producer0 sends transactions
  bool orderly = false;         // producer1 pins sharding keys to queues; an orderly group OG of 2 (after BG)
  bool ha = false;              // each broker<i> a master with a slave<i> (brokerId 1, slaveReadEnable)
  bool sync_master = false;     // under `ha`: SYNC_MASTER, else ASYNC_MASTER
};

// The same draws as the scenario's run of `seed` with RunOptions::nodes
// `nodes` (a test compares them).
ChaosCluster chaos_cluster(uint64_t seed, double nodes = 1.0);

}  // namespace rmq::scenarios
