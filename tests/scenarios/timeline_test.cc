// The HTML timeline of a run: a lane per node, faults shaded on the lanes
// they hit, sends and deliveries as marks, each failure a mark at its time
// with the messages it names drawn as offending; names escaped; bounded.
#include "scenarios/timeline.h"

#include <gtest/gtest.h>

namespace rmq::scenarios {
namespace {

using namespace std::chrono_literals;
namespace h = history;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

rt::Instant at(rt::Duration d) { return rt::Instant(d); }

Timeline small() {
  Timeline t;
  t.scenario = "cluster";
  t.seed = 7;
  t.nodes = {"namesrv0", "broker0", "producer0", "consumer0"};
  t.plan.add(2s, FaultKind::crash, "broker0");
  t.plan.add(5s, FaultKind::restart, "broker0");
  t.plan.add(3s, FaultKind::partition, "producer0", "broker0", true);
  t.plan.add(4s, FaultKind::heal, "producer0", "broker0", true);
  for (int i = 0; i < 3; ++i) {
    h::Send s;
    s.key = "p0-" + std::to_string(i);
    s.producer = "p0";
    s.queue = {"T", "broker-a", 0};
    s.outcome = h::SendOutcome::acked;
    s.queue_offset = i;
    s.invoked = at(std::chrono::seconds(1 + i));
    s.completed = at(std::chrono::seconds(1 + i) + 10ms);
    t.history.sends.push_back(s);
    if (i == 1) continue;  // p0-1 is never delivered
    h::Delivery d;
    d.group = "CG";
    d.consumer = "10.2.0.1@c0";
    d.key = s.key;
    d.queue = s.queue;
    d.queue_offset = i;
    d.at = at(std::chrono::seconds(6 + i));
    t.history.deliveries.push_back(d);
  }
  t.history.rebalances.push_back({.group = "CG", .consumer = "10.2.0.1@c0", .at = at(1s), .owned = {{"T", "broker-a", 0}}});
  h::Violation v;
  v.kind = h::ViolationKind::lost_write;
  v.key = "p0-1";
  v.description = "acknowledged message p0-1 <T@broker-a:0> was never delivered";
  t.violations.push_back(v);
  t.failures.push_back("lost_write: " + v.description);
  t.end = at(10s);
  return t;
}

TEST(Timeline, ALanePerNodeFaultsOnTheirLanesAndTheFailureMarked) {
  const std::string html = timeline_html(small());
  EXPECT_EQ(count(html, "class=\"lane-label\""), 4u);  // clients map to their nodes: no extra lanes
  EXPECT_NE(html.find(">broker0</text>"), std::string::npos);
  // The crash, as a "down" interval from 2 s to 5 s on broker0 (x 150 + 1430 * t / 10).
  EXPECT_NE(html.find(R"(class="fault down" x="436.00" y="66")"), std::string::npos) << html.substr(0, 3000);
  EXPECT_EQ(count(html, "class=\"fault partition\""), 2u);  // both ends of the link
  EXPECT_EQ(count(html, "class=\"send acked"), 3u);
  EXPECT_EQ(count(html, "class=\"deliver"), 2u);
  EXPECT_EQ(count(html, "class=\"rebalance\""), 1u);
  // The failure: a line at the undelivered message's end of send, its
  // send drawn as offending, its text listed (escaped).
  EXPECT_NE(html.find("id=\"failure-0\""), std::string::npos);
  EXPECT_NE(html.find("class=\"send acked offending\" data-key=\"p0-1\""), std::string::npos);
  EXPECT_NE(html.find("&lt;T@broker-a:0&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<T@broker-a:0>"), std::string::npos);
  EXPECT_NE(html.find("<script>"), std::string::npos);
  EXPECT_EQ(count(html, "http"), 1u);  // nothing fetched: the only URL is the SVG namespace's
  EXPECT_EQ(count(html, "src="), 0u);
}

TEST(Timeline, APassingRunSaysSoAndTheSamePageComesBack) {
  Timeline t = small();
  t.violations.clear();
  t.failures.clear();
  const std::string html = timeline_html(t);
  EXPECT_NE(html.find("Every checker passed."), std::string::npos);
  EXPECT_EQ(html.find("id=\"failure-0\""), std::string::npos);
  EXPECT_EQ(html, timeline_html(t));
}

// A scenario's own check names no message: drawn when it was found
// (x = 150 + 1430 * t / 10), or at the run's end when it did not say.
TEST(Timeline, AScenarioFailureIsMarkedWhenItWasFound) {
  Timeline t = small();
  t.violations.clear();
  t.failures = {"SEND_OK for p0-0 while its slave has only 0 bytes", "the producers did not finish"};
  t.failure_times[0] = at(4s);
  const std::string html = timeline_html(t);
  EXPECT_NE(html.find(R"(id="failure-0" class="failure" x1="722.00" x2="722.00")"), std::string::npos);
  EXPECT_NE(html.find("slave has only 0 bytes at 4.000s</title>"), std::string::npos);
  EXPECT_NE(html.find(R"(id="failure-1" class="failure" x1="1580.00" x2="1580.00")"), std::string::npos);
  EXPECT_NE(html.find("did not finish (time not recorded)</title>"), std::string::npos);
}

// A check made after the run marks the time of what it names; its failures
// and untimed ones keep their own places in the list.
TEST(Timeline, AFailureLogKeepsEachFailuresTimeByItsPlace) {
  FailureLog log;
  log.failures.push_back("p0-1 was acknowledged but never consumed");  // untimed
  log.fail_at(at(2s), "q1: c1 started at 2000 ms while c0 was still in its listener");
  Timeline t = small();
  t.violations.clear();
  t.failures = log.failures;
  t.failure_times = log.failure_times;
  const std::string html = timeline_html(t);
  EXPECT_NE(html.find("never consumed (time not recorded)</title>"), std::string::npos);
  EXPECT_NE(html.find(R"(id="failure-1" class="failure" x1="436.00" x2="436.00")"), std::string::npos);
  EXPECT_NE(html.find("still in its listener at 2.000s</title>"), std::string::npos);
}

// Orderly lock changes are ticks on the member's lane, taken or dropped,
// and the page counts them.
TEST(Timeline, LockChangesAreDrawnOnTheMembersLane) {
  Timeline t = small();
  t.history.locks.push_back({.group = "CG", .consumer = "c0", .at = at(2s), .queue = {"T", "broker-a", 1},
                             .held = true, .why = "took"});
  t.history.locks.push_back({.group = "CG", .consumer = "c0", .at = at(5s), .queue = {"T", "broker-a", 1},
                             .held = false, .why = "released"});
  const std::string html = timeline_html(t);
  EXPECT_NE(html.find(R"(<line class="lock taken" x1="436.00")"), std::string::npos);
  EXPECT_NE(html.find("c0 took the lock of T@broker-a:1 (CG) at 2.000s</title>"), std::string::npos);
  EXPECT_NE(html.find(R"(<line class="lock dropped" x1="865.00")"), std::string::npos);
  EXPECT_NE(html.find("c0 released the lock of T@broker-a:1 (CG) at 5.000s</title>"), std::string::npos);
  EXPECT_NE(html.find(" 2 lock changes, "), std::string::npos);
}

TEST(Timeline, ManyMessagesAreBoundedButEveryOffendingOneIsDrawn) {
  Timeline t = small();
  for (size_t i = 0; i < kMessagesDrawnMax + 50; ++i) {
    h::Send s;
    s.key = "bulk-" + std::to_string(i);
    s.producer = "p0";
    s.invoked = at(1s);
    s.completed = at(2s);
    t.history.sends.push_back(s);
  }
  h::Violation late;
  late.kind = h::ViolationKind::phantom;
  late.key = "bulk-" + std::to_string(kMessagesDrawnMax + 40);
  t.violations.push_back(late);
  const std::string html = timeline_html(t);
  EXPECT_EQ(count(html, "class=\"send "), kMessagesDrawnMax + 1);  // the first ones, and the offending one
  EXPECT_NE(html.find("data-key=\"" + late.key + "\""), std::string::npos);
  EXPECT_NE(html.find("52 left out"), std::string::npos);
}

}  // namespace
}  // namespace rmq::scenarios
