// Held pulls: an arrival on a queue wakes the pulls held on it (and only
// them), a pull that may not suspend is never registered, an answered pull
// unregisters itself, and shutdown wakes them all.
#include "broker/long_polls.h"

#include <gtest/gtest.h>

#include "tests/runtime/backend.h"

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;

void on_sim(std::function<void(rt::Runtime&)> body) { test::make_sim_backend(11)->run(std::move(body)); }

TEST(LongPolls, AnArrivalWakesThePullsHeldOnItsQueueOnly) {
  on_sim([](rt::Runtime& rt) {
    LongPolls polls(rt);
    auto a = polls.hold("T", 0, true);
    auto b = polls.hold("T", 0, true);
    auto other = polls.hold("T", 1, true);
    auto no_suspend = polls.hold("T", 0, false);
    EXPECT_EQ(polls.held(), 3u);
    polls.arrived("T", 0);
    EXPECT_TRUE(a.arrived().wait(0s).ok());
    EXPECT_TRUE(b.arrived().wait(0s).ok());
    EXPECT_FALSE(other.arrived().wait(0s).ok());
    EXPECT_FALSE(no_suspend.arrived().wait(0s).ok());  // never registered
    // A waiting task is woken by an arrival during its wait.
    bool woke = false;
    auto waiter = rt.spawn("pull", [&] { woke = other.arrived().wait(10s).ok(); });
    rt.sleep_for(1s);
    polls.arrived("T", 1);
    ASSERT_TRUE(waiter.join(1s).ok());
    EXPECT_TRUE(woke);
  });
}

TEST(LongPolls, AnAnsweredPullUnregistersItselfAndShutdownWakesTheRest) {
  on_sim([](rt::Runtime& rt) {
    LongPolls polls(rt);
    {
      auto gone = polls.hold("T", 0, true);
      auto moved = std::move(gone);  // a moved hold unregisters once, with its new owner
      EXPECT_EQ(polls.held(), 1u);
    }
    EXPECT_EQ(polls.held(), 0u);
    polls.arrived("T", 0);  // nobody there: nothing happens
    auto x = polls.hold("A", 0, true);
    auto y = polls.hold("B", 3, true);
    polls.wake_all();
    EXPECT_TRUE(x.arrived().wait(0s).ok());
    EXPECT_TRUE(y.arrived().wait(0s).ok());
  });
}

}  // namespace
}  // namespace rmq::broker
