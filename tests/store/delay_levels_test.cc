// messageDelayLevel: parsing, the default table, clamping, delivery times.
#include "store/delay_levels.h"

#include <gtest/gtest.h>

#include "store/store_config.h"

namespace rmq::store {
namespace {

TEST(DelayLevels, DefaultStringIsTheStoreDefaultTable) {
  auto levels = parse_delay_levels(kDefaultMessageDelayLevel);
  ASSERT_TRUE(levels.ok());
  EXPECT_EQ(*levels, StoreConfig{}.delay_level_ms);
  ASSERT_EQ(levels->size(), 18u);
  EXPECT_EQ(levels->front(), 1'000);
  EXPECT_EQ((*levels)[2], 10'000);  // level 3: the first retry
  EXPECT_EQ(levels->back(), 7'200'000);
  EXPECT_EQ(format_delay_levels(*levels), kDefaultMessageDelayLevel);
}

TEST(DelayLevels, UnitsAreSecondsMinutesHoursAndDays) {
  auto levels = parse_delay_levels("  3s\t2m 1h  1d 0s ");
  ASSERT_TRUE(levels.ok()) << levels.error().message();
  EXPECT_EQ(*levels, (std::vector<int64_t>{3'000, 120'000, 3'600'000, 86'400'000, 0}));
}

TEST(DelayLevels, BadEntriesAreRefusedNamingTheLevel) {
  for (const char* bad : {"", "   ", "1s 5x", "1s s", "1s -5s", "1.5s", "10", "1s 2ms", "999999999999d"}) {
    auto r = parse_delay_levels(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' was accepted";
  }
  auto r = parse_delay_levels("1s 5s 10q");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail().find("level 3 '10q'"), std::string::npos) << r.error().detail();
}

TEST(DelayLevels, LevelsAboveTheTableAreClampedAndDueAfterTheirDelay) {
  const std::vector<int64_t> t = {1'000, 5'000, 10'000};
  EXPECT_EQ(clamp_delay_level(t, 1), 1);
  EXPECT_EQ(clamp_delay_level(t, 3), 3);
  EXPECT_EQ(clamp_delay_level(t, 99), 3);
  EXPECT_EQ(deliver_timestamp(t, 2, 1'700'000'000'000), 1'700'000'005'000);
  EXPECT_EQ(deliver_timestamp(t, 3, INT64_MAX - 1), INT64_MAX);  // saturates
}

}  // namespace
}  // namespace rmq::store
