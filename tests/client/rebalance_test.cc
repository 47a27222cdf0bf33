// The rebalance both consumers share (client/rebalance.h): RocketMQ's
// allocate-averagely split, and the change a new allocation makes.
#include <gtest/gtest.h>

#include <set>

#include "client/rebalance.h"

namespace rmq::client {
namespace {

std::vector<MessageQueue> queues(int n) {
  std::vector<MessageQueue> out;
  for (int i = 0; i < n; ++i) out.push_back({"T", i < (n + 1) / 2 ? "broker-a" : "broker-b", i});
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> ids_of(const std::vector<MessageQueue>& qs) {
  std::vector<int> out;
  for (const auto& q : qs) out.push_back(q.queue_id + (q.broker_name == "broker-b" ? 100 : 0));
  return out;
}

TEST(Rebalance, AllocateAveragelyGivesTheFirstMembersTheRemainderInContiguousRuns) {
  const auto all = queues(8);  // broker-a 0..3, broker-b 4..7
  const std::vector<std::string> members{"c1", "c2", "c3"};
  EXPECT_EQ(ids_of(allocate_averagely(all, members, "c1")), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(ids_of(allocate_averagely(all, members, "c2")), (std::vector<int>{3, 104, 105}));
  EXPECT_EQ(ids_of(allocate_averagely(all, members, "c3")), (std::vector<int>{106, 107}));
  EXPECT_TRUE(allocate_averagely(all, members, "stranger").empty());
}

TEST(Rebalance, EveryQueueHasExactlyOneOwnerForAnySplit) {
  for (int n = 0; n <= 12; ++n) {
    for (int m = 1; m <= 6; ++m) {
      const auto all = queues(n);
      std::vector<std::string> members;
      for (int i = 0; i < m; ++i) members.push_back("c" + std::to_string(i));
      std::multiset<MessageQueue> owned;
      for (const auto& me : members)
        for (const auto& q : allocate_averagely(all, members, me)) owned.insert(q);
      EXPECT_EQ(owned.size(), all.size()) << n << " queues, " << m << " members";
      EXPECT_EQ(std::set<MessageQueue>(owned.begin(), owned.end()), std::set<MessageQueue>(all.begin(), all.end()));
    }
  }
}

TEST(Rebalance, AChangeLetsGoOfWhatIsNoLongerWantedInScopeAndTakesWhatIsNew) {
  const std::map<MessageQueue, int> owned{{{"A", "b", 0}, 1}, {{"A", "b", 1}, 1}, {{"B", "b", 0}, 1}};
  const std::vector<MessageQueue> wanted{{"A", "b", 1}, {"A", "b", 2}};
  const QueueChange in_a = queue_change(owned, wanted, [](const MessageQueue& q) { return q.topic == "A"; });
  EXPECT_EQ(in_a.gone, (std::vector<MessageQueue>{{"A", "b", 0}}));  // B's queue is another topic's business
  EXPECT_EQ(in_a.added, (std::vector<MessageQueue>{{"A", "b", 2}}));
  const QueueChange all = queue_change(owned, wanted, [](const MessageQueue&) { return true; });
  EXPECT_EQ(all.gone, (std::vector<MessageQueue>{{"A", "b", 0}, {"B", "b", 0}}));
  EXPECT_EQ(all.added, (std::vector<MessageQueue>{{"A", "b", 2}}));
}

}  // namespace
}  // namespace rmq::client
