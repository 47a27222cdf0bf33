// The canary table: one row per canary of common/canary.h, in its order,
// naming a scenario that exists; and a test build has none compiled in.
#include <gtest/gtest.h>

#include "scenarios/canaries.h"
#include "scenarios/scenario.h"

namespace rmq::scenarios {
namespace {

TEST(Canaries, EveryCanaryHasOneRowNamingAScenario) {
  const auto& rows = canary_checks();
  ASSERT_EQ(rows.size(), common::kCanaries.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(common::kCanaries[i].second);
    EXPECT_EQ(rows[i].canary, common::kCanaries[i].first);
    EXPECT_NE(find_scenario(std::string(rows[i].scenario)), nullptr) << rows[i].scenario;
    EXPECT_GT(rows[i].seeds, 0u);
  }
}

TEST(Canaries, ATestBuildHasNoneCompiledIn) {
  EXPECT_EQ(common::selected_canary(), common::Canary::none)
      << "this build compiles in " << common::to_string(common::selected_canary())
      << "; reconfigure with -DRMQ_CANARY=";
}

}  // namespace
}  // namespace rmq::scenarios
