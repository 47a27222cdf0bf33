// A scenario = cluster shape + workload + fault plan + checkers, run in the
// simulator from one seed. The same seed always gives the same trace hash.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/fault_plan.h"

namespace rmq::scenarios {

using namespace std::chrono_literals;

struct RunOptions {
  bool verbose = false;  // echo node logs as they happen
  bool trace = false;    // print every simulator event
  // Given every simulator event's trace line (instead of printing them).
  std::function<void(const std::string&)> tracer;
  // Overrides the scenario's own fault choice: false runs it fault-free.
  bool faults = true;
  // Runs this plan instead of the one the seed draws (the workload is still
  // the seed's).
  std::optional<FaultPlan> plan;
  // Scheduling perturbation (sim::Perturbation): on, off, or (unset) drawn
  // from the seed, on for half the seeds. Scenarios whose checks time
  // deliveries to the millisecond never perturb.
  std::optional<bool> perturb;
  // Scales the messages each producer sends (0 < workload <= 1); the
  // shrinker lowers it. The seed's other draws stay as they are.
  double workload = 1.0;
  // Scales the clients a scenario draws (producers and consumers, at least
  // one of each kind; 0 < nodes <= 1); the shrinker lowers it. Events of
  // the plan that name a node the smaller cluster lacks are dropped, not
  // refused. Scenarios whose client counts are fixed by what they check
  // ignore it.
  double nodes = 1.0;
};

// `count` messages scaled by the run's workload, at least one.
inline int scaled(int count, const RunOptions& o) {
  const int n = static_cast<int>(static_cast<double>(count) * o.workload + 0.5);
  return n < 1 ? 1 : n;
}

// `count` clients scaled by the run's node scale, at least one.
inline int scaled_nodes(int count, double nodes) {
  const int n = static_cast<int>(static_cast<double>(count) * nodes + 0.5);
  return n < 1 ? 1 : n;
}

struct Timeline;  // timeline.h

struct RunResult {
  uint64_t trace_hash = 0;
  bool perturbed = false;  // scheduling perturbation was on
  uint64_t events = 0;
  std::chrono::nanoseconds simulated{0};
  std::vector<std::string> failures;  // empty: every checker passed
  std::vector<std::string> faults;    // which fault kinds the plan has
  FaultPlan plan;                     // the faults the run executed (drawn or given)
  std::string plan_error;             // the given plan does not fit the scenario: nothing ran
  std::vector<std::string> notes;     // counters worth printing
  std::vector<std::string> recent_logs;
  int64_t duplicates = 0;  // deliveries the contract allows but that were counted
  // What `rmq-sim run --html` draws; set by the scenarios that record a
  // client history (null for the others).
  std::shared_ptr<const Timeline> timeline;
  bool ok() const { return failures.empty(); }
};

// The result of a run that did not start: the given plan does not fit.
inline RunResult refused_plan(std::string why) {
  RunResult out;
  out.plan_error = std::move(why);
  return out;
}

struct Scenario {
  std::string name;
  std::string goal;  // one line: what it proves
  std::function<RunResult(uint64_t seed, const RunOptions&)> run;
};

// Every scenario rmq-sim knows, in a stable order.
const std::vector<Scenario>& all_scenarios();
const Scenario* find_scenario(const std::string& name);

// The ping demo (scenarios/ping.cc).
RunResult run_ping(uint64_t seed, const RunOptions& opts);
// The broker scenarios (scenarios/broker.cc).
RunResult run_broker_crash(uint64_t seed, const RunOptions& opts);
RunResult run_broker_power_loss(uint64_t seed, const RunOptions& opts);
RunResult run_long_poll(uint64_t seed, const RunOptions& opts);
RunResult run_consumer_heartbeat_loss(uint64_t seed, const RunOptions& opts);
// The client against two brokers (scenarios/cluster.cc).
RunResult run_cluster(uint64_t seed, const RunOptions& opts);
RunResult run_namesrvs_down(uint64_t seed, const RunOptions& opts);
RunResult run_broker_namesrv_heartbeat_loss(uint64_t seed, const RunOptions& opts);
RunResult run_consumer_crash(uint64_t seed, const RunOptions& opts);
RunResult run_slow_disk_sync(uint64_t seed, const RunOptions& opts);
RunResult run_orderly_rebalance(uint64_t seed, const RunOptions& opts);
// Delay levels, retries and transactions (scenarios/reliability.cc).
RunResult run_delay_crash(uint64_t seed, const RunOptions& opts);
RunResult run_retry_dlq(uint64_t seed, const RunOptions& opts);
RunResult run_master_crash(uint64_t seed, const RunOptions& opts);
RunResult run_ha_partition(uint64_t seed, const RunOptions& opts);
RunResult run_async_master_loss(uint64_t seed, const RunOptions& opts);
RunResult run_registration_at_scale(uint64_t seed, const RunOptions& opts);
RunResult run_transaction_crash(uint64_t seed, const RunOptions& opts);
// Swarm testing of the whole cluster (scenarios/chaos.cc).
RunResult run_chaos(uint64_t seed, const RunOptions& opts);

}  // namespace rmq::scenarios
