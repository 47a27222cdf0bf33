// Orderly consumption's queue locks: one holder per queue and group, renewed
// by locking again, free once the lease lapses or the holder unlocks.
#include "broker/queue_locks.h"

#include <gtest/gtest.h>

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;
using V = std::vector<std::string>;

rt::Instant at(rt::Duration d) { return rt::Instant(d); }

TEST(QueueLocks, OneHolderPerQueueUntilItsLeaseLapses) {
  QueueLocks locks(60s);
  EXPECT_EQ(locks.lock("G", "a", {"q0", "q1"}, at(0s)), (V{"q0", "q1"}));
  EXPECT_EQ(locks.lock("G", "b", {"q1", "q2"}, at(1s)), (V{"q2"}));  // q1 is a's
  EXPECT_EQ(locks.holder("G", "q1", at(1s)), "a");
  EXPECT_EQ(locks.lock("H", "b", {"q1"}, at(1s)), (V{"q1"}));  // another group: its own locks
  // a renews q0 at 50 s; q1's lease (from 0 s) is over after 60 s.
  EXPECT_EQ(locks.lock("G", "a", {"q0"}, at(50s)), (V{"q0"}));
  EXPECT_EQ(locks.holder("G", "q1", at(60s)), "a");  // the lease's last instant
  EXPECT_EQ(locks.holder("G", "q1", at(61s)), "");
  EXPECT_EQ(locks.lock("G", "b", {"q0", "q1"}, at(61s)), (V{"q1"}));  // q0 was renewed
  EXPECT_EQ(locks.holder("G", "q0", at(61s)), "a");
}

TEST(QueueLocks, OnlyTheHolderUnlocks) {
  QueueLocks locks(60s);
  locks.lock("G", "a", {"q0", "q1"}, at(0s));
  locks.unlock("G", "b", {"q0"});
  EXPECT_EQ(locks.holder("G", "q0", at(1s)), "a");
  locks.unlock("G", "a", {"q0"});
  EXPECT_EQ(locks.holder("G", "q0", at(1s)), "");
  EXPECT_EQ(locks.lock("G", "b", {"q0"}, at(2s)), (V{"q0"}));
  locks.unlock("nobody", "a", {"q1"});  // an unknown group: nothing happens
  EXPECT_EQ(locks.holder("G", "q1", at(2s)), "a");
}

TEST(QueueLocks, ExpireForgetsLapsedLocksOnly) {
  QueueLocks locks(10s);
  locks.lock("G", "a", {"q0"}, at(0s));
  locks.lock("G", "b", {"q1"}, at(5s));
  EXPECT_EQ(locks.size(), 2u);
  locks.expire(at(12s));
  EXPECT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks.holder("G", "q1", at(12s)), "b");
  locks.expire(at(16s));
  EXPECT_EQ(locks.size(), 0u);
}

}  // namespace
}  // namespace rmq::broker
