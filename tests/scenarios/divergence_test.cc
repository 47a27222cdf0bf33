// `--twice` names the first event where two runs of a seed part.
#include <gtest/gtest.h>

#include "scenarios/divergence.h"
#include "scenarios/fault_inject.h"

namespace rmq::scenarios {
namespace {

using namespace std::chrono_literals;

// Two nodes that ping-pong timers; from the `nondeterministic_from`-th run
// on, the second node sleeps 1 ms longer on its 5th round: a leak of state
// between runs, as a global or an address would be.
int g_runs = 0;

RunResult flaky(uint64_t seed, const RunOptions& o, int nondeterministic_from) {
  const int run = g_runs++;
  sim::Simulation sim(seed);
  observe(sim, o);
  for (int n = 0; n < 2; ++n)
    sim.add_node(n == 0 ? "steady" : "leaky", [n, run, nondeterministic_from](rt::Runtime& rt) {
      for (int round = 0; round < 10; ++round)
        rt.sleep_for(n == 1 && round == 5 && run % 2 == 1 && run >= nondeterministic_from ? 101ms : 100ms);
    });
  sim.start_all();
  sim.run_for(5s);
  RunResult r;
  r.trace_hash = sim.trace_hash();
  return r;
}

TEST(Divergence, NamesTheFirstEventWhereTheRunsPartWithBothSides) {
  g_runs = 0;
  const Scenario s{"flaky", "", [](uint64_t seed, const RunOptions& o) { return flaky(seed, o, 0); }};
  const std::string d = first_divergence(s, 1, {});
  EXPECT_NE(d.find("the traces part at event"), std::string::npos) << d;
  EXPECT_NE(d.find("last common event: ["), std::string::npos) << d;
  // One side wakes the leaky node at 600 ms, the other at 601 ms.
  EXPECT_NE(d.find("0.600000000 leaky timer"), std::string::npos) << d;
  EXPECT_NE(d.find("0.601000000 leaky timer"), std::string::npos) << d;
}

TEST(Divergence, SaysSoWhenTheDifferenceDoesNotRecur) {
  g_runs = 0;
  const Scenario s{"steady", "", [](uint64_t seed, const RunOptions& o) { return flaky(seed, o, 1000); }};
  EXPECT_NE(first_divergence(s, 1, {}).find("the difference did not recur"), std::string::npos);
}

}  // namespace
}  // namespace rmq::scenarios
