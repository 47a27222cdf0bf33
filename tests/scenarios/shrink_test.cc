// Shrinking: the smallest plan that fails the same way, found by dropping
// events and shortening faults; a different failure is not the same bug.
#include <gtest/gtest.h>

#include <algorithm>

#include "scenarios/shrink.h"

namespace rmq::scenarios {
namespace {

using namespace std::chrono_literals;

// A planted bug: the run "loses" a message when broker1 crashes while
// broker0's link to the namesrv is clogged by 2 s or more.
RunResult planted(const FaultPlan& plan) {
  RunResult r;
  bool clogged = false;
  for (const auto& e : plan.events) {
    if (e.kind == FaultKind::clog && e.node == "broker0" && e.delay >= 2s) clogged = true;
    if (e.kind == FaultKind::unclog && e.node == "broker0") clogged = false;
    if (e.kind == FaultKind::crash && e.node == "broker1" && clogged) {
      r.failures.push_back("lost: k" + std::to_string(e.at.count() % 97) + " was acknowledged");
      break;
    }
  }
  return r;
}

FaultPlan noisy_plan() {
  FaultPlan p;
  for (int i = 0; i < 40; ++i) {
    const auto at = std::chrono::seconds(i);
    p.add(at, i % 3 == 0 ? FaultKind::crash : FaultKind::restart, "broker" + std::to_string(i % 2 == 0 ? 0 : 2));
    if (i == 10) p.add(at, FaultKind::clog, "broker0", "namesrv", true).delay = 8s;
    if (i == 31) p.add(at, FaultKind::crash, "broker1");
    if (i == 35) p.add(at, FaultKind::unclog, "broker0", "namesrv", true);
  }
  return p;
}

TEST(Shrink, APlantedBugShrinksToItsTwoEventsWithShorterFaults) {
  const FaultPlan start = noisy_plan();
  const RunResult first = planted(start);
  ASSERT_FALSE(first.ok());
  int calls = 0;
  ShrinkLimits limits;
  const ShrinkResult r = shrink_plan(start, first, [&](const FaultPlan& p, double, double) {
    ++calls;
    return planted(p);
  }, limits);
  EXPECT_FALSE(r.stopped_early);
  EXPECT_EQ(r.runs, calls);
  ASSERT_EQ(r.plan.events.size(), 2u) << to_string(r.plan);
  EXPECT_EQ(r.plan.events[0].kind, FaultKind::clog);
  EXPECT_EQ(r.plan.events[1].kind, FaultKind::crash);
  EXPECT_EQ(r.plan.events[1].node, "broker1");
  // The clog's delay is halved while it still fails (8 s -> 4 s -> 2 s), and
  // both events move as early as they can.
  EXPECT_EQ(r.plan.events[0].delay, 2s);
  EXPECT_LT(r.plan.events[1].at, 31s);
  EXPECT_FALSE(planted(r.plan).ok());
  EXPECT_EQ(r.signature, "lost");
  EXPECT_EQ(r.failure.rfind("lost: ", 0), 0u);
}

TEST(Shrink, ADifferentFailureDoesNotCount) {
  const FaultPlan start = noisy_plan();
  const RunResult first = planted(start);
  // Every smaller plan fails, but not the same way.
  const ShrinkResult r = shrink_plan(start, first, [&](const FaultPlan& p, double, double) {
    RunResult other;
    if (p.events.size() == start.events.size()) return planted(p);
    other.failures.push_back("phantom: something else");
    return other;
  }, {});
  EXPECT_EQ(r.plan.events.size(), start.events.size());
}

TEST(Shrink, StopsAtItsRunBudgetWithTheBestPlanSoFar) {
  const FaultPlan start = noisy_plan();
  ShrinkLimits limits;
  limits.runs_max = 3;
  const ShrinkResult r =
      shrink_plan(start, planted(start), [](const FaultPlan& p, double, double) { return planted(p); }, limits);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.runs, 3);
  EXPECT_FALSE(planted(r.plan).ok());
  EXPECT_LT(r.plan.events.size(), start.events.size());
}

TEST(Shrink, TheWorkloadIsHalvedWhileTheFailureStays) {
  const FaultPlan start = noisy_plan();
  // Fails only with at least an eighth of the messages.
  auto run = [](const FaultPlan& p, double workload, double) {
    RunResult r = workload >= 0.125 ? planted(p) : RunResult{};
    r.trace_hash = static_cast<uint64_t>(workload * 1000) + p.events.size();
    return r;
  };
  const ShrinkResult r = shrink_plan(start, run(start, 1.0, 1.0), run, {});
  EXPECT_EQ(r.workload, 0.125);
  EXPECT_EQ(r.nodes, 1.0);  // the same run at any node scale: nothing to cut
  EXPECT_EQ(r.plan.events.size(), 2u);
  EXPECT_FALSE(run(r.plan, r.workload, 1.0).ok());
  // A scenario that ignores the workload (the same run at any scale) keeps 1.
  auto deaf = [](const FaultPlan& p, double, double) { return planted(p); };
  EXPECT_EQ(shrink_plan(start, deaf(start, 1.0, 1.0), deaf, {}).workload, 1.0);
}

TEST(Shrink, TheClientsAreHalvedWhileTheFailureStaysAndTheirEventsGoWithThem) {
  // A plan with an event ddmin cannot drop alone (the failure needs it)
  // on consumer3, a node only the full cluster has: a smaller cluster runs
  // without it (FaultInjector::start drops it) and still fails.
  FaultPlan start = noisy_plan();
  start.add(33s, FaultKind::pause, "consumer3");
  auto run = [](const FaultPlan& p, double, double nodes) {
    RunResult r;
    r.plan = p;
    if (nodes < 1.0) std::erase_if(r.plan.events, [](const FaultEvent& e) { return e.node == "consumer3"; });
    const bool paused = std::any_of(r.plan.events.begin(), r.plan.events.end(),
                                     [](const FaultEvent& e) { return e.node == "consumer3"; });
    // Full cluster: fails only with the pause; smaller ones (>= a quarter) always.
    if (nodes >= 0.25 && (nodes < 1.0 || paused)) r = [&] {
      RunResult f = planted(p);
      f.plan = r.plan;
      return f;
    }();
    r.trace_hash = static_cast<uint64_t>(nodes * 1000) + r.plan.events.size();
    return r;
  };
  const ShrinkResult r = shrink_plan(start, run(start, 1.0, 1.0), run, {});
  EXPECT_EQ(r.nodes, 0.25);
  for (const auto& e : r.plan.events) EXPECT_NE(e.node, "consumer3") << to_string(r.plan);
  EXPECT_EQ(r.plan.events.size(), 2u);
  EXPECT_FALSE(run(r.plan, 1.0, r.nodes).ok());
}

TEST(Shrink, SignatureIsTheCheckerWithoutNumbers) {
  EXPECT_EQ(failure_signature("lost: key p1-17 acknowledged at 12 s"), "lost");
  EXPECT_EQ(failure_signature("node 3 completed no ping in the 30 s after faults healed"),
            "node  completed no ping in the  s after faults healed");
  EXPECT_EQ(failure_signature("the producers did not finish"), "the producers did not finish");
}

}  // namespace
}  // namespace rmq::scenarios
