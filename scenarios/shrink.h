// Shrinking a failing fault plan: the smallest plan (fewest events, then
// shortest faults and earliest times) that still fails the same way.
//
// A delta-debugging loop over the plan's events (ddmin: drop halves, then
// quarters, ... then single events), then a pass that shortens each
// remaining fault: halves delays and rates and moves each event halfway
// toward the one before it (which shortens outages), then a pass that
// halves the workload (RunOptions::workload) and one that halves the
// clients (RunOptions::nodes; the events of nodes that go are dropped). A
// candidate is kept when its run fails with the same signature as the
// original failure.
//
// The loop is pure over `run` (given a plan and a workload scale); the
// caller bounds it (runs, wall time).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "scenarios/fault_plan.h"
#include "scenarios/scenario.h"

namespace rmq::scenarios {

// What "fails the same way" compares: the failure's text up to its first
// ':' (the checker's name, "lost", "phantom", or the scenario's own
// sentence), with digits removed (node numbers, counts and times vary).
std::string failure_signature(const std::string& failure);
// True when one of the run's failures has the signature.
bool fails_with(const RunResult& r, const std::string& signature);

struct ShrinkLimits {
  int runs_max = 1000;
  // Asked before every run: true stops the search (the best plan so far is
  // the answer).
  std::function<bool()> out_of_time;
  std::function<void(const std::string&)> progress;  // one line per kept step
};

struct ShrinkResult {
  FaultPlan plan;         // the smallest failing plan found
  double workload = 1.0;  // and the smallest workload scale that still fails with it
  double nodes = 1.0;     // and the smallest client scale
  uint64_t trace_hash = 0;  // of that run
  std::string signature;  // of the original failure
  std::string failure;    // the matching failure of `plan`'s run
  int runs = 0;
  bool stopped_early = false;  // runs_max or out_of_time
};

// REQUIRES: `first` is run(start) and fails.
using ShrinkRun = std::function<RunResult(const FaultPlan&, double workload, double nodes)>;
ShrinkResult shrink_plan(const FaultPlan& start, const RunResult& first, const ShrinkRun& run,
                         const ShrinkLimits& limits, double workload = 1.0, double nodes = 1.0);

}  // namespace rmq::scenarios
