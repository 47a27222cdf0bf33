// replace_file() under power loss at every moment of a rewrite: the file
// holds the old or the new contents, never a mix, never nothing.
#include <gtest/gtest.h>

#include "common/atomic_file.h"
#include "sim/simulation.h"

namespace rmq::common {
namespace {

using namespace std::chrono_literals;

TEST(ReplaceFile, PowerLossAtAnyMomentLeavesOldOrNewContents) {
  const std::string old_text(3000, 'o');
  const std::string new_text(5000, 'n');
  int saw_old = 0, saw_new = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    sim::Simulation s(seed);
    int boot = 0;
    std::string seen;
    bool old_written = false;
    s.add_node("n", [&](rt::Runtime& rt) {
      ++boot;
      if (boot == 1) {
        ASSERT_TRUE(replace_file(rt.fs(), "/cfg/topics.json", old_text).ok());
        ASSERT_TRUE(rt.fs().sync_dir("/").ok());
        old_written = true;
        // The power loss may interrupt this (then it fails with cancelled).
        (void)replace_file(rt.fs(), "/cfg/topics.json", new_text);
        rt.sleep_for(1h);
      }
      auto r = read_file(rt.fs(), "/cfg/topics.json");
      ASSERT_TRUE(r.ok()) << r.error().message();
      seen = *r;
    });
    s.start_all();
    // Wait for the old contents, then cut the power at a seed-chosen moment
    // during the rewrite (its syncs take a few milliseconds).
    ASSERT_TRUE(s.run_until([&] { return old_written; }, 10s));
    s.run_for(std::chrono::microseconds(s.random().below(8000)));
    s.power_loss(0);
    s.start(0);
    s.run_for(1s);
    ASSERT_EQ(boot, 2);
    ASSERT_TRUE(seen == old_text || seen == new_text) << "seed " << seed << ": " << seen.size() << " bytes";
    (seen == old_text ? saw_old : saw_new)++;
  }
  // Both outcomes occur, so the crash points really span the rewrite.
  EXPECT_GT(saw_old, 0);
  EXPECT_GT(saw_new, 0);
}

TEST(ReadFile, MissingFileIsNotFoundAndOversizedIsRefused) {
  sim::Simulation s(1);
  bool done = false;
  s.add_node("n", [&](rt::Runtime& rt) {
    EXPECT_EQ(read_file(rt.fs(), "/nope").code(), rt::Errc::not_found);
    ASSERT_TRUE(replace_file(rt.fs(), "/big", std::string(100, 'x')).ok());
    EXPECT_EQ(read_file(rt.fs(), "/big", 10).code(), rt::Errc::invalid_argument);
    EXPECT_EQ(*read_file(rt.fs(), "/big"), std::string(100, 'x'));
    done = true;
  });
  s.start_all();
  s.run_for(10s);
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace rmq::common
