// Runs a fault plan (scenarios/fault_plan.h) in a simulation: each event at
// its time, on the nodes it names (by their simulator names).
//
// An event that cannot apply is a no-op, so that any plan is legal over any
// cluster: crashing a node that is down, restarting one that is up (or that
// was killed for good), pausing one that is down.
//
// A scenario draws its plan from the seed's plan generator (plan_random),
// never from the simulation's own generator, so that replaying the printed
// plan with the same seed (`rmq-sim run --plan FILE`) runs the same
// workload and gives the same trace hash.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scenarios/fault_plan.h"
#include "sim/config.h"
#include "sim/simulation.h"

namespace rmq::scenarios {

struct RunOptions;

// The generator a scenario draws its plan from: separate from every other
// stream of the seed.
rt::Random plan_random(uint64_t seed);

// The plan a run executes: the one given in `o`, none when faults are off,
// else what `draw` adds from the seed's plan generator.
FaultPlan choose_plan(uint64_t seed, const RunOptions& o, const std::function<void(rt::Random&, FaultPlan&)>& draw);

// Applies the options that watch and shape a run: echoed logs, the event
// tracer, and scheduling perturbation (unless `perturbable` is false).
// REQUIRES: before anything is scheduled in `sim`.
void observe(sim::Simulation& sim, const RunOptions& o, bool perturbable = true);

// The perturbation the seed draws: off for half the seeds; else ties
// shuffled, and 1 %, 5 % or 20 % of I/O completions up to 2 ms late.
sim::Perturbation perturbation_for(uint64_t seed, const RunOptions& o);

// Every fault kind, or every kind but `except`.
std::vector<FaultKind> all_fault_kinds(const std::vector<FaultKind>& except = {});

// Distinct kind names of the plan's events, in order of first appearance.
std::vector<std::string> fault_names(const FaultPlan& plan);

class FaultInjector {
 public:
  explicit FaultInjector(sim::Simulation& sim) : sim_(sim) {}

  // Errc::invalid_argument naming the first event whose node (or peer) is
  // not a node of the simulation, or whose kind is not in `supported`.
  rt::Result<void> check(const FaultPlan& plan, const std::vector<FaultKind>& supported) const;

  // choose_plan, check and schedule in one: the error text when the plan
  // does not fit (nothing is scheduled then). With RunOptions::nodes below 1
  // (a shrunk cluster) events naming nodes it lacks are dropped first.
  std::optional<std::string> start(uint64_t seed, const RunOptions& o,
                                   const std::function<void(rt::Random&, FaultPlan&)>& draw,
                                   const std::vector<FaultKind>& supported);

  // Schedules every event of `plan`, ordered by time (stable: events at the
  // same time apply in the plan's order). REQUIRES: check(plan) passed.
  void schedule(FaultPlan plan);
  // The plan as scheduled (sorted).
  const FaultPlan& plan() const { return plan_; }

  // Called before each event is applied (whether or not it will change
  // anything), and after each event that changed something, with the node
  // it names.
  std::function<void(const FaultEvent&, sim::NodeId)> before_apply;
  std::function<void(const FaultEvent&, sim::NodeId)> on_applied;

  // Ends every fault still in force: links healed, unclogged and clean,
  // paused nodes resumed, disks as they were before the plan touched them.
  // Crashed nodes stay down (restarts are the scenario's business).
  void end_faults();

  bool killed(sim::NodeId id) const { return killed_.count(id) != 0; }
  // Events that changed something so far.
  int applied() const { return applied_; }

 private:
  sim::NodeId node_id(const std::string& name) const;
  // Applies one event now; false when it was a no-op.
  bool apply(const FaultEvent& e);
  void on_link(const FaultEvent& e, const std::function<void(sim::NodeId, sim::NodeId)>& fn);

  sim::Simulation& sim_;
  FaultPlan plan_;
  std::set<sim::NodeId> killed_;
  std::map<sim::NodeId, uint64_t> capacity_before_full_;
  std::map<sim::NodeId, sim::DiskConfig> disk_before_;
  int applied_ = 0;
};

}  // namespace rmq::scenarios
