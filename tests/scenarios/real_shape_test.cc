// rmq-chaos's table of real clusters (scenarios/real/shape.h) agrees with
// the scenarios: every node a scenario's plans name is a process of its
// real form, with the role the plan needs of it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "scenarios/chaos.h"
#include "scenarios/real/shape.h"
#include "scenarios/scenario.h"

namespace rmq::chaos {
namespace {

TEST(RealShape, EveryNodeAScenariosPlansNameIsStarted) {
  const std::set<std::string> without_real_form = {"ping", "registration-at-scale"};
  for (const auto& sc : scenarios::all_scenarios()) {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      const RealShape shape = real_shape(sc.name, seed);
      if (without_real_form.count(sc.name)) {
        EXPECT_FALSE(shape.refused.empty()) << sc.name;
        break;
      }
      ASSERT_TRUE(shape.refused.empty()) << sc.name << ": " << shape.refused;
      const scenarios::RunResult r = sc.run(seed, {});
      ASSERT_TRUE(r.plan_error.empty()) << sc.name;
      for (const auto& e : r.plan.events) {
        const RealNode* n = find_node(shape, e.node);
        ASSERT_NE(n, nullptr) << sc.name << " seed " << seed << ": " << scenarios::to_string(e);
        if (scenarios::is_link_fault(e.kind)) {
          EXPECT_NE(find_node(shape, e.peer), nullptr) << sc.name << " seed " << seed << ": " << scenarios::to_string(e);
        }
        // Disks and restarts belong to servers or clients that exist; a
        // disk fault to a broker.
        if (e.kind == scenarios::FaultKind::disk_full || e.kind == scenarios::FaultKind::slow_disk ||
            e.kind == scenarios::FaultKind::fsync_stall || e.kind == scenarios::FaultKind::power_loss) {
          EXPECT_EQ(n->role, Role::broker) << sc.name << " seed " << seed << ": " << scenarios::to_string(e);
        }
      }
    }
  }
}

TEST(RealShape, ChaosDrawsTheClusterItsRunDraws) {
  const scenarios::Scenario* chaos = scenarios::find_scenario("chaos");
  ASSERT_NE(chaos, nullptr);
  std::set<int> broker_counts;
  int orderly_seeds = 0, tx_seeds = 0, ha_seeds = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const scenarios::ChaosCluster c = scenarios::chaos_cluster(seed);
    scenarios::RunOptions calm;
    calm.faults = false;
    const scenarios::RunResult r = chaos->run(seed, calm);
    ASSERT_FALSE(r.notes.empty());
    // The run's first note begins "brokers=N SYNC_FLUSH|ASYNC_FLUSH producers=PxM ... clustering=C".
    const std::string& note = r.notes[0];
    EXPECT_NE(note.find("brokers=" + std::to_string(c.brokers) + " "), std::string::npos) << note;
    EXPECT_NE(note.find(c.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH"), std::string::npos) << note;
    EXPECT_NE(note.find("producers=" + std::to_string(c.producers) + "x"), std::string::npos) << note;
    EXPECT_NE(note.find("clustering=" + std::to_string(c.clustering) + " "), std::string::npos) << note;
    EXPECT_NE(note.find(fmt::format("delayed={} tx={} orderly={} ", c.delay_share, c.transactions, c.orderly)),
              std::string::npos)
        << note;
    const char* ha = !c.ha ? "none" : c.sync_master ? "SYNC_MASTER+SLAVE" : "ASYNC_MASTER+SLAVE";
    EXPECT_NE(note.find(fmt::format(" ha={} ", ha)), std::string::npos) << note;
    orderly_seeds += c.orderly ? 1 : 0;
    tx_seeds += c.transactions ? 1 : 0;
    ha_seeds += c.ha ? 1 : 0;
    broker_counts.insert(c.brokers);
    const RealShape shape = real_shape("chaos", seed);
    int masters = 0, slaves = 0, consumers = 0;
    for (const auto& n : shape.nodes) {
      masters += n.role == Role::broker && n.broker.broker_id == 0 ? 1 : 0;
      slaves += n.role == Role::broker && n.broker.broker_id != 0 ? 1 : 0;
      consumers += n.role == Role::consumer ? 1 : 0;
    }
    EXPECT_EQ(masters, c.brokers);
    EXPECT_EQ(slaves, c.ha ? c.brokers : 0);
    if (c.ha) {
      const RealNode* m0 = find_node(shape, "broker0");
      const RealNode* s0 = find_node(shape, "slave0");
      ASSERT_NE(m0, nullptr);
      ASSERT_NE(s0, nullptr);
      EXPECT_EQ(m0->broker.role, c.sync_master ? "SYNC_MASTER" : "ASYNC_MASTER");
      EXPECT_EQ(s0->broker.role, "SLAVE");
      EXPECT_EQ(s0->broker.master, "broker0");
      EXPECT_EQ(s0->broker.broker_name, m0->broker.broker_name);
    }
    EXPECT_EQ(consumers, c.clustering + (c.orderly ? 4 : 2));
    const RealNode* p0 = find_node(shape, "producer0");
    ASSERT_NE(p0, nullptr);
    EXPECT_EQ(p0->producer.transactional, c.transactions);
  }
  EXPECT_EQ(broker_counts.size(), 2u);  // both 2 and 3 brokers among these seeds
  EXPECT_GT(orderly_seeds, 0);
  EXPECT_GT(tx_seeds, 0);
  EXPECT_GT(ha_seeds, 0);
}

TEST(RealShape, SlavesFollowTheirMastersAndUnknownScenariosAreRefused) {
  const RealShape s = real_shape("master-crash", 1);
  const RealNode* slave = find_node(s, "slave1");
  ASSERT_NE(slave, nullptr);
  EXPECT_EQ(slave->broker.role, "SLAVE");
  EXPECT_EQ(slave->broker.broker_id, 1);
  EXPECT_EQ(slave->broker.master, "master1");
  EXPECT_EQ(slave->broker.broker_name, find_node(s, "master1")->broker.broker_name);
  EXPECT_EQ(find_node(s, "master0")->broker.role, "SYNC_MASTER");
  EXPECT_TRUE(real_shape("async-master-loss", 1).async_replication);
  EXPECT_FALSE(real_shape("master-crash", 1).async_replication);
  EXPECT_NE(real_shape("no-such-scenario", 1).refused.find("no scenario"), std::string::npos);
}

}  // namespace
}  // namespace rmq::chaos
