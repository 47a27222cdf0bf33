// Fault plans as text: every event kind round-trips, generated plans
// round-trip (RapidCheck), and bad lines are refused with their line number.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "scenarios/fault_plan.h"

namespace rmq::scenarios {
namespace {

using namespace std::chrono_literals;

const char* const kExample =
    "# a plan\n"
    "12500ms crash broker0\n"
    "15s restart broker0\n"
    "16s power_loss broker1   # torn tails\n"
    "17s kill consumer1\n"
    "18s pause broker0\n"
    "19s resume broker0\n"
    "20s partition producer1 -> broker0\n"
    "20s partition producer1 <-> broker1\n"
    "25s heal producer1 <-> broker1\n"
    "30s clog broker0 <-> namesrv delay=5s\n"
    "30s unclog broker0 <-> namesrv\n"
    "31s latency consumer0 -> broker1 delay=20ms\n"
    "32s loss consumer0 <-> broker1 rate=0.1\n"
    "40s slow_disk broker0 delay=50ms\n"
    "41s fsync_stall broker0 delay=2s\n"
    "42s disk_full broker1\n"
    "43s disk_free broker1\n"
    "44s read_corruption broker1 rate=0.001\n"
    "50s clock_jump broker0 by=-3s\n"
    "60s clock_drift broker0 ppm=-250\n"
    "61s reset producer0 <-> broker1\n"
    "62s slow_disk broker1 rate=0.25 delay=40ms\n"
    "\n";

TEST(FaultPlan, EveryKindParsesAndPrintsCanonically) {
  auto plan = parse_fault_plan(kExample);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  ASSERT_EQ(plan->events.size(), 22u);
  const FaultEvent& first = plan->events[0];
  EXPECT_EQ(first.at, 12500ms);
  EXPECT_EQ(first.kind, FaultKind::crash);
  EXPECT_EQ(first.node, "broker0");
  const FaultEvent& one_way = plan->events[6];
  EXPECT_EQ(one_way.kind, FaultKind::partition);
  EXPECT_EQ(one_way.peer, "broker0");
  EXPECT_FALSE(one_way.both_ways);
  EXPECT_TRUE(plan->events[7].both_ways);
  EXPECT_EQ(plan->events[9].delay, 5s);
  EXPECT_EQ(plan->events[12].rate, 0.1);
  EXPECT_EQ(plan->events[18].by, -3s);
  EXPECT_EQ(plan->events[19].ppm, -250);
  EXPECT_EQ(plan->events[20].kind, FaultKind::reset);
  EXPECT_TRUE(plan->events[20].both_ways);
  EXPECT_EQ(plan->events[13].rate, kOptionalRateDefault);  // slow_disk without rate=: every operation
  EXPECT_EQ(plan->events[21].rate, 0.25);
  EXPECT_EQ(plan->events[21].delay, 40ms);
  const std::string text = to_string(*plan);
  EXPECT_EQ(text.substr(0, text.find('\n')), "12500ms crash broker0");
  EXPECT_NE(text.find("\n16s power_loss broker1\n"), std::string::npos);  // comment dropped
  EXPECT_NE(text.find("\n50s clock_jump broker0 by=-3s\n"), std::string::npos);
  EXPECT_NE(text.find("\n40s slow_disk broker0 delay=50ms\n"), std::string::npos);
  EXPECT_NE(text.find("\n62s slow_disk broker1 delay=40ms rate=0.25\n"), std::string::npos);
  auto again = parse_fault_plan(text);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *plan);
  EXPECT_EQ(to_string(*again), text);
}

TEST(FaultPlan, BadLinesAreRefusedNamingTheLineAndTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1s crash", "line 1: expected '<time> <kind> <node> ...'"},
      {"1 crash b", "line 1: bad time '1'"},
      {"-1s crash b", "line 1: bad time '-1s'"},
      {"1.5s crash b", "line 1: bad time '1.5s'"},
      {"1s explode b", "line 1: unknown fault 'explode'"},
      {"1s crash b/0", "line 1: bad node name 'b/0'"},
      {"1s crash b extra", "line 1: unexpected 'extra'"},
      {"# ok\n1s partition a b", "line 2: partition needs a link"},
      {"1s partition a -> a", "line 1: a link joins two different nodes"},
      {"1s clog a <-> b", "line 1: clog needs delay=..."},
      {"1s clog a <-> b rate=1", "line 1: unexpected 'rate=1'"},
      {"1s slow_disk a rate=0.5", "line 1: slow_disk needs delay=..."},
      {"1s slow_disk a delay=1s delay=2s", "line 1: delay given twice"},
      {"1s reset a", "line 1: reset needs a link"},
      {"1s clog a <-> b delay=-5ms", "line 1: bad delay '-5ms'"},
      {"1s loss a -> b rate=1.5", "line 1: bad rate '1.5' (0 to 1)"},
      {"1s loss a -> b rate=nan", "line 1: bad rate 'nan' (0 to 1)"},
      {"1s clock_drift a ppm=2e6", "line 1: bad ppm '2e6'"},
      {"99999999s crash b", "line 1: bad time '99999999s'"},
      {"1s crash " + std::string(600, 'x'), "line 1: longer than 512 bytes"},
  };
  for (const auto& [text, want] : cases) {
    SCOPED_TRACE(text.substr(0, 60));
    auto plan = parse_fault_plan(text);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.code(), rt::Errc::invalid_argument);
    EXPECT_NE(plan.error().detail().find(want), std::string::npos) << plan.error().detail();
  }
}

TEST(FaultPlan, TooManyEventsAreRefused) {
  std::string text;
  for (size_t i = 0; i <= kFaultEventsMax; ++i) text += "1s crash b\n";
  auto plan = parse_fault_plan(text);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().detail().find("more than 100000 events"), std::string::npos);
}

rc::Gen<std::string> gen_node() {
  return rc::gen::map(rc::gen::inRange(0, 12), [](int i) { return "node" + std::to_string(i); });
}

rc::Gen<rt::Duration> gen_duration(bool negative) {
  return rc::gen::map(rc::gen::inRange<int64_t>(negative ? -100'000'000'000 : 0, 100'000'000'000),
                      [](int64_t ns) {
                        // Some exact seconds and milliseconds, some odd nanoseconds.
                        switch (static_cast<uint64_t>(ns) % 3) {
                          case 0: return rt::Duration(ns / 1'000'000'000 * 1'000'000'000);
                          case 1: return rt::Duration(ns / 1'000'000 * 1'000'000);
                          default: return rt::Duration(ns);
                        }
                      });
}

rc::Gen<FaultEvent> gen_event() {
  return rc::gen::exec([] {
    FaultEvent e;
    e.at = *gen_duration(false);
    e.kind = static_cast<FaultKind>(*rc::gen::inRange(0, kFaultKindCount));
    e.node = *gen_node();
    if (is_link_fault(e.kind)) {
      e.peer = *gen_node();
      if (e.peer == e.node) e.peer += "x";
      e.both_ways = *rc::gen::arbitrary<bool>();
    }
    switch (e.kind) {
      case FaultKind::clog:
      case FaultKind::latency: e.delay = *gen_duration(false); break;
      case FaultKind::slow_disk:
      case FaultKind::fsync_stall:
        e.delay = *gen_duration(false);
        e.rate = *rc::gen::element(kOptionalRateDefault, 0.5, 1e-3);
        break;
      case FaultKind::clock_jump: e.by = *gen_duration(true); break;
      case FaultKind::loss:
      case FaultKind::read_corruption: e.rate = *rc::gen::inRange(0, 1'000'001) / 1e6; break;
      case FaultKind::clock_drift: e.ppm = *rc::gen::inRange(-1'000'000, 1'000'001) / 7.0; break;
      default: break;
    }
    return e;
  });
}

RC_GTEST_PROP(FaultPlan, GeneratedPlansRoundTrip, ()) {
  FaultPlan plan;
  plan.events = *rc::gen::container<std::vector<FaultEvent>>(gen_event());
  const std::string text = to_string(plan);
  auto parsed = parse_fault_plan(text);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == plan);
  RC_ASSERT(to_string(*parsed) == text);
}

}  // namespace
}  // namespace rmq::scenarios
