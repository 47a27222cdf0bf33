// The real-process form of a simulated scenario: which processes rmq-chaos
// starts for (scenario, seed), under the names the scenario's fault plans
// use (broker0, master1, consumer2, dlq-reader, ...), with each broker's
// configuration and each client's workload.
//
// A fault plan found in the simulator (`rmq-sim run --plan-out`) names its
// scenario and seed in its header; rmq-chaos asks real_shape() for that
// cluster, starts it and applies the plan with real means. The workload is
// the scenario's kind of traffic (plain, orderly by pinned sharding key, delay
// levels, listener failures retried through %RETRY%, transactions, master
// and slave), always judged by the history checkers
// (scenarios/history.h). A scenario's own timing checks (a long poll
// answered within 1 ms, a heartbeat timeout within one scan) need simulated
// time; `unchecked` lists them, and the run prints them.
//
// Pure: no I/O, the same answer for the same arguments. A test checks that
// every node a scenario's plans name is in its shape, so that the table
// below cannot drift from the scenarios.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rmq::chaos {

enum class Role { namesrv, broker, producer, consumer };

struct BrokerSpec {
  std::string broker_name{};     // broker-a, ...
  int broker_id = 0;             // 0: a master; a slave's is 1
  std::string role = "ASYNC_MASTER";  // brokerRole: ASYNC_MASTER, SYNC_MASTER or SLAVE
  bool sync_flush = false;
  std::string master{};          // a slave: its master's node
};

struct ProducerSpec {
  double delay_share = 0;       // sends with delay level 1-3 (1 s, 5 s, 10 s)
  bool orderly = false;         // sharding key "order-<n % 8>", each pinned to one queue of one master
  bool transactional = false;   // half message, local transaction, commit or roll back
};

struct ConsumerSpec {
  std::string group = "CG";
  std::string topic{};          // empty: the run's topic
  bool broadcasting = false;
  bool orderly = false;
  double failure_share = 0;     // clustering: a first, second or third delivery answered "later"
};

struct RealNode {
  std::string name{};
  Role role = Role::namesrv;
  BrokerSpec broker{};
  ProducerSpec producer{};
  ConsumerSpec consumer{};
};

struct RealShape {
  std::string scenario;
  uint64_t seed = 0;
  // Namesrvs, then brokers (masters before their slaves), producers,
  // consumers: the order processes start and addresses are given.
  std::vector<RealNode> nodes;
  int transaction_check_interval_ms = 0;  // brokers' transactionCheckInterval; 0: the default
  // ASYNC_MASTER groups: an acknowledged message lost with a master killed
  // for good is counted, not failed (bounded by the replication lag).
  bool async_replication = false;
  std::vector<std::string> unchecked;  // the scenario's own checks a real run does not make
  std::string refused;                 // not empty: no real form, and why
};

// The real form of `scenario` for `seed` (and RunOptions::nodes `nodes`,
// from a shrunk plan's header); `refused` set for an unknown scenario or
// one without a cluster to start. Where the simulation draws how many
// clients it runs, the form holds the most it may draw, or (chaos) exactly
// the seed's.
RealShape real_shape(std::string_view scenario, uint64_t seed, double nodes = 1.0);

const RealNode* find_node(const RealShape& s, std::string_view name);
bool is_broker(const RealShape& s, std::string_view name);
bool is_client(const RealShape& s, std::string_view name);

}  // namespace rmq::chaos
