// Same seed, same trace hash: the busy "ping" cluster (nodes exchanging
// pings over TCP and appending to journals under crashes, power loss,
// partitions, clogs, resets and slow disks) runs twice per seed and must
// produce identical hashes; different seeds must produce different ones.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "scenarios/scenario.h"

namespace rmq::scenarios {
namespace {

uint64_t seed_count() {
  const char* env = std::getenv("RMQ_DETERMINISM_SEEDS");
  return env ? std::strtoull(env, nullptr, 10) : 200;
}

TEST(Determinism, EverySeedTwiceGivesIdenticalHashesAndSeedsDiffer) {
  const uint64_t seeds = seed_count();
  ASSERT_GE(seeds, 1u);
  std::map<uint64_t, uint64_t> seed_of_hash;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const RunResult a = run_ping(seed, RunOptions{});
    const RunResult b = run_ping(seed, RunOptions{});
    ASSERT_EQ(a.trace_hash, b.trace_hash) << "seed " << seed << " is not deterministic; replay with: "
                                          << "rmq-sim run --scenario ping --seed " << seed << " --trace";
    ASSERT_EQ(a.events, b.events) << "seed " << seed;
    EXPECT_TRUE(a.ok()) << "seed " << seed << ": " << (a.failures.empty() ? "" : a.failures[0]);
    auto [it, fresh] = seed_of_hash.emplace(a.trace_hash, seed);
    EXPECT_TRUE(fresh) << "seeds " << it->second << " and " << seed << " gave the same hash";
  }
}

TEST(Determinism, FaultFreeRunDiffersFromFaultyRunOfSameSeed) {
  RunOptions calm;
  calm.faults = false;
  EXPECT_NE(run_ping(3, calm).trace_hash, run_ping(3, RunOptions{}).trace_hash);
}

}  // namespace
}  // namespace rmq::scenarios
