// Fault plans applied to simulations: what each event does to the nodes,
// that an event which cannot apply is a no-op, that a scenario refuses a
// plan naming nodes it does not have or faults it cannot judge, and that
// every scenario replays the plan it prints to the same trace hash.
#include <gtest/gtest.h>

#include "scenarios/fault_inject.h"
#include "scenarios/scenario.h"
#include "sim/disk.h"

namespace rmq::scenarios {
namespace {

using namespace std::chrono_literals;

FaultPlan plan_of(std::string_view text) {
  auto p = parse_fault_plan(text);
  RMQ_ASSERT(p.ok());
  return *p;
}

// Two idle nodes that count their boots and note their wall clock.
struct TwoNodes {
  sim::Simulation sim{1};
  int boots[2] = {0, 0};
  int64_t wall_at_10s = 0;
  FaultInjector injector{sim};
  std::vector<std::string> applied;
  TwoNodes() {
    for (int i = 0; i < 2; ++i)
      sim.add_node(i == 0 ? "a" : "b", [this, i](rt::Runtime& rt) {
        ++boots[i];
        if (i == 0 && rt.now() < rt::Instant(10s)) {
          rt.sleep_for(rt::Instant(10s) - rt.now());
          wall_at_10s = rt.wall_ms();
        }
        rt.sleep_for(1000s);
      });
    injector.on_applied = [this](const FaultEvent& e, sim::NodeId) { applied.push_back(to_string(e)); };
    sim.start_all();
  }
};

TEST(FaultInjector, EventsThatCannotApplyAreNoOpsAndKillIsForGood) {
  TwoNodes t;
  t.injector.schedule(plan_of(
      "1s crash a\n"
      "2s crash a\n"      // already down: no-op
      "3s restart a\n"
      "4s restart a\n"    // already up: no-op
      "5s kill b\n"
      "6s restart b\n"    // killed: never again
      "7s pause b\n"));   // down: no-op
  t.sim.run_for(20s);
  EXPECT_EQ(t.boots[0], 2);
  EXPECT_EQ(t.boots[1], 1);
  EXPECT_TRUE(t.sim.node(0).up());
  EXPECT_FALSE(t.sim.node(1).up());
  EXPECT_TRUE(t.injector.killed(1));
  EXPECT_EQ(t.applied, (std::vector<std::string>{"1s crash a", "3s restart a", "5s kill b"}));
  EXPECT_EQ(t.injector.applied(), 3);
}

TEST(FaultInjector, AnEventAlreadyDueAppliesAtOnce) {
  TwoNodes t;
  t.sim.run_for(5s);
  t.injector.schedule(plan_of("1s crash a\n"));
  t.sim.run_for(1ms);
  EXPECT_FALSE(t.sim.node(0).up());
  EXPECT_EQ(t.injector.applied(), 1);
}

TEST(FaultInjector, DiskFullUntilFreedAndEndFaultsRestoresTheDisk) {
  TwoNodes t;
  t.injector.schedule(plan_of("1s disk_full a\n2s slow_disk a delay=20ms rate=0.5\n3s pause b\n"));
  t.sim.run_for(5s);
  sim::Disk& d = t.sim.node(0).disk();
  EXPECT_EQ(d.config().capacity_bytes, d.used_bytes());
  EXPECT_EQ(d.config().slow_probability, 0.5);
  EXPECT_EQ(d.config().slow_extra, 20ms);
  EXPECT_TRUE(t.sim.node(1).paused());
  t.injector.end_faults();
  EXPECT_EQ(d.config().capacity_bytes, sim::DiskConfig{}.capacity_bytes);
  EXPECT_EQ(d.config().slow_probability, 0.0);
  EXPECT_FALSE(t.sim.node(1).paused());
}

TEST(FaultInjector, ClockJumpMovesTheWallClock) {
  TwoNodes plain;
  plain.sim.run_for(20s);
  TwoNodes jumped;
  jumped.injector.schedule(plan_of("5s clock_jump a by=-3s\n"));
  jumped.sim.run_for(20s);
  EXPECT_EQ(jumped.wall_at_10s - plain.wall_at_10s, -3000);
}

TEST(FaultInjector, EventsAtOneTimeApplyInThePlansOrder) {
  TwoNodes t;
  t.injector.schedule(plan_of("2s restart a\n1s crash a\n2s crash a\n"));
  t.sim.run_for(5s);
  // Sorted by time, stable: crash at 1 s, then restart and crash at 2 s.
  EXPECT_EQ(to_string(t.injector.plan()), "1s crash a\n2s restart a\n2s crash a\n");
  EXPECT_FALSE(t.sim.node(0).up());
}

TEST(FaultInjector, CheckNamesTheUnknownNodeAndTheUnsupportedKind) {
  TwoNodes t;
  auto unknown = t.injector.check(plan_of("1s crash a\n2s partition a <-> zz\n"), all_fault_kinds());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().detail().find("event 2 (2s partition a <-> zz): no node 'zz'"), std::string::npos)
      << unknown.error().detail();
  auto unsupported = t.injector.check(plan_of("1s crash a\n"), all_fault_kinds({FaultKind::crash}));
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.error().detail().find("does not support crash"), std::string::npos);
  EXPECT_TRUE(t.injector.check(plan_of("1s crash a\n"), all_fault_kinds()).ok());
  FaultPlan self;
  self.add(1s, FaultKind::partition, "a", "a", true);  // only a program can write this
  auto loop = t.injector.check(self, all_fault_kinds());
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().detail().find("a link joins two different nodes"), std::string::npos);
}

TEST(ScenarioPlans, APlanThatDoesNotFitIsRefusedBeforeAnythingRuns) {
  RunOptions o;
  o.plan = plan_of("1s crash nobody\n");
  const RunResult r = find_scenario("cluster")->run(1, o);
  EXPECT_NE(r.plan_error.find("no node 'nobody'"), std::string::npos) << r.plan_error;
  EXPECT_EQ(r.events, 0u);
  o.plan = plan_of("1s crash broker\n");
  EXPECT_NE(find_scenario("long-poll")->run(1, o).plan_error.find("does not support crash"), std::string::npos);
  o.plan = plan_of("1s power_loss broker\n");  // ASYNC_FLUSH promises nothing across power loss
  EXPECT_NE(find_scenario("broker-crash")->run(1, o).plan_error.find("does not support power_loss"),
            std::string::npos);
}

// The promise behind `rmq-sim run --plan`: a run's printed plan, given back
// with the same seed, runs the same workload to the same trace hash.
TEST(ScenarioPlans, EveryScenarioReplaysItsOwnPlanToTheSameHash) {
  for (const Scenario& s : all_scenarios()) {
    SCOPED_TRACE(s.name);
    const RunResult drawn = s.run(2, {});
    ASSERT_TRUE(drawn.plan_error.empty()) << drawn.plan_error;
    RunOptions o;
    o.plan = drawn.plan;
    const RunResult replayed = s.run(2, o);
    EXPECT_EQ(replayed.trace_hash, drawn.trace_hash);
    EXPECT_EQ(replayed.plan, drawn.plan);
    EXPECT_EQ(replayed.failures, drawn.failures);
  }
}

TEST(ScenarioPlans, PerturbedRunsReplayTooAndHalfTheSeedsArePerturbed) {
  RunOptions on;
  on.perturb = true;
  for (const char* name : {"cluster", "transaction-crash", "ha-partition"}) {
    SCOPED_TRACE(name);
    const Scenario& s = *find_scenario(name);
    const RunResult drawn = s.run(3, on);
    EXPECT_TRUE(drawn.perturbed);
    EXPECT_TRUE(drawn.ok()) << drawn.failures.front();
    RunOptions again = on;
    again.plan = drawn.plan;
    EXPECT_EQ(s.run(3, again).trace_hash, drawn.trace_hash);
    RunOptions off;
    off.perturb = false;
    EXPECT_NE(s.run(3, off).trace_hash, drawn.trace_hash);
  }
  int perturbed = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) perturbed += perturbation_for(seed, {}).shuffle_ties ? 1 : 0;
  // A plan file replays a run as "# perturb: on|off": forcing the seed's own
  // draw must give that very perturbation (it once drew its knobs anew, so a
  // shrunk perturbed failure did not replay).
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    const sim::Perturbation drawn = perturbation_for(seed, {});
    RunOptions as_drawn;
    as_drawn.perturb = drawn.shuffle_ties;
    const sim::Perturbation forced = perturbation_for(seed, as_drawn);
    EXPECT_EQ(forced.shuffle_ties, drawn.shuffle_ties);
    EXPECT_EQ(forced.io_delay_probability, drawn.io_delay_probability);
  }
  EXPECT_GT(perturbed, 10);
  EXPECT_LT(perturbed, 30);
  RunOptions forced;
  forced.perturb = true;
  EXPECT_FALSE(find_scenario("long-poll")->run(1, forced).perturbed);  // timed to the millisecond
}

TEST(ScenarioPlans, AnEmptyPlanRunsWithoutFaultsAndAnotherPlanChangesTheRun) {
  const Scenario& s = *find_scenario("cluster");
  const RunResult drawn = s.run(4, {});
  ASSERT_FALSE(drawn.plan.events.empty());
  RunOptions none;
  none.plan = FaultPlan{};
  const RunResult quiet = s.run(4, none);
  EXPECT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet.plan.events.empty());
  EXPECT_NE(quiet.trace_hash, drawn.trace_hash);
  RunOptions paused;
  paused.plan = plan_of("5s pause broker0\n15s resume broker0\n20s partition producer0 <-> broker1\n25s heal producer0 <-> broker1\n");
  const RunResult r = s.run(4, paused);
  EXPECT_TRUE(r.ok()) << (r.failures.empty() ? "" : r.failures[0]);
  EXPECT_EQ(r.faults, (std::vector<std::string>{"pause", "resume", "partition", "heal"}));
}

}  // namespace
}  // namespace rmq::scenarios
