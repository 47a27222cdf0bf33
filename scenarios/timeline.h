// A simulated run drawn as one self-contained HTML page (`rmq-sim run
// --html FILE`): inline SVG and a little script, nothing fetched.
//
// A lane per node (the simulator's nodes in creation order, then any client
// the history names that is not one); fault intervals shaded on the lanes
// they hit (crash or power loss to restart, kill to the end, pause to
// resume, partitions, clogs, latency and loss on both ends of the link,
// slow disks, fsync stalls, full disks, read corruption, clock drift;
// resets and clock jumps as ticks); every send as a bar on its producer's
// lane from invocation to completion (acknowledged, failed or unknown) with
// a line to each delivery's mark on the consumer's lane; rebalances and
// restarts as ticks. Each failure is a red line at its time, and the
// messages it names are drawn red. Hover (an SVG <title>) tells what a mark
// is; the wheel zooms and a drag pans the time axis.
//
// Bounded: at most kMessagesDrawnMax sends (the first ones, and every one a
// failure names) and their deliveries are drawn; the page says how many
// were left out. Pure: the same timeline gives the same page.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/fault_plan.h"
#include "scenarios/history.h"

namespace rmq::sim {
class Simulation;
}

namespace rmq::scenarios {

struct RunResult;

// A scenario's own failures, each with when it was found or, for a check
// run after the run, when what it names happened (the timeline draws each
// there).
struct FailureLog {
  std::vector<std::string> failures;
  std::map<size_t, rt::Instant> failure_times;  // failures[i] -> when
  void fail_at(rt::Instant when, std::string what) {
    failure_times[failures.size()] = when;
    failures.push_back(std::move(what));
  }
};

struct Timeline {
  std::string scenario;
  uint64_t seed = 0;
  std::vector<std::string> nodes;  // the simulator's node names, in creation order
  FaultPlan plan;                  // `at` counts from the simulation's start, as history times do
  history::History history;
  std::vector<history::Violation> violations;
  std::vector<std::string> failures;  // every failure text of the run
  // When the scenario's own check failed, for failures[i] that recorded it
  // (FailureLog); the others are drawn at the run's end.
  std::map<size_t, rt::Instant> failure_times;
  rt::Instant end{};
};

inline constexpr size_t kMessagesDrawnMax = 3000;

std::string timeline_html(const Timeline& t);

// What `rmq-sim run --html` draws of a finished run: the simulation's nodes,
// the run's plan, failures and violations, and the client history (empty
// for the scenarios that keep none: their lanes, faults and failures only).
std::shared_ptr<const Timeline> timeline_of(sim::Simulation& sim, const RunResult& out, const history::History& hist,
                                            const std::vector<history::Violation>& violations,
                                            const std::map<size_t, rt::Instant>& failure_times = {});

}  // namespace rmq::scenarios
